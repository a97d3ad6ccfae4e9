// QtestControl: the control API's view of a --qtest VM, which has no vCPU.
// Pausing holds the qtest session between two commands (a command in
// progress finishes first), so a snapshot sees no half-done access;
// vm.shutdown ends the session as the end of its input would. A std::mutex
// and condition variable (which ThreadSanitizer sees, unlike the prebuilt
// absl::Mutex) guard the three flags.

#ifndef VMM_QTEST_CONTROL_H_
#define VMM_QTEST_CONTROL_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "vmm/api/vm_control.h"
#include "vmm/qtest/qtest_server.h"
#include "vmm/stop_latch.h"

namespace vmm {

class QtestControl : public VmControl, public QtestGate {
 public:
  QtestControl(StopLatch& latch, bool start_paused)
      : latch_(latch), paused_(start_paused) {}

  bool paused() override;
  absl::Status Pause() override;
  absl::Status Resume() override;
  void Shutdown() override;
  uint32_t vcpus() override { return 0; }
  absl::StatusOr<std::optional<std::vector<uint8_t>>> SaveCpuState() override;

  void BeginCommand() override;
  void EndCommand() override;
  int stop_fd() override { return latch_.fd(); }

 private:
  StopLatch& latch_;
  std::mutex mu_;
  std::condition_variable changed_;
  bool paused_;              // guarded by mu_
  bool in_command_ = false;  // guarded by mu_
  bool stopping_ = false;    // guarded by mu_
};

}  // namespace vmm

#endif  // VMM_QTEST_CONTROL_H_
