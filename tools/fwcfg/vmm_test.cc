// fwcfg against our vmm: `vmm --qtest unix:SOCK,server` runs as a child
// process (one per connection: it exits when its client goes away), and the
// tests drive it through the library and through the fwcfg binary, on both
// register layouts, with DMA and through the data register.

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "fw_cfg/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/qtest_client.h"
#include "tools/fwcfg/qtest_reader.h"
#include "tools/fwcfg/reader.h"
#include "tools/fwcfg/test_util.h"

namespace fwcfg {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int kTimeoutMs = 20000;
constexpr size_t kBigSize = 1 << 20;

struct Layout {
  const char* vmm;     // --layout for the vmm
  const char* fwcfg;   // --layout for fwcfg
  QtestLayout layout;  // for the library
};
constexpr Layout kX86 = {"x86_64", "x86", QtestLayout::kX86};
constexpr Layout kMmio = {"arm-virt", "mmio", QtestLayout::kMmio};

class VmmTest : public ::testing::TestWithParam<Layout> {
 protected:
  void SetUp() override {
    vmm_ = testing::Runfile("vmm/vmm");
    fwcfg_ = testing::Runfile("tools/fwcfg/fwcfg");
    ASSERT_EQ(access(vmm_.c_str(), X_OK), 0) << vmm_;
    ASSERT_EQ(access(fwcfg_.c_str(), X_OK), 0) << fwcfg_;
    medium_ = testing::PatternBytes(3001, 7);  // odd: not a multiple of 8
    big_ = testing::PatternBytes(kBigSize, 8);
    medium_path_ = dir_.Join("medium.bin");
    big_path_ = dir_.Join("big.bin");
    ASSERT_TRUE(testing::WriteFile(medium_path_, medium_).ok());
    ASSERT_TRUE(testing::WriteFile(big_path_, big_).ok());
  }

  void TearDown() override {
    // Every vmm must have gone away with its client.
    for (auto& [child, stderr_path] : vmms_) {
      absl::StatusOr<base::ExitStatus> how =
          child.Wait(absl::Milliseconds(kTimeoutMs));
      EXPECT_TRUE(how.ok()) << "the vmm outlived its client: " << how.status();
      if (how.ok()) {
        EXPECT_TRUE(how->success())
            << how->ToString() << ": " << *testing::ReadFile(stderr_path);
      }
    }
  }

  std::string ItemsConfig() const {
    return absl::StrFormat(
        // No ACPI files: the listing below is QEMU's boot configuration
        // files, etc/e820 and the user's items.
        "acpi_table=off,"
        "items=[name=opt/a,string=\"hello\":name=opt/medium,file=\"%s\":"
        "name=opt/big,file=\"%s\"]",
        medium_path_, big_path_);
  }

  // Starts a vmm serving qtest on a new socket and returns the socket path
  // once it listens.
  std::string StartVmm(const std::string& fw_cfg_config = "") {
    const std::string socket =
        dir_.Join(absl::StrFormat("vmm%d.sock", vmms_.size()));
    const std::string stderr_path =
        dir_.Join(absl::StrFormat("vmm%d.err", vmms_.size()));
    absl::StatusOr<base::Subprocess> child = base::Subprocess::Start(
        {vmm_, "--qtest", "unix:" + socket + ",server", "--layout",
         GetParam().vmm, "--memory", "size=64M", "--fw-cfg-config",
         fw_cfg_config.empty() ? ItemsConfig() : fw_cfg_config},
        {.stderr_path = stderr_path});
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return socket;
    absl::Status listening =
        testing::WaitForListeningSocket(socket, kTimeoutMs, &*child);
    EXPECT_TRUE(listening.ok())
        << listening << ": " << *testing::ReadFile(stderr_path);
    vmms_.emplace_back(*std::move(child), stderr_path);
    return socket;
  }

