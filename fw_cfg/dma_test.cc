// The DMA interface. Control words are written from the raw numbers of the
// specification (0x01 error, 0x02 read, 0x04 skip, 0x08 select, 0x10 write,
// key in bits 31..16), never from an encoder under test. Where a comment
// says "QEMU:", the same sequence was run on qemu-system-x86_64 7.2 (q35,
// -m 256M, qtest) and gave that answer, with addresses near the end of RAM
// taken relative to 0x10000000. (-m 256M must be given: Debian's QEMU 7.2
// defaults to 128 MiB, and key 0x03 reads 0x08000000 without -m. See
// docs/guest-visible-behaviour.md.)

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using testing::ArmMachine;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using testing::X86Machine;

constexpr uint64_t kDesc = 0x1000;
constexpr uint64_t kBuf = 0x2000;
constexpr uint64_t kRamEnd = X86Machine::kRamSize;  // First byte past RAM.

std::vector<uint8_t> Bytes(const std::string& s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}

TEST(Dma, ReadPastTheEndZeroFills) {
  X86Machine m;
  m.WriteRam(kBuf, std::vector<uint8_t>(8, 0xaa));
  m.WriteDescriptor(kDesc, 0x0000000a, 8, kBuf);  // select key 0, read 8
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  // QEMU: `read 0x2000 8` -> 0x51454d5500000000
  EXPECT_THAT(m.ReadRam(kBuf, 8), ElementsAre('Q', 'E', 'M', 'U', 0, 0, 0, 0));
}

TEST(Dma, SkipThenRead) {
  X86Machine m;
  m.WriteDescriptor(kDesc, 0x0000000c, 2, 0);  // select key 0, skip 2
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  m.WriteDescriptor(kDesc, 0x00000002, 4, kBuf);  // read 4
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_THAT(m.ReadRam(kBuf, 4),
              ElementsAre('M', 'U', 0, 0));  // QEMU: 0x4d550000
}

TEST(Dma, SelectUsesTheTopSixteenBitsOfControl) {
  X86Machine m;
  ASSERT_TRUE(m.device().SetItem(kNbCpus, MakeLe16Item(0x1234)).ok());
  m.WriteDescriptor(kDesc, 0x0005000a, 2, kBuf);  // key 5, select + read
  m.StartDma(kDesc);
  EXPECT_THAT(m.ReadRam(kBuf, 2), ElementsAre(0x34, 0x12));
  // And it is a real selection: the data port continues from offset 2.
  EXPECT_EQ(m.inb(0x511), 0);
  m.outw(0x510, kNbCpus);
  EXPECT_EQ(m.inb(0x511), 0x34);
}

TEST(Dma, ReadContinuesFromThePortOffsetWithoutSelect) {
  X86Machine m;
  m.outw(0x510, kSignature);
  EXPECT_EQ(m.inb(0x511), 'Q');
  m.WriteDescriptor(kDesc, 0x00000002, 2, kBuf);  // read 2, no select
  m.StartDma(kDesc);
  EXPECT_THAT(m.ReadRam(kBuf, 2), ElementsAre('E', 'M'));
  EXPECT_EQ(m.inb(0x511), 'U');
}

TEST(Dma, ReadOfAnInvalidKeyZeroFillsAndSucceeds) {
  X86Machine m;
  m.WriteRam(kBuf, std::vector<uint8_t>(4, 0xaa));
  m.WriteDescriptor(kDesc, 0x001a000a, 4, kBuf);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_THAT(m.ReadRam(kBuf, 4), ElementsAre(0, 0, 0, 0));
}

TEST(Dma, NoOperationBitsSucceedAndMoveNothing) {
  X86Machine m;
  m.WriteRam(kBuf, std::vector<uint8_t>(4, 0xaa));
  for (uint32_t control : {0x00000000u, 0x00000001u /* error bit only */,
                           0x00000008u /* select only */}) {
    m.WriteDescriptor(kDesc, control, 4, kBuf);
    m.StartDma(kDesc);
    EXPECT_EQ(m.DescriptorControl(kDesc), 0u) << control;
    EXPECT_THAT(m.ReadRam(kBuf, 4), ElementsAre(0xaa, 0xaa, 0xaa, 0xaa));
  }
}

