#include "vmm/qtest/qtest_server.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"

namespace vmm {
namespace {

absl::Status Errno(std::string_view what) {
  return absl::ErrnoToStatus(errno,
                             absl::string_view(what.data(), what.size()));
}

// The listening socket's file, removed when SIGINT or SIGTERM ends the
// process (the handler may only use async-signal-safe calls).
char g_socket_path[sizeof(sockaddr_un::sun_path)];

void RemoveSocketAndDie(int signal_number) {
  unlink(g_socket_path);
  // Die of the signal, so the exit status is the conventional one.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigaction(signal_number, &default_action, nullptr);
  raise(signal_number);
}

absl::StatusOr<base::UniqueFd> UnixSocket(const std::string& path,
                                          bool server) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("qtest: bad unix socket path '%s'", path));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Errno("qtest: socket");
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  if (!server) {
    if (connect(fd.get(), raw, sizeof(address)) != 0) {
      return Errno(absl::StrFormat("qtest: connect to %s", path));
    }
    return fd;
  }
  unlink(path.c_str());  // A stale socket from an earlier run.
  std::memcpy(g_socket_path, path.c_str(), path.size() + 1);
  struct sigaction stop {};
  stop.sa_handler = RemoveSocketAndDie;
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);
  if (bind(fd.get(), raw, sizeof(address)) != 0 || listen(fd.get(), 1) != 0) {
    return Errno(absl::StrFormat("qtest: listen on %s", path));
  }
  base::UniqueFd client(accept4(fd.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!client.valid()) return Errno("qtest: accept");
  return client;  // The listening socket closes here: one client only.
}

bool WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

absl::StatusOr<QtestEndpoint> QtestEndpoint::Open(std::string_view spec) {
  if (spec == "stdio") return QtestEndpoint(base::UniqueFd(), "");
  if (spec.substr(0, 5) == "unix:") {
    std::string path(spec.substr(5));
    bool server = false;
    if (const size_t comma = path.find(','); comma != std::string::npos) {
      if (path.substr(comma + 1) != "server") {
        return absl::InvalidArgumentError(absl::StrFormat(
            "qtest: unknown option '%s' in '%s' (only ',server')",
            path.substr(comma + 1), spec));
      }
      server = true;
      path.resize(comma);
    }
    absl::StatusOr<base::UniqueFd> fd = UnixSocket(path, server);
    if (!fd.ok()) return fd.status();
    return QtestEndpoint(*std::move(fd), server ? path : "");
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("qtest: unknown endpoint '%s' (use stdio, unix:PATH or "
                      "unix:PATH,server)",
                      spec));
}

QtestEndpoint::QtestEndpoint(QtestEndpoint&& other) noexcept
    : socket_(std::move(other.socket_)),
      socket_path_(std::exchange(other.socket_path_, std::string())) {}

QtestEndpoint::~QtestEndpoint() {
  // As QEMU does, leave no stale socket file behind.
  if (!socket_path_.empty()) unlink(socket_path_.c_str());
}

absl::Status ServeQtest(QtestSession& session, int in_fd, int out_fd,
                        QtestGate* gate) {
  // A client that goes away must end the session, not kill the process.
  signal(SIGPIPE, SIG_IGN);
  std::string buffer;
  bool discarding = false;  // Inside a line that was too long.
  char chunk[65536];
  while (true) {
    if (gate != nullptr && gate->stop_fd() >= 0) {
      pollfd fds[2] = {{in_fd, POLLIN, 0}, {gate->stop_fd(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return absl::ErrnoToStatus(errno, "qtest: poll");
      }
      if ((fds[1].revents & POLLIN) != 0) return absl::OkStatus();
    }
    const ssize_t n = read(in_fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return absl::OkStatus();  // End of input (or a broken peer).
    buffer.append(chunk, static_cast<size_t>(n));
    size_t start = 0;
    while (true) {
      const size_t newline = buffer.find('\n', start);
      if (newline == std::string::npos) break;
      std::string reply;
      if (discarding || newline - start > kMaxLineLength) {
        discarding = false;
        reply = "FAIL line too long";
      } else {
        if (gate != nullptr) gate->BeginCommand();
        reply = session.HandleLine(
            std::string_view(buffer).substr(start, newline - start));
        if (gate != nullptr) gate->EndCommand();
      }
      reply.push_back('\n');
      if (!WriteAll(out_fd, reply)) {
        return absl::UnavailableError("qtest: the client went away");
      }
      start = newline + 1;
    }
    buffer.erase(0, start);
    if (buffer.size() > kMaxLineLength) {
      discarding = true;
      buffer.clear();
    }
  }
}

}  // namespace vmm
