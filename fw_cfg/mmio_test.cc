// The MMIO front end (arm `virt` layout), register by register and width by
// width. Expected values are QEMU 7.2's (qemu-system-aarch64 -M virt, through
// qtest); comments quote the qtest exchange.

#include "fw_cfg/mmio.h"

#include <memory>

#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using testing::ArmMachine;
constexpr uint64_t kBase = ArmMachine::kBase;

TEST(Mmio, DataReadsAreStringPreserving) {
  ArmMachine m;
  EXPECT_EQ(m.readb(kBase), 0x51);  // Key 0 is selected from the start.
  m.writew(kBase + 8, 0x0000);      // `writew 0x9020008 0x0000`
  EXPECT_EQ(m.readq(kBase), 0x00000000554d4551u);  // "QEMU" + zero padding
  m.writew(kBase + 8, 0x0000);
  EXPECT_EQ(m.readb(kBase), 0x51);
  EXPECT_EQ(m.readw(kBase), 0x4d45);  // 'E', 'M' in memory order
  EXPECT_EQ(m.readl(kBase), 0x55u);   // 'U', then zeros past the end
  EXPECT_EQ(m.readl(kBase), 0u);
}

TEST(Mmio, DataReadsAwayFromOffsetZeroReadZeroAndDoNotAdvance) {
  ArmMachine m;
  m.writew(kBase + 8, 0x0000);
  EXPECT_EQ(m.readb(kBase), 0x51);
  for (uint64_t offset = 1; offset < 8; ++offset) {
    EXPECT_EQ(m.readb(kBase + offset), 0) << offset;
  }
  EXPECT_EQ(m.readw(kBase + 4), 0);  // `readw 0x9020004` -> 0
  EXPECT_EQ(m.readl(kBase + 4), 0u);
  EXPECT_EQ(m.readb(kBase), 'E');  // Nothing consumed.
}

TEST(Mmio, DataWritesAreIgnored) {
  ArmMachine m;
  m.writew(kBase + 8, 0x0000);
  m.writeb(kBase, 0x12);  // `writeb 0x9020000 0x12`
  m.writeq(kBase, 0);
  EXPECT_EQ(m.readl(kBase), 0x554d4551u);
}

TEST(Mmio, SelectorTakesOnlyAnAlignedBigEndianWord) {
  ArmMachine m;
  m.writew(kBase + 8, 0x0100);  // bytes 00 01: key 1
  EXPECT_EQ(m.readl(kBase), 3u);
  m.writew(kBase + 8, 0x0000);
  m.writeb(kBase + 8, 0x01);               // ignored
  m.writew(kBase + 9, 0x0100);             // ignored: cut into bytes
  m.writel(kBase + 8, 0x00000100);         // ignored: one 4-byte write
  m.writeq(kBase + 8, 0x0100);             // ignored
  EXPECT_EQ(m.readl(kBase), 0x554d4551u);  // Still key 0 from offset 0.
  EXPECT_EQ(m.readw(kBase + 8), 0);        // The selector reads 0.
  EXPECT_EQ(m.readl(kBase + 8), 0u);
}

TEST(Mmio, GapAndEndReadZero) {
  ArmMachine m;
  EXPECT_EQ(m.readl(kBase + 0xc), 0u);
  EXPECT_EQ(m.readq(kBase + 0x18), 0u);
  // From the gap into the DMA register: unassigned 0xa-0xb and 0xc-0xf,
  // then "QE". `readq 0x902000a` -> 0x4551000000000000
  EXPECT_EQ(m.readq(kBase + 0xa), 0x4551000000000000u);
}

TEST(Mmio, DmaRegisterReadsTheSignature) {
  ArmMachine m;
  EXPECT_EQ(m.readq(kBase + 16), 0x47464320554d4551u);
  EXPECT_EQ(m.readl(kBase + 16), 0x554d4551u);
  EXPECT_EQ(m.readl(kBase + 20), 0x47464320u);
  EXPECT_EQ(m.readw(kBase + 22), 0x4746);
  EXPECT_EQ(m.readb(kBase + 23), 0x47);
}

TEST(Mmio, ArchitectureTableIsSeparate) {
  ArmMachine m;
  ASSERT_TRUE(m.device().SetItem(kArchLocal | 0x05, MakeLe16Item(7)).ok());
  ASSERT_TRUE(m.device().SetItem(kNbCpus, MakeLe16Item(1)).ok());
  m.writew(kBase + 8, 0x0580);  // key 0x8005
  EXPECT_EQ(m.readw(kBase), 7);
  m.writew(kBase + 8, 0x0500);  // key 0x0005
  EXPECT_EQ(m.readw(kBase), 1);
}

TEST(Mmio, AttachFailsCleanly) {
  ArmMachine m;
  EXPECT_FALSE(AttachMmio(m.device_ptr(), m.mmio(), kBase + 8).ok());
  EXPECT_FALSE(AttachMmio(m.device_ptr(), m.mmio(), ~uint64_t{0} - 4).ok());
  // The DMA register's slot is taken: nothing of the new block remains.
  vm_device::MmioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<FwCfgMmioData>(m.device_ptr()), 0x1010, 1)
          .ok());
  EXPECT_FALSE(AttachMmio(m.device_ptr(), bus, 0x1000).ok());
  EXPECT_FALSE(bus.Find(0x1000).has_value());
  EXPECT_FALSE(bus.Find(0x1008).has_value());
}

}  // namespace
}  // namespace fw_cfg
