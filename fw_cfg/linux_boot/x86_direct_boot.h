// What QEMU publishes in the fw_cfg direct-boot keys for an x86 bzImage.
//
// Given `-kernel bzImage -initrd X -append CMDLINE`, QEMU 7.2 does not load
// the kernel itself (hw/i386/x86.c, x86_load_linux): it reads the Linux boot
// protocol header (Documentation/x86/boot.rst), patches a copy of the
// real-mode setup, and publishes the pieces through fw_cfg. The firmware
// (SeaBIOS's linuxboot_dma.bin option ROM, OVMF) copies them into RAM and
// starts the kernel. PlanX86DirectBoot computes the same values, so the same
// firmware boots our VMM; it touches no device, file or clock, so the result
// depends only on its arguments.
//
// The plan maps onto the fw_cfg keys (fw_cfg/keys.h) like this, each u32
// little-endian (fw_cfg_add_i32):
//
//   kSetupAddr   setup_addr         kSetupSize   setup.size()
//   kSetupData   setup              (the patched real-mode part)
//   kKernelAddr  kernel_addr        kKernelSize  kernel_size
//   kKernelData  kernel_size bytes of the kernel file from kernel_file_offset
//   kInitrdAddr  initrd_addr        kInitrdSize  initrd_size   (only when
//   kInitrdData  the initrd file                               has_initrd)
//   kCmdlineAddr cmdline_addr       kCmdlineSize cmdline_data.size()
//   kCmdlineData cmdline_data       (the command line and its NUL)
//
// QEMU adds no other key on this path: kKernelEntry is only used for PVH ELF
// kernels, kKernelCmdline (0x09) is not used on x86, and the initrd keys are
// absent (read as zeros) when there is no initrd.
//
//   ASSIGN_OR_RETURN(X86DirectBoot plan,
//                    PlanX86DirectBoot(head, file_size, "console=ttyS0",
//                                      initrd_size, ram_below_4g));
//
// Not mirrored from QEMU 7.2:
//   - `-dtb` (a SETUP_DTB setup_data appended to the kernel data): there is no
//     DTB argument, so the kernel data is always a plain range of the file.
//   - The SETUP_RNG_SEED setup_data of QEMU 7.2.0 (commits 67f7e426e5 and
//     ffe2d2382e, pc-*-7.2 machine types only): it appended 48 random bytes
//     to the kernel data and pointed header field 0x250 at them. It broke
//     booting and measured boot and was reverted upstream (8.0) and in the
//     7.2.x stable releases (7.2.1 onwards; Debian bookworm's 7.2+dfsg ships
//     the reverts), so 7.2 as shipped publishes the file unchanged, as here.
//   - SEV (an unpatched setup, kernel hashes) and multiboot / PVH ELF kernels.

#ifndef FW_CFG_LINUX_BOOT_X86_DIRECT_BOOT_H_
#define FW_CFG_LINUX_BOOT_X86_DIRECT_BOOT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fw_cfg {

// The largest real-mode setup a header can describe: (255 + 1) * 512 bytes.
// PlanX86DirectBoot needs this many leading bytes of the kernel file (or the
// whole file if it is shorter) because the setup is copied from them.
inline constexpr size_t kX86DirectBootHeadSize = 256 * 512;

// The room QEMU 7.2's pc and q35 machine types keep free for ACPI
// tables at the top of RAM below 4 GiB (PCMachineClass::acpi_data_size,
// 0x20000 + 0x8000): the initrd ends below it. microvm uses 0.
inline constexpr uint64_t kQemuX86AcpiDataSize = 0x28000;

struct X86DirectBoot {
  // Boot protocol version (header offset 0x206), e.g. 0x020f for 2.15.
  uint16_t protocol = 0;

  // FW_CFG_SETUP_*: where the real-mode part goes and its patched copy,
  // (setup_sects + 1) * 512 bytes (setup_sects 0 counts as 4).
  uint32_t setup_addr = 0;
  std::vector<uint8_t> setup;

  // FW_CFG_KERNEL_*: the protected-mode part, served unchanged from the kernel
  // file: bytes [kernel_file_offset, kernel_file_offset + kernel_size).
  uint32_t kernel_addr = 0;
  uint64_t kernel_file_offset = 0;
  uint32_t kernel_size = 0;

  // FW_CFG_INITRD_*: published only when has_initrd (even for an empty
  // initrd, which QEMU accepts); otherwise addr and size are 0.
  bool has_initrd = false;
  uint32_t initrd_addr = 0;
  uint32_t initrd_size = 0;

  // FW_CFG_CMDLINE_*: cmdline_data is exactly what CMDLINE_DATA holds, the
  // command line followed by one NUL (fw_cfg_add_string), so CMDLINE_SIZE is
  // cmdline_data.size() == strlen(cmdline) + 1, also for an empty one.
  uint32_t cmdline_addr = 0;
  std::string cmdline_data;

  uint32_t setup_size() const { return static_cast<uint32_t>(setup.size()); }
  uint32_t cmdline_size() const {
    return static_cast<uint32_t>(cmdline_data.size());
  }
};

// Plans a direct boot of the bzImage whose first bytes are `kernel_head`:
// at least min(kernel_file_size, kX86DirectBootHeadSize) of them, at most the
// whole file (bytes past the setup are not read). `initrd_size` is the size
// of the initrd file, or nullopt without one. `ram_below_4g` is the guest RAM
// below 4 GiB (QEMU's x86ms->below_4g_mem_size) and `acpi_data_size` the room
// kept for ACPI tables under it; the initrd is placed below their difference.
//
// Every header field is treated as untrusted. Fails with InvalidArgument on
// bad arguments (a short head, RAM over 4 GiB or not above acpi_data_size, a
// NUL in the command line) and on any kernel, initrd or command line that
// QEMU would refuse, plus a few that QEMU would accept but that cannot boot
// (see x86_direct_boot.cc); each message is one line.
absl::StatusOr<X86DirectBoot> PlanX86DirectBoot(
    absl::Span<const uint8_t> kernel_head, uint64_t kernel_file_size,
    std::string_view cmdline, std::optional<uint64_t> initrd_size,
    uint64_t ram_below_4g, uint64_t acpi_data_size = kQemuX86AcpiDataSize);

}  // namespace fw_cfg

#endif  // FW_CFG_LINUX_BOOT_X86_DIRECT_BOOT_H_
