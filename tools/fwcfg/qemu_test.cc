// fwcfg against real QEMU, when it is installed (skipped otherwise). QEMU
// serves qtest with `-qtest unix:SOCK,server=on,wait=off` and keeps running
// after a client disconnects, so each test kills and reaps it.
//
// QEMU's own file list is what QEMU 7.2 shows (docs/guest-visible-behaviour.md,
// "File slots"); only files every recent version has are asserted.

#include <unistd.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/qtest_client.h"
#include "tools/fwcfg/qtest_reader.h"
#include "tools/fwcfg/reader.h"
#include "tools/fwcfg/test_util.h"

namespace fwcfg {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr int kTimeoutMs = 60000;

class QemuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fwcfg_ = testing::Runfile("tools/fwcfg/fwcfg");
    ASSERT_EQ(access(fwcfg_.c_str(), X_OK), 0) << fwcfg_;
  }

  void TearDown() override {
    if (qemu_) qemu_->Stop(absl::Seconds(5));  // SIGTERM, then SIGKILL
  }

  // Starts QEMU listening for qtest on a socket; returns false (after
  // GTEST_SKIP) when the program is missing.
  bool StartQemu(const std::string& program,
                 const std::vector<std::string>& machine) {
    std::optional<std::string> path = testing::FindProgram(program);
    if (!path) return false;
    socket_ = dir_.Join("qemu.sock");
    stderr_path_ = dir_.Join("qemu.err");
    std::vector<std::string> argv = {*path};
    argv.insert(argv.end(), machine.begin(), machine.end());
    for (const char* arg :
         {"-S", "-accel", "tcg", "-qtest-log", "/dev/null", "-display", "none",
          "-nodefaults", "-m", "256M", "-fw_cfg", "name=opt/t,string=hello"}) {
      argv.push_back(arg);
    }
    argv.push_back("-qtest");
    argv.push_back("unix:" + socket_ + ",server=on,wait=off");
    absl::StatusOr<base::Subprocess> child =
        base::Subprocess::Start(argv, {.stderr_path = stderr_path_});
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return true;
    qemu_.emplace(*std::move(child));
    const absl::Status listening =
        testing::WaitForListeningSocket(socket_, kTimeoutMs, &*qemu_);
    EXPECT_TRUE(listening.ok())
        << listening << ": " << *testing::ReadFile(stderr_path_);
    return true;
  }

  testing::RunResult Fwcfg(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {fwcfg_, "--qtest", "unix:" + socket_};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunBinary(argv, kTimeoutMs);
  }

  testing::TempDir dir_;
  std::string fwcfg_;
  std::string socket_;
  std::string stderr_path_;
  std::optional<base::Subprocess> qemu_;
};

TEST_F(QemuTest, X86ListDumpVerify) {
  if (!StartQemu("qemu-system-x86_64", {"-M", "q35"})) {
    GTEST_SKIP() << "qemu-system-x86_64 is not installed: skipping the "
                    "comparison with real QEMU";
  }
  ASSERT_TRUE(qemu_.has_value());
  // QEMU serves one client after another on the same socket.
  testing::RunResult list = Fwcfg({"list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out,
              MatchesRegex("(.|\n)*0x00[0-9a-f]{2} +5  opt/t\n(.|\n)*"));
  EXPECT_THAT(list.out,
              MatchesRegex("(.|\n)*0x00[0-9a-f]{2} +40  etc/e820\n(.|\n)*"));
  EXPECT_THAT(list.out, HasSubstr("  etc/table-loader\n"));

  const testing::RunResult slow = Fwcfg({"--no-dma", "list"});
  EXPECT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(slow.out, list.out);

  testing::RunResult dump = Fwcfg({"dump", "opt/t"});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(dump.out, "hello");
  dump = Fwcfg({"dump", "0x0000", "--size", "4"});
  EXPECT_EQ(dump.out, "QEMU");

  // etc/e820 through DMA and through the data register.
  const std::string fast = dir_.Join("e820.dma");
  const std::string data = dir_.Join("e820.data");
  EXPECT_EQ(Fwcfg({"dump", "etc/e820", "-o", fast}).exit_code, 0);
  EXPECT_EQ(Fwcfg({"--no-dma", "dump", "etc/e820", "-o", data}).exit_code, 0);
  EXPECT_EQ(testing::ReadFile(fast)->size(), 40u);
  EXPECT_EQ(*testing::ReadFile(fast), *testing::ReadFile(data));

  const std::string hello = dir_.Join("hello");
  ASSERT_TRUE(testing::WriteFile(hello, "hello").ok());
  testing::RunResult verify = Fwcfg({"verify", "opt/t", hello});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
  EXPECT_EQ(verify.out, "match\n");
  ASSERT_TRUE(testing::WriteFile(hello, "help").ok());
  verify = Fwcfg({"verify", "opt/t", hello});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.out, HasSubstr("at offset 3 (0x3); item 5 bytes, file 4 "
                                    "bytes"));

  // A 128 KiB file (two DMA chunks) read both ways through the library.
  std::vector<uint8_t> tables[2];
  for (bool dma : {true, false}) {
    absl::StatusOr<std::unique_ptr<QtestClient>> client =
        QtestClient::Connect(socket_, kTimeoutMs);
    ASSERT_TRUE(client.ok()) << client.status();
    absl::StatusOr<std::unique_ptr<QtestReader>> reader = QtestReader::Create(
        *std::move(client), QtestReaderOptions{.allow_dma = dma});
    ASSERT_TRUE(reader.ok()) << reader.status();
    EXPECT_EQ((*reader)->uses_dma(), dma);
    absl::StatusOr<FileEntry> file = FindFile(**reader, "etc/acpi/tables");
    ASSERT_TRUE(file.ok()) << file.status();
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ReadItemBytes(**reader, file->key, file->size);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    tables[dma ? 0 : 1] = *std::move(bytes);
  }
  EXPECT_EQ(tables[0].size(), 131072u);
  EXPECT_TRUE(tables[0] == tables[1]);
}

