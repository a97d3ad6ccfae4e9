#include "fw_cfg/file_directory.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/item.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::shared_ptr<Item> Item3() { return *MakeStringItem("abc"); }

std::vector<std::string> Names(const FwCfgDirectory& directory) {
  std::vector<std::string> names;
  for (const auto& file : directory.files()) names.push_back(file.name);
  return names;
}

TEST(FileDirectory, SortsByNameBytewise) {
  FwCfgDirectory directory(0x20);
  // Names that sort before and after QEMU's own, and bytes >= 0x80, which
  // strcmp orders as unsigned.
  for (const char* name : {"opt/z", "bootorder", "etc/e820", "opt/a", "A",
                           "opt/\xc3\xa9", "opt/_"}) {
    ASSERT_TRUE(directory.Add(name, Item3()).ok()) << name;
  }
  EXPECT_THAT(Names(directory),
              ElementsAre("A", "bootorder", "etc/e820", "opt/_", "opt/a",
                          "opt/z", "opt/\xc3\xa9"));
  EXPECT_EQ(directory.Find(0x20), directory.files()[0].item.get());
  EXPECT_EQ(directory.Find(0x26), directory.files()[6].item.get());
  EXPECT_EQ(directory.Find(0x27), nullptr);
  EXPECT_EQ(directory.Find(0x19), nullptr);
}

// QEMU's fw_cfg_add_file trace reports this position ("#N").
TEST(FileDirectory, AddReturnsTheSortedPosition) {
  FwCfgDirectory directory(0x20);
  EXPECT_EQ(directory.Add("etc/e820", Item3()).value_or(99), 0u);
  EXPECT_EQ(directory.Add("opt/z", Item3()).value_or(99), 1u);
  EXPECT_EQ(directory.Add("bootorder", Item3()).value_or(99), 0u);
  EXPECT_EQ(directory.Add("opt/a", Item3()).value_or(99), 2u);
  EXPECT_EQ(directory.Add("opt/a", Item3()).status().code(),
            absl::StatusCode::kAlreadyExists);
}

TEST(FileDirectory, EncodesQemusFormat) {
  FwCfgDirectory directory(0x20);
  // The position each name takes at the time it is added.
  EXPECT_EQ(directory.Add("opt/b", Item3()).value_or(99), 0u);
  EXPECT_EQ(directory.Add("opt/a", *MakeBytesItem(std::vector<uint8_t>(0x1234)))
                .value_or(99),
            0u);
  const std::vector<uint8_t> bytes = directory.Encode();
  ASSERT_EQ(bytes.size(), 4u + 2 * 64);
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 4),
              ElementsAre(0, 0, 0, 2));
  // opt/a: size 0x1234 BE, key 0x0020 BE, reserved 0, name NUL-padded.
  EXPECT_THAT(
      std::vector<uint8_t>(bytes.begin() + 4, bytes.begin() + 18),
      ElementsAre(0, 0, 0x12, 0x34, 0, 0x20, 0, 0, 'o', 'p', 't', '/', 'a', 0));
  EXPECT_EQ(bytes[4 + 63], 0);
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin() + 68, bytes.begin() + 76),
              ElementsAre(0, 0, 0, 3, 0, 0x21, 0, 0));
}

