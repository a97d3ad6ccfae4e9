#include "acpi_tables/x86_acpi_firmware.h"

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "acpi_tables/bios_linker_loader.h"
#include "acpi_tables/tables.h"
#include "acpi_tables/x86_layout.h"
#include "base/status_macros.h"

namespace acpi_tables {
namespace {

constexpr size_t kTableLoaderAlignment = 4096;  // QEMU's ACPI_BUILD_ALIGN_SIZE

}  // namespace

absl::StatusOr<AcpiFirmwareFiles> BuildX86AcpiFirmwareFiles(
    const X86AcpiConfig& config) {
  RETURN_IF_ERROR(x86_layout::ValidateMachine(config));
  // Pointers hold offsets into etc/acpi/tables; firmware adds its address.
  ASSIGN_OR_RETURN(x86_layout::Layout layout,
                   x86_layout::BuildLayout(config, /*base=*/0));
  std::vector<uint8_t> rsdp = BuildRsdp(layout.xsdt);
  if (layout.blob.size() > UINT32_MAX) {
    return absl::OutOfRangeError("ACPI tables blob exceeds 4 GiB");
  }

  BiosLinkerLoader linker;
  RETURN_IF_ERROR(linker.AddAllocate(
      kAcpiTablesFile, static_cast<uint32_t>(kFacsAlignment), kAllocZoneHigh,
      static_cast<uint32_t>(layout.blob.size())));
  RETURN_IF_ERROR(
      linker.AddAllocate(kAcpiRsdpFile, static_cast<uint32_t>(kRsdpAlignment),
                         kAllocZoneFseg, static_cast<uint32_t>(rsdp.size())));
  const auto pointer = [&](size_t field, uint8_t size) {
    return linker.AddPointer(kAcpiTablesFile, static_cast<uint32_t>(field),
                             size, kAcpiTablesFile);
  };
  for (const x86_layout::TableSpan& table : layout.tables) {
    if (table.name == "FACP") {
      RETURN_IF_ERROR(pointer(table.offset + kFadtFirmwareCtrlOffset, 4));
      RETURN_IF_ERROR(pointer(table.offset + kFadtDsdtOffset, 4));
      RETURN_IF_ERROR(pointer(table.offset + kFadtXDsdtOffset, 8));
    } else if (table.name == "XSDT") {
      for (size_t entry = kXsdtEntriesOffset; entry < table.size; entry += 8) {
        RETURN_IF_ERROR(pointer(table.offset + entry, 8));
      }
    }
    if (!table.has_checksum) continue;
    // As in QEMU, the checksum byte is 0 in the blob: OVMF stores the sum of
    // the range there rather than adjusting the byte.
    layout.blob[table.offset + kSdtChecksumOffset] = 0;
    RETURN_IF_ERROR(linker.AddChecksum(
        kAcpiTablesFile, static_cast<uint32_t>(table.offset),
        static_cast<uint32_t>(table.size),
        static_cast<uint32_t>(table.offset + kSdtChecksumOffset)));
  }
  RETURN_IF_ERROR(linker.AddPointer(kAcpiRsdpFile, kRsdpXsdtAddressOffset, 8,
                                    kAcpiTablesFile));
  rsdp[kRsdpChecksumOffset] = 0;
  rsdp[kRsdpExtendedChecksumOffset] = 0;
  RETURN_IF_ERROR(linker.AddChecksum(kAcpiRsdpFile, 0, kRsdpChecksumLength,
                                     kRsdpChecksumOffset));
  RETURN_IF_ERROR(linker.AddChecksum(kAcpiRsdpFile, 0, kRsdpSize,
                                     kRsdpExtendedChecksumOffset));

  AcpiFirmwareFiles files;
  ASSIGN_OR_RETURN(files.table_loader,
                   linker.EncodePadded(kTableLoaderAlignment));
  files.tables = std::move(layout.blob);
  files.rsdp = std::move(rsdp);
  return files;
}

}  // namespace acpi_tables