TEST(Dma, ReadAndWriteTogetherIsARead) {
  X86Machine m;
  m.WriteDescriptor(kDesc, 0x0000001a, 4, kBuf);  // select 0, read + write
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_EQ(m.ReadRam(kBuf, 4), Bytes("QEMU"));
}

TEST(Dma, ZeroLengthSucceeds) {
  X86Machine m;
  m.WriteDescriptor(kDesc, 0x0000000a, 0, 0xffffffffffffffff);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
}

TEST(Dma, WriteToAReadOnlyItemFails) {
  X86Machine m;
  m.WriteRam(kBuf, Bytes("XXXX"));
  m.WriteDescriptor(kDesc, 0x00000018, 4, kBuf);  // select 0, write 4
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_EQ(m.ReadItem(kSignature, 4), "QEMU");
  // A write to a key with no item fails too.
  m.WriteDescriptor(kDesc, 0x001a0018, 4, kBuf);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
}

TEST(Dma, DestinationOutsideRamFailsButTheOffsetAdvances) {
  X86Machine m;
  // QEMU: a 2-byte read of key 0 to 0x100000000 fails, and the next 2-byte
  // read returns "MU".
  m.WriteDescriptor(kDesc, 0x0000000a, 2, 0x100000000);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  m.WriteDescriptor(kDesc, 0x00000002, 2, kBuf);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_THAT(m.ReadRam(kBuf, 2), ElementsAre('M', 'U'));
}

TEST(Dma, DestinationStraddlingTheEndOfRamFillsThePartInside) {
  X86Machine m;
  m.WriteRam(kRamEnd - 4, {0xbb, 0xbb, 0x00, 0x00});
  // QEMU: read 4 of key 0 to RAM end - 2 -> error, "QE" lands in RAM.
  m.WriteDescriptor(kDesc, 0x0000000a, 4, kRamEnd - 2);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_THAT(m.ReadRam(kRamEnd - 4, 4), ElementsAre(0xbb, 0xbb, 'Q', 'E'));
  EXPECT_EQ(m.inb(0x511), 0);  // The offset moved past all 4 bytes.
}

TEST(Dma, ZeroFillStraddlingTheEndOfRamFillsThePartInside) {
  X86Machine m;
  m.WriteRam(kRamEnd - 8, std::vector<uint8_t>(8, 0xcc));
  m.WriteDescriptor(kDesc, 0x001a000a, 8, kRamEnd - 4);  // invalid key
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_THAT(m.ReadRam(kRamEnd - 8, 8),
              ElementsAre(0xcc, 0xcc, 0xcc, 0xcc, 0, 0, 0, 0));
}

TEST(Dma, DescriptorOutsideRamChangesNothing) {
  X86Machine m;
  m.outw(0x510, kId);
  m.StartDma(0x20000000);  // QEMU: nothing changes; port still reads key 1.
  EXPECT_EQ(m.inb(0x511), 0x03);
  m.StartDma(0xfffffffffffffff8);  // The descriptor itself would wrap.
  EXPECT_EQ(m.inb(0x511), 0x00);
  EXPECT_EQ(m.inb(0x511), 0x00);
}

TEST(Dma, DescriptorStraddlingTheEndOfRamGetsTheErrorInItsControlWord) {
  X86Machine m;
  // QEMU: descriptor at RAM end - 8: control (in RAM) becomes 1, the next
  // 4 bytes stay.
  m.WriteRam(kRamEnd - 8, {0, 0, 0, 0x0a, 0, 0, 0, 0xff});
  m.StartDma(kRamEnd - 8);
  EXPECT_THAT(m.ReadRam(kRamEnd - 8, 8),
              ElementsAre(0, 0, 0, 1, 0, 0, 0, 0xff));
  EXPECT_EQ(m.inb(0x511), 'Q');  // No selection or transfer happened.
}

