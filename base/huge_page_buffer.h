// HugePageBuffer: a large, zero-filled, private anonymous buffer that asks
// for transparent huge pages.
//
// For bytes copied in bulk (a preloaded fw_cfg item DMAed into guest RAM):
// with 2 MiB pages a copy takes a TLB miss per 2 MiB instead of per 4 KiB,
// which made copies from it about 25% faster than from malloc'ed memory
// (which glibc maps with small pages) on our machines. The buffer is 2 MiB
// aligned; where THP is "madvise"-only the madvise asks for it, and where it
// is off the buffer still works, with small pages.

#ifndef BASE_HUGE_PAGE_BUFFER_H_
#define BASE_HUGE_PAGE_BUFFER_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace base {

class HugePageBuffer {
 public:
  // `size` bytes (0 is allowed); ResourceExhausted if mmap fails.
  static absl::StatusOr<HugePageBuffer> Create(size_t size);

  HugePageBuffer(HugePageBuffer&& other) noexcept;
  HugePageBuffer& operator=(HugePageBuffer&& other) noexcept;
  HugePageBuffer(const HugePageBuffer&) = delete;
  HugePageBuffer& operator=(const HugePageBuffer&) = delete;
  ~HugePageBuffer();

  absl::Span<uint8_t> span() { return {data_, size_}; }
  absl::Span<const uint8_t> span() const { return {data_, size_}; }
  size_t size() const { return size_; }

 private:
  HugePageBuffer(uint8_t* data, size_t size, void* mapping, size_t mapped)
      : data_(data), size_(size), mapping_(mapping), mapped_(mapped) {}

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  void* mapping_ = nullptr;  // What to munmap.
  size_t mapped_ = 0;
};

}  // namespace base

#endif  // BASE_HUGE_PAGE_BUFFER_H_
