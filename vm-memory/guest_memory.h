// GuestMemory: the guest-physical address space as a fixed set of regions,
// with bounds-checked reads and writes.
//
// Mirrors rust-vmm's `GuestMemoryMmap` and its `Bytes` trait. Construction
// takes the regions, sorts them by address and rejects overlaps; afterwards
// the set never changes, so lookups (binary search, O(log n)) need no lock.
//
// Every access is all-or-nothing: an access that touches any byte outside the
// regions, or any byte of a read-only region when writing, or whose
// `address + length` passes 2^64 - 1, fails and moves no byte. An access may
// span adjacent regions (one ending at X - 1, the next starting at X).
// A zero-length access always succeeds and touches nothing.
//
//   constexpr uint64_t kSize = 1 << 30;
//   ASSIGN_OR_RETURN(std::shared_ptr<const GuestMemory> memory,
//                    GuestMemory::CreateAnonymous({{GuestAddress(0), kSize}}));
//   RETURN_IF_ERROR(memory->WriteLe32(GuestAddress(0x1000), 0xdeadbeef));
//   ASSIGN_OR_RETURN(uint64_t word, memory->ReadBe64(GuestAddress(0x2000)));
//
// Concurrency contract: a GuestMemory is immutable and may be shared between
// threads (vCPUs, device threads) as std::shared_ptr<const GuestMemory>. The
// *contents* of guest memory are not protected: a running guest may modify
// bytes while a device copies them, exactly as on real hardware, so a device
// must copy a guest structure out once and validate the copy (never validate
// in place and read again). Our accessors only move bytes with memcpy/memset
// into local buffers; nothing in this project forms typed pointers into guest
// memory, so such a race yields stale or mixed bytes, not undefined behaviour
// in our code.

#ifndef VM_MEMORY_GUEST_MEMORY_H_
#define VM_MEMORY_GUEST_MEMORY_H_

#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vm-memory/guest_address.h"
#include "vm-memory/memory_region.h"

namespace vm_memory {

// Where one anonymous region of guest RAM goes.
struct RegionLayout {
  GuestAddress start;
  uint64_t size = 0;
};

class GuestMemory {
 public:
  // Builds guest memory from `regions`, in any order. Fails if there are no
  // regions or two of them overlap; zero-sized, misaligned and overflowing
  // regions are already rejected by MemoryRegion.
  static absl::StatusOr<std::shared_ptr<const GuestMemory>> Create(
      std::vector<std::unique_ptr<MemoryRegion>> regions);

  // Shorthand: anonymous read-write RAM at each layout entry.
  static absl::StatusOr<std::shared_ptr<const GuestMemory>> CreateAnonymous(
      absl::Span<const RegionLayout> layout);

  GuestMemory(const GuestMemory&) = delete;
  GuestMemory& operator=(const GuestMemory&) = delete;

  // The regions, sorted by start address.
  const std::vector<std::unique_ptr<MemoryRegion>>& regions() const {
    return regions_;
  }

  // The region holding `address`, or nullptr. O(log n).
  const MemoryRegion* FindRegion(GuestAddress address) const;

  // Whether every byte of [address, address + length) is guest memory.
  bool IsRangeMapped(GuestAddress address, uint64_t length) const;

  // Copies guest bytes at `address` into `destination`.
  absl::Status Read(GuestAddress address,
                    absl::Span<uint8_t> destination) const;
  // Copies `source` into guest memory at `address`.
  absl::Status Write(GuestAddress address,
                     absl::Span<const uint8_t> source) const;
  // Sets `length` guest bytes at `address` to `value`.
  absl::Status Fill(GuestAddress address, uint64_t length, uint8_t value) const;

  // A host view of [address, address + length) for zero-copy bulk transfers
  // (the ELF kernel loader preads segments straight into guest RAM). Only
  // ranges inside one region have one; others fail with OutOfRange even if they
  // are mapped across regions. With `for_write`, read-only regions fail with
  // PermissionDenied. Only copy bytes through the view (memcpy, read, pread);
  // see the concurrency contract.
  absl::StatusOr<absl::Span<uint8_t>> GetSlice(GuestAddress address,
                                               uint64_t length,
                                               bool for_write = false) const;

  // Visits [address, address + length) front to back as segments: each is
  // either a run inside one region (`host` points at its first byte;
  // `read_only` tells a ROM) or a run of unmapped bytes (`host` is nullptr).
  // For devices that, like QEMU's DMA, move what they can and report the
  // rest. Bytes that would lie past 2^64 - 1 are not visited: the return
  // value counts them (0 unless the range overflows).
  using SegmentVisitor = absl::FunctionRef<void(
      GuestAddress start, uint64_t length, uint8_t* host, bool read_only)>;
  uint64_t VisitRange(GuestAddress address, uint64_t length,
                      SegmentVisitor visit) const;

  // Fixed-width integers in an explicit byte order.
  absl::StatusOr<uint8_t> ReadU8(GuestAddress address) const;
  absl::StatusOr<uint16_t> ReadLe16(GuestAddress address) const;
  absl::StatusOr<uint32_t> ReadLe32(GuestAddress address) const;
  absl::StatusOr<uint64_t> ReadLe64(GuestAddress address) const;
  absl::StatusOr<uint16_t> ReadBe16(GuestAddress address) const;
  absl::StatusOr<uint32_t> ReadBe32(GuestAddress address) const;
  absl::StatusOr<uint64_t> ReadBe64(GuestAddress address) const;
  absl::Status WriteU8(GuestAddress address, uint8_t value) const;
  absl::Status WriteLe16(GuestAddress address, uint16_t value) const;
  absl::Status WriteLe32(GuestAddress address, uint32_t value) const;
  absl::Status WriteLe64(GuestAddress address, uint64_t value) const;
  absl::Status WriteBe16(GuestAddress address, uint16_t value) const;
  absl::Status WriteBe32(GuestAddress address, uint32_t value) const;
  absl::Status WriteBe64(GuestAddress address, uint64_t value) const;

 private:
  explicit GuestMemory(std::vector<std::unique_ptr<MemoryRegion>> regions)
      : regions_(std::move(regions)) {}

  // Fails, naming the first offending byte, if any byte of
  // [address, address + length) is unmapped (or read-only when `for_write`)
  // or the range passes 2^64 - 1.
  absl::Status CheckRange(GuestAddress address, uint64_t length,
                          bool for_write) const;

  template <typename T, std::endian order>
  absl::StatusOr<T> ReadInt(GuestAddress address) const;
  template <typename T, std::endian order>
  absl::Status WriteInt(GuestAddress address, T value) const;

  const std::vector<std::unique_ptr<MemoryRegion>> regions_;
};

}  // namespace vm_memory

#endif  // VM_MEMORY_GUEST_MEMORY_H_
