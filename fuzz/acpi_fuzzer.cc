// Fuzzes the x86 ACPI tables (acpi_tables/x86_acpi.h) over the machine
// configurations the input picks: 1-255 vCPUs (or any u32), with or without
// fw_cfg (at any ports), COM1 and the CMOS RTC, any PM1 ports and any table
// addresses. Configurations in "sane" mode (documented defaults, varying only
// what cannot conflict) must build; others may fail with a one-line error.
//
// For every set of tables that builds:
//  - direct boot: each table's checksum sums to 0 mod 256, its length field
//    is its size and its signature its name; the RSDP's XSDT pointer, the
//    XSDT's entries and the FADT's FACS/DSDT pointers hold the addresses of
//    the tables placed; no two tables overlap; the MADT has one Local APIC
//    per vCPU and the FADT/DSDT reflect the configuration;
//  - fw_cfg: etc/table-loader decodes, every pointer field and checksum range
//    it names lies inside its file, and running it as firmware does (at the
//    direct-boot addresses, and at SeaBIOS-like ones) succeeds, yields the
//    direct-boot bytes, and leaves every checksummed range summing to 0.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader.h"
#include "acpi_tables/bios_linker_loader_testing.h"
#include "acpi_tables/tables.h"
#include "acpi_tables/x86_acpi.h"
#include "acpi_tables/x86_acpi_firmware.h"
#include "base/byte_order.h"
#include "fuzz/fuzz_check.h"
#include "fuzzer/FuzzedDataProvider.h"

namespace {

using acpi_tables::AcpiGuestBlob;
using acpi_tables::X86AcpiConfig;

uint8_t Sum(absl::Span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return sum;
}

uint64_t LoadLe(const uint8_t* bytes, size_t size) {
  uint64_t value = 0;
  for (size_t i = size; i > 0; --i) value = value << 8 | bytes[i - 1];
  return value;
}

X86AcpiConfig PickConfig(FuzzedDataProvider& input, bool* sane) {
  X86AcpiConfig config;
  const uint8_t mode = input.ConsumeIntegral<uint8_t>();
  *sane = (mode & 0x3) != 0;
  config.num_vcpus = (mode & 0x4) != 0 || *sane
                         ? input.ConsumeIntegralInRange<uint32_t>(1, 255)
                         : input.ConsumeIntegral<uint32_t>();
  config.com1 = input.ConsumeBool();
  config.cmos_rtc = input.ConsumeBool();
  if (input.ConsumeBool()) {
    config.fw_cfg.reset();
  } else if (!*sane) {
    config.fw_cfg =
        acpi_tables::FwCfgPortRange{.base = input.ConsumeIntegral<uint16_t>(),
                                    .size = input.ConsumeIntegral<uint8_t>()};
  }
  if (*sane) return config;

  if ((mode & 0x8) != 0) config.pm_io_base = input.ConsumeIntegral<uint16_t>();
  switch ((mode >> 4) % 4) {
    case 0:
      break;
    case 1:  // Aligned, below 4 GiB.
      config.rsdp_address = input.ConsumeIntegral<uint32_t>() & ~uint64_t{15};
      config.tables_address = input.ConsumeIntegral<uint32_t>() & ~uint64_t{63};
      break;
    case 2:  // Near the limits.
      config.rsdp_address = ~uint64_t{0} - input.ConsumeIntegral<uint8_t>();
      config.tables_address =
          (uint64_t{1} << 32) - 64 * input.ConsumeIntegralInRange<int>(0, 64);
      break;
    default:
      config.rsdp_address = input.ConsumeIntegral<uint64_t>();
      config.tables_address = input.ConsumeIntegral<uint64_t>();
      break;
  }
  return config;
}

// Both forms of the tables for one configuration.
struct X86AcpiTables {
  std::vector<AcpiGuestBlob> direct_boot;
  acpi_tables::AcpiFirmwareFiles fw_cfg;
};

const AcpiGuestBlob* Find(const X86AcpiTables& tables, const char* name) {
  for (const AcpiGuestBlob& blob : tables.direct_boot) {
    if (blob.name == name) return &blob;
  }
  FUZZ_CHECK(false, "no %s table", name);
  return nullptr;
}

void CheckDirectBoot(const X86AcpiConfig& config, const X86AcpiTables& tables) {
  static const char* const kOrder[] = {"RSDP", "FACS", "DSDT",
                                       "FACP", "APIC", "XSDT"};
  FUZZ_CHECK(tables.direct_boot.size() == std::size(kOrder), "%zu tables",
             tables.direct_boot.size());
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    FUZZ_CHECK(tables.direct_boot[i].name == kOrder[i], "table %zu is %s", i,
               tables.direct_boot[i].name.c_str());
  }
  // The blobs' guest ranges: inside the address space and disjoint.
  for (size_t i = 0; i < tables.direct_boot.size(); ++i) {
    const AcpiGuestBlob& a = tables.direct_boot[i];
    FUZZ_CHECK(!a.bytes.empty() && a.address + a.bytes.size() > a.address,
               "%s at 0x%lx wraps", a.name.c_str(),
               static_cast<unsigned long>(a.address));
    for (size_t j = 0; j < i; ++j) {
      const AcpiGuestBlob& b = tables.direct_boot[j];
      FUZZ_CHECK(a.address >= b.address + b.bytes.size() ||
                     b.address >= a.address + a.bytes.size(),
                 "%s and %s overlap", a.name.c_str(), b.name.c_str());
    }
  }

