// The VMM's command line, in Cloud Hypervisor's style:
//
//   vmm --kernel bzImage --initramfs initrd.img --cmdline "console=ttyS0"
//       --memory size=512M --cpus boot=2 --serial tty
//       --fw-cfg-config initramfs=off,items=[name=opt/org.mycorp/x,file=/tmp/x]
//   vmm --firmware bios.bin --fw-cfg-config items=[name=opt/x,string=y]
//   vmm --kernel bzImage --fw-cfg-config @items.conf
//   vmm --qtest stdio --layout arm-virt --memory size=256M
//
// Each option takes its value as the next argument or after `=`. Unknown or
// malformed options are errors with a one-line message (main exits 2).

#ifndef VMM_OPTIONS_H_
#define VMM_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/layout.h"

namespace vmm {

enum class SerialMode { kTty, kOff, kFile };

struct VmmOptions {
  bool help = false;
  std::optional<std::string> kernel;
  std::optional<std::string> firmware;  // x86: a raw image, as QEMU's -bios
  std::optional<std::string> initramfs;
  std::string cmdline;
  uint64_t memory_size = 512 << 20;
  uint32_t boot_cpus = 1;
  SerialMode serial = SerialMode::kTty;
  std::string serial_path;  // for kFile
  Layout layout = Layout::kX86_64;
  std::optional<std::string> qtest;  // endpoint spec
  // --fw-cfg-config, parsed; null when absent (the device's defaults).
  std::shared_ptr<const FwCfgOption> fw_cfg;
  // --fw-cfg-mmio BASE (x86): fw_cfg's MMIO register block (arm `virt`
  // layout) at BASE instead of ports 0x510-0x51b.
  std::optional<uint64_t> fw_cfg_mmio;
  // --fw-cfg-arm-mmio BASE (x86): QEMU's arm `virt` MMIO block at BASE
  // beside the ports (not in the DSDT: for firmware and tests).
  std::optional<uint64_t> fw_cfg_arm_mmio;
  // --debugcon file=PATH: QEMU's isa-debugcon at port 0x402 (x86).
  std::optional<std::string> debugcon_path;
  // --trace PATTERN (repeatable): the events to print, by QEMU's names;
  // --trace-file PATH: where (default: stderr).
  std::vector<std::string> trace_events;
  std::optional<std::string> trace_file;
  // --vmcoreinfo-file: where the guest's VMCOREINFO note is written.
  std::optional<std::string> vmcoreinfo_file;
  // --api-socket PATH: the control API's Unix socket (vmm/api/).
  std::optional<std::string> api_socket;
  // --exit-stats: time the exits handled in user space and report them at
  // the end of the run; "" for stderr, else a file path (vmm/exit_stats.h).
  std::optional<std::string> exit_stats;
  // --restore DIR: start from the snapshot in DIR (vmm/snapshot/).
  std::optional<std::string> restore;

  // The options that describe the VM, as `--name=value` arguments with any
  // @PATH response file read in: what a snapshot records, so that a restore
  // builds the same machine (without --api-socket, --restore, --qtest,
  // --serial, which a restore may give anew).
  std::vector<std::string> machine_args;
};

// The options a `vmm --restore DIR` command line may give besides --restore:
// where the restored VM's console, qtest and control API go.
inline constexpr std::string_view kRestoreOverrides[] = {
    "--api-socket", "--qtest",      "--serial",
    "--trace",      "--trace-file", "--exit-stats"};

// The options for a restore: the snapshot's `saved` machine arguments, with
// the overrides that `command_line` (which has --restore) gives.
absl::StatusOr<VmmOptions> RestoreOptions(
    absl::Span<const std::string> saved, const VmmOptions& command_line,
    absl::Span<const std::string> command_line_args);

// Parses the arguments after the program name. A VMM built with
// --//vmm:fw_cfg=false refuses --fw-cfg-config. `--fw-cfg-config @PATH`
// reads the option's text from the file PATH (a response file, as gcc and
// Bazel take them), for configurations longer than one argument may be.
absl::StatusOr<VmmOptions> ParseVmmOptions(absl::Span<const std::string> args);

// Parses a size with an optional K, M, G or T suffix (powers of 1024).
absl::StatusOr<uint64_t> ParseSize(std::string_view text);

// The --help text.
std::string VmmUsage();

}  // namespace vmm

#endif  // VMM_OPTIONS_H_
