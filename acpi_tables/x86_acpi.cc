#include "acpi_tables/x86_acpi.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "acpi_tables/aml.h"
#include "acpi_tables/tables.h"
#include "acpi_tables/x86_layout.h"
#include "base/status_macros.h"

namespace acpi_tables {
namespace {

constexpr uint64_t k4GiB = uint64_t{1} << 32;

}  // namespace

absl::StatusOr<std::vector<AcpiGuestBlob>> BuildX86AcpiTables(
    const X86AcpiConfig& config) {
  RETURN_IF_ERROR(x86_layout::ValidateMachine(config));
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
  ASSIGN_OR_RETURN(x86_layout::Layout layout,
                   x86_layout::BuildLayout(config, config.tables_address));
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
  for (const x86_layout::TableSpan& table : layout.tables) {
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

absl::StatusOr<std::vector<uint8_t>> BuildX86Dsdt(const X86AcpiConfig& config) {
  RETURN_IF_ERROR(x86_layout::ValidateMachine(config));
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
    if (config.fw_cfg_mmio_base.has_value()) {
      crs.Add(Memory32Fixed(/*read_write=*/true, *config.fw_cfg_mmio_base,
                            config.fw_cfg->size));
    } else {
      crs.Add(Io(IoDecode::k16, config.fw_cfg->base, config.fw_cfg->base, 0x01,
                 config.fw_cfg->size));
    }
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

}  // namespace acpi_tables
