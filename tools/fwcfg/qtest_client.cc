#include "tools/fwcfg/qtest_client.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace fwcfg {
namespace {

// No reply we ask for is longer than this (`read` of 64 KiB is 128 KiB).
constexpr size_t kMaxReplyLength = 16 << 20;

// A peer that went away is Unavailable, as at end of stream; any other
// failure maps its errno as absl does.
absl::Status Errno(std::string_view what, int error) {
  if (error == EPIPE || error == ECONNRESET) {
    return absl::UnavailableError("qtest: the server closed the connection");
  }
  return absl::ErrnoToStatus(error,
                             absl::string_view(what.data(), what.size()));
}

absl::StatusOr<sockaddr_un> UnixAddress(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "qtest: unix socket path '%s' is empty or longer than %d bytes", path,
        sizeof(address.sun_path) - 1));
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// What a command looked like, for messages: `write` lines carry long data.
std::string Abbreviate(std::string_view command) {
  constexpr size_t kMax = 60;
  if (command.size() <= kMax) return std::string(command);
  return absl::StrFormat("%s...", command.substr(0, kMax));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

absl::Status CheckReply(std::string_view command, const std::string& line,
                        std::string* value) {
  if (line == "OK") {
    value->clear();
    return absl::OkStatus();
  }
  if (line.rfind("OK ", 0) == 0) {
    *value = line.substr(3);
    return absl::OkStatus();
  }
  return absl::FailedPreconditionError(absl::StrFormat(
      "qtest: '%s' answered '%s'", Abbreviate(command), Abbreviate(line)));
}

}  // namespace

std::string ToHex(absl::Span<const uint8_t> data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex(2 * data.size(), '0');
  for (size_t i = 0; i < data.size(); ++i) {
    hex[2 * i] = kDigits[data[i] >> 4];
    hex[2 * i + 1] = kDigits[data[i] & 0xf];
  }
  return hex;
}

absl::StatusOr<std::vector<uint8_t>> FromHex(std::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError("odd number of hex digits");
  }
  std::vector<uint8_t> data(hex.size() / 2);
  for (size_t i = 0; i < data.size(); ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(
          absl::StrFormat("bad hex digit at %d", 2 * i));
    }
    data[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return data;
}

absl::StatusOr<uint64_t> ParseReplyValue(std::string_view value) {
  if (value.size() < 3 || value.size() > 18 || value[0] != '0' ||
      (value[1] != 'x' && value[1] != 'X')) {
    return absl::DataLossError(
        absl::StrFormat("qtest: expected a hex value, got '%s'", value));
  }
  uint64_t result = 0;
  for (char c : value.substr(2)) {
    const int digit = HexValue(c);
    if (digit < 0) {
      return absl::DataLossError(
          absl::StrFormat("qtest: expected a hex value, got '%s'", value));
    }
    result = result << 4 | static_cast<uint64_t>(digit);
  }
  return result;
}

absl::StatusOr<std::unique_ptr<QtestClient>> QtestClient::Connect(
    const std::string& path, int timeout_ms) {
  ASSIGN_OR_RETURN(const sockaddr_un address, UnixAddress(path));
  base::UniqueFd fd(
      socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errno("qtest: socket", errno);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address),
                sizeof(address)) == 0) {
      break;
    }
    // A full backlog answers EAGAIN on a non-blocking Unix socket: retry.
    if ((errno == EAGAIN || errno == EINTR) &&
        std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    return Errno(absl::StrFormat("qtest: connect to %s", path), errno);
  }
  return FromFd(std::move(fd), timeout_ms);
}

std::unique_ptr<QtestClient> QtestClient::FromFd(base::UniqueFd fd,
                                                 int timeout_ms) {
  const int flags = fcntl(fd.get(), F_GETFL);
  if (flags >= 0) fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK);
  return std::unique_ptr<QtestClient>(
      new QtestClient(std::move(fd), timeout_ms));
}