  const AcpiGuestBlob& rsdp = tables.direct_boot[0];
  FUZZ_CHECK(rsdp.address == config.rsdp_address && rsdp.address % 16 == 0,
             "RSDP at 0x%lx", static_cast<unsigned long>(rsdp.address));
  FUZZ_CHECK(rsdp.bytes.size() == acpi_tables::kRsdpSize, "RSDP size %zu",
             rsdp.bytes.size());
  FUZZ_CHECK(std::memcmp(rsdp.bytes.data(), "RSD PTR ", 8) == 0,
             "RSDP signature");
  FUZZ_CHECK(Sum(absl::MakeConstSpan(rsdp.bytes).first(20)) == 0 &&
                 Sum(rsdp.bytes) == 0,
             "RSDP checksums");
  FUZZ_CHECK(base::LoadLe32(rsdp.bytes.data() + 20) == acpi_tables::kRsdpSize,
             "RSDP length field");
  FUZZ_CHECK(base::LoadLe32(rsdp.bytes.data() +
                            acpi_tables::kRsdpRsdtAddressOffset) == 0,
             "RSDP has an RSDT pointer but there is no RSDT");
  const AcpiGuestBlob& xsdt = *Find(tables, "XSDT");
  FUZZ_CHECK(
      base::LoadLe64(rsdp.bytes.data() + acpi_tables::kRsdpXsdtAddressOffset) ==
          xsdt.address,
      "RSDP does not point at the XSDT");

  const AcpiGuestBlob& facs = *Find(tables, "FACS");
  FUZZ_CHECK(facs.address == config.tables_address && facs.address % 64 == 0,
             "FACS at 0x%lx", static_cast<unsigned long>(facs.address));
  FUZZ_CHECK(std::memcmp(facs.bytes.data(), "FACS", 4) == 0 &&
                 base::LoadLe32(facs.bytes.data() + 4) == facs.bytes.size(),
             "FACS header");

  for (const AcpiGuestBlob& table : tables.direct_boot) {
    if (table.name == "RSDP" || table.name == "FACS") continue;
    FUZZ_CHECK(table.bytes.size() >= acpi_tables::kSdtHeaderSize &&
                   std::memcmp(table.bytes.data(), table.name.data(), 4) == 0,
               "%s header", table.name.c_str());
    FUZZ_CHECK(
        base::LoadLe32(table.bytes.data() + acpi_tables::kSdtLengthOffset) ==
            table.bytes.size(),
        "%s length field", table.name.c_str());
    FUZZ_CHECK(Sum(table.bytes) == 0, "%s checksum", table.name.c_str());
    FUZZ_CHECK(table.address + table.bytes.size() <= (uint64_t{1} << 32),
               "%s ends above 4 GiB", table.name.c_str());
  }

  // XSDT entries: exactly the FADT and the MADT.
  const AcpiGuestBlob& fadt = *Find(tables, "FACP");
  const AcpiGuestBlob& madt = *Find(tables, "APIC");
  const AcpiGuestBlob& dsdt = *Find(tables, "DSDT");
  FUZZ_CHECK(xsdt.bytes.size() == acpi_tables::kSdtHeaderSize + 16,
             "XSDT of %zu bytes", xsdt.bytes.size());
  FUZZ_CHECK(base::LoadLe64(xsdt.bytes.data() + 36) == fadt.address &&
                 base::LoadLe64(xsdt.bytes.data() + 44) == madt.address,
             "XSDT entries do not point at the FADT and MADT");

