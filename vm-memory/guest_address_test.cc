#include "vm-memory/guest_address.h"

#include <cstdint>
#include <limits>
#include <optional>

#include "absl/container/flat_hash_set.h"
#include "gtest/gtest.h"

namespace vm_memory {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(GuestAddress, CheckedAddWithinRange) {
  EXPECT_EQ(GuestAddress(0x1000).CheckedAdd(0x234), GuestAddress(0x1234));
  EXPECT_EQ(GuestAddress(kMax - 1).CheckedAdd(1), GuestAddress(kMax));
  EXPECT_EQ(GuestAddress(kMax).CheckedAdd(0), GuestAddress(kMax));
}

TEST(GuestAddress, CheckedAddOverflowIsAnError) {
  EXPECT_EQ(GuestAddress(kMax).CheckedAdd(1), std::nullopt);
  EXPECT_EQ(GuestAddress(1).CheckedAdd(kMax), std::nullopt);
  EXPECT_EQ(GuestAddress(0x8000000000000000).CheckedAdd(0x8000000000000000),
            std::nullopt);
}

TEST(GuestAddress, CheckedSub) {
  EXPECT_EQ(GuestAddress(0x1000).CheckedSub(0x1000), GuestAddress(0));
  EXPECT_EQ(GuestAddress(0x1000).CheckedSub(0x1001), std::nullopt);
  EXPECT_EQ(GuestAddress(0).CheckedSub(kMax), std::nullopt);
}

TEST(GuestAddress, CheckedOffsetFrom) {
  EXPECT_EQ(GuestAddress(0x1010).CheckedOffsetFrom(GuestAddress(0x1000)),
            0x10u);
  EXPECT_EQ(GuestAddress(kMax).CheckedOffsetFrom(GuestAddress(0)), kMax);
  EXPECT_EQ(GuestAddress(0xfff).CheckedOffsetFrom(GuestAddress(0x1000)),
            std::nullopt);
}

TEST(GuestAddress, OrderingHashingAndPrinting) {
  EXPECT_LT(GuestAddress(1), GuestAddress(2));
  EXPECT_EQ(GuestAddress(7), GuestAddress(7));
  absl::flat_hash_set<GuestAddress> set = {GuestAddress(1), GuestAddress(1),
                                           GuestAddress(2)};
  EXPECT_EQ(set.size(), 2u);
  EXPECT_EQ(GuestAddress(0x9020000).ToString(), "0x9020000");
}

}  // namespace
}  // namespace vm_memory
