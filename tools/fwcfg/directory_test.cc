#include "tools/fwcfg/directory.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fwcfg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DirectoryTest, ParsesWireFormat) {
  // Two entries as QEMU lays them out: count, then size, key, reserved, name.
  std::vector<uint8_t> data = {0, 0, 0, 2};
  const auto entry = [&data](uint32_t size, uint16_t key, const char* name) {
    const uint8_t head[8] = {static_cast<uint8_t>(size >> 24),
                             static_cast<uint8_t>(size >> 16),
                             static_cast<uint8_t>(size >> 8),
                             static_cast<uint8_t>(size),
                             static_cast<uint8_t>(key >> 8),
                             static_cast<uint8_t>(key),
                             0,
                             0};
    data.insert(data.end(), head, head + 8);
    std::vector<uint8_t> field(56, 0);
    for (size_t i = 0; name[i] != '\0'; ++i) field[i] = name[i];
    data.insert(data.end(), field.begin(), field.end());
  };
  entry(0x14, 0x0021, "etc/acpi/rsdp");
  entry(0x00020000, 0x0020, "etc/acpi/tables");
  absl::StatusOr<std::vector<FileEntry>> files = ParseDirectory(data);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_THAT(*files, ElementsAre(FileEntry{0x21, 0x14, "etc/acpi/rsdp"},
                                  FileEntry{0x20, 0x20000, "etc/acpi/tables"}));
  EXPECT_EQ(EncodeDirectory(*files), data);
}

TEST(DirectoryTest, EmptyDirectory) {
  const std::vector<uint8_t> data = {0, 0, 0, 0};
  absl::StatusOr<std::vector<FileEntry>> files = ParseDirectory(data);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_TRUE(files->empty());
}

TEST(DirectoryTest, RoundTripsAFullLengthName) {
  const std::string name(55, 'n');
  const std::vector<FileEntry> files = {{0x3fff, 0xffffffff, name}};
  absl::StatusOr<std::vector<FileEntry>> parsed =
      ParseDirectory(EncodeDirectory(files));
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, files);
}

TEST(DirectoryTest, RejectsImpossibleCount) {
  // What a missing x86 device reads: all 0xff.
  const std::vector<uint8_t> data = {0xff, 0xff, 0xff, 0xff};
  EXPECT_THAT(ParseDirectoryCount(data).status().message(),
              HasSubstr("count 4294967295"));
  EXPECT_FALSE(ParseDirectory(data).ok());
  EXPECT_FALSE(ParseDirectoryCount(std::vector<uint8_t>{0, 0}).ok());
}

TEST(DirectoryTest, RejectsTruncatedAndMalformedEntries) {
  std::vector<uint8_t> data = EncodeDirectory({{0x20, 1, "a"}});
  data.resize(data.size() - 1);
  EXPECT_THAT(std::string(ParseDirectory(data).status().message()),
              HasSubstr("need 68 bytes, got 67"));

  data = EncodeDirectory({{0x20, 1, "a"}});
  for (size_t i = 12; i < data.size(); ++i) data[i] = 'x';  // no NUL
  EXPECT_THAT(std::string(ParseDirectory(data).status().message()),
              HasSubstr("no NUL"));

  data = EncodeDirectory({{0x20, 1, ""}});
  EXPECT_THAT(std::string(ParseDirectory(data).status().message()),
              HasSubstr("empty name"));
}

}  // namespace
}  // namespace fwcfg