TEST(Dma, DestinationWrappingPast2To64WrapsLikeQemu) {
  X86Machine m;
  // QEMU: a 4-byte read of key 0 to 0xfffffffffffffffe fails ("QE" has no
  // RAM to land in) and "MU" lands at guest address 0: its address
  // arithmetic wraps. `read 0x0 4` -> 0x4d557777 after writing 0x77777777.
  m.WriteRam(0, {0x77, 0x77, 0x77, 0x77});
  m.WriteDescriptor(kDesc, 0x0000000a, 4, 0xfffffffffffffffe);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_THAT(m.ReadRam(0, 4), ElementsAre('M', 'U', 0x77, 0x77));
  // A zero-fill that wraps (invalid key, 0x18 bytes from 2^64 - 8) clears
  // the first 16 bytes of RAM, as QEMU does.
  m.WriteRam(0, std::vector<uint8_t>(32, 0x77));
  m.WriteDescriptor(kDesc, 0x001a000a, 0x18, 0xfffffffffffffff8);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  std::vector<uint8_t> expected(32, 0x77);
  std::fill(expected.begin(), expected.begin() + 16, 0);
  EXPECT_EQ(m.ReadRam(0, 32), expected);
}

TEST(Dma, LengthsNear2To32) {
  X86Machine m;
  // A read of 0xffffffff bytes of the 4-byte signature to the last 8 bytes
  // of RAM: 4 bytes of data, then a zero-fill of 0xfffffffb bytes that runs
  // off the end of RAM: error, the in-RAM part filled, no crash, no hang.
  m.WriteRam(kRamEnd - 8, std::vector<uint8_t>(8, 0xee));
  m.WriteDescriptor(kDesc, 0x0000000a, 0xffffffff, kRamEnd - 8);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_THAT(m.ReadRam(kRamEnd - 8, 8),
              ElementsAre('Q', 'E', 'M', 'U', 0, 0, 0, 0));
  // A skip of 0xffffffff succeeds and leaves the offset at the item's end.
  m.WriteDescriptor(kDesc, 0x0000000c, 0xffffffff, 0);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_EQ(m.inb(0x511), 0);
  // A destination that crosses 4 GiB (no RAM there in this machine).
  m.WriteDescriptor(kDesc, 0x0000000a, 16, 0xfffffff8);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
}

TEST(Dma, HighHalfIsLatchedAndTheAddressResetAfterATransfer) {
  X86Machine m;
  // Descriptor at 0x1000 (no high half). A stale high half from an earlier
  // write must be cleared by the transfer itself, so a second low-half
  // write alone reaches 0x1000 again.
  m.outl(0x514, __builtin_bswap32(0x1));  // high = 1 (4 GiB: no RAM)
  m.WriteDescriptor(kDesc, 0x0000000a, 4, kBuf);
  m.outl(0x518, __builtin_bswap32(kDesc));  // 0x1_0000_1000: fails, no RAM
  EXPECT_EQ(m.DescriptorControl(kDesc), 0x0000000au);  // Untouched.
  m.outl(0x518, __builtin_bswap32(kDesc));  // High half was reset to 0.
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_EQ(m.ReadRam(kBuf, 4), Bytes("QEMU"));
}

TEST(Dma, DisabledDmaStartsNothing) {
  X86Machine m(FwCfgOptions{.dma = false});
  m.WriteDescriptor(kDesc, 0x0000000a, 4, kBuf);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0x0000000au);
  m.device().WriteDmaAddress(kDesc);  // Even called directly.
  EXPECT_EQ(m.DescriptorControl(kDesc), 0x0000000au);
}

TEST(Dma, DirectoryReadInOneTransfer) {
  X86Machine m;
  ASSERT_TRUE(m.device().AddFile("opt/b", *MakeStringItem("bb")).ok());
  ASSERT_TRUE(m.device().AddFile("opt/a", *MakeStringItem("a")).ok());
  m.WriteDescriptor(kDesc, 0x0019000a, 4 + 2 * 64, kBuf);
  m.StartDma(kDesc);
  ASSERT_EQ(m.DescriptorControl(kDesc), 0u);
  std::vector<uint8_t> dir = m.ReadRam(kBuf, 4 + 2 * 64);
  EXPECT_THAT(std::vector<uint8_t>(dir.begin(), dir.begin() + 4),
              ElementsAre(0, 0, 0, 2));
  // opt/a: size 1, key 0x20; opt/b: size 2, key 0x21.
  EXPECT_THAT(std::vector<uint8_t>(dir.begin() + 4, dir.begin() + 13),
              ElementsAre(0, 0, 0, 1, 0, 0x20, 0, 0, 'o'));
  EXPECT_THAT(std::vector<uint8_t>(dir.begin() + 68, dir.begin() + 76),
              ElementsAre(0, 0, 0, 2, 0, 0x21, 0, 0));
}

