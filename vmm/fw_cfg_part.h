// The fw_cfg device's part in the VMM: the only place the VMM names anything
// of //fw_cfg. Two implementations, chosen by --//vmm:fw_cfg at build time:
// fw_cfg_part.cc (the device, built in by default) and no_fw_cfg_part.cc
// (none: the binary then contains no fw_cfg code at all, and refuses
// --fw-cfg-config).
//
//   ASSIGN_OR_RETURN(options.fw_cfg, ParseFwCfgOption(text));  // options.cc
//   ASSIGN_OR_RETURN(bool attached, AttachFwCfg(machine, memory, ...));

#ifndef VMM_FW_CFG_PART_H_
#define VMM_FW_CFG_PART_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/x86_acpi.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"
#include "vmm/layout.h"

namespace vmm {

// The parsed --fw-cfg-config; what it holds is the implementation's.
struct FwCfgOption;

// What QEMU's machine publishes through fw_cfg depends on.
struct FwCfgMachine {
  Layout layout = Layout::kX86_64;
  uint64_t memory_size = 0;
  uint32_t boot_cpus = 1;
  std::optional<std::string> kernel;  // for the direct-boot keys
  std::optional<std::string> initramfs;
  std::string cmdline;
  // The ACPI tables, published for firmware (x86).
  acpi_tables::X86AcpiConfig acpi;
  // --fw-cfg-config; null: the defaults.
  std::shared_ptr<const FwCfgOption> option;
  // Booting through firmware (--firmware): with a bzImage --kernel, the
  // firmware also needs QEMU's option ROM that boots it from the kernel
  // keys (genroms/linuxboot_dma.bin, from Debian's qemu-system-data).
  bool firmware = false;
  // The trace events to report (QEMU's names, from FwCfgTraceEvents()) and
  // where their lines go (--trace).
  std::vector<std::string> trace_events;
  std::function<void(std::string_view line)> trace_output;
  // x86: the register block on the MMIO bus at this address instead of the
  // ports (--fw-cfg-mmio; fw_cfg/io_ports.h's AttachX86Mmio).
  std::optional<uint64_t> x86_mmio_base;
  // x86: also QEMU's arm `virt` MMIO block here, beside the ports
  // (--fw-cfg-arm-mmio).
  std::optional<uint64_t> x86_arm_mmio_base;
  // With `vmcoreinfo=on`: where the guest's VMCOREINFO note goes, read from
  // guest RAM, each time the guest publishes it (--vmcoreinfo-file).
  std::optional<std::string> vmcoreinfo_file;
  // One line for the user per event at run time (the note's location).
  std::function<void(std::string_view line)> log;
  // For a restore (vmm --restore): the device with only the items that have
  // VMM behaviour (etc/vmcoreinfo); FwCfgRestoreState brings the rest from
  // the snapshot, so no host file is opened.
  bool restoring = false;
};

// The device at run time, for the control API and snapshots.
struct FwCfgDevice;

// One file of the directory, as the control API lists it.
struct FwCfgFileEntry {
  std::string name;
  uint16_t key = 0;
  uint32_t size = 0;
  std::string kind;  // "data", "generated" (by the VMM), "writable" (guest)
};

// Where an item added or changed at run time takes its bytes: exactly one.
struct FwCfgItemSource {
  std::optional<std::string> file;    // a host file, read as for items=[]
  std::optional<std::string> string;  // the characters, no NUL
};

// The last VMCOREINFO location the guest published.
struct FwCfgVmcoreinfo {
  uint64_t address = 0;
  uint32_t size = 0;
  uint16_t guest_format = 0;
};

// The trace events the device reports, by QEMU's names (for --trace); none
// without the device.
std::vector<std::string> FwCfgTraceEvents();

// Whether this VMM was built with the device.
bool FwCfgBuiltIn();

// Parses the option's text. Fails with a one-line InvalidArgument on a
// malformed option, and always in a VMM built without the device.
absl::StatusOr<std::shared_ptr<const FwCfgOption>> ParseFwCfgOption(
    std::string_view text);

// Whether the option asks for etc/vmcoreinfo (`vmcoreinfo=on`).
bool FwCfgVmcoreinfoEnabled(const FwCfgOption& option);

// What the user should hear about the option (item names outside opt/, as
// QEMU warns).
std::vector<std::string> FwCfgOptionWarnings(const FwCfgOption& option);

// Creates the device with what QEMU's machine puts into fw_cfg for
// `machine` and attaches it to the layout's buses: x86 ports 0x510-0x51b
// (or on the MMIO bus at x86_mmio_base), arm `virt` MMIO 0x09020000. Returns
// the device, or null when there is none (`disable`, and without it built
// in); appends notes for the user to `warnings`.
absl::StatusOr<std::shared_ptr<FwCfgDevice>> AttachFwCfg(
    const FwCfgMachine& machine,
    const std::shared_ptr<const vm_memory::GuestMemory>& memory,
    vm_device::PioBus& pio, vm_device::MmioBus& mmio,
    std::vector<std::string>& warnings);

// ---- At run time (the control API) ----

std::vector<FwCfgFileEntry> FwCfgListFiles(FwCfgDevice& device);
// fw_cfg::FwCfg::AddFileAtEnd: refused if it would renumber a file.
absl::Status FwCfgAddFile(FwCfgDevice& device, std::string_view name,
                          const FwCfgItemSource& source);
// fw_cfg::FwCfg::ReplaceFile: QEMU's fw_cfg_modify_file.
absl::Status FwCfgModifyFile(FwCfgDevice& device, std::string_view name,
                             const FwCfgItemSource& source);
std::optional<FwCfgVmcoreinfo> FwCfgLastVmcoreinfo(FwCfgDevice& device);

// ---- Snapshots ----

absl::StatusOr<std::vector<uint8_t>> FwCfgSaveState(FwCfgDevice& device);
absl::Status FwCfgRestoreState(FwCfgDevice& device,
                               absl::Span<const uint8_t> state);

}  // namespace vmm

#endif  // VMM_FW_CFG_PART_H_
