// Serving the qtest protocol over a byte stream: stdio or a Unix socket.
//
//   --qtest stdio               commands on stdin, replies on stdout
//   --qtest unix:PATH           connect to a socket someone listens on (as
//                               QEMU's `-qtest unix:PATH` does)
//   --qtest unix:PATH,server    listen on PATH and serve one client
//
// The server answers each newline-terminated line with one reply line and
// returns when the input ends or the peer goes away. A line longer than
// kMaxLineLength is answered with one FAIL and skipped, so memory stays
// bounded whatever the client sends.

#ifndef VMM_QTEST_QTEST_SERVER_H_
#define VMM_QTEST_QTEST_SERVER_H_

#include <unistd.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "vmm/qtest/qtest_session.h"

namespace vmm {

inline constexpr size_t kMaxLineLength = 2 * QtestSession::kMaxTransfer + 4096;

// An open qtest stream: read commands from `in`, write replies to `out`.
// Owns the socket of a unix: endpoint; stdio is the process's own.
class QtestEndpoint {
 public:
  static absl::StatusOr<QtestEndpoint> Open(std::string_view spec);
  QtestEndpoint(QtestEndpoint&& other) noexcept;
  QtestEndpoint& operator=(QtestEndpoint&&) = delete;
  ~QtestEndpoint();

  int in() const { return socket_.valid() ? socket_.get() : STDIN_FILENO; }
  int out() const { return socket_.valid() ? socket_.get() : STDOUT_FILENO; }

 private:
  QtestEndpoint(base::UniqueFd socket, std::string socket_path)
      : socket_(std::move(socket)), socket_path_(std::move(socket_path)) {}
  base::UniqueFd socket_;    // the connection; stdio when invalid
  std::string socket_path_;  // a listening socket's file, removed at the end
};

// Lets another thread hold the session between commands (the control API
// pausing a --qtest VM) and end it (vm.shutdown).
class QtestGate {
 public:
  virtual ~QtestGate() = default;
  // Around each command: BeginCommand waits while the VM is paused.
  virtual void BeginCommand() = 0;
  virtual void EndCommand() = 0;
  // Readable when the session should end; -1 for never.
  virtual int stop_fd() = 0;
};

// Serves until end of input (or `gate`'s stop). Fails only if the reply
// stream breaks.
absl::Status ServeQtest(QtestSession& session, int in_fd, int out_fd,
                        QtestGate* gate = nullptr);

}  // namespace vmm

#endif  // VMM_QTEST_QTEST_SERVER_H_