  const uint8_t* f = fadt.bytes.data();
  FUZZ_CHECK(fadt.bytes.size() == acpi_tables::kFadtSize, "FADT size %zu",
             fadt.bytes.size());
  FUZZ_CHECK(
      base::LoadLe32(f + acpi_tables::kFadtFirmwareCtrlOffset) ==
              facs.address &&
          base::LoadLe32(f + acpi_tables::kFadtDsdtOffset) == dsdt.address &&
          base::LoadLe64(f + acpi_tables::kFadtXDsdtOffset) == dsdt.address &&
          base::LoadLe64(f + acpi_tables::kFadtXFirmwareCtrlOffset) == 0,
      "FADT pointers");
  FUZZ_CHECK(base::LoadLe32(f + acpi_tables::kFadtPm1aEvtBlkOffset) ==
                     config.pm_io_base &&
                 base::LoadLe32(f + acpi_tables::kFadtPm1aCntBlkOffset) ==
                     config.pm_io_base + 4u,
             "FADT PM1 blocks");
  FUZZ_CHECK(((base::LoadLe16(f + acpi_tables::kFadtIapcBootArchOffset) &
               acpi_tables::kIapcCmosRtcNotPresent) != 0) != config.cmos_rtc,
             "FADT CMOS RTC flag");

  // MADT: one Local APIC (type 0, 8 bytes) per vCPU.
  uint32_t local_apics = 0;
  for (size_t at = acpi_tables::kMadtStructuresOffset;
       at < madt.bytes.size();) {
    FUZZ_CHECK(at + 2 <= madt.bytes.size() && madt.bytes[at + 1] >= 2 &&
                   at + madt.bytes[at + 1] <= madt.bytes.size(),
               "MADT structure at %zu runs off the table", at);
    if (madt.bytes[at] == 0) ++local_apics;
    at += madt.bytes[at + 1];
  }
  FUZZ_CHECK(local_apics == config.num_vcpus, "%u Local APICs for %u vCPUs",
             local_apics, config.num_vcpus);

  const std::string dsdt_text(dsdt.bytes.begin(), dsdt.bytes.end());
  FUZZ_CHECK((dsdt_text.find("QEMU0002") != std::string::npos) ==
                 config.fw_cfg.has_value(),
             "DSDT fw_cfg device presence");
}

// Every reference the script makes lies inside the files.
void CheckLoaderBounds(const std::vector<acpi_tables::LinkerCommand>& commands,
                       const acpi_tables::LinkerFiles& files) {
  auto file = [&](const std::string& name) -> const std::vector<uint8_t>& {
    auto it = files.find(name);
    FUZZ_CHECK(it != files.end(), "the script names unknown file \"%s\"",
               name.c_str());
    return it->second;
  };
  for (const acpi_tables::LinkerCommand& command : commands) {
    if (const auto* c = std::get_if<acpi_tables::LinkerAllocate>(&command)) {
      file(c->file);
      FUZZ_CHECK(c->align != 0 && (c->align & (c->align - 1)) == 0,
                 "ALLOCATE alignment %u", c->align);
      FUZZ_CHECK(c->zone == acpi_tables::kAllocZoneHigh ||
                     c->zone == acpi_tables::kAllocZoneFseg,
                 "ALLOCATE zone %u", c->zone);
    } else if (const auto* c =
                   std::get_if<acpi_tables::LinkerAddPointer>(&command)) {
      const std::vector<uint8_t>& dest = file(c->dest_file);
      const std::vector<uint8_t>& src = file(c->src_file);
      FUZZ_CHECK(c->size == 1 || c->size == 2 || c->size == 4 || c->size == 8,
                 "ADD_POINTER size %u", c->size);
      FUZZ_CHECK(uint64_t{c->offset} + c->size <= dest.size(),
                 "ADD_POINTER field %u+%u outside \"%s\" (%zu bytes)",
                 c->offset, c->size, c->dest_file.c_str(), dest.size());
      const uint64_t target = LoadLe(dest.data() + c->offset, c->size);
      FUZZ_CHECK(target < src.size(),
                 "ADD_POINTER at %u holds 0x%lx, outside \"%s\" (%zu bytes)",
                 c->offset, static_cast<unsigned long>(target),
                 c->src_file.c_str(), src.size());
    } else if (const auto* c =
                   std::get_if<acpi_tables::LinkerAddChecksum>(&command)) {
      const std::vector<uint8_t>& blob = file(c->file);
      FUZZ_CHECK(uint64_t{c->start} + c->length <= blob.size() &&
                     c->offset >= c->start &&
                     c->offset < uint64_t{c->start} + c->length,
                 "ADD_CHECKSUM %u in %u+%u outside \"%s\" (%zu bytes)",
                 c->offset, c->start, c->length, c->file.c_str(), blob.size());
      FUZZ_CHECK(blob[c->offset] == 0, "checksum byte %u of \"%s\" not 0",
                 c->offset, c->file.c_str());
    } else {
      FUZZ_CHECK(false, "unexpected WRITE_POINTER");
    }
  }
}

acpi_tables::LinkerFiles FilesOf(const X86AcpiTables& tables) {
  acpi_tables::LinkerFiles files;
  files[acpi_tables::kAcpiTablesFile] = tables.fw_cfg.tables;
  files[acpi_tables::kAcpiRsdpFile] = tables.fw_cfg.rsdp;
  return files;
}

