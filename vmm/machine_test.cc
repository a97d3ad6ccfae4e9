#include "vmm/machine.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/testdata/bzimage.h"

namespace vmm {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

uint64_t ReadPort(Machine& m, uint16_t port, int size) {
  uint8_t bytes[4] = {};
  m.pio().Read(port, absl::MakeSpan(bytes, size));
  return bytes[0] | bytes[1] << 8 | bytes[2] << 16 | uint64_t{bytes[3]} << 24;
}

// Four data bytes, one port read each (a 4-byte read at 0x511 would also
// reach the ports after it, as on QEMU).
uint32_t ReadDataLe32(Machine& m) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i)
    value |= static_cast<uint32_t>(ReadPort(m, 0x511, 1)) << (8 * i);
  return value;
}

// The fw_cfg file directory (key 0x19) as a guest reads it through the
// x86 ports: a big-endian count, then 64-byte entries (size, key, name).
std::vector<std::string> FileNames(Machine& m) {
  uint8_t select[2] = {0x19, 0};
  m.pio().Write(0x510, select);
  auto be = [&m](int bytes) {
    uint32_t value = 0;
    for (int i = 0; i < bytes; ++i)
      value = value << 8 | static_cast<uint32_t>(ReadPort(m, 0x511, 1));
    return value;
  };
  const uint32_t count = be(4);
  std::vector<std::string> names;
  for (uint32_t i = 0; i < count && i < 64; ++i) {
    be(4);  // size
    be(2);  // key
    be(2);  // reserved
    std::string name;
    for (int j = 0; j < 56; ++j) {
      const char c = static_cast<char>(ReadPort(m, 0x511, 1));
      if (c != '\0' && name.size() == static_cast<size_t>(j)) name += c;
    }
    names.push_back(name);
  }
  return names;
}

// The first `n` bytes of the file `name`, read through the ports: its key
// is 0x20 plus its place in the directory.
std::string ReadFile(Machine& m, const std::string& name, int n) {
  const std::vector<std::string> names = FileNames(m);
  const auto found = std::find(names.begin(), names.end(), name);
  if (found == names.end()) return "<no file " + name + ">";
  const uint16_t key = static_cast<uint16_t>(0x20 + (found - names.begin()));
  uint8_t select[2] = {static_cast<uint8_t>(key),
                       static_cast<uint8_t>(key >> 8)};
  m.pio().Write(0x510, select);
  std::string bytes;
  for (int i = 0; i < n; ++i) {
    bytes.push_back(static_cast<char>(ReadPort(m, 0x511, 1)));
  }
  return bytes;
}

std::shared_ptr<const FwCfgOption> FwCfg(const std::string& text) {
  absl::StatusOr<std::shared_ptr<const FwCfgOption>> option =
      ParseFwCfgOption(text);
  EXPECT_TRUE(option.ok()) << option.status();
  return option.ok() ? *option : nullptr;
}

TEST(RamLayout, FollowsQ35AndVirt) {
  auto small = RamLayout(Layout::kX86_64, 256 << 20);
  ASSERT_EQ(small.size(), 1u);
  EXPECT_EQ(small[0].size, 256u << 20);
  auto big = RamLayout(Layout::kX86_64, 4ull << 30);
  ASSERT_EQ(big.size(), 2u);
  EXPECT_EQ(big[0].size, 2ull << 30);
  EXPECT_EQ(big[1].start.raw(), 4ull << 30);
  EXPECT_EQ(big[1].size, 2ull << 30);
  auto just_below = RamLayout(Layout::kX86_64, 0xb0000000 - 4096);
  EXPECT_EQ(just_below.size(), 1u);
  auto arm = RamLayout(Layout::kArmVirt, 256 << 20);
  EXPECT_EQ(arm[0].start.raw(), 0x40000000u);
}

TEST(Machine, ElfKernelPublishesNoDirectBootKeysAndSaysSo) {
  const std::string path = ::testing::TempDir() + "/vmlinux";
  std::ofstream(path, std::ios::binary) << std::string(
                                               "\x7f"
                                               "ELF",
                                               4)
                                        << std::string(60, '\0');
  VmmOptions options;
  options.memory_size = 256 << 20;
  options.kernel = path;
  options.cmdline = "console=ttyS0";
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  Machine& m = **machine;
  ASSERT_EQ(m.warnings().size(), 1u);
  EXPECT_NE(m.warnings()[0].find("ELF vmlinux"), std::string::npos);
  // FW_CFG_KERNEL_SIZE (0x08) and FW_CFG_CMDLINE_SIZE (0x14) stay unset:
  // selecting them reads zeros.
  for (uint16_t key : {0x08, 0x14}) {
    uint8_t key_bytes[2] = {static_cast<uint8_t>(key), 0};
    m.pio().Write(0x510, key_bytes);
    EXPECT_EQ(ReadPort(m, 0x511, 1), 0u) << "key " << key;
  }
}

