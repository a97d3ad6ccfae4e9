#include "fw_cfg/linux_boot/x86_direct_boot.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::HasSubstr;

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kGiB = uint64_t{1} << 30;

// A synthetic kernel file. Every byte holds (0x5a + offset) & 0xff, except the
// boot-protocol fields written at their raw offsets (boot.rst), so that the
// bytes the planner changes are easy to list. The expectations in this file
// were confirmed against qemu-system-x86_64 7.2 (Debian 7.2+dfsg) over qtest
// with files built the same way.
class Image {
 public:
  // setup_sects at 0x1f1, "HdrS" at 0x202, version at 0x206, loadflags at
  // 0x211; zeros where QEMU patches (0x20-0x23, 0x210, 0x218-0x21f,
  // 0x224-0x22b), vid_mode 0x1234 at 0x1fa, and typical values for
  // initrd_addr_max (0x22c, 0x7fffffff), xloadflags (0x236, 0) and
  // cmdline_size (0x238, 2047).
  Image(size_t size, uint8_t setup_sects, uint16_t version, uint8_t loadflags)
      : bytes_(size) {
    for (size_t i = 0; i < size; ++i) {
      bytes_[i] = static_cast<uint8_t>(0x5a + i);
    }
    U8(0x1f1, setup_sects);
    U8(0x202, 'H').U8(0x203, 'd').U8(0x204, 'r').U8(0x205, 'S');
    U16(0x206, version);
    U8(0x210, 0).U8(0x211, loadflags);
    U32(0x218, 0).U32(0x21c, 0).U32(0x224, 0).U32(0x228, 0);
    U32(0x20, 0);
    U16(0x1fa, 0x1234);
    U32(0x22c, 0x7fffffff).U16(0x236, 0).U32(0x238, 2047);
  }

  Image& U8(size_t offset, uint8_t value) {
    bytes_.at(offset) = value;
    return *this;
  }
  Image& U16(size_t offset, uint16_t value) {
    U8(offset, value & 0xff);
    return U8(offset + 1, value >> 8);
  }
  Image& U32(size_t offset, uint32_t value) {
    U16(offset, value & 0xffff);
    return U16(offset + 2, value >> 16);
  }

  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

absl::StatusOr<X86DirectBoot> Plan(const Image& image, std::string_view cmdline,
                                   std::optional<uint64_t> initrd_size,
                                   uint64_t ram_below_4g = 512 * kMiB) {
  return PlanX86DirectBoot(image.bytes(), image.bytes().size(), cmdline,
                           initrd_size, ram_below_4g);
}

// The setup bytes that differ from the file, offset -> new value.
std::map<size_t, uint8_t> Patches(const Image& image,
                                  const X86DirectBoot& plan) {
  std::map<size_t, uint8_t> changed;
  for (size_t i = 0; i < plan.setup.size(); ++i) {
    if (plan.setup[i] != image.bytes().at(i)) changed[i] = plan.setup[i];
  }
  return changed;
}

std::string WithNul(std::string_view s) {
  std::string out(s);
  out.push_back('\0');
  return out;
}

void ExpectInvalid(const absl::StatusOr<X86DirectBoot>& result,
                   std::string_view substring) {
  ASSERT_FALSE(result.ok()) << "expected an error containing " << substring;
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr(std::string(substring)));
  EXPECT_EQ(result.status().message().find('\n'), std::string_view::npos);
}

uint16_t VidMode(const X86DirectBoot& plan) {
  return static_cast<uint16_t>(plan.setup.at(0x1fa) | plan.setup.at(0x1fb)
                                                          << 8);
}

// ---- Protocol branches.

