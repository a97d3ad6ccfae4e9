// MemoryRegion: one contiguous, page-aligned piece of guest-physical memory
// and the host mapping that backs it.
//
// Mirrors rust-vmm's `GuestRegionMmap`. A region is either anonymous memory or
// a mapping of a file descriptor at an offset (a memfd, a hugetlbfs file, a
// firmware image); it may be read-only (a ROM: writes through GuestMemory fail
// instead of faulting). The mapping lives as long as the region object and is
// never moved or resized, so its host address can be handed to KVM.
//
//   constexpr uint64_t kSize = 256 << 20;
//   ASSIGN_OR_RETURN(std::unique_ptr<MemoryRegion> ram,
//                    MemoryRegion::CreateAnonymous(GuestAddress(0), kSize));

#ifndef VM_MEMORY_MEMORY_REGION_H_
#define VM_MEMORY_MEMORY_REGION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "vm-memory/guest_address.h"

namespace vm_memory {

enum class RegionAccess { kReadWrite, kReadOnly };

class MemoryRegion {
 public:
  // Maps `size` bytes of zero-filled anonymous memory at guest address
  // `start`. Pages are reserved lazily (MAP_NORESERVE): a large, sparsely used
  // guest costs only what it touches. `start` and `size` must be multiples of
  // the host page size, `size` non-zero, and the region must end at or below
  // 2^64 - 1.
  //
  // A region of 2 MiB or more starts at a 2 MiB-aligned host address and is
  // advised for transparent huge pages (MADV_HUGEPAGE), as QEMU does with
  // guest RAM: where guest-physical and host addresses agree modulo 2 MiB,
  // the host can back the region with 2 MiB pages and KVM can map each one
  // into the guest with a single fault and TLB entry, instead of 512.
  static constexpr uint64_t kHugePageSize = uint64_t{2} << 20;
  static absl::StatusOr<std::unique_ptr<MemoryRegion>> CreateAnonymous(
      GuestAddress start, uint64_t size,
      RegionAccess access = RegionAccess::kReadWrite);

  // Maps `size` bytes of the file open as `fd`, from `file_offset`, shared
  // with the file (MAP_SHARED), at guest address `start`. The same alignment
  // rules apply, `file_offset` must be page-aligned, and a regular file must
  // be at least `file_offset + size` bytes long (touching a mapping past the
  // end of its file raises SIGBUS). The mapping holds its own reference to the
  // file: the caller may close `fd` afterwards. A writable region needs `fd`
  // open for reading and writing.
  //
  // Caveat: if another process truncates the file later, guest accesses to
  // the lost pages fault. Seal the file (memfd F_SEAL_SHRINK) where that
  // matters.
  static absl::StatusOr<std::unique_ptr<MemoryRegion>> CreateFromFile(
      GuestAddress start, uint64_t size, int fd, uint64_t file_offset,
      RegionAccess access = RegionAccess::kReadWrite);

  ~MemoryRegion();
  MemoryRegion(const MemoryRegion&) = delete;
  MemoryRegion& operator=(const MemoryRegion&) = delete;

  GuestAddress start() const { return start_; }
  uint64_t size() const { return size_; }
  // The region's last byte (inclusive): never overflows, unlike start + size.
  GuestAddress last() const { return GuestAddress(start_.raw() + (size_ - 1)); }
  bool read_only() const { return access_ == RegionAccess::kReadOnly; }
  bool Contains(GuestAddress address) const {
    return address >= start_ && address <= last();
  }

  // The host address of the region's first byte, for KVM_SET_USER_MEMORY_REGION
  // and for bulk copies. Guest memory is shared with running vCPUs: access it
  // only with memcpy-like byte copies, never through typed pointers.
  uint8_t* host_address() const { return host_; }

 private:
  MemoryRegion(GuestAddress start, uint64_t size, uint8_t* host,
               RegionAccess access)
      : start_(start), size_(size), host_(host), access_(access) {}

  const GuestAddress start_;
  const uint64_t size_;
  uint8_t* const host_;
  const RegionAccess access_;
};

}  // namespace vm_memory

#endif  // VM_MEMORY_MEMORY_REGION_H_