TEST_F(QemuTest, ArmVirtMmio) {
  if (!StartQemu("qemu-system-aarch64", {"-M", "virt"})) {
    GTEST_SKIP() << "qemu-system-aarch64 is not installed: skipping the MMIO "
                    "comparison with real QEMU";
  }
  ASSERT_TRUE(qemu_.has_value());
  const testing::RunResult list = Fwcfg({"--layout", "mmio", "list"});
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_THAT(list.out,
              MatchesRegex("(.|\n)*0x00[0-9a-f]{2} +5  opt/t\n(.|\n)*"));
  EXPECT_THAT(list.out, HasSubstr("  etc/table-loader\n"));
  const testing::RunResult slow =
      Fwcfg({"--layout", "mmio:0x09020000", "--no-dma", "list"});
  EXPECT_EQ(slow.out, list.out);
  const testing::RunResult dump = Fwcfg({"--layout", "mmio", "dump", "opt/t"});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  EXPECT_EQ(dump.out, "hello");
}

TEST(QemuListenTest, QemuConnectsToTheTool) {
  const std::optional<std::string> qemu =
      testing::FindProgram("qemu-system-x86_64");
  if (!qemu) GTEST_SKIP() << "qemu-system-x86_64 is not installed";
  testing::TempDir dir;
  const std::string socket = dir.Join("listen.sock");
  const std::string out = dir.Join("out");
  const std::string err = dir.Join("err");
  absl::StatusOr<base::Subprocess> tool = base::Subprocess::Start(
      {testing::Runfile("tools/fwcfg/fwcfg"), "--qtest", "listen:" + socket,
       "--timeout", "60", "dump", "opt/t"},
      {.stdout_path = out, .stderr_path = err});
  ASSERT_TRUE(tool.ok()) << tool.status();
  ASSERT_TRUE(testing::WaitForListeningSocket(socket, kTimeoutMs, &*tool).ok());
  absl::StatusOr<base::Subprocess> vm = base::Subprocess::Start(
      {*qemu, "-M", "q35", "-S", "-accel", "tcg", "-qtest", "unix:" + socket,
       "-qtest-log", "/dev/null", "-display", "none", "-nodefaults", "-m",
       "256M", "-fw_cfg", "name=opt/t,string=hello"});
  ASSERT_TRUE(vm.ok()) << vm.status();
  absl::StatusOr<base::ExitStatus> how =
      tool->Wait(absl::Milliseconds(kTimeoutMs));
  vm->Stop(absl::Seconds(5));
  ASSERT_TRUE(how.ok()) << how.status();
  EXPECT_TRUE(how->success()) << how->ToString() << *testing::ReadFile(err);
  EXPECT_EQ(*testing::ReadFile(out), "hello");
}

}  // namespace
}  // namespace fwcfg
