#include "fw_cfg/item.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;

std::string ReadAll(Item& item) {
  std::string out(item.size(), '\0');
  EXPECT_TRUE(
      item.Read(0, absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()),
                                  out.size()))
          .ok());
  return out;
}

TEST(Item, BytesAndStrings) {
  auto bytes = MakeBytesItem({1, 2, 3});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ((*bytes)->size(), 3u);
  EXPECT_FALSE((*bytes)->writable());
  uint8_t middle[1];
  ASSERT_TRUE((*bytes)->Read(1, absl::MakeSpan(middle)).ok());
  EXPECT_EQ(middle[0], 2);

  // QEMU's -fw_cfg string= stores no NUL; fw_cfg_add_string does.
  EXPECT_EQ(ReadAll(**MakeStringItem("abc")), "abc");
  EXPECT_EQ(ReadAll(**MakeStringItem("abc", /*nul_terminated=*/true)),
            std::string("abc\0", 4));
  EXPECT_EQ((*MakeStringItem(""))->size(), 0u);
}

// Found by fw_cfg_device_fuzzer: reading [0, 0) of an empty item was a
// memcpy from null (:item_ubsan_test runs this under UBSan).
TEST(Item, EmptyRangesOfEmptyItems) {
  auto empty = MakeBytesItem({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE((*empty)->Read(0, {}).ok());
  auto writable = MakeWritableItem({}, nullptr);
  ASSERT_TRUE(writable.ok());
  (*writable)->Write(0, {});
  EXPECT_EQ((*writable)->size(), 0u);
}

TEST(Item, LittleEndianIntegers) {
  EXPECT_EQ(ReadAll(*MakeLe16Item(0x0102)), "\x02\x01");
  EXPECT_EQ(ReadAll(*MakeLe32Item(3)), std::string("\x03\0\0\0", 4));
  EXPECT_EQ(ReadAll(*MakeLe64Item(0x10000000)),
            std::string("\0\0\0\x10\0\0\0\0", 8));
}

TEST(Item, SizesMustFitThirtyTwoBits) {
  EXPECT_TRUE(CheckItemSize(std::numeric_limits<uint32_t>::max()).ok());
  absl::Status status =
      CheckItemSize(uint64_t{std::numeric_limits<uint32_t>::max()} + 1);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), ::testing::HasSubstr("32 bits"));
  EXPECT_FALSE(
      MakeGeneratedItem(uint64_t{1} << 32, [](absl::Span<uint8_t>) {}).ok());
}

TEST(Item, GeneratedItemFillsOnSelect) {
  int calls = 0;
  auto item = MakeGeneratedItem(2, [&](absl::Span<uint8_t> bytes) {
    ++calls;
    bytes[0] = static_cast<uint8_t>(bytes[0] + 1);
    bytes[1] = 0x7f;
  });
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(ReadAll(**item), std::string("\0\0", 2));  // Zeros before.
  (*item)->OnSelect();
  (*item)->OnSelect();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ReadAll(**item), "\x02\x7f");  // Saw its previous contents.
  EXPECT_FALSE(MakeGeneratedItem(1, nullptr).ok());
}

TEST(Item, WritableItemStoresAndCallsBackOnlyWhenTold) {
  std::vector<std::string> calls;
  auto item = MakeWritableItem(
      {'a', 'b', 'c'},
      [&](uint32_t offset, uint32_t length, absl::Span<const uint8_t> all) {
        calls.push_back(std::to_string(offset) + "," + std::to_string(length) +
                        "," + std::string(all.begin(), all.end()));
      });
  ASSERT_TRUE(item.ok());
  EXPECT_TRUE((*item)->writable());
  const uint8_t xy[] = {'x', 'y'};
  (*item)->Write(1, xy);
  EXPECT_TRUE(calls.empty());
  (*item)->OnWritten(1, 2);
  EXPECT_THAT(calls, ElementsAre("1,2,axy"));
  // A writable item without a callback is fine.
  auto quiet = MakeWritableItem({0});
  ASSERT_TRUE(quiet.ok());
  (*quiet)->Write(0, absl::MakeConstSpan(xy, 1));
  (*quiet)->OnWritten(0, 1);
  EXPECT_EQ(ReadAll(**quiet), "x");
}

TEST(Item, ReadOnlyItemsIgnoreWrites) {
  auto item = *MakeStringItem("abc");
  const uint8_t x[] = {'x'};
  item->Write(0, x);
  item->OnWritten(0, 1);
  EXPECT_EQ(ReadAll(*item), "abc");
}

}  // namespace
}  // namespace fw_cfg
