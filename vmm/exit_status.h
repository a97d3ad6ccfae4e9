// The vmm process's exit status for each way a run ends (vmm --help).

#ifndef VMM_EXIT_STATUS_H_
#define VMM_EXIT_STATUS_H_

#include <cstdio>

#include "vmm/kvm_runner.h"

namespace vmm {

inline constexpr int kExitPowerOff = 0;  // the guest powered off (ACPI S5)
inline constexpr int kExitError = 1;     // set-up failed, or KVM or the guest
                                         // failed (triple fault, ...)
inline constexpr int kExitUsage = 2;     // a bad command line
inline constexpr int kExitReset = 3;     // the guest reset the machine
inline constexpr int kExitHalt = 4;      // a vCPU halted for good
// SIGINT/SIGTERM: 128 + the signal's number, as a shell reports it.

// Prints what the user should know about `outcome` (nothing for a
// power-off) to `out` and returns the exit status.
int ReportOutcome(const RunOutcome& outcome, std::FILE* out);

}  // namespace vmm

#endif  // VMM_EXIT_STATUS_H_