// --firmware with --kernel: the image at the top of 4 GiB and below 1 MiB,
// and the kernel for the firmware to boot in the fw_cfg kernel keys.
TEST(Machine, FirmwareAndKernelTogether) {
  const std::string firmware = ::testing::TempDir() + "/fw.bin";
  std::string image(64 << 10, '\x90');
  image[0xfff0] = '\xea';  // The reset vector's first byte.
  std::ofstream(firmware, std::ios::binary) << image;
  const std::string kernel = ::testing::TempDir() + "/bzImage";
  const std::string bzimage = testing::MakeBzImage(std::string(3000, '\xf4'));
  std::ofstream(kernel, std::ios::binary) << bzimage;
  VmmOptions options;
  options.memory_size = 64 << 20;
  options.firmware = firmware;
  options.kernel = kernel;
  options.cmdline = "console=ttyS0";
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  Machine& m = **machine;
  uint8_t reset[1] = {};
  ASSERT_TRUE(m.memory().Read(vm_memory::GuestAddress(0xfffffff0), reset).ok());
  EXPECT_EQ(reset[0], 0xea);
  ASSERT_TRUE(m.memory().Read(vm_memory::GuestAddress(0xffff0), reset).ok());
  EXPECT_EQ(reset[0], 0xea);
  // Below 1 MiB the image is a copy in RAM that the firmware may write.
  const uint8_t nop[1] = {0x90};
  EXPECT_TRUE(m.memory().Write(vm_memory::GuestAddress(0xffff0), nop).ok());
  ASSERT_TRUE(m.memory().Read(vm_memory::GuestAddress(0xfffffff0), reset).ok());
  EXPECT_EQ(reset[0], 0xea);
  EXPECT_TRUE(m.warnings().empty());
  // The option ROM that boots the kernel keys, from Debian's
  // qemu-system-data, as QEMU publishes it for -kernel.
  EXPECT_THAT(FileNames(m), Contains("genroms/linuxboot_dma.bin"));
  // SeaBIOS's screen output to COM1, the only console.
  EXPECT_THAT(FileNames(m), Contains("etc/sercon-port"));
  // FW_CFG_KERNEL_SIZE (0x08): the protected-mode part, all but the boot
  // sector and the one setup sector.
  uint8_t key[2] = {0x08, 0};
  m.pio().Write(0x510, key);
  EXPECT_EQ(ReadDataLe32(m), bzimage.size() - 2 * 512);
  // FW_CFG_CMDLINE_SIZE (0x14): with its NUL.
  key[0] = 0x14;
  m.pio().Write(0x510, key);
  EXPECT_EQ(ReadDataLe32(m), sizeof("console=ttyS0"));
}

// With --firmware the VMM points SeaBIOS's screen output at COM1; a user
// item of that name replaces ours rather than colliding with it.
TEST(Machine, FirmwareGetsASerialConsoleUnlessTheUserGivesOne) {
  const std::string firmware = ::testing::TempDir() + "/fw_sercon.bin";
  std::ofstream(firmware, std::ios::binary) << std::string(64 << 10, '\x90');
  VmmOptions options;
  options.memory_size = 64 << 20;
  options.firmware = firmware;
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  EXPECT_EQ(ReadFile(**machine, "etc/sercon-port", 2), std::string("\xf8\x03"));
  options.fw_cfg = FwCfg("items=[name=etc/sercon-port,string=ab]");
  machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  EXPECT_EQ(ReadFile(**machine, "etc/sercon-port", 2), "ab");
}

TEST(Machine, X86HasFwCfgOnPorts) {
  VmmOptions options;
  options.memory_size = 256 << 20;
  options.fw_cfg = FwCfg("items=[name=opt/a,string=hi]");
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  Machine& m = **machine;
  EXPECT_EQ(ReadPort(m, 0x511, 1), 'Q');
  EXPECT_EQ(ReadPort(m, 0x514, 4), 0x554d4551u);
  // QEMU's boot configuration files (as it publishes them without -boot
  // options), the ACPI and e820 files, the user's item.
  EXPECT_THAT(FileNames(m),
              ElementsAre("bios-geometry", "bootorder", "etc/acpi/rsdp",
                          "etc/acpi/tables", "etc/boot-fail-wait", "etc/e820",
                          "etc/table-loader", "opt/a"));
  // RAM size at key 3, as q35.
  uint8_t select[2] = {3, 0};
  m.pio().Write(0x510, select);
  EXPECT_EQ(ReadPort(m, 0x511, 1), 0x00);
  EXPECT_EQ(ReadPort(m, 0x511, 1), 0x00);
  EXPECT_EQ(ReadPort(m, 0x511, 1), 0x00);
  EXPECT_EQ(ReadPort(m, 0x511, 1), 0x10);
}

