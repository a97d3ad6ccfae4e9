#include "tools/fwcfg/qtest_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/test_util.h"

namespace fwcfg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The server end of a socketpair, answering each line with Reply(line) on a
// thread; an empty reply means "say nothing".
class FakeServer {
 public:
  explicit FakeServer(std::function<std::string(const std::string&)> reply)
      : reply_(std::move(reply)) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    client_fd_ = fds[0];
    server_fd_ = fds[1];
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeServer() {
    shutdown(server_fd_, SHUT_RDWR);
    thread_.join();
    close(server_fd_);
  }

  // The client end; the caller owns it.
  int TakeClientFd() { return client_fd_; }
  std::vector<std::string> lines() {
    return lines_;  // Read after the client is done.
  }

 private:
  void Serve() {
    std::string buffer;
    char chunk[4096];
    while (true) {
      const ssize_t n = read(server_fd_, chunk, sizeof(chunk));
      if (n <= 0) return;
      buffer.append(chunk, static_cast<size_t>(n));
      size_t newline;
      while ((newline = buffer.find('\n')) != std::string::npos) {
        const std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        lines_.push_back(line);
        const std::string reply = reply_(line);
        if (!reply.empty() &&
            write(server_fd_, reply.data(), reply.size()) < 0) {
          return;
        }
      }
    }
  }

  std::function<std::string(const std::string&)> reply_;
  int client_fd_ = -1;
  int server_fd_ = -1;
  std::thread thread_;
  std::vector<std::string> lines_;
};

TEST(QtestClientTest, TypedCommandsFormatAndParse) {
  FakeServer server([](const std::string& line) -> std::string {
    if (line == "inb 0x511") return "OK 0x0051\n";
    if (line == "readq 0x9020000") return "OK 0x00000000554d4551\n";
    if (line == "read 0x100000 3") return "OK 0x0102ff\n";
    return "OK\n";
  });
  auto client =
      QtestClient::FromFd(base::UniqueFd(server.TakeClientFd()), 5000);
  EXPECT_TRUE(client->OutW(0x510, 0x19).ok());
  EXPECT_TRUE(client->OutL(0x518, 0x00100000).ok());
  EXPECT_EQ(*client->InB(0x511), 0x51);
  EXPECT_EQ(*client->ReadQ(0x9020000), 0x554d4551u);
  EXPECT_THAT(*client->Read(0x100000, 3), ElementsAre(0x01, 0x02, 0xff));
  const uint8_t data[] = {0x00, 0xab, 0x10};
  EXPECT_TRUE(client->Write(0x100000, data).ok());
  EXPECT_TRUE(client->WriteW(0x9020008, 0x1900).ok());
  EXPECT_TRUE(client->WriteQ(0x9020010, 0x0000104000000000).ok());
  client.reset();
  EXPECT_THAT(
      server.lines(),
      ElementsAre("outw 0x510 0x19", "outl 0x518 0x100000", "inb 0x511",
                  "readq 0x9020000", "read 0x100000 3",
                  "write 0x100000 3 0x00ab10", "writew 0x9020008 0x1900",
                  "writeq 0x9020010 0x104000000000"));
}

TEST(QtestClientTest, FailReplyIsAnErrorAndTheStreamStaysInStep) {
  FakeServer server([](const std::string& line) -> std::string {
    if (line == "bogus") return "FAIL Unknown command 'bogus'\n";
    if (line == "inb 0x511") return "OK 0x0045\n";
    return "OK\n";
  });
  auto client =
      QtestClient::FromFd(base::UniqueFd(server.TakeClientFd()), 5000);
  const std::vector<std::string> batch = {"outw 0x510 0x0", "bogus",
                                          "inb 0x511"};
  absl::StatusOr<std::vector<std::string>> replies = client->Transact(batch);
  ASSERT_FALSE(replies.ok());
  EXPECT_EQ(replies.status().message(),
            "qtest: 'bogus' answered 'FAIL Unknown command 'bogus''");
  // The reply to the batch's last command was consumed: the next command
  // gets its own reply.
  EXPECT_EQ(*client->InB(0x511), 0x45);
}

TEST(QtestClientTest, SkipsIrqLinesAndCarriageReturns) {
  FakeServer server([](const std::string&) -> std::string {
    return "IRQ raise 4\nOK 0x0001\r\n";
  });
  auto client =
      QtestClient::FromFd(base::UniqueFd(server.TakeClientFd()), 5000);
  EXPECT_EQ(*client->InB(0x511), 1);
}

