#include "fw_cfg/standard/direct_boot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::HasSubstr;

std::string WriteFile(const std::string& name,
                      const std::vector<uint8_t>& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, bytes.data(), bytes.size()),
            static_cast<ssize_t>(bytes.size()));
  close(fd);
  return path;
}

void Put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = v & 0xff;
  b[at + 1] = v >> 8;
}
void Put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = (v >> (8 * i)) & 0xff;
}

// A boot-protocol 2.15 bzImage, written from the raw header offsets of
// Linux's Documentation/x86/boot.rst: 1 setup sector (1024 bytes of setup),
// loaded high, then 3000 bytes of "protected-mode kernel".
std::vector<uint8_t> BzImage() {
  std::vector<uint8_t> image(1024 + 3000, 0);
  image[0x1f1] = 1;                 // setup_sects
  Put32(image, 0x202, 0x53726448);  // "HdrS"
  Put16(image, 0x206, 0x020f);      // protocol 2.15
  image[0x211] = 0x01;              // loadflags: LOADED_HIGH
  Put32(image, 0x22c, 0x7fffffff);  // initrd_addr_max
  Put32(image, 0x238, 2047);        // cmdline_size
  for (size_t i = 1024; i < image.size(); ++i) image[i] = 'k';
  return image;
}

uint32_t ReadU32(FwCfg& device, uint16_t key) {
  uint8_t b[4];
  device.Select(key);
  device.ReadData(b);
  return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
}

std::vector<uint8_t> ReadBytes(FwCfg& device, uint16_t key, size_t n) {
  std::vector<uint8_t> bytes(n);
  device.Select(key);
  device.ReadData(absl::MakeSpan(bytes));
  return bytes;
}

TEST(DirectBoot, PublishesQemusKeys) {
  const std::string kernel = WriteFile("direct_boot_bzImage", BzImage());
  const std::string initrd =
      WriteFile("direct_boot_initrd", std::vector<uint8_t>(5000, 'i'));
  auto device = *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
  ASSERT_TRUE(AddX86DirectBoot(*device, {.kernel_path = kernel,
                                         .initrd_path = initrd,
                                         .cmdline = "console=ttyS0",
                                         .ram_below_4g = 256 << 20})
                  .ok());
  // Loaded high, protocol >= 2.02: setup at 0x10000, command line at
  // 0x20000, kernel at 1 MiB.
  EXPECT_EQ(ReadU32(*device, kSetupAddr), 0x10000u);
  EXPECT_EQ(ReadU32(*device, kSetupSize), 1024u);
  EXPECT_EQ(ReadU32(*device, kKernelAddr), 0x100000u);
  EXPECT_EQ(ReadU32(*device, kKernelSize), 3000u);
  EXPECT_EQ(ReadBytes(*device, kKernelData, 3001), [] {
    std::vector<uint8_t> v(3000, 'k');
    v.push_back(0);  // Past the end.
    return v;
  }());
  // initrd_max = min(0x7fffffff, 256 MiB - 0x28000 - 1) = 0x0ffd7fff;
  // address = (0x0ffd7fff - 5000) & ~4095 = 0x0ffd6000.
  EXPECT_EQ(ReadU32(*device, kInitrdAddr), 0x0ffd6000u);
  EXPECT_EQ(ReadU32(*device, kInitrdSize), 5000u);
  EXPECT_EQ(ReadBytes(*device, kInitrdData, 2),
            (std::vector<uint8_t>{'i', 'i'}));
  EXPECT_EQ(ReadU32(*device, kCmdlineAddr), 0x20000u);
  EXPECT_EQ(ReadU32(*device, kCmdlineSize), 14u);  // With its NUL.
  const std::vector<uint8_t> cmdline = ReadBytes(*device, kCmdlineData, 14);
  EXPECT_EQ(std::string(cmdline.begin(), cmdline.end()),
            std::string("console=ttyS0\0", 14));

  // The setup header as QEMU patches it.
  const std::vector<uint8_t> setup = ReadBytes(*device, kSetupData, 1024);
  EXPECT_EQ(setup[0x210], 0xb0);  // type_of_loader
  EXPECT_EQ(setup[0x211], 0x81);  // LOADED_HIGH | CAN_USE_HEAP
  EXPECT_EQ(setup[0x224] | setup[0x225] << 8, 0xfe00);  // heap_end_ptr
  EXPECT_EQ(setup[0x228] | setup[0x229] << 8 | setup[0x22a] << 16, 0x20000);
  EXPECT_EQ(setup[0x218] | setup[0x219] << 8 | setup[0x21a] << 16 |
                setup[0x21b] << 24,
            0x0ffd6000);
  EXPECT_EQ(setup[0x21c] | setup[0x21d] << 8, 5000);
  unlink(kernel.c_str());
  unlink(initrd.c_str());
}

TEST(DirectBoot, GroupsCanBeLeftOut) {
  const std::string kernel = WriteFile("direct_boot_bzImage2", BzImage());
  const std::string initrd =
      WriteFile("direct_boot_initrd2", std::vector<uint8_t>(100, 'i'));
  auto device = *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
  ASSERT_TRUE(AddX86DirectBoot(*device, {.kernel_path = kernel,
                                         .initrd_path = initrd,
                                         .cmdline = "quiet",
                                         .ram_below_4g = 256 << 20,
                                         .publish_initrd = false,
                                         .publish_cmdline = false})
                  .ok());
  EXPECT_EQ(ReadU32(*device, kKernelSize), 3000u);
  EXPECT_EQ(ReadU32(*device, kInitrdSize), 0u);  // Absent: reads 0.
  EXPECT_EQ(ReadU32(*device, kCmdlineSize), 0u);
  // The setup still says where the initrd would be: the plan is the same.
  EXPECT_NE(ReadBytes(*device, kSetupData, 0x220)[0x21c], 0);
  unlink(kernel.c_str());
  unlink(initrd.c_str());
}

TEST(DirectBoot, ErrorsNameTheFile) {
  auto device = *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
  absl::Status missing = AddX86DirectBoot(
      *device,
      {.kernel_path = "/nonexistent/bzImage", .ram_below_4g = 1 << 28});
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()),
              HasSubstr("/nonexistent/bzImage"));

  const std::string not_a_kernel =
      WriteFile("direct_boot_text", std::vector<uint8_t>(4096, 'x'));
  absl::Status bad = AddX86DirectBoot(
      *device, {.kernel_path = not_a_kernel, .ram_below_4g = 1 << 28});
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()), HasSubstr(not_a_kernel));

  const std::string kernel = WriteFile("direct_boot_bzImage3", BzImage());
  absl::Status no_initrd =
      AddX86DirectBoot(*device, {.kernel_path = kernel,
                                 .initrd_path = "/nonexistent/initrd",
                                 .ram_below_4g = 1 << 28});
  EXPECT_THAT(std::string(no_initrd.message()), HasSubstr("initramfs"));
  // Nothing was published by the failed attempts.
  EXPECT_EQ(ReadU32(*device, kKernelSize), 0u);
  unlink(kernel.c_str());
  unlink(not_a_kernel.c_str());
}

}  // namespace
}  // namespace fw_cfg
