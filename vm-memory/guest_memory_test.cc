#include "vm-memory/guest_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <numeric>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vm_memory {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const uint64_t kPage = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

std::shared_ptr<const GuestMemory> MakeMemory(
    std::initializer_list<RegionLayout> layout) {
  auto memory = GuestMemory::CreateAnonymous(layout);
  EXPECT_TRUE(memory.ok()) << memory.status();
  return memory.ok() ? *memory : nullptr;
}

// RAM at [0, 2 pages) and, adjacent, [2 pages, 3 pages); a hole; then
// [8 pages, 9 pages).
std::shared_ptr<const GuestMemory> ThreeRegions() {
  return MakeMemory({{GuestAddress(8 * kPage), kPage},
                     {GuestAddress(0), 2 * kPage},
                     {GuestAddress(2 * kPage), kPage}});
}

TEST(GuestMemoryCreate, SortsRegions) {
  auto memory = ThreeRegions();
  ASSERT_EQ(memory->regions().size(), 3u);
  EXPECT_EQ(memory->regions()[0]->start(), GuestAddress(0));
  EXPECT_EQ(memory->regions()[1]->start(), GuestAddress(2 * kPage));
  EXPECT_EQ(memory->regions()[2]->start(), GuestAddress(8 * kPage));
}

TEST(GuestMemoryCreate, RejectsOverlaps) {
  for (const RegionLayout& second :
       {RegionLayout{GuestAddress(kPage), 2 * kPage},     // tail overlap
        RegionLayout{GuestAddress(kPage), kPage},         // same start
        RegionLayout{GuestAddress(0), 8 * kPage},         // contains
        RegionLayout{GuestAddress(2 * kPage), kPage}}) {  // inside
    auto memory = GuestMemory::CreateAnonymous(
        {RegionLayout{GuestAddress(kPage), 2 * kPage}, second});
    ASSERT_FALSE(memory.ok()) << second.start << " " << second.size;
    EXPECT_EQ(memory.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(memory.status().message(), HasSubstr("overlap"));
  }
}

TEST(GuestMemoryCreate, RejectsEmptySetZeroSizeAndOverflow) {
  EXPECT_EQ(GuestMemory::CreateAnonymous({}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      GuestMemory::CreateAnonymous({{GuestAddress(0), 0}}).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(GuestMemory::CreateAnonymous(
                {{GuestAddress(kMax - kPage + 1), 2 * kPage}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::unique_ptr<MemoryRegion>> with_null;
  with_null.push_back(nullptr);
  EXPECT_EQ(GuestMemory::Create(std::move(with_null)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(GuestMemoryFind, FindsTheRegionOrNothing) {
  auto memory = ThreeRegions();
  EXPECT_EQ(memory->FindRegion(GuestAddress(0)), memory->regions()[0].get());
  EXPECT_EQ(memory->FindRegion(GuestAddress(2 * kPage - 1)),
            memory->regions()[0].get());
  EXPECT_EQ(memory->FindRegion(GuestAddress(2 * kPage)),
            memory->regions()[1].get());
  EXPECT_EQ(memory->FindRegion(GuestAddress(3 * kPage)), nullptr);
  EXPECT_EQ(memory->FindRegion(GuestAddress(9 * kPage)), nullptr);
  EXPECT_EQ(memory->FindRegion(GuestAddress(kMax)), nullptr);
}

TEST(GuestMemoryAccess, RoundTripsBytes) {
  auto memory = ThreeRegions();
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  ASSERT_TRUE(memory->Write(GuestAddress(0x100), data).ok());
  std::vector<uint8_t> back(5);
  ASSERT_TRUE(memory->Read(GuestAddress(0x100), absl::MakeSpan(back)).ok());
  EXPECT_EQ(back, data);
}

TEST(GuestMemoryAccess, CrossesIntoAnAdjacentRegion) {
  auto memory = ThreeRegions();
  std::vector<uint8_t> data(16);
  std::iota(data.begin(), data.end(), 0x40);
  const GuestAddress straddle(2 * kPage - 8);
  ASSERT_TRUE(memory->Write(straddle, data).ok());
  // Each half landed in its own region's mapping.
  EXPECT_EQ(memory->regions()[0]->host_address()[2 * kPage - 8], 0x40);
  EXPECT_EQ(memory->regions()[1]->host_address()[0], 0x48);
  std::vector<uint8_t> back(16);
  ASSERT_TRUE(memory->Read(straddle, absl::MakeSpan(back)).ok());
  EXPECT_EQ(back, data);
}

TEST(GuestMemoryAccess, TouchingAnUnmappedByteFailsAndMovesNothing) {
  auto memory = ThreeRegions();
  // The last 4 bytes of the adjacent pair, then the hole.
  const GuestAddress near_hole(3 * kPage - 4);
  ASSERT_TRUE(memory->Fill(near_hole, 4, 0xaa).ok());
  const std::vector<uint8_t> data(8, 0x55);
  absl::Status status = memory->Write(near_hole, data);
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("0x3000 is unmapped"));
  EXPECT_THAT(*memory->ReadLe32(near_hole), 0xaaaaaaaau);  // Unchanged.

  std::vector<uint8_t> back(8, 0x11);
  EXPECT_EQ(memory->Read(near_hole, absl::MakeSpan(back)).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_THAT(back, ElementsAre(0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
                                0x11));  // Nothing copied out either.
  EXPECT_EQ(memory->Fill(near_hole, 5, 0).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(*memory->ReadLe32(near_hole), 0xaaaaaaaau);

  // Wholly outside, before and after the last region.
  EXPECT_EQ(memory->ReadU8(GuestAddress(5 * kPage)).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(memory->ReadU8(GuestAddress(9 * kPage)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(GuestMemoryAccess, AddressPlusLengthOverflowFails) {
  auto memory = ThreeRegions();
  std::vector<uint8_t> buffer(2);
  absl::Status status =
      memory->Read(GuestAddress(kMax), absl::MakeSpan(buffer));
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(status.message(), HasSubstr("overflows"));
  EXPECT_EQ(memory->Fill(GuestAddress(0x10), kMax, 0).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_FALSE(memory->IsRangeMapped(GuestAddress(1), kMax));
  EXPECT_FALSE(memory->GetSlice(GuestAddress(kPage), kMax).ok());
}

TEST(GuestMemoryAccess, RegionAtTheTopOfTheAddressSpace) {
  const GuestAddress last_page(kMax - kPage + 1);
  auto memory = MakeMemory({{last_page, kPage}});
  ASSERT_TRUE(
      memory->WriteLe64(GuestAddress(kMax - 7), 0x0102030405060708).ok());
  EXPECT_EQ(*memory->ReadU8(GuestAddress(kMax)), 0x01);
  EXPECT_TRUE(memory->IsRangeMapped(last_page, kPage));
  // One byte more would need address 2^64.
  EXPECT_EQ(memory->ReadLe64(GuestAddress(kMax - 6)).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(GuestMemoryAccess, ZeroLengthAccessesSucceedAnywhere) {
  auto memory = ThreeRegions();
  EXPECT_TRUE(memory->Read(GuestAddress(5 * kPage), {}).ok());
  EXPECT_TRUE(memory->Write(GuestAddress(kMax), {}).ok());
  EXPECT_TRUE(memory->IsRangeMapped(GuestAddress(kMax), 0));
}

TEST(GuestMemoryAccess, IntegersInBothByteOrders) {
  auto memory = ThreeRegions();
  const GuestAddress at(2 * kPage - 3);  // Straddles two regions.
  ASSERT_TRUE(memory->WriteBe64(at, 0x0102030405060708).ok());
  EXPECT_EQ(*memory->ReadU8(at), 0x01);
  EXPECT_EQ(*memory->ReadLe64(at), 0x0807060504030201u);
  EXPECT_EQ(*memory->ReadBe32(at), 0x01020304u);
  EXPECT_EQ(*memory->ReadLe32(at), 0x04030201u);
  EXPECT_EQ(*memory->ReadBe16(at), 0x0102u);
  EXPECT_EQ(*memory->ReadLe16(at), 0x0201u);
  ASSERT_TRUE(memory->WriteLe16(at, 0xaabb).ok());
  EXPECT_EQ(*memory->ReadBe16(at), 0xbbaa);
  ASSERT_TRUE(memory->WriteLe32(at, 0x11223344).ok());
  EXPECT_EQ(*memory->ReadBe32(at), 0x44332211u);
  ASSERT_TRUE(memory->WriteBe32(at, 0x11223344).ok());
  EXPECT_EQ(*memory->ReadLe32(at), 0x44332211u);
  ASSERT_TRUE(memory->WriteLe64(at, 1).ok());
  EXPECT_EQ(*memory->ReadBe64(at), 0x0100000000000000u);
  ASSERT_TRUE(memory->WriteBe16(at, 0x0102).ok());
  ASSERT_TRUE(memory->WriteU8(at, 0xff).ok());
  EXPECT_EQ(*memory->ReadLe16(at), 0x02ff);
  EXPECT_EQ(memory->WriteBe64(GuestAddress(3 * kPage - 4), 0).code(),
            absl::StatusCode::kOutOfRange);
}

TEST(GuestMemorySlice, ViewsOneRegion) {
  auto memory = ThreeRegions();
  auto slice = memory->GetSlice(GuestAddress(0x10), 0x20, /*for_write=*/true);
  ASSERT_TRUE(slice.ok()) << slice.status();
  ASSERT_EQ(slice->size(), 0x20u);
  (*slice)[0] = 0x77;
  EXPECT_EQ(*memory->ReadU8(GuestAddress(0x10)), 0x77);
  EXPECT_EQ(slice->data(), memory->regions()[0]->host_address() + 0x10);
}

TEST(GuestMemorySlice, RefusesRangesAcrossRegionsOrUnmapped) {
  auto memory = ThreeRegions();
  auto across = memory->GetSlice(GuestAddress(2 * kPage - 1), 2);
  EXPECT_EQ(across.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(across.status().message(), HasSubstr("several memory regions"));
  EXPECT_EQ(memory->GetSlice(GuestAddress(3 * kPage), 1).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(memory->GetSlice(GuestAddress(5 * kPage), 0)->empty());
}

TEST(GuestMemoryReadOnly, WritesFailReadsWork) {
  std::vector<std::unique_ptr<MemoryRegion>> regions;
  regions.push_back(*MemoryRegion::CreateAnonymous(GuestAddress(0), kPage));
  regions.push_back(*MemoryRegion::CreateAnonymous(GuestAddress(kPage), kPage,
                                                   RegionAccess::kReadOnly));
  auto memory = GuestMemory::Create(std::move(regions));
  ASSERT_TRUE(memory.ok());
  const GuestAddress straddle(kPage - 2);
  ASSERT_TRUE((*memory)->WriteU8(GuestAddress(kPage - 2), 0x33).ok());
  // Straddling into the ROM: refused as a whole, the RAM byte is untouched.
  absl::Status status = (*memory)->WriteLe32(straddle, 0xffffffff);
  EXPECT_EQ(status.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*(*memory)->ReadU8(straddle), 0x33);
  EXPECT_EQ((*memory)->Fill(GuestAddress(kPage), 1, 0).code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(*(*memory)->ReadLe32(straddle), 0x33u);
  EXPECT_EQ((*memory)->GetSlice(GuestAddress(kPage), 4, true).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE((*memory)->GetSlice(GuestAddress(kPage), 4, false).ok());
}

TEST(GuestMemoryFileBacked, ReadsAndWritesReachTheFile) {
  const int fd = memfd_create("guest_memory_test", 0);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(ftruncate(fd, 2 * kPage), 0);
  std::vector<std::unique_ptr<MemoryRegion>> regions;
  regions.push_back(*MemoryRegion::CreateFromFile(GuestAddress(0x40000000),
                                                  2 * kPage, fd, 0));
  auto memory = GuestMemory::Create(std::move(regions));
  ASSERT_TRUE(memory.ok());
  ASSERT_TRUE(
      (*memory)->WriteBe32(GuestAddress(0x40000000 + kPage), 0xcafe).ok());
  uint8_t bytes[4] = {};
  ASSERT_EQ(pread(fd, bytes, 4, kPage), 4);
  EXPECT_THAT(bytes, ElementsAre(0x00, 0x00, 0xca, 0xfe));
  const uint8_t from_host[2] = {0xab, 0xcd};
  ASSERT_EQ(pwrite(fd, from_host, 2, 0), 2);
  EXPECT_EQ(*(*memory)->ReadBe16(GuestAddress(0x40000000)), 0xabcd);
  close(fd);
}

struct Segment {
  uint64_t start;
  uint64_t length;
  bool mapped;
  bool operator==(const Segment&) const = default;
};

std::vector<Segment> Visit(const GuestMemory& memory, uint64_t address,
                           uint64_t length, uint64_t* beyond) {
  std::vector<Segment> segments;
  *beyond = memory.VisitRange(
      GuestAddress(address), length,
      [&](GuestAddress start, uint64_t n, uint8_t* host, bool) {
        segments.push_back({start.raw(), n, host != nullptr});
      });
  return segments;
}

TEST(GuestMemoryVisit, SplitsIntoMappedAndUnmappedRuns) {
  auto memory = ThreeRegions();  // [0, 3 pages) in two regions, [8, 9 pages)
  uint64_t beyond = 1;
  EXPECT_THAT(
      Visit(*memory, kPage, 9 * kPage, &beyond),
      ElementsAre(Segment{kPage, kPage, true}, Segment{2 * kPage, kPage, true},
                  Segment{3 * kPage, 5 * kPage, false},
                  Segment{8 * kPage, kPage, true},
                  Segment{9 * kPage, kPage, false}));
  EXPECT_EQ(beyond, 0u);
  EXPECT_THAT(Visit(*memory, 5 * kPage, 16, &beyond),
              ElementsAre(Segment{5 * kPage, 16, false}));
  EXPECT_THAT(Visit(*memory, 0, 0, &beyond), ElementsAre());
}

TEST(GuestMemoryVisit, StopsAtTheTopOfTheAddressSpace) {
  auto memory = MakeMemory({{GuestAddress(kMax - kPage + 1), kPage}});
  uint64_t beyond = 0;
  // 16 bytes from 2^64 - 8: 8 visited, 8 would wrap.
  EXPECT_THAT(Visit(*memory, kMax - 7, 16, &beyond),
              ElementsAre(Segment{kMax - 7, 8, true}));
  EXPECT_EQ(beyond, 8u);
  EXPECT_THAT(Visit(*memory, kMax, kMax, &beyond),
              ElementsAre(Segment{kMax, 1, true}));
  EXPECT_EQ(beyond, kMax - 1);
  EXPECT_THAT(Visit(*memory, 0x1000, kMax, &beyond),
              ElementsAre(Segment{0x1000, kMax - kPage + 1 - 0x1000, false},
                          Segment{kMax - kPage + 1, kPage, true}));
  EXPECT_EQ(beyond, 0xfffu);
}

}  // namespace
}  // namespace vm_memory
