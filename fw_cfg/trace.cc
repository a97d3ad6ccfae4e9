#include "fw_cfg/trace.h"

#include <array>

#include "absl/strings/str_format.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {

std::string_view TraceKeyName(uint16_t key) {
  // QEMU 7.2's key_name() and, for x86, fw_cfg_arch_key_name(); observed
  // through `-trace fw_cfg_select` for every numbered key.
  static constexpr std::array<std::string_view, kFileFirst> kGeneric = {
      "signature",
      "id",
      "uuid",
      "ram_size",
      "nographic",
      "nb_cpus",
      "machine_id",
      "kernel_addr",
      "kernel_size",
      "kernel_cmdline",
      "initrd_addr",
      "initdr_size",
      "boot_device",
      "numa",
      "boot_menu",
      "max_cpus",
      "kernel_entry",
      "kernel_data",
      "initrd_data",
      "cmdline_addr",
      "cmdline_size",
      "cmdline_data",
      "setup_addr",
      "setup_size",
      "setup_data",
      "file_dir",
      "",
      "",
      "",
      "",
      "",
      ""};
  if ((key & kArchLocal) != 0) {
    // The whole key must match: with bit 14 set, QEMU says "unknown".
    switch (key) {
      case kX86AcpiTables:
        return "acpi_tables";
      case kX86SmbiosEntries:
        return "smbios_entries";
      case kX86Irq0Override:
        return "irq0_override";
      case kX86HpetBlock:
        return "hpet";
      default:  // 0x8003 (e820_table) lost its name in QEMU 7.2
        return "unknown";
    }
  }
  if (key < kFileFirst && !kGeneric[key].empty()) return kGeneric[key];
  return "unknown";
}

std::string FormatSelectEvent(const void* device, uint16_t key, bool valid) {
  return absl::StrFormat("fw_cfg_select %p key 0x%04x '%s', ret: %d\n", device,
                         key, TraceKeyName(key), valid ? 1 : 0);
}

std::string FormatReadEvent(const void* device, uint64_t value) {
  return absl::StrFormat("fw_cfg_read %p = 0x%x\n", device, value);
}

}  // namespace fw_cfg
