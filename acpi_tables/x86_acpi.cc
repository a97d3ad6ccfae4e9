#include "acpi_tables/x86_acpi.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "acpi_tables/aml.h"
#include "acpi_tables/tables.h"
#include "base/status_macros.h"
#include "fw_cfg/formats/bios_linker_loader.h"
#include "fw_cfg/standard_items.h"

namespace acpi_tables {
namespace {

constexpr uint32_t kMaxVcpus = 255;
constexpr uint64_t kTableAlignment = 8;
constexpr uint16_t kCom1IoSize = 8;
constexpr uint16_t kPmIoSize = 6;  // PM1a_EVT_BLK (4) + PM1a_CNT_BLK (2)
constexpr uint64_t k4GiB = uint64_t{1} << 32;
constexpr size_t kTableLoaderAlignment = 4096;  // QEMU's ACPI_BUILD_ALIGN_SIZE

// A table's place in the tables blob.
struct TableSpan {
  std::string name;
  size_t offset = 0;
  size_t size = 0;
  bool has_checksum = true;  // all but the FACS
};

// The tables other than the RSDP, laid out one after the other, with every
// pointer field holding `base` plus the target's offset.
struct Layout {
  std::vector<uint8_t> blob;
  std::vector<TableSpan> tables;
  size_t facs = 0;
  size_t dsdt = 0;
  size_t fadt = 0;
  size_t madt = 0;
  size_t xsdt = 0;
};

size_t Place(Layout& layout, std::string name, std::vector<uint8_t> bytes,
             bool has_checksum) {
  const size_t padded = (layout.blob.size() + kTableAlignment - 1) /
                        kTableAlignment * kTableAlignment;
  layout.blob.resize(padded, 0);
  layout.tables.push_back({.name = std::move(name),
                           .offset = padded,
                           .size = bytes.size(),
                           .has_checksum = has_checksum});
  layout.blob.insert(layout.blob.end(), bytes.begin(), bytes.end());
  return padded;
}

absl::Status ValidateMachine(const X86AcpiConfig& config) {
  if (config.num_vcpus == 0 || config.num_vcpus > kMaxVcpus) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%u vCPUs: the MADT describes 1 to %u (xAPIC IDs)",
                        config.num_vcpus, kMaxVcpus));
  }
  struct PortRange {
    const char* what;
    uint32_t base;
    uint32_t size;
  };
  std::vector<PortRange> ranges;
  if (config.pm_io_base == 0) {
    return absl::InvalidArgumentError("PM1 block: port 0 means none");
  }
  ranges.push_back({"PM1 block", config.pm_io_base, kPmIoSize});
  if (config.com1) ranges.push_back({"COM1", kCom1IoBase, kCom1IoSize});
  if (config.fw_cfg.has_value()) {
    // The control (16-bit) and data (8-bit at +1) registers at least.
    if (config.fw_cfg->base == 0 || config.fw_cfg->size < 2) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "fw_cfg ports 0x%x+0x%x do not hold the control and data registers",
          config.fw_cfg->base, config.fw_cfg->size));
    }
    ranges.push_back({"fw_cfg", config.fw_cfg->base, config.fw_cfg->size});
  }
  for (size_t i = 0; i < ranges.size(); ++i) {
    const PortRange& a = ranges[i];
    if (a.base + a.size > 0x10000) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s ports 0x%x+0x%x run past 0xffff", a.what, a.base, a.size));
    }
    for (size_t j = 0; j < i; ++j) {
      const PortRange& b = ranges[j];
      if (a.base < b.base + b.size && b.base < a.base + a.size) {
        return absl::InvalidArgumentError(
            absl::StrFormat("%s ports 0x%x+0x%x overlap %s ports 0x%x+0x%x",
                            a.what, a.base, a.size, b.what, b.base, b.size));
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Layout> BuildLayout(const X86AcpiConfig& config, uint64_t base) {
  Layout layout;
  layout.facs = Place(layout, "FACS", BuildFacs(), /*has_checksum=*/false);

  ASSIGN_OR_RETURN(std::vector<uint8_t> dsdt, BuildX86Dsdt(config));
  layout.dsdt = Place(layout, "DSDT", std::move(dsdt), true);

  ASSIGN_OR_RETURN(
      std::vector<uint8_t> fadt,
      BuildFadt({
          .facs_address = base + layout.facs,
          .dsdt_address = base + layout.dsdt,
          .sci_interrupt = kX86SciIrq,
          .pm1a_event_block = config.pm_io_base,
          .pm1a_control_block = static_cast<uint16_t>(config.pm_io_base + 4),
          .flags =
              kFadtWbinvd | kFadtProcC1 | kFadtPowerButton | kFadtSleepButton,
          .iapc_boot_arch = static_cast<uint16_t>(
              kIapcLegacyDevices | kIapc8042 | kIapcVgaNotPresent |
              (config.cmos_rtc ? 0 : kIapcCmosRtcNotPresent)),
      }));
  layout.fadt = Place(layout, "FACP", std::move(fadt), true);

  MadtConfig madt_config;
  for (uint32_t i = 0; i < config.num_vcpus; ++i) {
    madt_config.local_apics.push_back({.processor_uid = static_cast<uint8_t>(i),
                                       .apic_id = static_cast<uint8_t>(i)});
  }
  madt_config.io_apics.push_back(
      {.id = 0, .address = kDefaultIoApicAddress, .gsi_base = 0});
  madt_config.overrides.push_back(
      {.source = 0, .gsi = 2, .flags = kMpsIntiConforms});
  madt_config.overrides.push_back(
      {.source = kX86SciIrq,
       .gsi = kX86SciIrq,
       .flags = kMpsIntiActiveHigh | kMpsIntiLevel});
  ASSIGN_OR_RETURN(std::vector<uint8_t> madt, BuildMadt(madt_config));
  layout.madt = Place(layout, "APIC", std::move(madt), true);

  const uint64_t xsdt_entries[] = {base + layout.fadt, base + layout.madt};
  ASSIGN_OR_RETURN(std::vector<uint8_t> xsdt, BuildXsdt(xsdt_entries));
  layout.xsdt = Place(layout, "XSDT", std::move(xsdt), true);
  return layout;
}

absl::StatusOr<std::vector<AcpiGuestBlob>> BuildDirectBoot(
    const X86AcpiConfig& config) {
  if (config.tables_address == 0 ||
      config.tables_address % kFacsAlignment != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ACPI tables address 0x%x is not a non-zero multiple of %u (the FACS "
        "alignment)",
        config.tables_address, kFacsAlignment));
  }
  if (config.rsdp_address % kRsdpAlignment != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("RSDP address 0x%x is not %u-byte aligned",
                        config.rsdp_address, kRsdpAlignment));
  }
  ASSIGN_OR_RETURN(Layout layout, BuildLayout(config, config.tables_address));
  const uint64_t tables_end = config.tables_address + layout.blob.size();
  if (tables_end > k4GiB || tables_end < config.tables_address) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ACPI tables at 0x%x+0x%x end above 4 GiB (FADT pointers have 32 "
        "bits)",
        config.tables_address, layout.blob.size()));
  }
  if (config.rsdp_address > UINT64_MAX - kRsdpSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "RSDP at 0x%x runs past the address space", config.rsdp_address));
  }
  if (config.rsdp_address < tables_end &&
      config.tables_address < config.rsdp_address + kRsdpSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "RSDP at 0x%x overlaps the ACPI tables at 0x%x-0x%x",
        config.rsdp_address, config.tables_address, tables_end - 1));
  }

  std::vector<AcpiGuestBlob> blobs;
  blobs.push_back({.name = "RSDP",
                   .address = config.rsdp_address,
                   .bytes = BuildRsdp(config.tables_address + layout.xsdt)});
  for (const TableSpan& table : layout.tables) {
    const auto begin =
        layout.blob.begin() + static_cast<std::ptrdiff_t>(table.offset);
    blobs.push_back(
        {.name = table.name,
         .address = config.tables_address + table.offset,
         .bytes = std::vector<uint8_t>(
             begin, begin + static_cast<std::ptrdiff_t>(table.size))});
  }
  return blobs;
}

