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

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
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

// Reads `out.size()` bytes of the image at `offset`, all or an error.
using ElfReadAt =
    absl::FunctionRef<absl::Status(uint64_t offset, absl::Span<uint8_t> out)>;

// Loads a 64-bit little-endian x86-64 executable's PT_LOAD segments from an
// image of `image_size` bytes read through `read_at`: the headers into small
// buffers, each segment straight into guest RAM (a 60 MiB vmlinux is read
// once, with no copy of the file in the VMM's memory). Errors from
// `read_at` are returned as they are.
absl::StatusOr<ElfKernel> LoadElfKernel(const vm_memory::GuestMemory& memory,
                                        uint64_t image_size, ElfReadAt read_at);

// The same, from an image in memory.
absl::StatusOr<ElfKernel> LoadElfKernel(const vm_memory::GuestMemory& memory,
                                        absl::Span<const uint8_t> image);

}  // namespace vmm

#endif  // VMM_X86_ELF_KERNEL_H_
