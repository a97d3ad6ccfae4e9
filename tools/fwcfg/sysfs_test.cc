// The sysfs transport against a tree laid out as Linux's qemu_fw_cfg driver
// makes it, built under TEST_TMPDIR.

#include <sys/stat.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/reader.h"
#include "tools/fwcfg/sysfs_reader.h"
#include "tools/fwcfg/test_util.h"

namespace fwcfg {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using testing::RunCli;
using ::testing::StartsWith;

class SysfsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_.Join("qemu_fw_cfg");
    Mkdirs(root_ + "/by_key");
    Mkdirs(root_ + "/by_name");
    ASSERT_TRUE(testing::WriteFile(root_ + "/rev", "3\n").ok());
    e820_ = testing::PatternBytes(40, 1);
    big_ = testing::PatternBytes(70000, 2);
    AddFile(32, "etc/e820", e820_);
    AddFile(33, "opt/a", "hello");
    AddFile(35, "opt/org.example/big", big_);
  }

  void Mkdirs(const std::string& path) {
    for (size_t slash = 1; slash != std::string::npos;) {
      slash = path.find('/', slash + 1);
      mkdir(path.substr(0, slash).c_str(), 0755);
    }
  }

  // Writes by_key/KEY/{name,size,key,raw} and by_name/NAME/raw.
  void AddFile(int key, const std::string& name, const std::string& data) {
    const std::string entry = root_ + "/by_key/" + std::to_string(key);
    Mkdirs(entry);
    ASSERT_TRUE(testing::WriteFile(entry + "/name", name + "\n").ok());
    ASSERT_TRUE(
        testing::WriteFile(entry + "/size", std::to_string(data.size()) + "\n")
            .ok());
    ASSERT_TRUE(
        testing::WriteFile(entry + "/key", std::to_string(key) + "\n").ok());
    ASSERT_TRUE(testing::WriteFile(entry + "/raw", data).ok());
    Mkdirs(root_ + "/by_name/" + name);
    ASSERT_TRUE(
        testing::WriteFile(root_ + "/by_name/" + name + "/raw", data).ok());
  }

  testing::TempDir dir_{testing::TempDir::Use::kFiles};
  std::string root_;
  std::string e820_;
  std::string big_;
};

TEST_F(SysfsTest, LibraryListsAndReads) {
  absl::StatusOr<std::unique_ptr<SysfsReader>> reader =
      SysfsReader::Open(root_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->Describe(), "sysfs " + root_);
  absl::StatusOr<std::vector<FileEntry>> files = (*reader)->ListFiles();
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre(FileEntry{32, 40, "etc/e820"},
                                  FileEntry{33, 5, "opt/a"},
                                  FileEntry{35, 70000, "opt/org.example/big"}));
  absl::StatusOr<FileEntry> big = FindFile(**reader, "opt/org.example/big");
  ASSERT_TRUE(big.ok()) << big.status();
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ReadItemBytes(**reader, big->key, big->size);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(std::string(bytes->begin(), bytes->end()), big_);
  EXPECT_EQ(FindFile(**reader, "opt/none").status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(SysfsTest, ListCommandPrintsAlignedSortedLines) {
  const testing::RunResult result = RunCli({"--sysfs", root_, "list"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "0x0020     40  etc/e820\n"
            "0x0021      5  opt/a\n"
            "0x0023  70000  opt/org.example/big\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(SysfsTest, DumpToStdoutAndFile) {
  testing::RunResult result = RunCli({"--sysfs", root_, "dump", "opt/a"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "hello");

  const std::string output = dir_.Join("big.out");
  result =
      RunCli({"dump", "opt/org.example/big", "-o", output, "--sysfs=" + root_});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(*testing::ReadFile(output), big_);

  // A numbered key that is a file takes its size from the directory.
  result = RunCli({"--sysfs", root_, "dump", "0x0020"});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, e820_);
}

TEST_F(SysfsTest, VerifyMatchAndMismatch) {
  const std::string same = dir_.Join("same");
  ASSERT_TRUE(testing::WriteFile(same, big_).ok());
  testing::RunResult result =
      RunCli({"--sysfs", root_, "verify", "opt/org.example/big", same});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "match\n");

  std::string changed = big_;
  changed[65537] ^= 0x20;
  const std::string other = dir_.Join("other");
  ASSERT_TRUE(testing::WriteFile(other, changed + "tail").ok());
  result = RunCli({"--sysfs", root_, "verify", "opt/org.example/big", other});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "differ: opt/org.example/big and " + other +
                            " first differ at offset 65537 (0x10001); item "
                            "70000 bytes, file 70004 bytes\n");
  EXPECT_EQ(result.err, "");

  // A file that is a prefix of the item differs where it ends.
  ASSERT_TRUE(testing::WriteFile(other, "hel").ok());
  result = RunCli({"--sysfs", root_, "verify", "opt/a", other});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.out, HasSubstr("at offset 3 (0x3); item 5 bytes, file 3 "
                                    "bytes"));
}

TEST_F(SysfsTest, Errors) {
  testing::RunResult result = RunCli({"--sysfs", root_, "dump", "opt/missing"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "fwcfg: no file named 'opt/missing' in the fw_cfg directory (3 "
            "files; see `list`)\n");

  // Numbered keys other than files: sysfs does not have them.
  result = RunCli({"--sysfs", root_, "dump", "0x0000"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("give its size with --size N"));
  result = RunCli({"--sysfs", root_, "dump", "0x0000", "--size", "4"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("key 0x0000 is not in"));

  result = RunCli({"--sysfs", dir_.Join("nowhere"), "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, StartsWith("fwcfg: "));
  EXPECT_THAT(result.err, HasSubstr("qemu_fw_cfg module"));
  EXPECT_THAT(result.err, EndsWith(")\n"));

  // A failed dump leaves no partial output file behind.
  ASSERT_TRUE(testing::WriteFile(root_ + "/by_key/33/raw", "hel").ok());
  const std::string output = dir_.Join("a.out");
  result = RunCli({"--sysfs", root_, "dump", "opt/a", "-o", output});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("only 3 bytes, fewer than the 5"));
  EXPECT_FALSE(testing::ReadFile(output).ok());
}

TEST_F(SysfsTest, InconsistentKeyFileIsReported) {
  ASSERT_TRUE(testing::WriteFile(root_ + "/by_key/33/key", "34\n").ok());
  const testing::RunResult result = RunCli({"--sysfs", root_, "list"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.err, HasSubstr("by_key/33/key says 34, not 33"));
}

}  // namespace
}  // namespace fwcfg