  std::unique_ptr<QtestReader> Connect(bool allow_dma) {
    const std::string socket = StartVmm();
    absl::StatusOr<std::unique_ptr<QtestClient>> client =
        QtestClient::Connect(socket, kTimeoutMs);
    EXPECT_TRUE(client.ok()) << client.status();
    if (!client.ok()) return nullptr;
    absl::StatusOr<std::unique_ptr<QtestReader>> reader = QtestReader::Create(
        *std::move(client), QtestReaderOptions{.layout = GetParam().layout,
                                               .allow_dma = allow_dma});
    EXPECT_TRUE(reader.ok()) << reader.status();
    if (!reader.ok()) return nullptr;
    return *std::move(reader);
  }

  // Runs the fwcfg binary against a fresh vmm.
  testing::RunResult RunFwcfg(std::vector<std::string> args,
                              const std::string& fw_cfg_config = "") {
    const std::string socket = StartVmm(fw_cfg_config);
    std::vector<std::string> argv = {fwcfg_, "--qtest", "unix:" + socket,
                                     "--layout", GetParam().fwcfg};
    argv.insert(argv.end(), args.begin(), args.end());
    return testing::RunBinary(argv, 120000);
  }

  // What `list` prints for the items of ItemsConfig(). As in QEMU, file
  // keys follow the names' order, not the order the items were given in.
  std::string ExpectedListing() const {
    if (GetParam().layout == QtestLayout::kX86) {
      // QEMU's boot configuration files, etc/e820, the user's items.
      return "0x0020        0  bios-geometry\n"
             "0x0021        0  bootorder\n"
             "0x0022        4  etc/boot-fail-wait\n"
             "0x0023       20  etc/e820\n"
             "0x0024        5  opt/a\n"
             "0x0025  1048576  opt/big\n"
             "0x0026     3001  opt/medium\n";
    }
    return "0x0020        5  opt/a\n"
           "0x0021  1048576  opt/big\n"
           "0x0022     3001  opt/medium\n";
  }

  testing::TempDir dir_;
  std::string vmm_;
  std::string fwcfg_;
  std::string medium_, big_;
  std::string medium_path_, big_path_;
  std::vector<std::pair<base::Subprocess, std::string>> vmms_;
};

TEST_P(VmmTest, LibraryListsTheDirectory) {
  std::unique_ptr<QtestReader> reader = Connect(/*allow_dma=*/true);
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->features(),
            fw_cfg::kFeatureTraditional | fw_cfg::kFeatureDma);
  EXPECT_TRUE(reader->uses_dma());
  EXPECT_EQ(reader->Describe(),
            GetParam().layout == QtestLayout::kX86
                ? "qtest, x86 ports 0x510, DMA through 0x100000"
                : "qtest, MMIO 0x09020000, DMA through 0x40100000");
  absl::StatusOr<std::vector<FileEntry>> files = reader->ListFiles();
  ASSERT_TRUE(files.ok()) << files.status();
  std::vector<std::string> names;
  for (size_t i = 0; i < files->size(); ++i) {
    names.push_back((*files)[i].name);
    if (i > 0) EXPECT_LT((*files)[i - 1].key, (*files)[i].key);
  }
  EXPECT_THAT(names,
              ::testing::IsSupersetOf({"opt/a", "opt/medium", "opt/big"}));
  if (GetParam().layout == QtestLayout::kX86) {
    EXPECT_THAT(names, ::testing::Contains("etc/e820"));
  }
  absl::StatusOr<FileEntry> big = FindFile(*reader, "opt/big");
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->size, kBigSize);
}

