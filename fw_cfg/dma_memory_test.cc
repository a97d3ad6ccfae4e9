#include "fw_cfg/dma_memory.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;
using vm_memory::GuestAddress;
using vm_memory::GuestMemory;
using vm_memory::MemoryRegion;
using vm_memory::RegionAccess;

constexpr uint64_t kPage = 4096;

// RAM [0, 1 page), a hole, a ROM page at [2, 3 pages).
std::shared_ptr<const GuestMemory> Memory() {
  std::vector<std::unique_ptr<MemoryRegion>> regions;
  regions.push_back(*MemoryRegion::CreateAnonymous(GuestAddress(0), kPage));
  regions.push_back(*MemoryRegion::CreateAnonymous(
      GuestAddress(2 * kPage), kPage, RegionAccess::kReadOnly));
  return *GuestMemory::Create(std::move(regions));
}

TEST(DmaMemory, WriteFillsWhatIsRamAndReportsTheRest) {
  auto memory = Memory();
  const std::vector<uint8_t> data = {1, 2, 3, 4};
  EXPECT_TRUE(CopyToGuest(*memory, GuestAddress(0x10), data));
  EXPECT_FALSE(CopyToGuest(*memory, GuestAddress(kPage - 2), data));
  EXPECT_EQ(*memory->ReadLe16(GuestAddress(kPage - 2)), 0x0201);
  // ROM is not written.
  EXPECT_FALSE(CopyToGuest(*memory, GuestAddress(2 * kPage), data));
  EXPECT_EQ(*memory->ReadLe32(GuestAddress(2 * kPage)), 0u);
  // Past 2^64 the address wraps to 0, as QEMU's: the top 2 bytes fail, the
  // other 2 land at 0.
  EXPECT_FALSE(CopyToGuest(*memory, GuestAddress(~uint64_t{0} - 1), data));
  EXPECT_EQ(*memory->ReadLe16(GuestAddress(0)), 0x0403);
}

TEST(DmaMemory, ReadGivesZerosForUnmappedBytes) {
  auto memory = Memory();
  ASSERT_TRUE(memory->WriteLe16(GuestAddress(kPage - 2), 0xbbaa).ok());
  uint8_t out[4] = {9, 9, 9, 9};
  EXPECT_FALSE(CopyFromGuest(*memory, GuestAddress(kPage - 2), out));
  EXPECT_THAT(out, ElementsAre(0xaa, 0xbb, 0, 0));
  EXPECT_TRUE(
      CopyFromGuest(*memory, GuestAddress(2 * kPage), out));  // ROM reads.
  uint8_t wrap[4] = {9, 9, 9, 9};
  ASSERT_TRUE(memory->WriteLe16(GuestAddress(0), 0x2211).ok());
  EXPECT_FALSE(CopyFromGuest(*memory, GuestAddress(~uint64_t{0} - 1), wrap));
  EXPECT_THAT(wrap, ElementsAre(0, 0, 0x11, 0x22));
}

TEST(DmaMemory, FillAcrossAHole) {
  auto memory = Memory();
  ASSERT_TRUE(memory->Fill(GuestAddress(0), kPage, 0xcc).ok());
  EXPECT_FALSE(FillGuest(*memory, GuestAddress(kPage - 4), 8, 0));
  EXPECT_EQ(*memory->ReadLe32(GuestAddress(kPage - 8)), 0xccccccccu);
  EXPECT_EQ(*memory->ReadLe32(GuestAddress(kPage - 4)), 0u);
  EXPECT_TRUE(FillGuest(*memory, GuestAddress(0), 0, 0xff));
  // A huge fill that mostly misses RAM neither hangs nor crashes.
  EXPECT_FALSE(FillGuest(*memory, GuestAddress(0), ~uint64_t{0}, 1));
  EXPECT_EQ(*memory->ReadU8(GuestAddress(kPage - 1)), 1);
}

TEST(DmaMemory, ItemReadsGoStraightIntoRam) {
  auto memory = Memory();
  auto item = *MakeStringItem("0123456789");
  EXPECT_TRUE(CopyItemToGuest(*memory, GuestAddress(0x100), *item, 2, 4));
  uint8_t out[4];
  ASSERT_TRUE(memory->Read(GuestAddress(0x100), absl::MakeSpan(out)).ok());
  EXPECT_THAT(out, ElementsAre('2', '3', '4', '5'));
  // Straddling into the hole: the in-RAM part arrives, the rest is reported.
  EXPECT_FALSE(CopyItemToGuest(*memory, GuestAddress(kPage - 3), *item, 0, 6));
  uint8_t tail[3];
  ASSERT_TRUE(memory->Read(GuestAddress(kPage - 3), absl::MakeSpan(tail)).ok());
  EXPECT_THAT(tail, ElementsAre('0', '1', '2'));
}

}  // namespace
}  // namespace fw_cfg
