// Loading an uncompressed x86-64 Linux kernel, the ELF `vmlinux`, as
// Firecracker and Cloud Hypervisor do: every PT_LOAD segment goes to its
// physical address (p_paddr) and the kernel is entered at e_entry, which the
// kernel's linker script sets to the physical address of startup_64. It
// skips the bzImage decompressor: on a slow (software-nested) KVM that is
// most of a Linux boot.
//
// The ELF headers are untrusted: sizes, offsets and addresses are checked,
// and a segment that does not fit in guest RAM is an error.

#ifndef VMM_X86_ELF_KERNEL_H_
#define VMM_X86_ELF_KERNEL_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

struct ElfKernel {
  uint64_t entry = 0;  // physical
  uint64_t start = 0;  // the lowest p_paddr loaded
  uint64_t end = 0;    // one past the highest byte loaded (p_paddr + p_memsz)
};

// True when `image` starts with the ELF magic.
bool IsElf(absl::Span<const uint8_t> image);

// Loads a 64-bit little-endian x86-64 executable's PT_LOAD segments.
absl::StatusOr<ElfKernel> LoadElfKernel(const vm_memory::GuestMemory& memory,
                                        absl::Span<const uint8_t> image);

}  // namespace vmm

#endif  // VMM_X86_ELF_KERNEL_H_
