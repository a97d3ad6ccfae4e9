// A 2 GiB file item costs no memory until read (QEMU would load it whole),
// and serves DMA from any offset.

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "fw_cfg/file_item.h"
#include "fw_cfg/test_support.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using testing::X86Machine;

// Resident set size of this process, from /proc/self/status.
uint64_t RssBytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

class LargeFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = ::testing::TempDir() + "/large_file_test.img";
    const int fd = open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, kSize), 0);  // Sparse: no blocks.
    ASSERT_EQ(pwrite(fd, "head", 4, 0), 4);
    ASSERT_EQ(pwrite(fd, "tail", 4, kSize - 4), 4);
    close(fd);
  }
  void TearDown() override { unlink(path_.c_str()); }

  static constexpr uint64_t kSize = uint64_t{2} << 30;
  std::string path_;
};

TEST_F(LargeFileTest, TwoGibibyteItemCostsNoMemory) {
  X86Machine m;
  const uint64_t before = RssBytes();
  ASSERT_GT(before, 0u);
  auto item = MakeFileItem(path_);
  ASSERT_TRUE(item.ok()) << item.status();
  ASSERT_TRUE(m.device().AddFile("opt/initrd", *item).ok());
  EXPECT_EQ(m.device().ListFiles()[0].size, kSize);

  // Its last bytes through DMA: skip to the end, read 8 (4 of them past it).
  m.WriteDescriptor(0x1000, 0x0020000c, kSize - 4, 0);
  m.StartDma(0x1000);
  ASSERT_EQ(m.DescriptorControl(0x1000), 0u);
  m.WriteDescriptor(0x1000, 0x00000002, 8, 0x2000);
  m.StartDma(0x1000);
  ASSERT_EQ(m.DescriptorControl(0x1000), 0u);
  EXPECT_EQ(m.ReadRam(0x2000, 8),
            (std::vector<uint8_t>{'t', 'a', 'i', 'l', 0, 0, 0, 0}));
  // And its first bytes through the data port.
  EXPECT_EQ(m.ReadItem(0x20, 4), "head");

  const uint64_t after = RssBytes();
  // Reading the whole file into memory would add 2 GiB; allow noise.
  EXPECT_LT(after, before + (32 << 20))
      << "RSS grew from " << before << " to " << after;
}

TEST_F(LargeFileTest, TruncatedUnderTheDeviceReadsZeros) {
  X86Machine m;
  ASSERT_TRUE(m.device().AddFile("opt/initrd", *MakeFileItem(path_)).ok());
  ASSERT_EQ(truncate(path_.c_str(), 2), 0);
  m.WriteRam(0x2000, std::vector<uint8_t>(8, 0xee));
  m.WriteDescriptor(0x1000, 0x0020000a, 8, 0x2000);
  m.StartDma(0x1000);
  // The guest sees the announced size; what the file lost reads as zeros.
  EXPECT_EQ(m.DescriptorControl(0x1000), 0u);
  EXPECT_EQ(m.ReadRam(0x2000, 8),
            (std::vector<uint8_t>{'h', 'e', 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(m.ReadItem(0x20, 3), std::string("he\0", 3));
}

}  // namespace
}  // namespace fw_cfg
