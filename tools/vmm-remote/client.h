// ApiClient: one HTTP request to the vmm's control API on its Unix socket
// (vmm --api-socket), with cpp-httplib's client.
//
//   ASSIGN_OR_RETURN(ApiReply reply,
//                    CallApi("/run/vm.sock", "PUT", "vm.pause", ""));
//   if (reply.status != 204) ... reply.body holds {"error": "..."}

#ifndef TOOLS_VMM_REMOTE_CLIENT_H_
#define TOOLS_VMM_REMOTE_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"

namespace vmm_remote {

struct ApiReply {
  int status = 0;
  std::string body;  // JSON; empty for 204
};

// Sends `method` /api/v1/`endpoint` with `body` (JSON, or empty). Fails only
// when no HTTP answer came (no socket, refused, timed out after
// `timeout_seconds`); HTTP errors are replies.
absl::StatusOr<ApiReply> CallApi(const std::string& socket_path,
                                 const std::string& method,
                                 const std::string& endpoint,
                                 const std::string& body,
                                 int timeout_seconds = 60);

}  // namespace vmm_remote

#endif  // TOOLS_VMM_REMOTE_CLIENT_H_
