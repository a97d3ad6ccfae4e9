#include "vmm/qtest_control.h"

namespace vmm {

bool QtestControl::paused() {
  std::lock_guard lock(mu_);
  return paused_;
}

absl::Status QtestControl::Pause() {
  std::unique_lock lock(mu_);
  if (paused_) return absl::FailedPreconditionError("the VM is already paused");
  paused_ = true;
  changed_.wait(lock, [this] { return !in_command_; });
  return absl::OkStatus();
}

absl::Status QtestControl::Resume() {
  {
    std::lock_guard lock(mu_);
    if (!paused_) return absl::FailedPreconditionError("the VM is not paused");
    paused_ = false;
  }
  changed_.notify_all();
  return absl::OkStatus();
}

void QtestControl::Shutdown() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;  // a command waiting for a resume gives up
  }
  changed_.notify_all();
  latch_.Request(StopReason::kPowerOff);
}

absl::StatusOr<std::optional<std::vector<uint8_t>>>
QtestControl::SaveCpuState() {
  std::lock_guard lock(mu_);
  if (!paused_) return absl::FailedPreconditionError("the VM is not paused");
  return std::nullopt;  // no vCPU
}

void QtestControl::BeginCommand() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [this] { return !paused_ || stopping_; });
  in_command_ = true;
}

void QtestControl::EndCommand() {
  {
    std::lock_guard lock(mu_);
    in_command_ = false;
  }
  changed_.notify_all();
}

}  // namespace vmm