// Everything read through DMA equals what the data register gives, and
// both equal the host's bytes: numbered keys, the directory and files.
TEST_P(VmmTest, LibraryDmaAndDataRegisterAgree) {
  std::vector<std::vector<uint8_t>> results[2];
  for (bool dma : {true, false}) {
    std::unique_ptr<QtestReader> reader = Connect(dma);
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->uses_dma(), dma);
    absl::StatusOr<std::vector<FileEntry>> files = reader->ListFiles();
    ASSERT_TRUE(files.ok()) << files.status();
    std::vector<std::vector<uint8_t>>& out = results[dma ? 0 : 1];
    // The signature, 8 bytes of it (past its end reads as zeros).
    absl::StatusOr<std::vector<uint8_t>> signature =
        ReadItemBytes(*reader, fw_cfg::kSignature, 8);
    ASSERT_TRUE(signature.ok()) << signature.status();
    EXPECT_EQ(std::string(signature->begin(), signature->end()),
              std::string("QEMU\0\0\0\0", 8));
    out.push_back(*signature);
    absl::StatusOr<std::vector<uint8_t>> directory =
        ReadItemBytes(*reader, fw_cfg::kFileDir, 4 + files->size() * 64);
    ASSERT_TRUE(directory.ok()) << directory.status();
    out.push_back(*directory);
    for (const FileEntry& file : *files) {
      absl::StatusOr<std::vector<uint8_t>> bytes =
          ReadItemBytes(*reader, file.key, file.size);
      ASSERT_TRUE(bytes.ok()) << file.name << ": " << bytes.status();
      const std::string text(bytes->begin(), bytes->end());
      if (file.name == "opt/a") EXPECT_EQ(text, "hello");
      if (file.name == "opt/medium") EXPECT_EQ(text, medium_);
      if (file.name == "opt/big") EXPECT_TRUE(text == big_) << "1 MiB differs";
      out.push_back(*std::move(bytes));
    }
  }
  EXPECT_TRUE(results[0] == results[1]);
}

