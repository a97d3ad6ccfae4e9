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
