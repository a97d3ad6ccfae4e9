// GuestPlatform: what fwcfg needs from the operating system to drive the
// fw_cfg registers itself from inside a Linux guest (--io, --dma): port
// access, memory that stays put, and the guest-physical address of a page.
// LinuxGuestPlatform is the real one; tests substitute a device model.

#ifndef TOOLS_FWCFG_GUEST_PLATFORM_H_
#define TOOLS_FWCFG_GUEST_PLATFORM_H_

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/unique_fd.h"

namespace fwcfg {

class GuestPlatform {
 public:
  virtual ~GuestPlatform() = default;

  // Grants this process the ports [first, first + count); every other
  // port method needs it first.
  virtual absl::Status EnablePorts(uint16_t first, uint16_t count) = 0;
  // Keeps other fwcfg runs away from the device while the returned
  // descriptor is open (invalid if no lock could be taken).
  virtual base::UniqueFd LockDevice() = 0;
  virtual void Out16(uint16_t port, uint16_t value) = 0;
  virtual void Out32(uint16_t port, uint32_t value) = 0;
  // `rep insb`: out.size() byte reads of `port`.
  virtual void InBytes(uint16_t port, absl::Span<uint8_t> out) = 0;

  // `size` bytes (a multiple of the page size), page-aligned, zeroed and
  // locked in RAM until the span is released with Free.
  virtual absl::StatusOr<absl::Span<uint8_t>> AllocateLocked(size_t size) = 0;
  virtual void Free(absl::Span<uint8_t> memory) = 0;
  // The guest-physical address of the byte at `address` (its page must be
  // allocated and present).
  virtual absl::StatusOr<uint64_t> PhysicalAddress(const void* address) = 0;
};

// The platform of the running Linux: ioperm(2), in/out instructions (x86
// only; elsewhere EnablePorts fails), an exclusive flock on /run/fwcfg.lock
// (or /tmp/fwcfg.lock), mmap + mlock, /proc/self/pagemap.
// Errors say what is missing: root, the kernel's lockdown, page frame
// numbers in pagemap (CAP_SYS_ADMIN).
std::unique_ptr<GuestPlatform> LinuxGuestPlatform();

inline constexpr size_t kGuestPageSize = 4096;

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_GUEST_PLATFORM_H_
