#include "tools/fwcfg/guest_platform.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <sys/io.h>
#endif

#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "absl/strings/str_format.h"
#include "base/unique_fd.h"

namespace fwcfg {

namespace {

// "integrity" or "confidentiality" when the kernel is locked down (it then
// refuses ioperm), "" otherwise or when it cannot tell.
std::string LockdownMode() {
  std::ifstream in("/sys/kernel/security/lockdown");
  std::string line;
  if (!std::getline(in, line)) return "";
  const size_t open = line.find('[');
  const size_t close = line.find(']', open);
  if (open == std::string::npos || close == std::string::npos) return "";
  const std::string mode = line.substr(open + 1, close - open - 1);
  return mode == "none" ? "" : mode;
}

class LinuxPlatform : public GuestPlatform {
 public:
  static constexpr size_t kHugePage = size_t{2} << 20;

  absl::Status EnablePorts(uint16_t first, uint16_t count) override {
#if defined(__x86_64__) || defined(__i386__)
    if (geteuid() != 0) {
      return absl::PermissionDeniedError(
          "port access needs root (ioperm(2) and CAP_SYS_RAWIO)");
    }
    if (ioperm(first, count, 1) != 0) {
      const int error = errno;
      const std::string lockdown = LockdownMode();
      if (!lockdown.empty()) {
        return absl::PermissionDeniedError(absl::StrFormat(
            "ioperm(0x%x, %d): the kernel is locked down (%s), which forbids "
            "port access from user space",
            first, count, lockdown));
      }
      return absl::PermissionDeniedError(absl::StrFormat(
          "ioperm(0x%x, %d): %s", first, count, std::strerror(error)));
    }
    return absl::OkStatus();
#else
    (void)first;
    (void)count;
    return absl::UnimplementedError(
        "port I/O exists only on x86 (on arm, fw_cfg is MMIO: use sysfs)");
#endif
  }

#if defined(__x86_64__) || defined(__i386__)
  void Out16(uint16_t port, uint16_t value) override { outw(value, port); }
  void Out32(uint16_t port, uint32_t value) override { outl(value, port); }
  void InBytes(uint16_t port, absl::Span<uint8_t> out) override {
    insb(port, out.data(), out.size());
  }
#else
  void Out16(uint16_t, uint16_t) override {}
  void Out32(uint16_t, uint32_t) override {}
  void InBytes(uint16_t, absl::Span<uint8_t> out) override {
    std::memset(out.data(), 0, out.size());
  }
#endif

  base::UniqueFd LockDevice() override {
    for (const char* path : {"/run/fwcfg.lock", "/tmp/fwcfg.lock"}) {
      base::UniqueFd fd(open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
      if (fd.valid() && flock(fd.get(), LOCK_EX) == 0) return fd;
    }
    return base::UniqueFd();
  }

  absl::StatusOr<absl::Span<uint8_t>> AllocateLocked(size_t size) override {
    // 2 MiB-aligned and advised for transparent huge pages: a huge page is
    // physically contiguous, so a DMA request can fill 2 MiB at once.
    const size_t reserve = size >= kHugePage ? size + kHugePage : size;
    void* mapped = mmap(nullptr, reserve, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) {
      return absl::ResourceExhaustedError(
          absl::StrFormat("mmap of %d bytes: %s", size, std::strerror(errno)));
    }
    auto* memory = static_cast<uint8_t*>(mapped);
    if (reserve != size) {
      auto* aligned = reinterpret_cast<uint8_t*>(
          (reinterpret_cast<uintptr_t>(memory) + kHugePage - 1) &
          ~(uintptr_t{kHugePage} - 1));
      if (aligned != memory) munmap(memory, aligned - memory);
      const size_t tail = (memory + reserve) - (aligned + size);
      if (tail != 0) munmap(aligned + size, tail);
      memory = aligned;
      madvise(memory, size, MADV_HUGEPAGE);  // best effort
    }
    // mlock faults every page in and keeps it in RAM.
    if (mlock(memory, size) != 0) {
      const int error = errno;
      munmap(memory, size);
      return absl::ResourceExhaustedError(
          absl::StrFormat("mlock of %d bytes: %s (see RLIMIT_MEMLOCK)", size,
                          std::strerror(error)));
    }
    return absl::MakeSpan(memory, size);
  }

  void Free(absl::Span<uint8_t> memory) override {
    munlock(memory.data(), memory.size());
    munmap(memory.data(), memory.size());
  }

  absl::StatusOr<uint64_t> PhysicalAddress(const void* address) override {
    if (!pagemap_.valid()) {
      pagemap_ =
          base::UniqueFd(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
      if (!pagemap_.valid()) {
        return absl::UnavailableError(
            absl::StrFormat("/proc/self/pagemap: %s", std::strerror(errno)));
      }
    }
    const uint64_t virtual_address = reinterpret_cast<uintptr_t>(address);
    uint64_t entry = 0;
    if (pread(pagemap_.get(), &entry, sizeof(entry),
              static_cast<off_t>(virtual_address / kGuestPageSize *
                                 sizeof(entry))) != sizeof(entry)) {
      return absl::UnavailableError(
          absl::StrFormat("/proc/self/pagemap: %s", std::strerror(errno)));
    }
    // Bit 63: present; bits 0-54: the page frame number, which the kernel
    // shows as 0 to processes without CAP_SYS_ADMIN.
    if ((entry >> 63) == 0) {
      return absl::FailedPreconditionError(
          "/proc/self/pagemap: a locked page is not present");
    }
    const uint64_t frame = entry & ((uint64_t{1} << 55) - 1);
    if (frame == 0) {
      return absl::PermissionDeniedError(
          "/proc/self/pagemap shows no page frame numbers (they need "
          "CAP_SYS_ADMIN)");
    }
    return frame * kGuestPageSize + virtual_address % kGuestPageSize;
  }

 private:
  base::UniqueFd pagemap_;
};

}  // namespace

std::unique_ptr<GuestPlatform> LinuxGuestPlatform() {
  return std::make_unique<LinuxPlatform>();
}

}  // namespace fwcfg
