// StopLatch: why a run of the machine ends, decided once.
//
// Devices (the i8042's reset line, the ACPI PM block's S5) and the runner
// (a KVM error on a vCPU, SIGINT/SIGTERM) may each ask from any thread;
// the first request wins and later ones are ignored. The thread that owns
// the run waits for fd(), an eventfd that becomes readable with the first
// request, instead of polling.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<StopLatch> latch, StopLatch::Create());
//   device_callback = [&latch] { latch->Request(StopReason::kReset); };
//   poll({latch->fd(), POLLIN}, ...);  // then latch->reason()

#ifndef VMM_STOP_LATCH_H_
#define VMM_STOP_LATCH_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "base/unique_fd.h"

namespace vmm {

// Why the guest stopped running. The VMM's exit status says which
// (vmm --help).
enum class StopReason {
  kPowerOff,  // the guest entered ACPI S5
  kReset,     // the guest pulsed the reset line (i8042) or asked KVM to
  kHalt,      // a vCPU halted with nothing left to wake it
  kSignal,    // SIGINT or SIGTERM to the VMM
  kError,     // a KVM error, a triple fault, a failed VM entry
};

// "power-off", "reset", ...
const char* StopReasonName(StopReason reason);

class StopLatch {
 public:
  static absl::StatusOr<std::unique_ptr<StopLatch>> Create();
  StopLatch(const StopLatch&) = delete;
  StopLatch& operator=(const StopLatch&) = delete;

  // Records `reason` (with `error` for kError, the signal for kSignal) if
  // nothing was recorded before, and wakes fd(). Any thread.
  void Request(StopReason reason, absl::Status error = absl::OkStatus(),
               int signal = 0);
  // For a new run of the same machine.
  void Clear();

  // Readable once a request was recorded.
  int fd() const { return fd_.get(); }
  std::optional<StopReason> reason() const;
  // Whether a request was recorded: reason().has_value() without the lock,
  // for the vCPU loop, which asks on every exit.
  bool stopped() const { return stopped_.load(std::memory_order_acquire); }
  absl::Status error() const;
  int signal() const;

 private:
  explicit StopLatch(base::UniqueFd fd) : fd_(std::move(fd)) {}

  const base::UniqueFd fd_;
  mutable base::Mutex mu_;
  std::optional<StopReason> reason_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);
  int signal_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<bool> stopped_{false};
};

}  // namespace vmm

#endif  // VMM_STOP_LATCH_H_
