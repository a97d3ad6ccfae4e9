#include "vm-device/bus_range.h"

#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace vm_device {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(BusRange, KeepsAnInclusiveLastAddress) {
  auto range = BusRange::Create(0x510, 2);
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->base(), 0x510u);
  EXPECT_EQ(range->last(), 0x511u);
  EXPECT_EQ(range->length(), 2u);
  EXPECT_FALSE(range->Contains(0x50f));
  EXPECT_TRUE(range->Contains(0x510));
  EXPECT_TRUE(range->Contains(0x511));
  EXPECT_FALSE(range->Contains(0x512));
  EXPECT_EQ(range->ToString(), "[0x510, 0x511]");
}

TEST(BusRange, RejectsZeroLength) {
  EXPECT_EQ(BusRange::Create(0x1000, 0).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BusRange, RejectsWrapAroundButAllowsTheTopByte) {
  auto top = BusRange::Create(kMax, 1);
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->last(), kMax);
  EXPECT_EQ(BusRange::Create(kMax, 2).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BusRange::Create(2, kMax).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto everything_but_zero = BusRange::Create(1, kMax);
  ASSERT_TRUE(everything_but_zero.ok());
  EXPECT_EQ(everything_but_zero->last(), kMax);
  auto whole_but_last = BusRange::Create(0, kMax);
  ASSERT_TRUE(whole_but_last.ok());
  EXPECT_EQ(whole_but_last->last(), kMax - 1);
  EXPECT_EQ(whole_but_last->length(), kMax);
}

TEST(BusRange, Overlaps) {
  const BusRange a = *BusRange::Create(0x10, 0x10);  // [0x10, 0x1f]
  EXPECT_TRUE(a.Overlaps(*BusRange::Create(0x1f, 1)));
  EXPECT_TRUE(a.Overlaps(*BusRange::Create(0x0, 0x11)));
  EXPECT_TRUE(a.Overlaps(*BusRange::Create(0x14, 2)));
  EXPECT_TRUE(a.Overlaps(*BusRange::Create(0x0, 0x100)));
  EXPECT_FALSE(a.Overlaps(*BusRange::Create(0x20, 1)));
  EXPECT_FALSE(a.Overlaps(*BusRange::Create(0x0, 0x10)));
}

}  // namespace
}  // namespace vm_device