void CheckChecksums(const std::vector<acpi_tables::LinkerCommand>& commands,
                    const acpi_tables::LinkerFiles& files) {
  for (const acpi_tables::LinkerCommand& command : commands) {
    if (const auto* c = std::get_if<acpi_tables::LinkerAddChecksum>(&command)) {
      const std::vector<uint8_t>& blob = files.at(c->file);
      FUZZ_CHECK(
          Sum(absl::MakeConstSpan(blob).subspan(c->start, c->length)) == 0,
          "after loading, \"%s\" %u+%u does not sum to 0", c->file.c_str(),
          c->start, c->length);
    }
  }
}

void CheckFwCfg(const X86AcpiConfig& config, const X86AcpiTables& tables) {
  const std::vector<uint8_t>& script = tables.fw_cfg.table_loader;
  FUZZ_CHECK(!script.empty() && script.size() % 4096 == 0,
             "etc/table-loader of %zu bytes", script.size());
  absl::StatusOr<std::vector<acpi_tables::LinkerCommand>> commands =
      acpi_tables::DecodeBiosLinkerLoader(script);
  FUZZ_CHECK(commands.ok(), "%s", commands.status().ToString().c_str());
  CheckLoaderBounds(*commands, FilesOf(tables));

  // Firmware placing the blobs where direct boot puts them: same bytes.
  acpi_tables::LinkerFiles files = FilesOf(tables);
  const acpi_tables::LinkerAllocator at_direct_boot =
      [&](const acpi_tables::LinkerAllocate& command,
          uint64_t) -> absl::StatusOr<uint64_t> {
    return command.file == acpi_tables::kAcpiRsdpFile ? config.rsdp_address
                                                      : config.tables_address;
  };
  absl::StatusOr<acpi_tables::LinkerExecution> execution =
      acpi_tables::ExecuteBiosLinkerLoader(*commands, &files, at_direct_boot);
  FUZZ_CHECK(execution.ok(), "%s", execution.status().ToString().c_str());
  CheckChecksums(*commands, files);
  for (const AcpiGuestBlob& blob : tables.direct_boot) {
    const bool is_rsdp = blob.name == "RSDP";
    const std::vector<uint8_t>& file = files.at(
        is_rsdp ? acpi_tables::kAcpiRsdpFile : acpi_tables::kAcpiTablesFile);
    const uint64_t offset = is_rsdp ? 0 : blob.address - config.tables_address;
    FUZZ_CHECK(offset + blob.bytes.size() <= file.size() &&
                   std::equal(blob.bytes.begin(), blob.bytes.end(),
                              file.begin() + static_cast<ptrdiff_t>(offset)),
               "%s loaded at the direct-boot address differs from direct boot",
               blob.name.c_str());
  }

  // SeaBIOS-like placement: the RSDP in the F segment points at the XSDT.
  files = FilesOf(tables);
  execution = acpi_tables::ExecuteBiosLinkerLoader(
      *commands, &files, acpi_tables::BumpLinkerAllocator());
  FUZZ_CHECK(execution.ok(), "%s", execution.status().ToString().c_str());
  CheckChecksums(*commands, files);
  const uint64_t tables_at =
      execution->addresses.at(acpi_tables::kAcpiTablesFile);
  const uint64_t xsdt_at =
      base::LoadLe64(files.at(acpi_tables::kAcpiRsdpFile).data() +
                     acpi_tables::kRsdpXsdtAddressOffset);
  FUZZ_CHECK(
      xsdt_at ==
          tables_at + (Find(tables, "XSDT")->address - config.tables_address),
      "relocated RSDP points at 0x%lx", static_cast<unsigned long>(xsdt_at));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  bool sane = false;
  const X86AcpiConfig config = PickConfig(input, &sane);
  absl::StatusOr<std::vector<AcpiGuestBlob>> direct_boot =
      acpi_tables::BuildX86AcpiTables(config);
  if (!direct_boot.ok()) {
    FUZZ_CHECK(!sane, "a sane configuration failed: %s",
               direct_boot.status().ToString().c_str());
    const std::string message(direct_boot.status().message());
    FUZZ_CHECK(!message.empty() && message.find('\n') == std::string::npos,
               "error message: %s", message.c_str());
    return 0;
  }
  // The firmware form checks only the machine, which the direct-boot tables
  // accepted.
  absl::StatusOr<acpi_tables::AcpiFirmwareFiles> firmware =
      acpi_tables::BuildX86AcpiFirmwareFiles(config);
  FUZZ_CHECK(firmware.ok(), "the firmware files failed: %s",
             firmware.status().ToString().c_str());
  const X86AcpiTables tables = {*std::move(direct_boot), *std::move(firmware)};
  CheckDirectBoot(config, tables);
  CheckFwCfg(config, tables);
  return 0;
}
