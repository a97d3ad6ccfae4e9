#include "vmm/x86/firmware.h"

#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "vm-memory/guest_memory.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;

constexpr uint64_t kFourGiB = uint64_t{1} << 32;

// An image whose every byte says where it is: byte i = (i * 13 + i / 4096).
std::string MakeImage(size_t size) {
  std::string image(size, '\0');
  for (size_t i = 0; i < size; ++i)
    image[i] = static_cast<char>(i * 13 + i / 4096);
  return image;
}

std::string WriteImage(const std::string& name, const std::string& bytes) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

uint8_t ByteAt(const vm_memory::GuestMemory& memory, uint64_t address) {
  uint8_t byte = 0;
  EXPECT_TRUE(memory.Read(GuestAddress(address), {&byte, 1}).ok())
      << std::hex << address;
  return byte;
}

TEST(Firmware, SixtyFourKiBImageAtTheTopAndBelowOneMegabyte) {
  const std::string image = MakeImage(64 << 10);
  auto memory = CreateMemoryWithFirmware({{GuestAddress(0), 128 << 20}},
                                         WriteImage("64k.bin", image));
  ASSERT_TRUE(memory.ok()) << memory.status();
  // The reset vector is the image's last 16 bytes.
  for (uint64_t offset : {uint64_t{0}, uint64_t{0xfff0}, uint64_t{0xffff}}) {
    EXPECT_EQ(ByteAt(**memory, kFourGiB - 0x10000 + offset),
              static_cast<uint8_t>(image[offset]));
    // The isa-bios window is the whole image here: 0xF0000-0xFFFFF.
    EXPECT_EQ(ByteAt(**memory, 0xf0000 + offset),
              static_cast<uint8_t>(image[offset]));
  }
  // RAM stays RAM below the window and from 1 MiB, and the window is RAM
  // too (SeaBIOS writes its data there, the RSDP lands there by DMA); the
  // image at 4 GiB is ROM, and writing the window leaves it alone.
  uint8_t zero[1] = {0};
  EXPECT_TRUE((*memory)->Write(GuestAddress(0xeffff), zero).ok());
  EXPECT_TRUE((*memory)->Write(GuestAddress(0x100000), zero).ok());
  EXPECT_TRUE((*memory)->Write(GuestAddress(0xf0000), zero).ok());
  EXPECT_EQ(ByteAt(**memory, 0xf0000), 0);
  EXPECT_EQ(ByteAt(**memory, kFourGiB - 0x10000),
            static_cast<uint8_t>(image[0]));
  EXPECT_EQ((*memory)->Write(GuestAddress(kFourGiB - 1), zero).code(),
            absl::StatusCode::kPermissionDenied);
  // Nothing just below the image.
  EXPECT_FALSE(
      (*memory)
          ->Read(GuestAddress(kFourGiB - 0x10001), absl::MakeSpan(zero))
          .ok());
}

TEST(Firmware, LargerImagesShowTheirLast128KiBAtE0000) {
  const std::string image = MakeImage(512 << 10);
  auto memory = CreateMemoryWithFirmware(
      {{GuestAddress(0), 64 << 20}, {GuestAddress(kFourGiB), 64 << 20}},
      WriteImage("512k.bin", image));
  ASSERT_TRUE(memory.ok()) << memory.status();
  const uint64_t tail = image.size() - (128 << 10);
  EXPECT_EQ(ByteAt(**memory, 0xe0000), static_cast<uint8_t>(image[tail]));
  EXPECT_EQ(ByteAt(**memory, 0xfffff),
            static_cast<uint8_t>(image[image.size() - 1]));
  EXPECT_EQ(ByteAt(**memory, kFourGiB - image.size()),
            static_cast<uint8_t>(image[0]));
  // High RAM is kept.
  EXPECT_EQ(ByteAt(**memory, kFourGiB), 0);
}

TEST(Firmware, TheGuestSeesTheImageAsItWasWhenTheVmWasBuilt) {
  const std::string path = WriteImage("changing.bin", MakeImage(64 << 10));
  auto memory = CreateMemoryWithFirmware({{GuestAddress(0), 16 << 20}}, path);
  ASSERT_TRUE(memory.ok()) << memory.status();
  const uint8_t before = ByteAt(**memory, 0xf0000);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "x";
  EXPECT_EQ(ByteAt(**memory, 0xf0000), before);
}

TEST(Firmware, BadImagesAreClearErrors) {
  for (size_t size : {size_t{0}, size_t{1000}, size_t{(64 << 10) + 1},
                      size_t{(16 << 20) + (64 << 10)}}) {
    auto memory =
        CreateMemoryWithFirmware({{GuestAddress(0), 16 << 20}},
                                 WriteImage("bad.bin", std::string(size, 'x')));
    ASSERT_FALSE(memory.ok()) << size;
    EXPECT_EQ(memory.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(memory.status().message().find("multiple of 64 KiB"),
              std::string::npos)
        << memory.status();
  }
  auto missing = CreateMemoryWithFirmware({{GuestAddress(0), 16 << 20}},
                                          "/nonexistent/bios.bin");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/bios.bin"),
            std::string::npos);
  auto directory =
      CreateMemoryWithFirmware({{GuestAddress(0), 16 << 20}}, "/tmp");
  EXPECT_FALSE(directory.ok());
}

TEST(Firmware, SixteenMiBIsTheLargestImage) {
  auto memory =
      CreateMemoryWithFirmware({{GuestAddress(0), 16 << 20}},
                               WriteImage("16m.bin", MakeImage(16 << 20)));
  ASSERT_TRUE(memory.ok()) << memory.status();
  EXPECT_EQ(ByteAt(**memory, kFourGiB - (16 << 20)), 0);
}

}  // namespace
}  // namespace vmm
