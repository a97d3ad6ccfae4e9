// vmm: see options.h for the command line, machine.h for the machine and
// VmmUsage() for the exit statuses.

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "vmm/api/control_api.h"
#include "vmm/exit_status.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/kvm_runner.h"
#include "vmm/machine.h"
#include "vmm/options.h"
#include "vmm/qtest/address_space.h"
#include "vmm/qtest/qtest_server.h"
#include "vmm/qtest/qtest_session.h"
#include "vmm/qtest_control.h"
#include "vmm/snapshot/snapshot.h"

namespace {

int Fail(int code, const absl::Status& status) {
  std::fprintf(stderr, "vmm: %.*s\n", static_cast<int>(status.message().size()),
               status.message().data());
  return code;
}

// The --exit-stats table, to stderr or the file; a file that cannot be
// written costs the table, not the run's exit status.
void WriteExitStats(const vmm::VmmOptions& options, const std::string& report) {
  if (options.exit_stats->empty()) {
    std::fprintf(stderr, "vmm: %s", report.c_str());
    return;
  }
  std::FILE* file = std::fopen(options.exit_stats->c_str(), "w");
  bool written = file != nullptr && std::fputs(report.c_str(), file) >= 0;
  if (file != nullptr) written = std::fclose(file) == 0 && written;
  if (!written) {
    std::fprintf(stderr, "vmm: --exit-stats: cannot write %s\n",
                 options.exit_stats->c_str());
  }
}

int RunQtest(vmm::Machine& machine, const std::string& spec,
             vmm::ControlApi* api, bool start_paused) {
  absl::StatusOr<vmm::QtestEndpoint> endpoint = vmm::QtestEndpoint::Open(spec);
  if (!endpoint.ok()) return Fail(vmm::kExitError, endpoint.status());
  vmm::QtestSession session(
      machine.pio(), vmm::SystemAddressSpace(machine.memory(), machine.mmio()));
  machine.stop_latch().Clear();
  vmm::QtestControl control(machine.stop_latch(), start_paused);
  if (api != nullptr) api->Attach(&control);
  absl::Status status =
      vmm::ServeQtest(session, endpoint->in(), endpoint->out(), &control);
  if (api != nullptr) api->Attach(nullptr);
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
  // --restore: the machine comes from the snapshot.
  std::optional<vmm::SnapshotContents> snapshot;
  if (options->restore) {
    absl::StatusOr<vmm::SnapshotContents> contents =
        vmm::ReadSnapshot(*options->restore);
    if (!contents.ok()) return Fail(vmm::kExitError, contents.status());
    absl::StatusOr<vmm::VmmOptions> restored =
        vmm::RestoreOptions(contents->machine_args, *options, args);
    if (!restored.ok()) return Fail(vmm::kExitUsage, restored.status());
    if ((contents->vcpus == 0) != restored->qtest.has_value()) {
      return Fail(vmm::kExitUsage,
                  absl::InvalidArgumentError(
                      contents->vcpus == 0
                          ? "--restore: the snapshot is of a --qtest VM; "
                            "give --qtest"
                          : "--restore: the snapshot has vCPUs; it cannot "
                            "be restored under --qtest"));
    }
    options = *std::move(restored);
    snapshot = *std::move(contents);
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
      vmm::Machine::Create(*options, /*restoring=*/snapshot.has_value());
  if (!machine.ok()) return Fail(vmm::kExitError, machine.status());
  for (const std::string& warning : (*machine)->warnings()) {
    std::fprintf(stderr, "vmm: warning: %s\n", warning.c_str());
  }
  if (snapshot) {
    absl::Status restored =
        vmm::RestoreMemory(*options->restore, (*machine)->memory());
    if (restored.ok()) {
      restored = (*machine)->RestoreDeviceState(snapshot->devices);
    }
    if (!restored.ok()) return Fail(vmm::kExitError, restored);
  }
  std::unique_ptr<vmm::ControlApi> api;
  if (options->api_socket) {
    absl::StatusOr<std::unique_ptr<vmm::ControlApi>> started =
        vmm::StartControlApi(*options->api_socket, **machine,
                             options->machine_args);
    if (!started.ok()) return Fail(vmm::kExitError, started.status());
    api = *std::move(started);
  }
  // A restored VM with an API waits for vm.resume, as Cloud Hypervisor's.
  const bool start_paused = snapshot.has_value() && api != nullptr;
  if (options->qtest) {
    return RunQtest(**machine, *options->qtest, api.get(), start_paused);
  }
  vmm::RunHooks hooks;
  if (api != nullptr) {
    hooks.attach = [&api](vmm::VmControl* control) { api->Attach(control); };
  }
  if (snapshot) hooks.restore_cpu = &*snapshot->cpu;
  hooks.start_paused = start_paused;
  absl::StatusOr<vmm::RunOutcome> outcome =
      vmm::RunOnKvm(**machine, *options, hooks);
  if (!outcome.ok()) return Fail(vmm::kExitError, outcome.status());
  if (outcome->exit_stats) WriteExitStats(*options, *outcome->exit_stats);
  return vmm::ReportOutcome(*outcome, stderr);
}
