// Filling a FwCfg with the items QEMU provides, from what a VMM knows.
//
// Each function adds one group of items under the names and keys QEMU uses,
// so guest firmware and drivers find them where they look on QEMU:
//   AddMachineInfo  keys 0x03 RAM size (u64), 0x05 boot CPUs (u16),
//                   0x0f max CPUs (u16), 0x04 nographic (u16), 0x02 UUID
//   AddE820File     etc/e820 (20-byte little-endian entries)
//   AddAcpiFiles    etc/acpi/tables, etc/acpi/rsdp, etc/table-loader
//   AddUserItems    the `items=[...]` of --fw-cfg-config
//
//   RETURN_IF_ERROR(AddMachineInfo(*device, {.ram_size = 512 << 20}));
//   RETURN_IF_ERROR(AddE820File(*device, e820_entries));

#ifndef FW_CFG_STANDARD_ITEMS_H_
#define FW_CFG_STANDARD_ITEMS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/formats/e820.h"
#include "fw_cfg/fw_cfg.h"

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

absl::Status AddE820File(FwCfg& device, absl::Span<const E820Entry> entries);

// The ACPI tables as firmware installs them: the blobs and the BIOS
// linker/loader script (fw_cfg/formats/bios_linker_loader.h) that says where
// they go and which pointers and checksums to patch.
struct AcpiFiles {
  std::vector<uint8_t> tables;        // etc/acpi/tables
  std::vector<uint8_t> rsdp;          // etc/acpi/rsdp
  std::vector<uint8_t> table_loader;  // etc/table-loader
};
absl::Status AddAcpiFiles(FwCfg& device, AcpiFiles files);

// Adds the user's items: `string=` items hold the text without a NUL (as
// QEMU's -fw_cfg string=); `file=` items up to kFileSnapshotMax bytes are read
// now, as QEMU reads every file, and larger ones with pread when the guest
// reads them (MakeFileOrSnapshotItem). Errors name the item.
absl::Status AddUserItems(FwCfg& device, const FwCfgConfig& config);

}  // namespace fw_cfg

#endif  // FW_CFG_STANDARD_ITEMS_H_
