// Filling a FwCfg with the items QEMU provides, from what a VMM knows.
//
// Each function adds one group of items under the names and keys QEMU uses,
// so guest firmware and drivers find them where they look on QEMU:
//   AddMachineInfo  keys 0x03 RAM size (u64), 0x05 boot CPUs (u16),
//                   0x0f max CPUs (u16), 0x04 nographic (u16), 0x02 UUID
//   AddE820File     etc/e820 (20-byte little-endian entries)
//   AddAcpiFiles    etc/acpi/tables, etc/acpi/rsdp, etc/table-loader
//
// (The user's --fw-cfg-config items: fw_cfg/config/user_items.h.)
//
//   RETURN_IF_ERROR(AddMachineInfo(*device, {.ram_size = 512 << 20}));
//   RETURN_IF_ERROR(AddE820File(*device, e820_entries));

#ifndef FW_CFG_STANDARD_STANDARD_ITEMS_H_
#define FW_CFG_STANDARD_STANDARD_ITEMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "fw_cfg/fw_cfg.h"
#include "linux-loader/e820.h"

namespace fw_cfg {

struct MachineInfo {
  uint64_t ram_size = 0;
  uint16_t boot_cpus = 1;
  uint16_t max_cpus = 1;
  bool nographic = false;
  // The machine's UUID (SMBIOS byte order), if it has one; QEMU's key 0x02.
  std::optional<std::array<uint8_t, 16>> uuid;
};

absl::Status AddMachineInfo(FwCfg& device, const MachineInfo& info);

// The boot configuration files QEMU always publishes (without -boot
// options): "bootorder", the firmware device paths of `boot_devices` in
// order, one per line, NUL-terminated (empty without any; QEMU's -kernel
// gives "/rom@genroms/linuxboot_dma.bin"); "bios-geometry" empty;
// "etc/boot-fail-wait" a little-endian u32 0xffffffff (no reboot after a
// failed boot). SeaBIOS reads all three.
absl::Status AddBootConfigFiles(FwCfg& device,
                                absl::Span<const std::string> boot_devices);

// x86 key 0x8002 (irq0_override): a little-endian u32 1, as QEMU's x86
// machines publish it: the MADT overrides ISA IRQ 0 to GSI 2.
absl::Status AddX86Irq0Override(FwCfg& device);

absl::Status AddE820File(FwCfg& device,
                         absl::Span<const linux_loader::E820Entry> entries);

// The ACPI tables as firmware installs them (acpi_tables/x86_acpi_firmware.h
// builds them): the blobs and the BIOS linker/loader script that says where
// they go and which pointers and checksums to patch.
absl::Status AddAcpiFiles(FwCfg& device, std::vector<uint8_t> tables,
                          std::vector<uint8_t> rsdp,
                          std::vector<uint8_t> table_loader);

}  // namespace fw_cfg

#endif  // FW_CFG_STANDARD_STANDARD_ITEMS_H_
