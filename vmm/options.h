// The VMM's command line, in Cloud Hypervisor's style:
//
//   vmm --kernel bzImage --initramfs initrd.img --cmdline "console=ttyS0"
//       --memory size=512M --cpus boot=2 --serial tty
//       --fw-cfg-config initramfs=off,items=[name=opt/org.mycorp/x,file=/tmp/x]
//   vmm --firmware bios.bin --fw-cfg-config items=[name=opt/x,string=y]
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
#include "fw_cfg/config/fw_cfg_config.h"

namespace vmm {

// Which machine the buses and memory imitate.
enum class Layout {
  kX86_64,   // QEMU q35: RAM from 0 (above 4 GiB past 2 GiB), fw_cfg ports
  kArmVirt,  // QEMU arm `virt`: RAM from 0x40000000, fw_cfg MMIO 0x09020000
};

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
  fw_cfg::FwCfgConfig fw_cfg;        // defaults when the option is absent
  bool fw_cfg_given = false;
};

// Parses the arguments after the program name. `fw_cfg_built_in` is false in
// a VMM built with --//vmm:fw_cfg=false, which then refuses --fw-cfg-config.
absl::StatusOr<VmmOptions> ParseVmmOptions(absl::Span<const std::string> args,
                                           bool fw_cfg_built_in);

// Parses a size with an optional K, M, G or T suffix (powers of 1024).
absl::StatusOr<uint64_t> ParseSize(std::string_view text);

// The --help text.
std::string VmmUsage();

}  // namespace vmm

#endif  // VMM_OPTIONS_H_
