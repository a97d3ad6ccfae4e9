// The x86 I/O-port front end, register by register and width by width.
// Expected values are QEMU 7.2's (qemu-system-x86_64 -M q35, through qtest):
// each was observed there, and the comment quotes the qtest exchange.

#include "fw_cfg/io_ports.h"

#include <memory>
#include <string>
#include <vector>

#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using testing::X86Machine;

TEST(IoPorts, SignatureIsSelectedFromTheStart) {
  X86Machine m;
  // QEMU's reset selects key 0: `inb 0x511` -> 0x51, `inb 0x511` -> 0x45.
  EXPECT_EQ(m.inb(0x511), 'Q');
  EXPECT_EQ(m.inb(0x511), 'E');
}

TEST(IoPorts, BothPortsReadDataBytes) {
  X86Machine m;
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inb(0x510), 'Q');
  EXPECT_EQ(m.inb(0x511), 'E');
  EXPECT_EQ(m.inb(0x510), 'M');
  EXPECT_EQ(m.inb(0x511), 'U');
  EXPECT_EQ(m.inb(0x511), 0);  // Past the end of "QEMU".
  EXPECT_EQ(m.inb(0x511), 0);
}

TEST(IoPorts, IdReadsThreeLittleEndian) {
  X86Machine m;
  EXPECT_EQ(m.ReadItem(kId, 4), std::string("\x03\x00\x00\x00", 4));
  X86Machine no_dma(FwCfgOptions{.dma = false});
  EXPECT_EQ(no_dma.ReadItem(kId, 4), std::string("\x01\x00\x00\x00", 4));
  // Without DMA there is no DMA register: 0x514 is unassigned.
  EXPECT_EQ(no_dma.inl(0x514), 0xffffffffu);
}

TEST(IoPorts, WideReadsAtTheSelectorReadZeroAndDoNotAdvance) {
  X86Machine m;
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inw(0x510), 0);    // `inw 0x510` -> 0x0000
  EXPECT_EQ(m.inl(0x510), 0u);   // `inl 0x510` -> 0x0000
  EXPECT_EQ(m.inb(0x511), 'Q');  // Nothing was consumed.
}

TEST(IoPorts, WideReadsAtTheDataPortSplitIntoBytes) {
  X86Machine m;
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inw(0x511), 0xff51);  // 'Q', then unassigned 0x512.
  // 'E', unassigned 0x512-0x513, then 'Q' of the DMA signature at 0x514.
  EXPECT_EQ(m.inl(0x511), 0x51ffff45u);
  m.outw(0x510, kId);
  EXPECT_EQ(m.inl(0x512), 0x4551ffffu);  // `inl 0x512` -> 0x4551ffff
}

TEST(IoPorts, AccessesAroundTheRegisters) {
  X86Machine m;
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inl(0x50f), 0xff0000ffu);  // `inl 0x50f` -> 0xff0000ff
  EXPECT_EQ(m.inl(0x50e), 0x0000ffffu);  // `inl 0x50e` -> 0xffff
  EXPECT_EQ(m.inl(0x51a), 0xffff4746u);  // `inl 0x51a` -> 0xffff4746
  EXPECT_EQ(m.inb(0x51c), 0xff);
  EXPECT_EQ(m.inb(0x511), 'Q');  // None of that consumed data.
}

TEST(IoPorts, OnlyAWordWriteAtTheSelectorSelects) {
  X86Machine m;
  m.outw(0x510, kId);
  EXPECT_EQ(m.inb(0x511), 0x03);
  m.outl(0x510, 0x00000000);      // `outl 0x510 0x0`: ignored
  m.outb(0x510, 0x00);            // ignored
  m.outb(0x511, 0x00);            // data write channel: ignored
  m.outw(0x511, 0x0000);          // cut into bytes: ignored
  EXPECT_EQ(m.inb(0x511), 0x00);  // Still key 1, offset 2.
  EXPECT_EQ(m.inb(0x511), 0x00);
  m.outw(0x510, kSignature);
  EXPECT_EQ(m.inb(0x511), 'Q');
}

TEST(IoPorts, ReselectingResetsTheOffset) {
  X86Machine m;
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inb(0x511), 'Q');
  EXPECT_EQ(m.inb(0x511), 'E');
  m.outw(0x510, 0x0000);
  EXPECT_EQ(m.inb(0x511), 'Q');
}

TEST(IoPorts, SelectorMasking) {
  X86Machine m;
  ASSERT_TRUE(m.device().SetItem(kX86E820Table, MakeLe16Item(0xbeef)).ok());
  // Bit 14 is ignored: 0x4000 is the signature.
  EXPECT_EQ(m.ReadItem(0x4000, 4), "QEMU");
  EXPECT_EQ(m.ReadItem(0x4001, 1), "\x03");
  // Bit 15 picks the architecture table: 0x8003 is not 0x0003.
  EXPECT_EQ(m.ReadItem(0x8003, 2), "\xef\xbe");
  EXPECT_EQ(m.ReadItem(0xc003, 2), "\xef\xbe");  // and bit 14 is ignored there
  EXPECT_EQ(m.ReadItem(0x8000, 2), std::string(2, '\0'));  // no arch item 0
}

