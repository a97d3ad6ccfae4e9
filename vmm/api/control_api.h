// The control API as main sees it, in two builds: with the server
// (api_server.cc, for //vmm:vmm) or without it (no_api_server.cc, for
// //vmm:vmm_static: Debian ships cpp-httplib only as a shared library, and
// a fully static binary cannot link one).

#ifndef VMM_API_CONTROL_API_H_
#define VMM_API_CONTROL_API_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vmm/api/vm_control.h"
#include "vmm/machine.h"

namespace vmm {

class ControlApi {
 public:
  virtual ~ControlApi() = default;
  // The VM the vm.* calls act on; null between runs.
  virtual void Attach(VmControl* control) = 0;
};

// Serves the API on `socket_path` (api_server.h). Fails in a build without
// the server.
absl::StatusOr<std::unique_ptr<ControlApi>> StartControlApi(
    const std::string& socket_path, Machine& machine,
    std::vector<std::string> machine_args);

}  // namespace vmm

#endif  // VMM_API_CONTROL_API_H_
