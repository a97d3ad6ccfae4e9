// The command line's own checks: usage errors (exit 2, one line), --help,
// and transport failures that need no device.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/test_util.h"

namespace fwcfg {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::RunCli;
using ::testing::StartsWith;

TEST(CliTest, HelpGoesToStdout) {
  for (const char* flag : {"--help", "-h"}) {
    const testing::RunResult result = RunCli({flag});
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_THAT(result.out,
                StartsWith("Usage: fwcfg [TRANSPORT] [OPTIONS] list\n"));
    EXPECT_THAT(result.out, HasSubstr("--qtest listen:PATH"));
    EXPECT_EQ(result.err, "");
  }
}

struct UsageCase {
  std::vector<std::string> args;
  std::string message;  // expected within the line
};

class UsageTest : public ::testing::TestWithParam<UsageCase> {};

TEST_P(UsageTest, ExitsTwoWithOneLine) {
  const testing::RunResult result = RunCli(GetParam().args);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_THAT(result.err, StartsWith("fwcfg: "));
  EXPECT_THAT(result.err, EndsWith("(see --help)\n"));
  EXPECT_EQ(result.err.find('\n'), result.err.size() - 1) << result.err;
  EXPECT_THAT(result.err, HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, UsageTest,
    ::testing::Values(
        UsageCase{{}, "no command"},
        UsageCase{{"lst"}, "unknown command 'lst'"},
        UsageCase{{"--frob", "list"}, "unknown option '--frob'"},
        UsageCase{{"--qtest", "tcp:1234", "list"}, "expected unix:PATH"},
        UsageCase{{"--qtest", "unix:", "list"}, "expected unix:PATH"},
        UsageCase{{"list", "--qtest"}, "--qtest needs a value"},
        UsageCase{{"--qtest", "unix:/a", "--sysfs", "list"}, "alternatives"},
        UsageCase{{"--layout", "x86", "list"}, "need --qtest"},
        UsageCase{{"--no-dma", "list"}, "need --qtest"},
        UsageCase{{"--qtest", "unix:/a", "--layout", "sparc", "list"},
                  "expected x86, mmio or mmio:BASE, got 'sparc'"},
        UsageCase{{"--qtest", "unix:/a", "--layout", "mmio:0xzz", "list"},
                  "bad MMIO base"},
        UsageCase{{"--qtest", "unix:/a", "--dma-buffer", "-1", "list"},
                  "bad address"},
        UsageCase{{"--timeout", "0", "list"}, "--timeout"},
        UsageCase{{"--timeout", "ten", "list"}, "--timeout"},
        UsageCase{{"--size", "4", "--size", "4", "dump", "0x0"},
                  "--size given twice"},
        UsageCase{{"list", "extra"}, "list takes no arguments"},
        UsageCase{{"dump"}, "dump takes one ITEM"},
        UsageCase{{"verify", "opt/a"}, "verify takes ITEM and FILE"},
        UsageCase{{"list", "-o", "x"}, "-o is only for dump"},
        UsageCase{{"dump", "opt/a", "--size", "5"},
                  "--size is only for numbered keys"},
        UsageCase{{"dump", "0x0", "--size", "4294967296"},
                  "--size: expected a byte count"},
        UsageCase{{"dump", "0x10000", "--size", "1"}, "bad key '0x10000'"},
        UsageCase{{"dump", "0xq"}, "bad key '0xq'"},
        UsageCase{{"--qtest", "unix:" + std::string(120, 'p'), "list"},
                  "the socket path is 120 bytes, longer than 107"}));

TEST(CliTest, NoServerIsARuntimeFailure) {
  testing::TempDir dir;
  const testing::RunResult result =
      RunCli({"--qtest", "unix:" + dir.Join("nobody.sock"), "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "fwcfg: qtest: connect to " + dir.Join("nobody.sock") +
                            ": No such file or directory\n");
}

TEST(CliTest, ListenGivesUpAfterTheTimeout) {
  testing::TempDir dir;
  const std::string path = dir.Join("wait.sock");
  const testing::RunResult result =
      RunCli({"--qtest", "listen:" + path, "--timeout", "0.2", "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            "fwcfg: qtest: nothing connected to " + path + " within 200 ms\n");
}

// A listening socket made by the test itself, playing a broken server.
int ListenOn(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            0);
  EXPECT_EQ(listen(fd, 1), 0);
  return fd;
}

TEST(CliTest, SilentServerTimesOut) {
  testing::TempDir dir;
  const std::string path = dir.Join("silent.sock");
  // Connections complete in the backlog; nobody ever answers.
  const int fd = ListenOn(path);
  const testing::RunResult result =
      RunCli({"--qtest", "unix:" + path, "--timeout", "0.3", "list"});
  close(fd);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "fwcfg: qtest: no reply within 300 ms\n");
}

TEST(CliTest, FailAndErrRepliesAreRuntimeFailures) {
  for (const std::string reply :
       {"FAIL Unknown command 'outw'", "ERR invalid argument size"}) {
    testing::TempDir dir;
    const std::string path = dir.Join("fail.sock");
    const int fd = ListenOn(path);
    std::thread server([fd, reply] {
      const int client = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
      ASSERT_GE(client, 0);
      char c;
      while (read(client, &c, 1) == 1) {
        if (c != '\n') continue;
        const std::string line = reply + "\n";
        if (write(client, line.data(), line.size()) < 0) break;
      }
      close(client);
    });
    const testing::RunResult result =
        RunCli({"--qtest", "unix:" + path, "list"});
    server.join();
    close(fd);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err,
              "fwcfg: qtest: 'outw 0x510 0x0' answered '" + reply + "'\n");
  }
}

}  // namespace
}  // namespace fwcfg