TEST(IoPorts, UnknownKeysReadZero) {
  X86Machine m;
  for (uint16_t key : {0x1a, 0x3fff, 0x8000, 0x20, 0xffff, 0x02, 0x06}) {
    EXPECT_EQ(m.ReadItem(key, 4), std::string(4, '\0')) << key;
  }
}

TEST(IoPorts, DmaRegisterReadsTheSignature) {
  X86Machine m;
  EXPECT_EQ(m.inl(0x514), 0x554d4551u);  // "QEMU"
  EXPECT_EQ(m.inl(0x518), 0x47464320u);  // " CFG"
  EXPECT_EQ(m.inb(0x514), 0x51);
  EXPECT_EQ(m.inw(0x516), 0x554d);  // `inw 0x516` -> 0x554d
  EXPECT_EQ(m.inb(0x51b), 0x47);
}

TEST(IoPorts, NarrowDmaRegisterWritesStartNothing) {
  X86Machine m;
  // A descriptor at 0 that would select key 1 if started.
  m.WriteDescriptor(0x0, (kId << 16) | kDmaSelect, 0, 0);
  m.outw(0x510, kSignature);
  EXPECT_EQ(m.inb(0x511), 'Q');
  m.outb(0x51b, 0x00);
  m.outw(0x51a, 0x0000);
  m.outb(0x518, 0x00);
  EXPECT_EQ(m.inb(0x511), 'E');  // Still the signature: nothing started.
  EXPECT_EQ(m.DescriptorControl(0x0), (kId << 16) | kDmaSelect);
}

TEST(IoPorts, AttachRejectsOverlaps) {
  X86Machine m;  // Already attached at 0x510.
  EXPECT_FALSE(AttachIoPorts(m.device_ptr(), m.pio()).ok());
  // A failed attach leaves the bus as it was.
  vm_device::PioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<FwCfgIoPorts>(m.device_ptr()), 0x514, 1)
          .ok());
  EXPECT_FALSE(AttachIoPorts(m.device_ptr(), bus).ok());
  EXPECT_FALSE(bus.Find(0x510).has_value());
}

// The same registers on an MMIO bus (Linux's x86 offsets for a memory
// resource): the selector is big-endian, every other width and offset
// behaves as on the ports, and a failed attach leaves the bus as it was.
TEST(IoPorts, X86MmioArrangement) {
  X86Machine m;  // for its device and RAM
  vm_device::MmioBus bus;
  constexpr uint64_t kBase = 0xfe000000;
  ASSERT_TRUE(AttachX86Mmio(m.device_ptr(), bus, kBase).ok());
  testing::WriteBus(bus, kBase, 2, 0x0100);  // bytes 00 01: key 1
  EXPECT_EQ(testing::ReadBus(bus, kBase + 1, 1), 3u);
  EXPECT_EQ(testing::ReadBus(bus, kBase + 1, 1), 0u);
  testing::WriteBus(bus, kBase, 1, 0x00);  // a byte write selects nothing
  EXPECT_EQ(testing::ReadBus(bus, kBase + 1, 1), 0u);
  EXPECT_EQ(testing::ReadBus(bus, kBase, 2), 0u);   // wide reads: 0
  testing::WriteBus(bus, kBase, 2, 0x0000);         // key 0
  EXPECT_EQ(testing::ReadBus(bus, kBase, 1), 'Q');  // either byte reads data
  EXPECT_EQ(testing::ReadBus(bus, kBase + 1, 1), 'E');
  EXPECT_EQ(testing::ReadBus(bus, kBase + 4, 4), 0x554d4551u);  // "QEMU"
  EXPECT_EQ(testing::ReadBus(bus, kBase + 8, 4), 0x47464320u);  // " CFG"
  // A DMA request through the MMIO register, big-endian halves: select
  // key 1 and read its 4 bytes to 0x2000.
  m.WriteDescriptor(0x1000, (kId << 16) | kDmaSelect | kDmaRead, 4, 0x2000);
  testing::WriteBus(bus, kBase + 4, 4, 0);
  testing::WriteBus(bus, kBase + 8, 4, __builtin_bswap32(0x1000));
  EXPECT_EQ(m.DescriptorControl(0x1000), 0u);
  EXPECT_EQ(m.ReadRam(0x2000, 4), (std::vector<uint8_t>{3, 0, 0, 0}));
  // Overlapping an existing device: refused, nothing left behind.
  vm_device::MmioBus busy;
  ASSERT_TRUE(
      busy.Insert(std::make_shared<FwCfgIoPorts>(m.device_ptr()), kBase + 4, 1)
          .ok());
  EXPECT_FALSE(AttachX86Mmio(m.device_ptr(), busy, kBase).ok());
  EXPECT_FALSE(busy.Find(kBase).has_value());
}

}  // namespace
}  // namespace fw_cfg
