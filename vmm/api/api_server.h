// The VMM's control API: HTTP/1.1 with JSON bodies on a Unix socket, in Cloud
// Hypervisor's style (PUT /api/v1/vm.pause, GET /api/v1/vm.info, ...),
// served by Debian's cpp-httplib and parsed with nlohmann::json.
// docs/api.md lists the calls, their bodies and every error answer.
//
// Requests are handled one at a time. Every failure is a JSON body
// {"error": "..."} with a 4xx or 5xx status; nothing a client sends can stop
// the VM except vm.shutdown. Bodies over kMaxBody bytes get 413.
//
//   ASSIGN_OR_RETURN(auto api, ApiServer::Start(path, machine, args));
//   api->Attach(&control);   // once the VM exists
//   ...
//   api->Attach(nullptr);    // before it goes

#ifndef VMM_API_API_SERVER_H_
#define VMM_API_API_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "vmm/api/control_api.h"
#include "vmm/api/vm_control.h"
#include "vmm/machine.h"

namespace vmm {

class ApiServer : public ControlApi {
 public:
  static constexpr size_t kMaxBody = 64 << 10;

  // Listens on `socket_path` (created with mode 0600; a stale socket there
  // that nobody listens on is replaced, anything else is an error) and
  // serves on a thread of its own. `machine_args` go into snapshots.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(
      const std::string& socket_path, Machine& machine,
      std::vector<std::string> machine_args);
  ~ApiServer() override;  // Stops serving and removes the socket.

  // The VM the vm.* calls act on; null between runs (they answer 503).
  void Attach(VmControl* control) override;

 private:
  class Impl;
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vmm

#endif  // VMM_API_API_SERVER_H_