TEST(FileDirectory, NameRules) {
  FwCfgDirectory directory(0x20);
  const std::string name55(55, 'n');
  EXPECT_TRUE(directory.Add(name55, Item3()).ok());
  const std::vector<uint8_t> bytes = directory.Encode();
  EXPECT_EQ(bytes[4 + 8 + 54], 'n');
  EXPECT_EQ(bytes[4 + 8 + 55], 0);  // Still NUL-terminated.
  EXPECT_EQ(directory.Add(std::string(56, 'n'), Item3()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(directory.Add("", Item3()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(directory.Add(std::string("a\0b", 3), Item3()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(directory.Add("opt/x", nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(FileDirectory, DuplicatesCompareWholeNames) {
  FwCfgDirectory directory(0x20);
  ASSERT_TRUE(directory.Add("opt/name", Item3()).ok());
  absl::Status status = directory.Add("opt/name", Item3()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(std::string(status.message()), HasSubstr("duplicate"));
  // A prefix or extension is a different name (StratoVirt compared prefixes).
  EXPECT_TRUE(directory.Add("opt/nam", Item3()).ok());
  EXPECT_TRUE(directory.Add("opt/name2", Item3()).ok());
  // Two 55-byte names differing only in the last byte.
  EXPECT_TRUE(directory.Add(std::string(54, 'x') + "1", Item3()).ok());
  EXPECT_TRUE(directory.Add(std::string(54, 'x') + "2", Item3()).ok());
}

TEST(FileDirectory, SlotLimit) {
  FwCfgDirectory directory(2);
  ASSERT_TRUE(directory.Add("opt/1", Item3()).ok());
  ASSERT_TRUE(directory.Add("opt/2", Item3()).ok());
  absl::Status status = directory.Add("opt/3", Item3()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(directory.files().size(), 2u);
}

TEST(FwCfgFiles, ManyMoreFilesThanQemusDefault) {
  // More than 10 files (bhyve overflowed its table there), and more than
  // 0x20 with the limit raised.
  auto device =
      FwCfg::Create(nullptr, FwCfgOptions{.file_slots = 0x3fe0, .dma = false});
  ASSERT_TRUE(device.ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(
        (*device)
            ->AddFile("opt/f" + std::to_string(1000 + i), MakeLe32Item(i))
            .ok());
  }
  const std::vector<FileInfo> files = (*device)->ListFiles();
  ASSERT_EQ(files.size(), 1000u);
  EXPECT_EQ(files[999].name, "opt/f1999");
  EXPECT_EQ(files[999].key, 0x20 + 999);
  EXPECT_EQ(files[999].size, 4u);
  EXPECT_FALSE(
      FwCfg::Create(nullptr, FwCfgOptions{.file_slots = 0x3fe1, .dma = false})
          .ok());
  EXPECT_FALSE(FwCfg::Create(nullptr, FwCfgOptions{}).ok());  // DMA, no RAM.
}

TEST(FwCfgFiles, AddingAFileRenumbersThoseAfterIt) {
  auto device = *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
  ASSERT_TRUE(device->AddFile("opt/b", *MakeStringItem("B")).ok());
  EXPECT_EQ(device->ListFiles()[0].key, 0x20);
  ASSERT_TRUE(device->AddFile("opt/a", *MakeStringItem("A")).ok());
  const std::vector<FileInfo> files = device->ListFiles();
  EXPECT_EQ(files[0].name, "opt/a");
  EXPECT_EQ(files[0].key, 0x20);
  EXPECT_EQ(files[1].name, "opt/b");
  EXPECT_EQ(files[1].key, 0x21);  // As on QEMU.
  uint8_t byte[1];
  device->Select(0x21);
  device->ReadData(byte);
  EXPECT_EQ(byte[0], 'B');
}

TEST(FwCfgItems, NumberedKeyRules) {
  auto device = *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
  EXPECT_TRUE(device->SetItem(kRamSize, MakeLe64Item(1 << 28)).ok());
  EXPECT_EQ(device->SetItem(kRamSize, MakeLe64Item(1)).code(),
            absl::StatusCode::kAlreadyExists);
  for (uint16_t key : {kSignature, kId, kFileDir, uint16_t{0x20},
                       uint16_t{0x4003}, uint16_t{0x8020}, uint16_t{0xffff}}) {
    EXPECT_EQ(device->SetItem(key, MakeLe16Item(1)).code(),
              absl::StatusCode::kInvalidArgument)
        << key;
  }
  EXPECT_TRUE(device->SetItem(kX86E820Table, MakeLe16Item(1)).ok());
  EXPECT_TRUE(device->SetItem(0x801f, MakeLe16Item(1)).ok());
  EXPECT_FALSE(device->SetItem(kUuid, nullptr).ok());
  uint8_t bytes[8];
  device->Select(kRamSize);
  device->ReadData(bytes);
  EXPECT_THAT(bytes, ElementsAre(0, 0, 0, 0x10, 0, 0, 0, 0));
}

}  // namespace
}  // namespace fw_cfg
