// The x86 machine's ACPI tables for firmware (SeaBIOS, OVMF), as QEMU hands
// them over through fw_cfg: `etc/acpi/tables` (FACS, DSDT, FACP, APIC, XSDT
// at the same offsets from its start as the direct-boot tables from
// tables_address, pointer fields holding offsets into it, checksum bytes 0),
// `etc/acpi/rsdp`, and `etc/table-loader`, the BIOS linker/loader script
// (bios_linker_loader.h, padded to 4096 bytes as QEMU does) that tells the
// firmware to place both blobs, turn the offsets into addresses and compute
// the checksums, as QEMU's hw/i386/acpi-build.c arranges.
//
//   ASSIGN_OR_RETURN(AcpiFirmwareFiles files, BuildX86AcpiFirmwareFiles({}));
//   // then, e.g., fw_cfg::AddAcpiFiles(device, std::move(files.tables), ...)

#ifndef ACPI_TABLES_X86_ACPI_FIRMWARE_H_
#define ACPI_TABLES_X86_ACPI_FIRMWARE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "acpi_tables/x86_acpi.h"

namespace acpi_tables {

// The fw_cfg file names QEMU uses.
inline constexpr char kAcpiTablesFile[] = "etc/acpi/tables";
inline constexpr char kAcpiRsdpFile[] = "etc/acpi/rsdp";
inline constexpr char kTableLoaderFile[] = "etc/table-loader";

struct AcpiFirmwareFiles {
  std::vector<uint8_t> tables;        // etc/acpi/tables
  std::vector<uint8_t> rsdp;          // etc/acpi/rsdp
  std::vector<uint8_t> table_loader;  // etc/table-loader
};

absl::StatusOr<AcpiFirmwareFiles> BuildX86AcpiFirmwareFiles(
    const X86AcpiConfig& config);

}  // namespace acpi_tables

#endif  // ACPI_TABLES_X86_ACPI_FIRMWARE_H_
