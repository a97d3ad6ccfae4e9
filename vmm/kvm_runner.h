// Running a Machine on KVM: the VM and its vCPUs, the exit dispatch loop,
// and, for a direct Linux boot, the kernel, the boot parameters and the ACPI
// tables in RAM. The devices are the Machine's; the runner only connects
// their outside: the irqchip to machine.irqs() for the length of the run,
// and machine.stop_latch(), where a device's reset or power-off request, a
// vCPU's fatal exit or SIGINT/SIGTERM ends the run. The calling thread
// sleeps in poll() on the latch and a signalfd until then.
//
//   ASSIGN_OR_RETURN(RunOutcome outcome, RunOnKvm(*machine, options));
//   switch (outcome.reason) { ... }

#ifndef VMM_KVM_RUNNER_H_
#define VMM_KVM_RUNNER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "vmm/api/vm_control.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/stop_latch.h"

namespace vmm {

// Why the run ended.
struct RunOutcome {
  StopReason reason = StopReason::kPowerOff;
  // kError: what went wrong (a triple fault, a failed VM entry, a KVM error).
  absl::Status error;
  // kSignal: SIGINT or SIGTERM.
  int signal = 0;
  // kError, kSignal, kHalt: each vCPU's registers, one line each.
  std::string vcpu_state;
  // With --exit-stats: the exit table (ExitStats::Report).
  std::optional<std::string> exit_stats;
};

// What the control API and a restore add to a run.
struct RunHooks {
  // Called with the run's VmControl once its vCPUs exist, and with nullptr
  // before they go.
  std::function<void(VmControl*)> attach;
  // vmm --restore: the snapshot's KVM state (cpu.bin), loaded instead of a
  // boot; RAM and the devices are the caller's to restore.
  const std::vector<uint8_t>* restore_cpu = nullptr;
  // The vCPUs wait for VmControl::Resume before they first run.
  bool start_paused = false;
};

// Boots options.kernel (or options.firmware) on `machine` and runs it until
// it stops. Fails, before any vCPU runs, when /dev/kvm cannot be used
// (Unavailable) or the VM cannot be set up (a bad kernel, ...).
// SIGINT and SIGTERM are blocked in the calling thread, so that they reach
// the run's signalfd; main blocks them earlier still, before building the
// machine, so that one arriving during set-up is not lost either.
absl::StatusOr<RunOutcome> RunOnKvm(Machine& machine, const VmmOptions& options,
                                    const RunHooks& hooks = {});

// Blocks SIGINT and SIGTERM in the calling thread (and the threads it
// starts), for RunOnKvm's signalfd.
void BlockStopSignals();

}  // namespace vmm

#endif  // VMM_KVM_RUNNER_H_
