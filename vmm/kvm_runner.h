// Running a Machine on KVM: vCPU threads, the exit dispatch loop, and the
// devices only a running guest needs (COM1, the i8042 reset line, the ACPI
// PM1 block whose S5 request powers off), and the ACPI tables in RAM.
//
// The guest resetting (i8042 0xfe, KVM's reset/shutdown system events) or
// powering off (ACPI S5) ends the run with status 0; a triple fault, a failed
// VM entry or any KVM error ends it with a one-line error.

#ifndef VMM_KVM_RUNNER_H_
#define VMM_KVM_RUNNER_H_

#include "absl/status/status.h"
#include "vmm/machine.h"
#include "vmm/options.h"

namespace vmm {

// Boots options.kernel on `machine` and runs it to the end. Fails with
// Unavailable when /dev/kvm cannot be used.
absl::Status RunOnKvm(Machine& machine, const VmmOptions& options);

// The signal (SIGINT or SIGTERM) that ended the last RunOnKvm, or 0.
int KvmStopSignal();

}  // namespace vmm

#endif  // VMM_KVM_RUNNER_H_
