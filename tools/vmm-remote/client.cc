#include "tools/vmm-remote/client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "httplib.h"

namespace vmm_remote {
namespace {

// httplib's client, connecting to a Unix socket instead of host:port.
class UnixClient : public httplib::ClientImpl {
 public:
  explicit UnixClient(std::string path)
      : httplib::ClientImpl("localhost"), path_(std::move(path)) {}

 protected:
  bool create_and_connect_socket(Socket& socket,
                                 httplib::Error& error) override {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(address.sun_path)) {
      error = httplib::Error::Connection;
      return false;
    }
    std::memcpy(address.sun_path, path_.data(), path_.size());
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&address),
                            sizeof(address)) != 0) {
      connect_errno_ = errno;
      if (fd >= 0) ::close(fd);
      error = httplib::Error::Connection;
      return false;
    }
    socket.sock = fd;
    return true;
  }

 public:
  int connect_errno() const { return connect_errno_; }

 private:
  const std::string path_;
  int connect_errno_ = 0;
};

}  // namespace

absl::StatusOr<ApiReply> CallApi(const std::string& socket_path,
                                 const std::string& method,
                                 const std::string& endpoint,
                                 const std::string& body, int timeout_seconds) {
  UnixClient client(socket_path);
  client.set_read_timeout(timeout_seconds, 0);
  client.set_write_timeout(timeout_seconds, 0);
  httplib::Request request;
  request.method = method;
  request.path = "/api/v1/" + endpoint;
  if (!body.empty()) {
    request.body = body;
    request.set_header("Content-Type", "application/json");
  }
  httplib::Result result = client.send(request);
  if (!result) {
    if (client.connect_errno() != 0) {
      return absl::ErrnoToStatus(
          client.connect_errno(),
          absl::StrFormat("cannot connect to %s", socket_path));
    }
    return absl::UnavailableError(
        absl::StrFormat("no answer from %s (%s)", socket_path,
                        httplib::to_string(result.error())));
  }
  return ApiReply{result->status, result->body};
}

}  // namespace vmm_remote
