#include "vmm/stop_latch.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_format.h"

namespace vmm {

const char* StopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kPowerOff:
      return "power-off";
    case StopReason::kReset:
      return "reset";
    case StopReason::kHalt:
      return "halt";
    case StopReason::kSignal:
      return "signal";
    case StopReason::kError:
      return "error";
  }
  return "unknown";
}

absl::StatusOr<std::unique_ptr<StopLatch>> StopLatch::Create() {
  base::UniqueFd fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "eventfd");
  return std::unique_ptr<StopLatch>(new StopLatch(std::move(fd)));
}

void StopLatch::Request(StopReason reason, absl::Status error, int signal) {
  {
    base::MutexLock lock(mu_);
    if (reason_.has_value()) return;
    reason_ = reason;
    error_ = std::move(error);
    signal_ = signal;
    stopped_.store(true, std::memory_order_release);
  }
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow, which one write cannot cause.
  (void)!write(fd_.get(), &one, sizeof(one));
}

void StopLatch::Clear() {
  base::MutexLock lock(mu_);
  reason_.reset();
  error_ = absl::OkStatus();
  signal_ = 0;
  stopped_.store(false, std::memory_order_release);
  uint64_t count;
  (void)!read(fd_.get(), &count, sizeof(count));  // Non-blocking: drains it.
}

std::optional<StopReason> StopLatch::reason() const {
  base::MutexLock lock(mu_);
  return reason_;
}

absl::Status StopLatch::error() const {
  base::MutexLock lock(mu_);
  return error_;
}

int StopLatch::signal() const {
  base::MutexLock lock(mu_);
  return signal_;
}

}  // namespace vmm
