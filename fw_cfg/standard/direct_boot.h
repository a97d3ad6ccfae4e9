// Publishing an x86 kernel for firmware to boot, as QEMU's `-kernel` does:
// the direct-boot keys 0x07-0x18 filled from a bzImage, an initrd and a
// command line (see fw_cfg/linux_boot/x86_direct_boot.h for the values).
//
// The kernel's protected-mode part and the initrd stay in their files and are
// served with pread, so a large initrd costs no memory; only the patched
// real-mode setup (at most 128 KiB) is copied.
//
//   RETURN_IF_ERROR(AddX86DirectBoot(*device, {.kernel_path = "bzImage",
//                                              .initrd_path = "initrd.img",
//                                              .cmdline = "console=ttyS0",
//                                              .ram_below_4g = 512 << 20}));

#ifndef FW_CFG_STANDARD_DIRECT_BOOT_H_
#define FW_CFG_STANDARD_DIRECT_BOOT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/linux_boot/x86_direct_boot.h"

namespace fw_cfg {

struct X86DirectBootRequest {
  std::string kernel_path;
  std::optional<std::string> initrd_path;
  std::string cmdline;
  uint64_t ram_below_4g = 0;
  uint64_t acpi_data_size = kQemuX86AcpiDataSize;
  // Which groups to publish (--fw-cfg-config kernel=, initramfs=, cmdline=).
  // The kernel group is SETUP_* and KERNEL_*.
  bool publish_kernel = true;
  bool publish_initrd = true;
  bool publish_cmdline = true;
};

// Plans the boot and adds the keys. Errors name the file at fault.
absl::Status AddX86DirectBoot(FwCfg& device,
                              const X86DirectBootRequest& request);

}  // namespace fw_cfg

#endif  // FW_CFG_STANDARD_DIRECT_BOOT_H_
