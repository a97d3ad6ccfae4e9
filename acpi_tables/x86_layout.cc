#include "acpi_tables/x86_layout.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "acpi_tables/tables.h"
#include "base/status_macros.h"

namespace acpi_tables::x86_layout {
namespace {

constexpr uint32_t kMaxVcpus = 255;
constexpr uint64_t kTableAlignment = 8;
constexpr uint16_t kPmIoSize = 6;  // PM1a_EVT_BLK (4) + PM1a_CNT_BLK (2)

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

}  // namespace

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
  if (config.fw_cfg.has_value() && config.fw_cfg_mmio_base.has_value()) {
    // MMIO instead of ports: the block must end below 4 GiB.
    if (config.fw_cfg->size < 2 ||
        *config.fw_cfg_mmio_base > 0xffffffffu - (config.fw_cfg->size - 1)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "fw_cfg MMIO 0x%x+0x%x: must hold the control and data registers "
          "and end below 4 GiB",
          *config.fw_cfg_mmio_base, config.fw_cfg->size));
    }
  } else if (config.fw_cfg.has_value()) {
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

}  // namespace acpi_tables::x86_layout
