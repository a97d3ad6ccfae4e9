#include "vmm/qtest_control.h"

namespace vmm {

bool QtestControl::paused() {
  absl::MutexLock lock(&mu_);
  return paused_;
}

absl::Status QtestControl::Pause() {
  absl::MutexLock lock(&mu_);
  if (paused_) return absl::FailedPreconditionError("the VM is already paused");
  paused_ = true;
  auto idle = [this]()
                  ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !in_command_; };
  mu_.Await(absl::Condition(&idle));
  return absl::OkStatus();
}

absl::Status QtestControl::Resume() {
  absl::MutexLock lock(&mu_);
  if (!paused_) return absl::FailedPreconditionError("the VM is not paused");
  paused_ = false;
  return absl::OkStatus();
}

void QtestControl::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;  // a command waiting for a resume gives up
  }
  latch_.Request(StopReason::kPowerOff);
}

absl::StatusOr<std::optional<std::vector<uint8_t>>>
QtestControl::SaveCpuState() {
  absl::MutexLock lock(&mu_);
  if (!paused_) return absl::FailedPreconditionError("the VM is not paused");
  return std::nullopt;  // no vCPU
}

void QtestControl::BeginCommand() {
  absl::MutexLock lock(&mu_);
  auto running = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !paused_ || stopping_;
  };
  mu_.Await(absl::Condition(&running));
  in_command_ = true;
}

void QtestControl::EndCommand() {
  absl::MutexLock lock(&mu_);
  in_command_ = false;
}

}  // namespace vmm
