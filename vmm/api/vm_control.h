// VmControl: what the control API asks of a running VM, implemented by the
// KVM run (kvm_runner.cc) and by a --qtest VM (qtest_control.h).

#ifndef VMM_API_VM_CONTROL_H_
#define VMM_API_VM_CONTROL_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace vmm {

class VmControl {
 public:
  virtual ~VmControl() = default;

  virtual bool paused() = 0;
  // Stops every vCPU at an instruction boundary with its pending exit
  // completed (so its registers are whole). FailedPrecondition if paused.
  virtual absl::Status Pause() = 0;
  // FailedPrecondition if running.
  virtual absl::Status Resume() = 0;
  // Ends the VM as an ACPI power-off would.
  virtual void Shutdown() = 0;
  // How many vCPUs run; 0 for a --qtest VM.
  virtual uint32_t vcpus() = 0;
  // While paused: the vCPUs' and the in-kernel devices' state
  // (kvm_state.h), or nullopt for a VM without vCPUs.
  virtual absl::StatusOr<std::optional<std::vector<uint8_t>>>
  SaveCpuState() = 0;
};

}  // namespace vmm

#endif  // VMM_API_VM_CONTROL_H_
