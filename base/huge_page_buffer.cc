#include "base/huge_page_buffer.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace base {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

absl::StatusOr<HugePageBuffer> HugePageBuffer::Create(size_t size) {
  if (size == 0) return HugePageBuffer(nullptr, 0, nullptr, 0);
  // Room to align the start to 2 MiB, and the end rounded up to it so the
  // last page can be huge too.
  size_t rounded, mapped;
  if (__builtin_add_overflow(size, kHugePage - 1, &rounded) ||
      __builtin_add_overflow(rounded & ~(kHugePage - 1), kHugePage, &mapped)) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("buffer of %d bytes: too large", size));
  }
  void* mapping = mmap(nullptr, mapped, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping == MAP_FAILED) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "buffer of %d bytes: mmap: %s", size, std::strerror(errno)));
  }
  const uintptr_t start =
      (reinterpret_cast<uintptr_t>(mapping) + kHugePage - 1) &
      ~uintptr_t{kHugePage - 1};
  uint8_t* data = reinterpret_cast<uint8_t*>(start);
  // Fails harmlessly where THP is off: the buffer then has small pages.
  madvise(data, rounded & ~(kHugePage - 1), MADV_HUGEPAGE);
  return HugePageBuffer(data, size, mapping, mapped);
}

HugePageBuffer::HugePageBuffer(HugePageBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_(std::exchange(other.mapped_, 0)) {}

HugePageBuffer& HugePageBuffer::operator=(HugePageBuffer&& other) noexcept {
  if (this != &other) {
    if (mapping_ != nullptr) munmap(mapping_, mapped_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

HugePageBuffer::~HugePageBuffer() {
  if (mapping_ != nullptr) munmap(mapping_, mapped_);
}

}  // namespace base
