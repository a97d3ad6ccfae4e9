// QtestClient: the client side of QEMU's qtest text protocol, over a Unix
// stream socket. Each command line gets exactly one reply line; `OK` and
// `OK <value>` are successes, anything else (`FAIL ...`, `ERR ...`) is an
// error. Asynchronous `IRQ ...` lines, which QEMU sends only after
// `irq_intercept_*`, are skipped.
//
//   ASSIGN_OR_RETURN(auto client, QtestClient::Connect("/tmp/q.sock", 10000));
//   RETURN_IF_ERROR(client->OutW(0x510, 0x0000));
//   ASSIGN_OR_RETURN(uint8_t q, client->InB(0x511));   // 'Q'
//
// Every wait (connect, accept, send, each reply) gives up after the timeout
// with absl::DeadlineExceededError, so a silent peer never hangs the caller.
// Commands may be pipelined with Transact(): all lines are sent, then all
// replies read. Keep a batch's replies well under the socket buffer (a few
// hundred short replies), or the two sides can block on each other.

#ifndef TOOLS_FWCFG_QTEST_CLIENT_H_
#define TOOLS_FWCFG_QTEST_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/unique_fd.h"

namespace fwcfg {

class QtestClient {
 public:
  // Connects to a qtest server listening on the Unix socket `path` (our
  // `vmm --qtest unix:PATH,server`, QEMU's `-qtest unix:PATH,server=on`).
  static absl::StatusOr<std::unique_ptr<QtestClient>> Connect(
      const std::string& path, int timeout_ms);
  // Over a connected stream socket.
  static std::unique_ptr<QtestClient> FromFd(base::UniqueFd fd, int timeout_ms);

  QtestClient(const QtestClient&) = delete;
  QtestClient& operator=(const QtestClient&) = delete;

  // Sends one command (no newline) and returns what follows "OK" in the
  // reply, without the separating space ("" for a plain `OK`).
  absl::StatusOr<std::string> Command(std::string_view command);
  // Sends all commands, then reads one reply per command; fails on the
  // first reply that is not OK (the later replies are still consumed).
  absl::StatusOr<std::vector<std::string>> Transact(
      absl::Span<const std::string> commands);

  // Typed commands. Port and memory values are as qtest prints them: the
  // little-endian value of the bytes the access moves.
  absl::Status OutB(uint16_t port, uint8_t value);
  absl::Status OutW(uint16_t port, uint16_t value);
  absl::Status OutL(uint16_t port, uint32_t value);
  absl::StatusOr<uint8_t> InB(uint16_t port);
  absl::Status WriteW(uint64_t address, uint16_t value);
  absl::Status WriteL(uint64_t address, uint32_t value);
  absl::Status WriteQ(uint64_t address, uint64_t value);
  absl::StatusOr<uint64_t> ReadQ(uint64_t address);
  // `read ADDR LEN` and `write ADDR LEN 0xHEX` (LEN > 0).
  absl::StatusOr<std::vector<uint8_t>> Read(uint64_t address, uint32_t length);
  absl::Status Write(uint64_t address, absl::Span<const uint8_t> data);

  int timeout_ms() const { return timeout_ms_; }

 private:
  QtestClient(base::UniqueFd fd, int timeout_ms)
      : fd_(std::move(fd)), timeout_ms_(timeout_ms) {}

  absl::Status SendAll(std::string_view text);
  absl::StatusOr<std::string> ReadLine();

  base::UniqueFd fd_;  // invalid once dropped after a stream error
  int timeout_ms_;
  std::string buffer_;  // received bytes not yet returned as lines
};

// Listens on a Unix socket for a qtest server that connects as a client
// (QEMU's `-qtest unix:PATH`, our `vmm --qtest unix:PATH`). The socket file
// is removed when the listener is destroyed.
class QtestListener {
 public:
  // Fails if PATH exists (it is never removed unless this listener made it).
  static absl::StatusOr<std::unique_ptr<QtestListener>> Create(
      const std::string& path);
  QtestListener(const QtestListener&) = delete;
  QtestListener& operator=(const QtestListener&) = delete;
  ~QtestListener();

  // Waits up to `timeout_ms` for the server to connect.
  absl::StatusOr<std::unique_ptr<QtestClient>> Accept(int timeout_ms);

  const std::string& path() const { return path_; }

 private:
  QtestListener(base::UniqueFd fd, std::string path)
      : fd_(std::move(fd)), path_(std::move(path)) {}
  base::UniqueFd fd_;
  std::string path_;
};

// Hex digits of `data` (lower case, two per byte) and their inverse; the
// inverse fails on odd lengths and non-hex characters.
std::string ToHex(absl::Span<const uint8_t> data);
absl::StatusOr<std::vector<uint8_t>> FromHex(std::string_view hex);

// Parses the value of an `OK 0x...` reply (after "OK ").
absl::StatusOr<uint64_t> ParseReplyValue(std::string_view value);

// The `read ADDR LEN` command line and the parse of its reply value (after
// "OK "): exactly 0x and 2*LEN hex digits.
std::string ReadCommand(uint64_t address, uint32_t length);
absl::StatusOr<std::vector<uint8_t>> ParseReadReply(std::string_view reply,
                                                    uint32_t length);
// The `write ADDR LEN 0xHEX` command line (`data` not empty).
std::string WriteCommand(uint64_t address, absl::Span<const uint8_t> data);

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_QTEST_CLIENT_H_