TEST(QtestClientTest, SilentServerTimesOut) {
  FakeServer server([](const std::string&) -> std::string { return ""; });
  auto client = QtestClient::FromFd(base::UniqueFd(server.TakeClientFd()), 200);
  const auto start = std::chrono::steady_clock::now();
  absl::StatusOr<uint8_t> value = client->InB(0x511);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(value.status().message(), "qtest: no reply within 200 ms");
  EXPECT_GE(elapsed, std::chrono::milliseconds(190));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  // The connection is dropped: a late reply must not answer a new command.
  EXPECT_THAT(std::string(client->InB(0x511).status().message()),
              HasSubstr("dropped"));
}

TEST(QtestClientTest, ClosedConnectionIsAnError) {
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  close(fds[1]);
  auto client = QtestClient::FromFd(base::UniqueFd(fds[0]), 5000);
  absl::StatusOr<uint8_t> value = client->InB(0x511);
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.status().code(), absl::StatusCode::kUnavailable);
}

TEST(QtestClientTest, MalformedReadReplies) {
  FakeServer server([](const std::string& line) -> std::string {
    if (line == "read 0x0 2") return "OK 0x01\n";
    if (line == "read 0x0 1") return "OK 0xzz\n";
    return "OK junk\n";
  });
  auto client =
      QtestClient::FromFd(base::UniqueFd(server.TakeClientFd()), 5000);
  EXPECT_THAT(std::string(client->Read(0, 2).status().message()),
              HasSubstr("expected 0x and 4 hex digits"));
  EXPECT_THAT(std::string(client->Read(0, 1).status().message()),
              HasSubstr("bad hex"));
  EXPECT_THAT(std::string(client->InB(0x511).status().message()),
              HasSubstr("expected a hex value, got 'junk'"));
}

TEST(QtestClientTest, ConnectToNothingFails) {
  testing::TempDir dir;
  absl::StatusOr<std::unique_ptr<QtestClient>> client =
      QtestClient::Connect(dir.Join("none.sock"), 1000);
  ASSERT_FALSE(client.ok());
  EXPECT_THAT(std::string(client.status().message()),
              HasSubstr("none.sock: No such file or directory"));
  client = QtestClient::Connect(std::string(200, 'x'), 1000);
  EXPECT_EQ(client.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(QtestClientTest, ListenerAcceptsAndTimesOut) {
  testing::TempDir dir;
  const std::string path = dir.Join("l.sock");
  {
    absl::StatusOr<std::unique_ptr<QtestListener>> listener =
        QtestListener::Create(path);
    ASSERT_TRUE(listener.ok()) << listener.status();
    // A second listener must not steal (or delete) the path.
    EXPECT_FALSE(QtestListener::Create(path).ok());
    absl::StatusOr<std::unique_ptr<QtestClient>> none =
        (*listener)->Accept(100);
    EXPECT_EQ(none.status().code(), absl::StatusCode::kDeadlineExceeded);

    // The peer plays QEMU started with `-qtest unix:PATH`: it connects,
    // then answers commands.
    std::thread peer([&path] {
      const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un address{};
      address.sun_family = AF_UNIX;
      std::memcpy(address.sun_path, path.data(), path.size());
      ASSERT_EQ(
          connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
          0);
      std::string line;
      char c;
      while (read(fd, &c, 1) == 1 && c != '\n') line.push_back(c);
      EXPECT_EQ(line, "inb 0x511");
      const std::string reply = "OK 0x0051\n";
      EXPECT_EQ(write(fd, reply.data(), reply.size()),
                static_cast<ssize_t>(reply.size()));
      close(fd);
    });
    absl::StatusOr<std::unique_ptr<QtestClient>> client =
        (*listener)->Accept(5000);
    EXPECT_TRUE(client.ok()) << client.status();
    if (client.ok()) EXPECT_EQ(*(*client)->InB(0x511), 0x51);
    peer.join();
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0) << "the socket file was left";
}

TEST(QtestClientTest, HexHelpers) {
  const uint8_t data[] = {0x00, 0x7f, 0x80, 0xff};
  EXPECT_EQ(ToHex(data), "007f80ff");
  EXPECT_THAT(*FromHex("007F80ff"), ElementsAre(0x00, 0x7f, 0x80, 0xff));
  EXPECT_FALSE(FromHex("abc").ok());
  EXPECT_EQ(*ParseReplyValue("0x0000000000000051"), 0x51u);
  EXPECT_EQ(*ParseReplyValue("0xffffffffffffffff"), UINT64_MAX);
  EXPECT_FALSE(ParseReplyValue("0x").ok());
  EXPECT_FALSE(ParseReplyValue("51").ok());
  EXPECT_FALSE(ParseReplyValue("0x10000000000000000").ok());
}

}  // namespace
}  // namespace fwcfg