TEST(PlanX86DirectBootTest, ModernKernelWithInitrdMatchesQemu) {
  // 2.15, LOADED_HIGH, setup_sects 0 (= 4): QEMU 7.2, -M q35 -m 512M.
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> plan =
      Plan(image, "console=ttyS0 vga=0x317", 5000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->protocol, 0x020f);
  EXPECT_EQ(plan->setup_addr, 0x10000u);
  EXPECT_EQ(plan->setup.size(), 0xa00u);
  EXPECT_EQ(plan->setup_size(), 0xa00u);
  EXPECT_EQ(plan->kernel_addr, 0x100000u);
  EXPECT_EQ(plan->kernel_file_offset, 0xa00u);
  EXPECT_EQ(plan->kernel_size, 10000u);
  EXPECT_TRUE(plan->has_initrd);
  // below_4g 0x20000000 - acpi 0x28000 - 1 = 0x1ffd7fff;
  // (0x1ffd7fff - 5000) & ~4095 = 0x1ffd6000.
  EXPECT_EQ(plan->initrd_addr, 0x1ffd6000u);
  EXPECT_EQ(plan->initrd_size, 5000u);
  EXPECT_EQ(plan->cmdline_addr, 0x20000u);
  EXPECT_EQ(plan->cmdline_data, WithNul("console=ttyS0 vga=0x317"));
  EXPECT_EQ(plan->cmdline_size(), 0x18u);
  const std::map<size_t, uint8_t> expected = {
      {0x1fa, 0x17}, {0x1fb, 0x03},                 // vid_mode 0x317
      {0x210, 0xb0},                                // type_of_loader
      {0x211, 0x81},                                // loadflags | CAN_USE_HEAP
      {0x219, 0x60}, {0x21a, 0xfd}, {0x21b, 0x1f},  // ramdisk_image
      {0x21c, 0x88}, {0x21d, 0x13},                 // ramdisk_size 5000
      {0x225, 0xfe},                                // heap_end_ptr 0xfe00
      {0x22a, 0x02},                                // cmd_line_ptr 0x20000
  };
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, NoInitrdAndEmptyCommandLine) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->has_initrd);
  EXPECT_EQ(plan->initrd_addr, 0u);
  EXPECT_EQ(plan->initrd_size, 0u);
  EXPECT_EQ(plan->cmdline_data, std::string(1, '\0'));
  EXPECT_EQ(plan->cmdline_size(), 1u);
  const std::map<size_t, uint8_t> expected = {
      {0x210, 0xb0}, {0x211, 0x81}, {0x225, 0xfe}, {0x22a, 0x02}};
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, EmptyInitrdIsPublished) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "", 0);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_TRUE(plan->has_initrd);
  EXPECT_EQ(plan->initrd_addr, 0x1ffd7000u);
  EXPECT_EQ(plan->initrd_size, 0u);
}

