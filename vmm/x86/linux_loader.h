// Loading a Linux bzImage for the 64-bit boot protocol
// (Documentation/x86/boot.rst, "64-bit Boot Protocol"): the protected-mode
// kernel at 1 MiB, the initramfs high in low RAM, a zero page (struct
// boot_params) at 0x7000 holding the image's setup header, the command line
// and the E820 map, identity-mapped page tables for the first 1 GiB and a
// flat GDT, and the vCPU registers that enter the kernel's 64-bit entry point
// (load address + 0x200) with RSI pointing at the zero page.
//
// Every header field read from the image is untrusted and checked.

#ifndef VMM_X86_LINUX_LOADER_H_
#define VMM_X86_LINUX_LOADER_H_

#include <linux/kvm.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "linux-loader/e820.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

// Guest-physical layout of what the loader writes (below 1 MiB).
inline constexpr uint64_t kGdtAddress = 0x500;
inline constexpr uint64_t kZeroPageAddress = 0x7000;
inline constexpr uint64_t kPml4Address = 0x9000;  // PML4, PDPT, PD: 3 pages
inline constexpr uint64_t kCmdlineAddress = 0x20000;
inline constexpr uint64_t kCmdlineMax = 0x10000;
inline constexpr uint64_t kKernelAddress = 0x100000;

struct LinuxBootRequest {
  std::string kernel_path;
  std::optional<std::string> initrd_path;
  std::string cmdline;
  std::vector<linux_loader::E820Entry> e820;
  uint64_t rsdp_address = 0;  // boot_params.acpi_rsdp_addr, 0 for none
};

// The boot vCPU's general registers at the kernel's entry; its segment and
// control registers come from ApplyLongModeSregs.
struct LinuxEntry {
  kvm_regs regs;
};

absl::StatusOr<LinuxEntry> LoadLinux(const vm_memory::GuestMemory& memory,
                                     const LinuxBootRequest& request);

// Sets `sregs` (as read from a fresh vCPU) up for 64-bit mode with the
// loader's GDT and page tables.
void ApplyLongModeSregs(kvm_sregs& sregs);

}  // namespace vmm

#endif  // VMM_X86_LINUX_LOADER_H_
