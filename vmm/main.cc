// vmm: see options.h for the command line, machine.h for the machine and
// VmmUsage() for the exit statuses.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vmm/exit_status.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/kvm_runner.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/qtest/address_space.h"
#include "vmm/qtest/qtest_server.h"
#include "vmm/qtest/qtest_session.h"

namespace {

int Fail(int code, const absl::Status& status) {
  std::fprintf(stderr, "vmm: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return code;
}

int RunQtest(vmm::Machine& machine, const std::string& spec) {
  absl::StatusOr<vmm::QtestEndpoint> endpoint = vmm::QtestEndpoint::Open(spec);
  if (!endpoint.ok()) return Fail(vmm::kExitError, endpoint.status());
  vmm::QtestSession session(
      machine.pio(), vmm::SystemAddressSpace(machine.memory(), machine.mmio()));
  absl::Status status =
      vmm::ServeQtest(session, endpoint->in(), endpoint->out());
  return status.ok() ? vmm::kExitPowerOff : Fail(vmm::kExitError, status);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<vmm::VmmOptions> options = vmm::ParseVmmOptions(args);
  if (!options.ok()) return Fail(vmm::kExitUsage, options.status());
  if (options->help) {
    std::fputs(vmm::VmmUsage().c_str(), stdout);
    return vmm::kExitPowerOff;
  }
  if (options->fw_cfg) {
    for (const std::string& warning :
         vmm::FwCfgOptionWarnings(*options->fw_cfg)) {
      std::fprintf(stderr, "vmm: warning: %s\n", warning.c_str());
    }
  }
  // From here on SIGINT and SIGTERM wait for the run, which ends the guest
  // and reports where its vCPUs were (the qtest server handles them itself).
  if (!options->qtest) vmm::BlockStopSignals();
  absl::StatusOr<std::unique_ptr<vmm::Machine>> machine =
      vmm::Machine::Create(*options);
  if (!machine.ok()) return Fail(vmm::kExitError, machine.status());
  for (const std::string& warning : (*machine)->warnings()) {
    std::fprintf(stderr, "vmm: warning: %s\n", warning.c_str());
  }
  if (options->qtest) return RunQtest(**machine, *options->qtest);
  absl::StatusOr<vmm::RunOutcome> outcome = vmm::RunOnKvm(**machine, *options);
  if (!outcome.ok()) return Fail(vmm::kExitError, outcome.status());
  return vmm::ReportOutcome(*outcome, stderr);
}