// --fw-cfg-mmio: the port registers' arrangement on the MMIO bus, with a
// big-endian selector, and nothing at the ports.
TEST(Machine, X86FwCfgOnMmio) {
  VmmOptions options;
  options.memory_size = 256 << 20;
  options.fw_cfg_mmio = 0xfe000000;
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  Machine& m = **machine;
  EXPECT_EQ(ReadPort(m, 0x511, 1), 0xffu);  // nothing at the ports
  const uint8_t select[2] = {0, 1};         // key 1 (ID), big-endian
  m.mmio().Write(0xfe000000, select);
  uint8_t id[4];
  for (uint8_t& byte : id) m.mmio().Read(0xfe000001, absl::MakeSpan(&byte, 1));
  EXPECT_EQ(id[0], 3);  // traditional + DMA, little-endian
  EXPECT_EQ(id[1], 0);
  uint8_t dma[8];
  m.mmio().Read(0xfe000004, dma);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(dma), 8), "QEMU CFG");

  options.fw_cfg_mmio = 0x1000;  // inside RAM
  EXPECT_THAT(Machine::Create(options).status().message(),
              HasSubstr("inside guest RAM"));
}

// --fw-cfg-arm-mmio: QEMU's arm `virt` block beside the ports, one device.
TEST(Machine, X86ArmMmioBesideThePorts) {
  VmmOptions options;
  options.memory_size = 256 << 20;
  options.fw_cfg_arm_mmio = 0xfe000000;
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  Machine& m = **machine;
  const uint8_t select[2] = {0, 1};  // key 1, big-endian, at +8
  m.mmio().Write(0xfe000008, select);
  EXPECT_EQ(ReadPort(m, 0x511, 1), 3u);  // the same device through a port
  uint8_t dma[4];
  m.mmio().Read(0xfe000010, dma);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(dma), 4), "QEMU");
}

TEST(Machine, SwitchesAndDisable) {
  VmmOptions options;
  options.memory_size = 64 << 20;
  options.fw_cfg = FwCfg("e820=off,acpi_table=off");
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok());
  EXPECT_THAT(FileNames(**machine),
              ElementsAre("bios-geometry", "bootorder", "etc/boot-fail-wait"));
  options.fw_cfg = FwCfg("e820=off");
  machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok());
  EXPECT_THAT(
      FileNames(**machine),
      ElementsAre("bios-geometry", "bootorder", "etc/acpi/rsdp",
                  "etc/acpi/tables", "etc/boot-fail-wait", "etc/table-loader"));

  options.fw_cfg = FwCfg("disable");
  machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok());
  EXPECT_FALSE((*machine)->has_fw_cfg());
  EXPECT_EQ(ReadPort(**machine, 0x511, 1), 0xffu);  // Nothing there.
}

TEST(Machine, ArmVirtHasFwCfgOnMmio) {
  VmmOptions options;
  options.layout = Layout::kArmVirt;
  options.memory_size = 64 << 20;
  auto machine = Machine::Create(options);
  ASSERT_TRUE(machine.ok()) << machine.status();
  uint8_t bytes[8];
  (*machine)->mmio().Read(0x09020010, bytes);
  EXPECT_EQ(std::string(bytes, bytes + 8), "QEMU CFG");
  // No etc/e820 on arm: an empty directory.
  uint8_t select[2] = {0x00, 0x19};  // the big-endian selector on MMIO
  (*machine)->mmio().Write(0x09020008, select);
  uint8_t count[4];
  (*machine)->mmio().Read(0x09020000, count);
  EXPECT_EQ(count[0] | count[1] | count[2] | count[3], 0);
}

TEST(Machine, BadItemFileIsAStartupError) {
  VmmOptions options;
  options.memory_size = 64 << 20;
  options.fw_cfg = FwCfg("items=[name=opt/x,file=/nonexistent/file]");
  auto machine = Machine::Create(options);
  EXPECT_FALSE(machine.ok());
  EXPECT_THAT(std::string(machine.status().message()),
              ::testing::HasSubstr("/nonexistent/file"));
}

}  // namespace
}  // namespace vmm