TEST(PlanX86DirectBootTest, LowKernelProtocol201) {
  // loadflags bit 0 clear: real-mode at 0x90000, kernel at 0x10000.
  const Image image(4096 + 3000, 7, 0x0201, 0x00);
  const absl::StatusOr<X86DirectBoot> plan =
      Plan(image, "root=/dev/sda vga=normal", 5000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup_addr, 0x90000u);
  EXPECT_EQ(plan->setup.size(), 4096u);
  EXPECT_EQ(plan->kernel_addr, 0x10000u);
  EXPECT_EQ(plan->kernel_file_offset, 4096u);
  EXPECT_EQ(plan->kernel_size, 3000u);
  // 24 characters: (24 + 16) & ~15 = 32 below 0x9a000.
  EXPECT_EQ(plan->cmdline_addr, 0x99fe0u);
  EXPECT_EQ(plan->initrd_addr, 0x1ffd6000u);
  const std::map<size_t, uint8_t> expected = {
      {0x20, 0x3f},  {0x21, 0xa3},                  // cl_magic 0xa33f
      {0x22, 0xe0},  {0x23, 0x9f},                  // cl_offset 0x9fe0
      {0x1fa, 0xff}, {0x1fb, 0xff},                 // vga=normal
      {0x210, 0xb0}, {0x211, 0x80},                 // loader, CAN_USE_HEAP
      {0x219, 0x60}, {0x21a, 0xfd}, {0x21b, 0x1f},  // ramdisk_image
      {0x21c, 0x88}, {0x21d, 0x13},                 // ramdisk_size
      {0x224, 0xe0}, {0x225, 0x9d},                 // heap_end_ptr 0x9de0
  };
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, HighButAncientProtocol200) {
  // 2.00 with LOADED_HIGH: setup at 0x90000, kernel at 1 MiB, no heap.
  const Image image(4096 + 3000, 7, 0x0200, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "root=/dev/sda", 5000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup_addr, 0x90000u);
  EXPECT_EQ(plan->kernel_addr, 0x100000u);
  EXPECT_EQ(plan->cmdline_addr, 0x99ff0u);
  const std::map<size_t, uint8_t> expected = {
      {0x20, 0x3f},  {0x21, 0xa3},  {0x22, 0xf0},  {0x23, 0x9f},  {0x210, 0xb0},
      {0x219, 0x60}, {0x21a, 0xfd}, {0x21b, 0x1f}, {0x21c, 0x88}, {0x21d, 0x13},
  };
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, HighButAncientProtocol201UsesHeap) {
  const Image image(4096 + 3000, 7, 0x0201, 0x01);
  const absl::StatusOr<X86DirectBoot> plan =
      Plan(image, "0123456789abcdef", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup_addr, 0x90000u);
  EXPECT_EQ(plan->kernel_addr, 0x100000u);
  // 16 characters: (16 + 16) & ~15 = 32.
  EXPECT_EQ(plan->cmdline_addr, 0x99fe0u);
  const std::map<size_t, uint8_t> expected = {
      {0x20, 0x3f},  {0x21, 0xa3},  {0x22, 0xe0},  {0x23, 0x9f},
      {0x210, 0xb0}, {0x211, 0x81}, {0x224, 0xe0}, {0x225, 0x9d},
  };
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, LowKernelProtocol202UsesCmdLinePtr) {
  const Image image(4096 + 3000, 7, 0x0202, 0x00);
  const absl::StatusOr<X86DirectBoot> plan =
      Plan(image, "0123456789abcde", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup_addr, 0x90000u);
  EXPECT_EQ(plan->kernel_addr, 0x10000u);
  EXPECT_EQ(plan->cmdline_addr, 0x99ff0u);
  const std::map<size_t, uint8_t> expected = {
      {0x210, 0xb0}, {0x211, 0x80}, {0x224, 0xf0}, {0x225, 0x9d},
      {0x228, 0xf0}, {0x229, 0x9f}, {0x22a, 0x09},
  };
  EXPECT_EQ(Patches(image, *plan), expected);
}

TEST(PlanX86DirectBootTest, Protocol1ffIsLowWithoutLoaderTypeOrHeap) {
  // "HdrS" with a version below 2.00: QEMU treats it as a low kernel even
  // with LOADED_HIGH set and patches only the old command-line fields.
  const Image image(4096 + 3000, 7, 0x01ff, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "x", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup_addr, 0x90000u);
  EXPECT_EQ(plan->kernel_addr, 0x10000u);
  EXPECT_EQ(plan->cmdline_addr, 0x99ff0u);
  const std::map<size_t, uint8_t> expected = {
      {0x20, 0x3f}, {0x21, 0xa3}, {0x22, 0xf0}, {0x23, 0x9f}};
  EXPECT_EQ(Patches(image, *plan), expected);

  ExpectInvalid(Plan(image, "x", 5000), "too old to load an initrd");
}

// ---- initrd_max.

TEST(PlanX86DirectBootTest, Protocol202UsesFixedInitrdMax) {
  // Before 2.03 initrd_addr_max is not read: 0x37ffffff.
  Image image(4096 + 3000, 7, 0x0202, 0x01);
  image.U32(0x22c, 0x1000);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "", 5000, 2 * kGiB);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->initrd_addr, 0x37ffe000u);
}

TEST(PlanX86DirectBootTest, InitrdAddrMaxBelowRam) {
  Image image(8192 + 4096, 15, 0x020b, 0x01);
  image.U32(0x22c, 0x1000000).U16(0x236, 0x3);  // xloadflags ignored < 2.12
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "abc", 5000);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // (0xffffff - 5000) & ~4095.
  EXPECT_EQ(plan->initrd_addr, 0xffe000u);
}