// ---- Writable items (QEMU's write_cb, e.g. etc/vmcoreinfo) -----------------
// Each of the three cases below was run on QEMU 7.2 with `-device vmcoreinfo`
// (etc/vmcoreinfo, 16 writable bytes): a write lands and reads back; a
// write of 4 at offset 14 fails and leaves the offset at 16; a source of
// "zz" + 2 bytes past RAM fails and leaves "zz\0\0" in the item.

struct WriteLog {
  std::vector<std::string> calls;
};

std::shared_ptr<Item> Writable(WriteLog* log, size_t size) {
  return *MakeWritableItem(
      std::vector<uint8_t>(size, 0x11),
      [log](uint32_t offset, uint32_t length, absl::Span<const uint8_t> all) {
        log->calls.push_back(std::to_string(offset) + "+" +
                             std::to_string(length) + ":" +
                             std::string(all.begin(), all.end()));
      });
}

TEST(DmaWrite, WritesTheItemAndCallsBack) {
  X86Machine m;
  WriteLog log;
  ASSERT_TRUE(m.device().AddFile("etc/vmcoreinfo", Writable(&log, 4)).ok());
  m.WriteRam(kBuf, Bytes("ab"));
  m.WriteDescriptor(kDesc, 0x0020000c, 1, 0);  // select 0x20, skip 1
  m.StartDma(kDesc);
  m.WriteDescriptor(kDesc, 0x00000010, 2, kBuf);  // write 2
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 0u);
  EXPECT_THAT(log.calls, ElementsAre("1+2:\x11"
                                     "ab\x11"));
  EXPECT_EQ(m.ReadItem(0x20, 4),
            "\x11"
            "ab\x11");
}

TEST(DmaWrite, WritePastTheEndFailsWritesNothingButAdvances) {
  X86Machine m;
  WriteLog log;
  ASSERT_TRUE(m.device().AddFile("etc/vmcoreinfo", Writable(&log, 4)).ok());
  m.WriteRam(kBuf, Bytes("abcdef"));
  m.WriteDescriptor(kDesc, 0x0020000c, 2, 0);  // skip 2
  m.StartDma(kDesc);
  m.WriteDescriptor(kDesc, 0x00000010, 3, kBuf);  // 3 bytes, only 2 left
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_TRUE(log.calls.empty());
  EXPECT_EQ(m.inb(0x511), 0);  // Offset advanced by the 2 bytes that fit.
  EXPECT_EQ(m.ReadItem(0x20, 4), std::string(4, '\x11'));
}

TEST(DmaWrite, SourceOutsideRamFailsAndZeroesTheItemBytes) {
  X86Machine m;
  WriteLog log;
  ASSERT_TRUE(m.device().AddFile("etc/vmcoreinfo", Writable(&log, 4)).ok());
  // Source straddles the end of RAM: "zz" from RAM, then 2 unmapped bytes.
  m.WriteRam(kRamEnd - 2, Bytes("zz"));
  m.WriteDescriptor(kDesc, 0x00200018, 4, kRamEnd - 2);
  m.StartDma(kDesc);
  EXPECT_EQ(m.DescriptorControl(kDesc), 1u);
  EXPECT_TRUE(log.calls.empty());
  // As QEMU: the item took what was read, zeros for the unmapped part.
  EXPECT_EQ(m.ReadItem(0x20, 4), std::string("zz\0\0", 4));
}

TEST(DmaWrite, GeneratedItemsRegenerateOnSelect) {
  X86Machine m;
  int generation = 0;
  ASSERT_TRUE(m.device()
                  .AddFile("etc/counter",
                           *MakeGeneratedItem(1,
                                              [&](absl::Span<uint8_t> b) {
                                                b[0] = static_cast<uint8_t>(
                                                    ++generation);
                                              }))
                  .ok());
  EXPECT_EQ(m.ReadItem(0x20, 1), "\x01");
  EXPECT_EQ(m.ReadItem(0x20, 1), "\x02");
  m.WriteDescriptor(kDesc, 0x0020000a, 1, kBuf);
  m.StartDma(kDesc);
  EXPECT_THAT(m.ReadRam(kBuf, 1), ElementsAre(3));
}