absl::StatusOr<fw_cfg::AcpiFiles> BuildFwCfgFiles(const X86AcpiConfig& config) {
  // Pointers hold offsets into etc/acpi/tables; firmware adds its address.
  ASSIGN_OR_RETURN(Layout layout, BuildLayout(config, /*base=*/0));
  std::vector<uint8_t> rsdp = BuildRsdp(layout.xsdt);
  if (layout.blob.size() > UINT32_MAX) {
    return absl::OutOfRangeError("ACPI tables blob exceeds 4 GiB");
  }

  fw_cfg::BiosLinkerLoader linker;
  RETURN_IF_ERROR(linker.AddAllocate(
      kAcpiTablesFile, static_cast<uint32_t>(kFacsAlignment),
      fw_cfg::kAllocZoneHigh, static_cast<uint32_t>(layout.blob.size())));
  RETURN_IF_ERROR(linker.AddAllocate(
      kAcpiRsdpFile, static_cast<uint32_t>(kRsdpAlignment),
      fw_cfg::kAllocZoneFseg, static_cast<uint32_t>(rsdp.size())));
  const auto pointer = [&](size_t field, uint8_t size) {
    return linker.AddPointer(kAcpiTablesFile, static_cast<uint32_t>(field),
                             size, kAcpiTablesFile);
  };
  for (const TableSpan& table : layout.tables) {
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

  fw_cfg::AcpiFiles files;
  ASSIGN_OR_RETURN(files.table_loader,
                   linker.EncodePadded(kTableLoaderAlignment));
  files.tables = std::move(layout.blob);
  files.rsdp = std::move(rsdp);
  return files;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildX86Dsdt(const X86AcpiConfig& config) {
  RETURN_IF_ERROR(ValidateMachine(config));
  Scope sb("\\_SB_");
  if (config.com1) {
    // QEMU's hw/char/serial-isa.c, with _UID 0 and no _STA.
    Device com1("COM1");
    com1.Add(Name("_HID", EisaId("PNP0501")));
    com1.Add(Name("_UID", Integer(0)));
    ResourceTemplate crs;
    crs.Add(Io(IoDecode::k16, kCom1IoBase, kCom1IoBase, 0x00, kCom1IoSize));
    crs.Add(IrqNoFlags(kCom1Irq));
    com1.Add(Name("_CRS", std::move(crs)));
    sb.Add(std::move(com1));
  }
  if (config.i8042) {
    // QEMU's i8042_build_aml (hw/input/pckbd.c), without the mouse.
    Device kbd("KBD_");
    kbd.Add(Name("_HID", EisaId("PNP0303")));
    kbd.Add(Name("_STA", Integer(0x0f)));
    ResourceTemplate crs;
    crs.Add(Io(IoDecode::k16, 0x60, 0x60, 0x01, 0x01));
    crs.Add(Io(IoDecode::k16, 0x64, 0x64, 0x01, 0x01));
    crs.Add(IrqNoFlags(1));
    kbd.Add(Name("_CRS", std::move(crs)));
    sb.Add(std::move(kbd));
  }
  if (config.cmos_rtc) {
    // QEMU's rtc_build_aml (hw/rtc/mc146818rtc.c).
    Device rtc("RTC_");
    rtc.Add(Name("_HID", EisaId("PNP0B00")));
    ResourceTemplate crs;
    crs.Add(Io(IoDecode::k16, 0x70, 0x70, 0x01, 0x08));
    crs.Add(IrqNoFlags(8));
    rtc.Add(Name("_CRS", std::move(crs)));
    sb.Add(std::move(rtc));
  }
  if (config.fw_cfg.has_value()) {
    // QEMU's fw_cfg_add_acpi_dsdt (hw/i386/fw_cfg.c).
    Device fwcf("FWCF");
    fwcf.Add(Name("_HID", String("QEMU0002")));
    // Present, enabled, functioning; not shown in the UI.
    fwcf.Add(Name("_STA", Integer(0x0b)));
    ResourceTemplate crs;
    crs.Add(Io(IoDecode::k16, config.fw_cfg->base, config.fw_cfg->base, 0x01,
               config.fw_cfg->size));
    fwcf.Add(Name("_CRS", std::move(crs)));
    sb.Add(std::move(fwcf));
  }
  TermList body;
  body.Add(std::move(sb));
  // S5 (soft off): SLP_TYP 0 for PM1a_CNT and PM1b_CNT, two reserved.
  Package s5;
  for (int i = 0; i < 4; ++i) s5.Add(Integer(0));
  body.Add(Name("_S5", std::move(s5)));
  return BuildDsdt(body);
}

absl::StatusOr<X86AcpiTables> BuildX86AcpiTables(const X86AcpiConfig& config) {
  RETURN_IF_ERROR(ValidateMachine(config));
  X86AcpiTables tables;
  ASSIGN_OR_RETURN(tables.direct_boot, BuildDirectBoot(config));
  ASSIGN_OR_RETURN(tables.fw_cfg, BuildFwCfgFiles(config));
  return tables;
}

}  // namespace acpi_tables
