// The vmm without the control API server (//vmm:vmm_static): see
// control_api.h.

#include "absl/status/status.h"
#include "vmm/api/control_api.h"

namespace vmm {

absl::StatusOr<std::unique_ptr<ControlApi>> StartControlApi(
    const std::string&, Machine&, std::vector<std::string>) {
  return absl::UnimplementedError(
      "--api-socket: this vmm is linked statically without the control API "
      "(Debian's cpp-httplib is a shared library only); use //vmm:vmm");
}

}  // namespace vmm