// Callbacks run under the device's lock (item.h), as QEMU's run under its
// big lock: one that calls back into the same device would deadlock, so
// debug builds stop it with a message instead.
TEST(ItemCallbackDeathTest, CallingBackIntoTheDeviceFailsLoudly) {
#ifdef NDEBUG
  GTEST_SKIP() << "the check is compiled in without NDEBUG only";
#else
  EXPECT_DEATH(
      {
        X86Machine m;
        FwCfg* device = &m.device();
        (void)m.device().AddFile(
            "etc/reentrant",
            *MakeGeneratedItem(1, [device](absl::Span<uint8_t>) {
              (void)device->ListFiles();
            }));
        m.ReadItem(0x20, 1);
      },
      "already holds the mutex.*fw_cfg/item.h");
#endif
}

// ---- The MMIO DMA register ------------------------------------------------

TEST(MmioDma, EightByteWriteStartsATransfer) {
  ArmMachine m;
  const uint64_t desc = ArmMachine::kRamBase + 0x1000;
  const uint64_t buf = ArmMachine::kRamBase + 0x2000;
  m.WriteDescriptor(desc, 0x0000000a, 4, buf);
  // edk2 on AArch64 starts DMA with one 8-byte big-endian write.
  m.writeq(ArmMachine::kBase + 16, __builtin_bswap64(desc));
  EXPECT_EQ(m.DescriptorControl(desc), 0u);
  EXPECT_EQ(m.ReadRam(buf, 4), Bytes("QEMU"));
}

TEST(MmioDma, TwoFourByteWritesStartATransfer) {
  ArmMachine m;
  const uint64_t desc = ArmMachine::kRamBase + 0x1000;
  const uint64_t buf = ArmMachine::kRamBase + 0x2000;
  m.WriteDescriptor(desc, 0x0001000a, 4, buf);
  m.writel(ArmMachine::kBase + 16, __builtin_bswap32(desc >> 32));
  EXPECT_EQ(m.DescriptorControl(desc), 0x0001000au);  // Not yet.
  m.writel(ArmMachine::kBase + 20, __builtin_bswap32(desc & 0xffffffff));
  EXPECT_EQ(m.DescriptorControl(desc), 0u);
  EXPECT_THAT(m.ReadRam(buf, 4), ElementsAre(3, 0, 0, 0));
}

TEST(MmioDma, OtherWritesStartNothing) {
  ArmMachine m;
  const uint64_t desc = ArmMachine::kRamBase + 0x1000;
  m.WriteDescriptor(desc, 0x0000000a, 4, ArmMachine::kRamBase + 0x2000);
  m.writew(ArmMachine::kBase + 22, 0);
  m.writew(ArmMachine::kBase + 16, 0);
  m.writel(ArmMachine::kBase + 18, 0);  // Cut into 2 + 2 bytes.
  m.writeb(ArmMachine::kBase + 23, 0);
  EXPECT_EQ(m.DescriptorControl(desc), 0x0000000au);
  // Below RAM on arm `virt`: a descriptor at 0 is outside RAM.
  m.writeq(ArmMachine::kBase + 16, 0);
  EXPECT_EQ(m.DescriptorControl(desc), 0x0000000au);
}

TEST(MmioDma, EightByteWriteAtOffsetFourIsALowHalfWrite) {
  // As in QEMU's memory core, the 8-byte access is cut at its alignment:
  // 4 bytes at offset 4 (a valid low-half write, which starts the
  // transfer), then 4 unassigned bytes.
  ArmMachine m;
  const uint64_t desc = ArmMachine::kRamBase + 0x1000;
  m.WriteDescriptor(desc, 0x0000000a, 4, ArmMachine::kRamBase + 0x2000);
  m.writeq(ArmMachine::kBase + 20,
           uint64_t{__builtin_bswap32(static_cast<uint32_t>(desc))});
  EXPECT_EQ(m.DescriptorControl(desc), 0u);
}

}  // namespace
}  // namespace fw_cfg