TEST(PlanX86DirectBootTest, CanBeLoadedAbove4gIgnoresInitrdAddrMax) {
  // 2.12 with XLF_CAN_BE_LOADED_ABOVE_4G: initrd_max = UINT32_MAX, clamped
  // to RAM. QEMU q35 with 3G or 8G of RAM has 2 GiB below 4 GiB.
  Image image(8192 + 4096, 15, 0x020c, 0x01);
  image.U32(0x22c, 0x1000).U16(0x236, 0x3);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "x", 5000, 2 * kGiB);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->initrd_addr, 0x7ffd6000u);

  // Bit 1 alone is what counts; bit 0 (XLF_KERNEL_64) alone does not.
  image.U16(0x236, 0x1).U32(0x22c, 0x200000);
  const absl::StatusOr<X86DirectBoot> no_flag =
      Plan(image, "x", 5000, 2 * kGiB);
  ASSERT_TRUE(no_flag.ok()) << no_flag.status();
  EXPECT_EQ(no_flag->initrd_addr, 0x1fe000u);
}

TEST(PlanX86DirectBootTest, FullFourGiBOfLowRam) {
  Image image(8192 + 4096, 15, 0x020f, 0x01);
  image.U16(0x236, 0x2);
  const absl::StatusOr<X86DirectBoot> plan = Plan(image, "", 4096, 4 * kGiB);
  ASSERT_TRUE(plan.ok()) << plan.status();
  // 0x100000000 - 0x28000 - 1 = 0xfffd7fff; minus 4096, rounded down.
  EXPECT_EQ(plan->initrd_addr, 0xfffd6000u);
}

TEST(PlanX86DirectBootTest, AcpiDataSizeIsAParameter) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> microvm = PlanX86DirectBoot(
      image.bytes(), image.bytes().size(), "", 4096, 512 * kMiB, 0);
  ASSERT_TRUE(microvm.ok()) << microvm.status();
  EXPECT_EQ(microvm->initrd_addr, 0x1fffe000u);  // (0x1fffffff - 4096) & ~4095
  EXPECT_EQ(kQemuX86AcpiDataSize, 0x28000u);
}

TEST(PlanX86DirectBootTest, InitrdSizeBoundary) {
  Image image(4096 + 3000, 7, 0x020f, 0x01);
  image.U32(0x22c, 0x1000000);
  // The largest initrd still starts at or above the kernel's end
  // (0x100000 + 3000, so 0x101000 after rounding down to 4 KiB).
  const uint64_t largest = 0x1000000 - 0x101000;
  const absl::StatusOr<X86DirectBoot> fits = Plan(image, "", largest);
  ASSERT_TRUE(fits.ok()) << fits.status();
  EXPECT_EQ(fits->initrd_addr, 0x101000u);
  EXPECT_EQ(fits->initrd_size, largest);
  // QEMU itself only refuses initrd_size >= initrd_max...
  ExpectInvalid(Plan(image, "", 0x1000000), "too large");
  // ...and would place these at 0x100000 and 0 (over the kernel).
  ExpectInvalid(Plan(image, "", largest + 1), "overlap the kernel");
  ExpectInvalid(Plan(image, "", 0xffffff), "overlap the kernel");
  ExpectInvalid(Plan(image, "", uint64_t{1} << 40), "too large");
}

// ---- The vga= parameter, as qemu_strtoui parses it.

TEST(PlanX86DirectBootTest, VgaParameter) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const std::vector<std::pair<std::string, uint16_t>> accepted = {
      {"vga=ext", 0xfffe},
      {"vga=extended", 0xfffe},  // strncmp prefix
      {"vga=ask", 0xfffd},
      {"vga=normalx", 0xffff},
      {"vga=-5 x", 0xfffb},
      {"novga=0x10 vga=3", 0x10},  // the first "vga=", inside a word
      {"vga=0x12345", 0x2345},     // stw: low 16 bits
      {"vga= 7", 7},               // strtoull skips leading spaces
      {"vga=010", 8},              // base 0: octal
      {"vga=+9", 9},
      {"vga=4294967295", 0xffff},
      {"vga=18446744073709551615", 0xffff},  // (long long) -1
      {"vga=-2147483648", 0},
      {"quiet vga=791", 791},
  };
  for (const auto& [cmdline, mode] : accepted) {
    const absl::StatusOr<X86DirectBoot> plan =
        Plan(image, cmdline, std::nullopt);
    ASSERT_TRUE(plan.ok()) << cmdline << ": " << plan.status();
    EXPECT_EQ(VidMode(*plan), mode) << cmdline;
  }
  for (const char* cmdline :
       {"vga=12x", "vga=", "vga=0x", "vga=09", "vga=5\tx", "vga=4294967296",
        "vga=-2147483649", "vga=18446744073709551616", "vga=  ", "vga=-"}) {
    ExpectInvalid(Plan(image, cmdline, std::nullopt), "invalid 'vga='");
  }
}