absl::Status QtestClient::SendAll(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = send(fd_.get(), text.data(), text.size(), MSG_NOSIGNAL);
    if (n > 0) {
      text.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd waiting{.fd = fd_.get(), .events = POLLOUT, .revents = 0};
      const int ready = poll(&waiting, 1, timeout_ms_);
      if (ready < 0 && errno != EINTR) return Errno("qtest: poll", errno);
      if (ready == 0) {
        return absl::DeadlineExceededError(absl::StrFormat(
            "qtest: the server took no input for %d ms", timeout_ms_));
      }
      continue;
    }
    return Errno("qtest: send", errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> QtestClient::ReadLine() {
  size_t scanned = 0;
  while (true) {
    const size_t newline = buffer_.find('\n', scanned);
    if (newline != std::string::npos) {
      std::string line = buffer_.substr(0, newline);
      buffer_.erase(0, newline + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
    scanned = buffer_.size();
    if (buffer_.size() > kMaxReplyLength) {
      return absl::DataLossError(absl::StrFormat(
          "qtest: reply line longer than %d bytes", kMaxReplyLength));
    }
    pollfd waiting{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    const int ready = poll(&waiting, 1, timeout_ms_);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Errno("qtest: poll", errno);
    }
    if (ready == 0) {
      return absl::DeadlineExceededError(
          absl::StrFormat("qtest: no reply within %d ms", timeout_ms_));
    }
    char chunk[65536];
    const ssize_t n = recv(fd_.get(), chunk, sizeof(chunk), 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return Errno("qtest: recv", errno);
    }
    if (n == 0) {
      return absl::UnavailableError("qtest: the server closed the connection");
    }
    buffer_.append(chunk, static_cast<size_t>(n));
  }
}

absl::StatusOr<std::string> QtestClient::Command(std::string_view command) {
  const std::string one[] = {std::string(command)};
  ASSIGN_OR_RETURN(std::vector<std::string> replies, Transact(one));
  return std::move(replies[0]);
}

absl::StatusOr<std::vector<std::string>> QtestClient::Transact(
    absl::Span<const std::string> commands) {
  if (!fd_.valid()) {
    return absl::FailedPreconditionError(
        "qtest: the connection was dropped after an earlier error");
  }
  std::string text;
  for (const std::string& command : commands) {
    if (command.find('\n') != std::string::npos) {
      return absl::InvalidArgumentError("qtest: a command contains a newline");
    }
    text.append(command);
    text.push_back('\n');
  }
  std::vector<std::string> values(commands.size());
  absl::Status first_error;
  absl::Status stream = SendAll(text);
  for (size_t i = 0; stream.ok() && i < commands.size(); ++i) {
    absl::StatusOr<std::string> line = ReadLine();
    while (line.ok() && line->rfind("IRQ ", 0) == 0) line = ReadLine();
    if (!line.ok()) {
      stream = line.status();
      break;
    }
    // Read every reply of the batch, even after a failure, so that the
    // stream stays in step for later commands.
    absl::Status reply = CheckReply(commands[i], *line, &values[i]);
    if (first_error.ok()) first_error = reply;
  }
  if (!stream.ok()) {
    // Replies are unaccounted for: refuse to pair later commands with them.
    fd_.reset();
    return stream;
  }
  if (!first_error.ok()) return first_error;
  return values;
}

absl::Status QtestClient::OutB(uint16_t port, uint8_t value) {
  return Command(absl::StrFormat("outb 0x%x 0x%x", port, value)).status();
}

absl::Status QtestClient::OutW(uint16_t port, uint16_t value) {
  return Command(absl::StrFormat("outw 0x%x 0x%x", port, value)).status();
}

absl::Status QtestClient::OutL(uint16_t port, uint32_t value) {
  return Command(absl::StrFormat("outl 0x%x 0x%x", port, value)).status();
}

absl::StatusOr<uint8_t> QtestClient::InB(uint16_t port) {
  ASSIGN_OR_RETURN(const std::string reply,
                   Command(absl::StrFormat("inb 0x%x", port)));
  ASSIGN_OR_RETURN(const uint64_t value, ParseReplyValue(reply));
  return static_cast<uint8_t>(value);
}

absl::Status QtestClient::WriteW(uint64_t address, uint16_t value) {
  return Command(absl::StrFormat("writew 0x%x 0x%x", address, value)).status();
}

absl::Status QtestClient::WriteL(uint64_t address, uint32_t value) {
  return Command(absl::StrFormat("writel 0x%x 0x%x", address, value)).status();
}

absl::Status QtestClient::WriteQ(uint64_t address, uint64_t value) {
  return Command(absl::StrFormat("writeq 0x%x 0x%x", address, value)).status();
}

absl::StatusOr<uint64_t> QtestClient::ReadQ(uint64_t address) {
  ASSIGN_OR_RETURN(const std::string reply,
                   Command(absl::StrFormat("readq 0x%x", address)));
  return ParseReplyValue(reply);
}

absl::StatusOr<std::vector<uint8_t>> QtestClient::Read(uint64_t address,
                                                       uint32_t length) {
  if (length == 0) return std::vector<uint8_t>();
  ASSIGN_OR_RETURN(const std::string reply,
                   Command(ReadCommand(address, length)));
  return ParseReadReply(reply, length);
}

absl::Status QtestClient::Write(uint64_t address,
                                absl::Span<const uint8_t> data) {
  if (data.empty()) return absl::OkStatus();
  return Command(WriteCommand(address, data)).status();
}

std::string ReadCommand(uint64_t address, uint32_t length) {
  return absl::StrFormat("read 0x%x %d", address, length);
}

absl::StatusOr<std::vector<uint8_t>> ParseReadReply(std::string_view reply,
                                                    uint32_t length) {
  const size_t digits = 2 * static_cast<size_t>(length);
  if (reply.size() != 2 + digits || reply.substr(0, 2) != "0x") {
    return absl::DataLossError(absl::StrFormat(
        "qtest: a %d-byte read answered %d characters, expected 0x and %d "
        "hex digits",
        length, reply.size(), digits));
  }
  absl::StatusOr<std::vector<uint8_t>> data = FromHex(reply.substr(2));
  if (!data.ok()) {
    return absl::DataLossError(
        absl::StrFormat("qtest: a %d-byte read answered bad hex: %s", length,
                        data.status().message()));
  }
  return data;
}

std::string WriteCommand(uint64_t address, absl::Span<const uint8_t> data) {
  return absl::StrFormat("write 0x%x %d 0x%s", address, data.size(),
                         ToHex(data));
}

absl::StatusOr<std::unique_ptr<QtestListener>> QtestListener::Create(
    const std::string& path) {
  ASSIGN_OR_RETURN(const sockaddr_un address, UnixAddress(path));
  base::UniqueFd fd(
      socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return Errno("qtest: socket", errno);
  // bind() fails with EADDRINUSE if PATH exists: never remove a file we did
  // not create.
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&address),
           sizeof(address)) != 0) {
    return Errno(absl::StrFormat("qtest: bind %s", path), errno);
  }
  if (listen(fd.get(), 1) != 0) {
    absl::Status status =
        Errno(absl::StrFormat("qtest: listen on %s", path), errno);
    unlink(path.c_str());
    return status;
  }
  return std::unique_ptr<QtestListener>(new QtestListener(std::move(fd), path));
}

QtestListener::~QtestListener() { unlink(path_.c_str()); }

absl::StatusOr<std::unique_ptr<QtestClient>> QtestListener::Accept(
    int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    base::UniqueFd client(accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (client.valid())
      return QtestClient::FromFd(std::move(client), timeout_ms);
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      return Errno(absl::StrFormat("qtest: accept on %s", path_), errno);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "qtest: nothing connected to %s within %d ms", path_, timeout_ms));
    }
    pollfd waiting{.fd = fd_.get(), .events = POLLIN, .revents = 0};
    if (poll(&waiting, 1, static_cast<int>(left.count())) < 0 &&
        errno != EINTR) {
      return Errno("qtest: poll", errno);
    }
  }
}

}  // namespace fwcfg
