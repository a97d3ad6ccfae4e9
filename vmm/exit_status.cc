#include "vmm/exit_status.h"

#include <string>

namespace vmm {
namespace {

void PrintState(const RunOutcome& outcome, std::FILE* out) {
  if (outcome.vcpu_state.empty()) return;
  std::string state = outcome.vcpu_state;
  size_t at = 0;
  while ((at = state.find('\n', at)) != std::string::npos) {
    state.replace(at, 1, "\n  ");
    at += 3;
  }
  std::fprintf(out, "  %s\n", state.c_str());
}

}  // namespace

int ReportOutcome(const RunOutcome& outcome, std::FILE* out) {
  switch (outcome.reason) {
    case StopReason::kPowerOff:
      return kExitPowerOff;
    case StopReason::kReset:
      std::fprintf(out, "vmm: the guest reset the machine\n");
      return kExitReset;
    case StopReason::kHalt:
      std::fprintf(out, "vmm: a vCPU halted with nothing to wake it\n");
      PrintState(outcome, out);
      return kExitHalt;
    case StopReason::kSignal:
      std::fprintf(out, "vmm: %s\n",
                   std::string(outcome.error.message()).c_str());
      PrintState(outcome, out);
      return 128 + outcome.signal;
    case StopReason::kError:
      std::fprintf(out, "vmm: %s\n",
                   std::string(outcome.error.message()).c_str());
      PrintState(outcome, out);
      return kExitError;
  }
  return kExitError;
}

}  // namespace vmm