// ---- Command line limits.

TEST(PlanX86DirectBootTest, CommandLineLimitFromHeader) {
  Image image(2560 + 10000, 0, 0x020f, 0x01);
  image.U32(0x238, 2047);
  EXPECT_TRUE(Plan(image, std::string(2047, 'a'), std::nullopt).ok());
  ExpectInvalid(Plan(image, std::string(2048, 'a'), std::nullopt),
                "longer than the kernel's limit of 2047");

  image.U32(0x238, 0);  // hostile: nothing allowed but ""
  EXPECT_TRUE(Plan(image, "", std::nullopt).ok());
  ExpectInvalid(Plan(image, "a", std::nullopt), "limit of 0");

  // A huge limit still cannot push the command line past 0x9a000.
  image.U32(0x238, 0xffffffff);
  EXPECT_TRUE(Plan(image, std::string(0x7a000 - 16, 'a'), std::nullopt).ok());
  ExpectInvalid(Plan(image, std::string(0x7a000, 'a'), std::nullopt),
                "runs past 0x9a000");
}

TEST(PlanX86DirectBootTest, CommandLineLimitBefore206Is255) {
  Image image(4096 + 3000, 7, 0x0205, 0x01);
  image.U32(0x238, 100000);  // not a field before 2.06
  EXPECT_TRUE(Plan(image, std::string(255, 'a'), std::nullopt).ok());
  ExpectInvalid(Plan(image, std::string(256, 'a'), std::nullopt),
                "limit of 255");
}

TEST(PlanX86DirectBootTest, LowKernelCommandLineMustFitAboveSetup) {
  Image image(4096 + 3000, 7, 0x0206, 0x00);
  image.U32(0x238, 0xffffffff);
  // 0x9a000 - 0x90000 - 4096 bytes of setup leaves 0x9000 for the line.
  EXPECT_TRUE(Plan(image, std::string(0x9000 - 16, 'a'), std::nullopt).ok());
  ExpectInvalid(Plan(image, std::string(0x9000, 'a'), std::nullopt),
                "overlaps the command line");
  ExpectInvalid(Plan(image, std::string(0xa000, 'a'), std::nullopt),
                "does not fit between the setup");
}

TEST(PlanX86DirectBootTest, CommandLineWithNulIsRejected) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  ExpectInvalid(Plan(image, std::string("a\0b", 3), std::nullopt), "NUL");
}

// ---- Malformed and hostile files.

TEST(PlanX86DirectBootTest, TooShortForHeader) {
  const std::vector<uint8_t> tiny(0x100, 0);
  ExpectInvalid(PlanX86DirectBoot(tiny, tiny.size(), "", std::nullopt, kGiB),
                "too short");
  ExpectInvalid(PlanX86DirectBoot({}, 0, "", std::nullopt, kGiB), "too short");
}

TEST(PlanX86DirectBootTest, NotABzImage) {
  Image image(2560 + 10000, 0, 0x020f, 0x01);
  image.U8(0x205, 's');
  ExpectInvalid(Plan(image, "", std::nullopt), "not a bzImage");
  // An ELF file (what multiboot or PVH would take).
  std::vector<uint8_t> elf(4096, 0);
  elf[0] = 0x7f;
  elf[1] = 'E';
  elf[2] = 'L';
  elf[3] = 'F';
  ExpectInvalid(PlanX86DirectBoot(elf, elf.size(), "", std::nullopt, kGiB),
                "multiboot or PVH");
}

