// vmm: see options.h for the command line and machine.h for the machine.

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vmm/kvm_runner.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/qtest/address_space.h"
#include "vmm/qtest/qtest_server.h"
#include "vmm/qtest/qtest_session.h"

namespace {

#ifdef VMM_WITH_FW_CFG
constexpr bool kFwCfgBuiltIn = true;
#else
constexpr bool kFwCfgBuiltIn = false;
#endif

int Fail(int code, const absl::Status& status) {
  std::fprintf(stderr, "vmm: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return code;
}

int RunQtest(vmm::Machine& machine, const std::string& spec) {
  absl::StatusOr<vmm::QtestEndpoint> endpoint = vmm::QtestEndpoint::Open(spec);
  if (!endpoint.ok()) return Fail(1, endpoint.status());
  vmm::QtestSession session(
      machine.pio(), vmm::SystemAddressSpace(machine.memory(), machine.mmio()));
  absl::Status status =
      vmm::ServeQtest(session, endpoint->in(), endpoint->out());
  return status.ok() ? 0 : Fail(1, status);
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<vmm::VmmOptions> options =
      vmm::ParseVmmOptions(args, kFwCfgBuiltIn);
  if (!options.ok()) return Fail(2, options.status());
  if (options->help) {
    std::fputs(vmm::VmmUsage().c_str(), stdout);
    return 0;
  }
  for (const std::string& warning : options->fw_cfg.warnings) {
    std::fprintf(stderr, "vmm: warning: %s\n", warning.c_str());
  }
  absl::StatusOr<std::unique_ptr<vmm::Machine>> machine =
      vmm::Machine::Create(*options);
  if (!machine.ok()) return Fail(1, machine.status());
  for (const std::string& warning : (*machine)->warnings()) {
    std::fprintf(stderr, "vmm: warning: %s\n", warning.c_str());
  }
  if (options->qtest) return RunQtest(**machine, *options->qtest);
  absl::Status status = vmm::RunOnKvm(**machine, *options);
  if (status.ok()) return 0;
  // Stopped by SIGINT/SIGTERM: the status a shell expects of that signal.
  const int signal = vmm::KvmStopSignal();
  return Fail(signal != 0 ? 128 + signal : 1, status);
}
