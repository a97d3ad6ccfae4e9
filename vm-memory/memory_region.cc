#include "vm-memory/memory_region.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace vm_memory {
namespace {

uint64_t HostPageSize() { return static_cast<uint64_t>(sysconf(_SC_PAGESIZE)); }

absl::Status CheckLayout(GuestAddress start, uint64_t size) {
  const uint64_t page = HostPageSize();
  if (size == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("memory region at %s has zero size", start.ToString()));
  }
  if (start.raw() % page != 0 || size % page != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory region at %s of 0x%x bytes is not aligned to the 0x%x-byte "
        "host page",
        start.ToString(), size, page));
  }
  if (!start.CheckedAdd(size - 1)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "memory region at %s of 0x%x bytes runs past the end of the 64-bit "
        "guest address space",
        start.ToString(), size));
  }
  if (size > static_cast<uint64_t>(SIZE_MAX)) {
    return absl::InvalidArgumentError("memory region larger than host memory");
  }
  return absl::OkStatus();
}

int Protection(RegionAccess access) {
  return access == RegionAccess::kReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
}

absl::Status MmapError(const char* what, GuestAddress start, uint64_t size,
                       int error) {
  const std::string message =
      absl::StrFormat("cannot map %s guest memory at %s (0x%x bytes): %s", what,
                      start.ToString(), size, std::strerror(error));
  switch (error) {
    case ENOMEM:
    case EAGAIN:
      return absl::ResourceExhaustedError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InvalidArgumentError(message);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<MemoryRegion>> MemoryRegion::CreateAnonymous(
    GuestAddress start, uint64_t size, RegionAccess access) {
  RETURN_IF_ERROR(CheckLayout(start, size));
  constexpr int kFlags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
  if (size < kHugePageSize) {
    void* host = mmap(nullptr, size, Protection(access), kFlags, -1, 0);
    if (host == MAP_FAILED) return MmapError("anonymous", start, size, errno);
    return std::unique_ptr<MemoryRegion>(
        new MemoryRegion(start, size, static_cast<uint8_t*>(host), access));
  }
  // Reserve 2 MiB more than needed, map the region at the first 2 MiB
  // boundary inside, and give back the ends.
  void* reserved =
      mmap(nullptr, size + kHugePageSize, PROT_NONE, kFlags, -1, 0);
  if (reserved == MAP_FAILED) {
    return MmapError("anonymous", start, size, errno);
  }
  const uintptr_t base = reinterpret_cast<uintptr_t>(reserved);
  const uintptr_t aligned = (base + kHugePageSize - 1) & ~(kHugePageSize - 1);
  void* host = mmap(reinterpret_cast<void*>(aligned), size, Protection(access),
                    kFlags | MAP_FIXED, -1, 0);
  if (host == MAP_FAILED) {
    const int error = errno;
    munmap(reserved, size + kHugePageSize);
    return MmapError("anonymous", start, size, error);
  }
  if (aligned > base) munmap(reserved, aligned - base);
  const uintptr_t end = base + size + kHugePageSize;
  if (end > aligned + size) {
    munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  }
  // Where transparent huge pages are "madvise"-only; it fails harmlessly
  // where they are off.
  madvise(host, size, MADV_HUGEPAGE);
  return std::unique_ptr<MemoryRegion>(
      new MemoryRegion(start, size, static_cast<uint8_t*>(host), access));
}

absl::StatusOr<std::unique_ptr<MemoryRegion>> MemoryRegion::CreateFromFile(
    GuestAddress start, uint64_t size, int fd, uint64_t file_offset,
    RegionAccess access) {
  RETURN_IF_ERROR(CheckLayout(start, size));
  if (file_offset % HostPageSize() != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "file offset 0x%x of memory region at %s is not page-aligned",
        file_offset, start.ToString()));
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("memory region at %s: bad file descriptor %d: %s",
                        start.ToString(), fd, std::strerror(errno)));
  }
  if (S_ISREG(st.st_mode)) {
    uint64_t end;
    if (__builtin_add_overflow(file_offset, size, &end) ||
        end > static_cast<uint64_t>(st.st_size)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "memory region at %s needs bytes [0x%x, +0x%x) of a file that is "
          "only 0x%x bytes long",
          start.ToString(), file_offset, size, st.st_size));
    }
  }
  void* host = mmap(nullptr, size, Protection(access), MAP_SHARED, fd,
                    static_cast<off_t>(file_offset));
  if (host == MAP_FAILED) return MmapError("file-backed", start, size, errno);
  return std::unique_ptr<MemoryRegion>(
      new MemoryRegion(start, size, static_cast<uint8_t*>(host), access));
}

MemoryRegion::~MemoryRegion() { munmap(host_, size_); }

}  // namespace vm_memory