TEST(PlanX86DirectBootTest, SetupLargerThanFile) {
  // QEMU: "invalid kernel header" (2000 bytes, setup_sects 4 = 2560).
  const Image image(2000, 4, 0x020f, 0x01);
  ExpectInvalid(Plan(image, "", std::nullopt), "invalid kernel header");
  // Exactly the setup: an empty protected-mode part, as QEMU allows.
  const Image exact(2560, 4, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(exact, "", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->kernel_size, 0u);
  EXPECT_EQ(plan->kernel_file_offset, 2560u);
}

TEST(PlanX86DirectBootTest, HugeSetupSects) {
  // 255 sectors: (255 + 1) * 512 = 128 KiB of setup.
  const Image small(64 * 1024, 255, 0x020f, 0x01);
  ExpectInvalid(Plan(small, "", std::nullopt), "setup_sects 255");
  // Present in the file, but it would run into the command line at 0x20000.
  const Image big(256 * 512 + 4096, 255, 0x020f, 0x01);
  ExpectInvalid(Plan(big, "", std::nullopt), "overlaps the command line");
  // 127 sectors (64 KiB) end exactly at 0x20000.
  const Image edge(128 * 512 + 4096, 127, 0x020f, 0x01);
  const absl::StatusOr<X86DirectBoot> plan = Plan(edge, "", std::nullopt);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup.size(), 0x10000u);
}

TEST(PlanX86DirectBootTest, InitrdAddrMaxZero) {
  Image image(4096 + 3000, 7, 0x020f, 0x01);
  image.U32(0x22c, 0);
  // QEMU: "initrd is too large, cannot support.(max: 0, need 5000)".
  ExpectInvalid(Plan(image, "", 5000), "initrd_max 0x0");
  ExpectInvalid(Plan(image, "", 0), "too large");
  // Without an initrd the field does not matter.
  EXPECT_TRUE(Plan(image, "", std::nullopt).ok());
}

TEST(PlanX86DirectBootTest, KernelMustFitInRam) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  // 1 MiB + 10000 bytes needs RAM - acpi above 0x102710.
  ExpectInvalid(PlanX86DirectBoot(image.bytes(), image.bytes().size(), "",
                                  std::nullopt, 0x100000 + 0x28000 + 9999),
                "does not fit below the RAM top");
  EXPECT_TRUE(PlanX86DirectBoot(image.bytes(), image.bytes().size(), "",
                                std::nullopt, 0x100000 + 0x28000 + 10000)
                  .ok());
}

TEST(PlanX86DirectBootTest, LowKernelMustEndBelowSetup) {
  // A low zImage is loaded at 0x10000 and must end by 0x90000.
  const Image fits(4096 + 0x80000, 7, 0x0202, 0x00);
  EXPECT_TRUE(Plan(fits, "", std::nullopt).ok());
  const Image too_big(4096 + 0x80001, 7, 0x0202, 0x00);
  ExpectInvalid(Plan(too_big, "", std::nullopt), "overlaps the setup");
}

TEST(PlanX86DirectBootTest, SizesOver32Bits) {
  // Only the head is passed; the file claims 5 GiB.
  const Image head(kX86DirectBootHeadSize, 27, 0x020f, 0x01);
  ExpectInvalid(
      PlanX86DirectBoot(head.bytes(), 5 * kGiB, "", std::nullopt, kGiB),
      "does not fit in 32 bits");
  ExpectInvalid(
      PlanX86DirectBoot(head.bytes(), 3 * kGiB, "", std::nullopt, 2 * kGiB),
      "does not fit below the RAM top");
}

// ---- Arguments.

TEST(PlanX86DirectBootTest, HeadMustCoverTheLargestSetup) {
  const Image image(kX86DirectBootHeadSize + 4096, 27, 0x020f, 0x01);
  const std::vector<uint8_t>& bytes = image.bytes();
  // The whole file is fine, and so is exactly the first 128 KiB.
  EXPECT_TRUE(
      PlanX86DirectBoot(bytes, bytes.size(), "", std::nullopt, kGiB).ok());
  const absl::Span<const uint8_t> head(bytes.data(), kX86DirectBootHeadSize);
  const absl::StatusOr<X86DirectBoot> plan =
      PlanX86DirectBoot(head, bytes.size(), "", std::nullopt, kGiB);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->setup.size(), 28u * 512);
  EXPECT_EQ(plan->kernel_file_offset, 28u * 512);
  EXPECT_EQ(plan->kernel_size, bytes.size() - 28 * 512);
  // One byte short of it is not, even if the setup itself is smaller.
  ExpectInvalid(PlanX86DirectBoot(head.first(head.size() - 1), bytes.size(), "",
                                  std::nullopt, kGiB),
                "pass the first 131072 bytes");
  // A head longer than the file is an error too.
  ExpectInvalid(
      PlanX86DirectBoot(bytes, bytes.size() - 1, "", std::nullopt, kGiB),
      "but the kernel file only");
}

