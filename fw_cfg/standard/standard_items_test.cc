#include "fw_cfg/standard/standard_items.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "linux-loader/e820.h"

namespace fw_cfg {
namespace {

using ::linux_loader::DecodeE820;
using ::linux_loader::E820Entry;
using ::linux_loader::kE820Ram;
using ::testing::ElementsAre;

using ::fw_cfg::testing::KeyOf;
using ::fw_cfg::testing::ReadKey;

std::shared_ptr<FwCfg> Device() { return testing::DeviceWithoutMemory(); }

TEST(StandardItems, MachineInfo) {
  auto device = Device();
  std::array<uint8_t, 16> uuid{};
  uuid[0] = 0xab;
  ASSERT_TRUE(AddMachineInfo(*device, {.ram_size = 0x10000000,
                                       .boot_cpus = 2,
                                       .max_cpus = 4,
                                       .nographic = true,
                                       .uuid = uuid})
                  .ok());
  // The values QEMU q35 -m 256 shows at 0x03, and u16 CPU counts.
  EXPECT_THAT(ReadKey(*device, kRamSize, 8),
              ElementsAre(0, 0, 0, 0x10, 0, 0, 0, 0));
  EXPECT_THAT(ReadKey(*device, kNbCpus, 2), ElementsAre(2, 0));
  EXPECT_THAT(ReadKey(*device, kMaxCpus, 2), ElementsAre(4, 0));
  EXPECT_THAT(ReadKey(*device, kNoGraphic, 2), ElementsAre(1, 0));
  EXPECT_EQ(ReadKey(*device, kUuid, 1)[0], 0xab);
  // A second call collides with the first.
  EXPECT_EQ(AddMachineInfo(*device, {}).code(),
            absl::StatusCode::kAlreadyExists);
}

// What QEMU 7.2 publishes on q35 and microvm without -boot options (qtest):
// bootorder and bios-geometry of size 0, etc/boot-fail-wait 4 bytes
// ff ff ff ff, and key 0x8002 reading 01 00 00 00.
TEST(StandardItems, BootConfigFilesAndIrq0Override) {
  auto device = Device();
  ASSERT_TRUE(AddBootConfigFiles(*device, {}).ok());
  ASSERT_TRUE(AddX86Irq0Override(*device).ok());
  std::vector<std::pair<std::string, uint32_t>> files;
  for (const FileInfo& file : device->ListFiles()) {
    files.emplace_back(file.name, file.size);
  }
  EXPECT_THAT(
      files,
      ElementsAre(std::pair<std::string, uint32_t>("bios-geometry", 0),
                  std::pair<std::string, uint32_t>("bootorder", 0),
                  std::pair<std::string, uint32_t>("etc/boot-fail-wait", 4)));
  EXPECT_THAT(ReadKey(*device, KeyOf(*device, "etc/boot-fail-wait"), 4),
              ElementsAre(0xff, 0xff, 0xff, 0xff));
  EXPECT_THAT(ReadKey(*device, kX86Irq0Override, 5),
              ElementsAre(1, 0, 0, 0, 0));
}

// QEMU with -kernel: bootorder is "/rom@genroms/linuxboot_dma.bin" and a
// NUL, 31 bytes (seen by Linux's qemu_fw_cfg under SeaBIOS); two devices
// are separated by a newline.
TEST(StandardItems, BootOrderLists) {
  auto device = Device();
  ASSERT_TRUE(
      AddBootConfigFiles(*device, {"/rom@genroms/linuxboot_dma.bin"}).ok());
  const std::vector<uint8_t> one =
      ReadKey(*device, KeyOf(*device, "bootorder"), 32);
  EXPECT_EQ(std::string(one.begin(), one.end()),
            std::string("/rom@genroms/linuxboot_dma.bin\0\0", 32));
  auto two = Device();
  ASSERT_TRUE(AddBootConfigFiles(*two, {"/a", "/b"}).ok());
  const std::vector<uint8_t> both = ReadKey(*two, KeyOf(*two, "bootorder"), 6);
  EXPECT_EQ(std::string(both.begin(), both.end()), std::string("/a\n/b\0", 6));
}

TEST(StandardItems, E820File) {
  auto device = Device();
  ASSERT_TRUE(AddE820File(*device, {{0, 0x9fc00, kE820Ram},
                                    {0x100000, 0x7f00000, kE820Ram}})
                  .ok());
  const uint16_t key = KeyOf(*device, "etc/e820");
  auto decoded = DecodeE820(ReadKey(*device, key, 40));
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(*decoded, ElementsAre(E820Entry{0, 0x9fc00, kE820Ram},
                                    E820Entry{0x100000, 0x7f00000, kE820Ram}));
  EXPECT_FALSE(AddE820File(*Device(), {{0, 0, kE820Ram}}).ok());
}

TEST(StandardItems, AcpiFiles) {
  auto device = Device();
  ASSERT_TRUE(AddAcpiFiles(*device, /*tables=*/{1, 2, 3},
                           /*rsdp=*/{'R', 'S', 'D'},
                           /*table_loader=*/std::vector<uint8_t>(128))
                  .ok());
  const std::vector<FileInfo> files = device->ListFiles();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].name, "etc/acpi/rsdp");
  EXPECT_EQ(files[1].name, "etc/acpi/tables");
  EXPECT_EQ(files[2].name, "etc/table-loader");
  EXPECT_EQ(files[2].size, 128u);
  EXPECT_THAT(ReadKey(*device, files[0].key, 3), ElementsAre('R', 'S', 'D'));
}

}  // namespace
}  // namespace fw_cfg