TEST_P(VmmTest, BinaryListsTheDirectory) {
  const testing::RunResult result = RunFwcfg({"list"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, ExpectedListing());
  EXPECT_EQ(result.err, "");
  // The same through the data register.
  const testing::RunResult slow = RunFwcfg({"--no-dma", "list"});
  EXPECT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(slow.out, ExpectedListing());
}

TEST_P(VmmTest, BinaryDumpsItems) {
  testing::RunResult result = RunFwcfg({"dump", "opt/a"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "hello");

  const std::string output = dir_.Join("big.out");
  result = RunFwcfg({"dump", "opt/big", "-o", output});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_TRUE(*testing::ReadFile(output) == big_) << "1 MiB round trip";

  // Numbered keys: the signature and the features word (3: DMA).
  result = RunFwcfg({"dump", "0x0000", "--size", "4"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "QEMU");
  result = RunFwcfg({"dump", "0x1", "--size=4"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, std::string("\x03\0\0\0", 4));

  // A key that is not a file needs --size; one that is takes its size.
  result = RunFwcfg({"dump", "0x0019"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("give its size with --size N"));
  // The first file that has bytes: etc/e820 on x86, opt/a on arm.
  const bool x86 = GetParam().layout == QtestLayout::kX86;
  result = RunFwcfg({"dump", x86 ? "0x0023" : "0x0020"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out.size(), x86 ? 20u : 5u);
}

TEST_P(VmmTest, BinaryDataRegisterMatchesDma) {
  const std::string fast = dir_.Join("fast.out");
  const std::string slow = dir_.Join("slow.out");
  testing::RunResult result = RunFwcfg({"dump", "opt/medium", "-o", fast});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  result = RunFwcfg({"--no-dma", "dump", "opt/medium", "-o", slow});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(*testing::ReadFile(fast), medium_);
  EXPECT_EQ(*testing::ReadFile(slow), medium_);
}

TEST_P(VmmTest, BinaryVerifies) {
  testing::RunResult result = RunFwcfg({"verify", "opt/big", big_path_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "match\n");

  std::string changed = big_;
  changed[700001] ^= 1;
  const std::string other = dir_.Join("changed.bin");
  ASSERT_TRUE(testing::WriteFile(other, changed).ok());
  result = RunFwcfg({"verify", "opt/big", other});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "differ: opt/big and " + other +
                            " first differ at offset 700001 (0xaae61); item "
                            "1048576 bytes, file 1048576 bytes\n");

  ASSERT_TRUE(testing::WriteFile(other, "hello!").ok());
  result = RunFwcfg({"--no-dma", "verify", "opt/a", other});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "differ: opt/a and " + other +
                            " first differ at offset 5 (0x5); item 5 bytes, "
                            "file 6 bytes\n");
}

TEST_P(VmmTest, BinaryMissingNameFailsWithOneLine) {
  const testing::RunResult result = RunFwcfg({"dump", "opt/nope"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            absl::StrFormat("fwcfg: no file named 'opt/nope' in the fw_cfg "
                            "directory (%d files; see `list`)\n",
                            GetParam().layout == QtestLayout::kX86 ? 7 : 3));
}

TEST_P(VmmTest, BinaryReportsAMissingDevice) {
  const testing::RunResult result = RunFwcfg({"list"}, "disable");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err,
            GetParam().layout == QtestLayout::kX86
                ? "fwcfg: no fw_cfg device at x86 ports 0x510: its signature "
                  "reads ff ff ff ff, not \"QEMU\"\n"
                : "fwcfg: no fw_cfg device at MMIO 0x09020000: its signature "
                  "reads 00 00 00 00, not \"QEMU\"\n");
}

TEST_P(VmmTest, BinaryRejectsADmaBufferOutsideRam) {
  // 64 MiB of RAM: at 0x10000000 (x86) or 0x50000000 (arm) there is none.
  const std::string buffer =
      GetParam().layout == QtestLayout::kX86 ? "0x10000000" : "0x50000000";
  const testing::RunResult result =
      RunFwcfg({"--dma-buffer", buffer, "dump", "opt/a"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("fwcfg: the DMA buffer at " + buffer +
                                     " is not guest RAM"));
}

TEST_P(VmmTest, BinaryListensForTheServer) {
  // fwcfg listens; the vmm connects as QEMU's `-qtest unix:PATH` would.
  const std::string socket = dir_.Join("listen.sock");
  const std::string out = dir_.Join("listen.out");
  const std::string err = dir_.Join("listen.err");
  absl::StatusOr<base::Subprocess> tool =
      base::Subprocess::Start({fwcfg_, "--qtest", "listen:" + socket,
                               "--layout", GetParam().fwcfg, "list"},
                              {.stdout_path = out, .stderr_path = err});
  ASSERT_TRUE(tool.ok()) << tool.status();
  ASSERT_TRUE(testing::WaitForListeningSocket(socket, kTimeoutMs, &*tool).ok())
      << *testing::ReadFile(err);
  absl::StatusOr<base::Subprocess> vmm = base::Subprocess::Start(
      {vmm_, "--qtest", "unix:" + socket, "--layout", GetParam().vmm,
       "--memory", "size=64M", "--fw-cfg-config", ItemsConfig()});
  ASSERT_TRUE(vmm.ok()) << vmm.status();
  absl::StatusOr<base::ExitStatus> how =
      tool->Wait(absl::Milliseconds(kTimeoutMs));
  ASSERT_TRUE(how.ok()) << how.status();
  EXPECT_TRUE(how->success()) << how->ToString() << *testing::ReadFile(err);
  EXPECT_EQ(*testing::ReadFile(out), ExpectedListing());
  absl::StatusOr<base::ExitStatus> vmm_code =
      vmm->Wait(absl::Milliseconds(kTimeoutMs));
  EXPECT_TRUE(vmm_code.ok()) << vmm_code.status();
  // The listener removed its socket.
  EXPECT_NE(access(socket.c_str(), F_OK), 0);
}

INSTANTIATE_TEST_SUITE_P(Layouts, VmmTest, ::testing::Values(kX86, kMmio),
                         [](const ::testing::TestParamInfo<Layout>& info) {
                           return info.param.layout == QtestLayout::kX86
                                      ? "x86"
                                      : "mmio";
                         });

}  // namespace
}  // namespace fwcfg