TEST(PlanX86DirectBootTest, RamArguments) {
  const Image image(2560 + 10000, 0, 0x020f, 0x01);
  const std::vector<uint8_t>& bytes = image.bytes();
  ExpectInvalid(
      PlanX86DirectBoot(bytes, bytes.size(), "", std::nullopt, 4 * kGiB + 1),
      "above 4 GiB");
  ExpectInvalid(PlanX86DirectBoot(bytes, bytes.size(), "", std::nullopt,
                                  kQemuX86AcpiDataSize),
                "leaves no room");
  ExpectInvalid(PlanX86DirectBoot(bytes, bytes.size(), "", std::nullopt, 0, 0),
                "leaves no room");
}

// ---- A real kernel, when the machine has one.

// Uses $FW_CFG_TEST_KERNEL (e.g. --test_env=FW_CFG_TEST_KERNEL=/path) if set,
// else the first /boot/vmlinuz-*.
TEST(PlanX86DirectBootTest, RealKernel) {
  std::optional<std::filesystem::path> kernel;
  if (const char* path = std::getenv("FW_CFG_TEST_KERNEL");
      path != nullptr && *path != '\0') {
    kernel = path;
  } else {
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator("/boot", error)) {
      if (entry.path().filename().string().starts_with("vmlinuz-") &&
          entry.is_regular_file()) {
        kernel = entry.path();
        break;
      }
    }
  }
  if (!kernel.has_value()) {
    GTEST_SKIP() << "no /boot/vmlinuz-* on this machine and "
                    "FW_CFG_TEST_KERNEL is not set";
  }
  std::ifstream in(*kernel, std::ios::binary);
  if (!in) GTEST_SKIP() << "cannot read " << *kernel;
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                   std::istreambuf_iterator<char>());
  const absl::StatusOr<X86DirectBoot> plan = PlanX86DirectBoot(
      bytes, bytes.size(), "console=ttyS0 root=/dev/vda", 32 * kMiB, 2 * kGiB);
  ASSERT_TRUE(plan.ok()) << *kernel << ": " << plan.status();
  EXPECT_GE(plan->protocol, 0x020c);
  EXPECT_EQ(plan->setup_addr, 0x10000u);
  EXPECT_EQ(plan->kernel_addr, 0x100000u);
  EXPECT_EQ(plan->cmdline_addr, 0x20000u);
  const uint64_t sects = bytes[0x1f1] == 0 ? 4 : bytes[0x1f1];
  EXPECT_EQ(plan->setup.size(), (sects + 1) * 512);
  EXPECT_EQ(plan->kernel_file_offset, plan->setup.size());
  EXPECT_EQ(plan->kernel_file_offset + plan->kernel_size, bytes.size());
  EXPECT_EQ(plan->setup[0x210], 0xb0);
  EXPECT_EQ(plan->setup[0x211] & 0x81, 0x81);
  EXPECT_EQ(plan->initrd_addr % 4096, 0u);
  EXPECT_LE(uint64_t{plan->initrd_addr} + plan->initrd_size,
            2 * kGiB - kQemuX86AcpiDataSize);
  EXPECT_GE(plan->initrd_addr, uint64_t{plan->kernel_addr} + plan->kernel_size);
  // Past the header fields QEMU patches, the setup is the file unchanged.
  EXPECT_TRUE(std::equal(plan->setup.begin() + 0x260, plan->setup.end(),
                         bytes.begin() + 0x260));
}

}  // namespace
}  // namespace fw_cfg
