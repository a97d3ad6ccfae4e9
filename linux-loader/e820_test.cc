#include "linux-loader/e820.h"

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace linux_loader {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(E820, TypesMatchTheAcpiAddressRangeTypes) {
  EXPECT_EQ(kE820Ram, 1u);
  EXPECT_EQ(kE820Reserved, 2u);
  EXPECT_EQ(kE820Acpi, 3u);
  EXPECT_EQ(kE820Nvs, 4u);
  EXPECT_EQ(kE820Unusable, 5u);
  EXPECT_EQ(kE820EntrySize, 20u);
}

TEST(E820, EncodesAHandComputedEntry) {
  // 2 GiB - 1 MiB of RAM at 1 MiB: address, length (u64 LE), type (u32 LE).
  const E820Entry entry{
      .address = 0x100000, .length = 0x7ff00000, .type = kE820Ram};
  EXPECT_THAT(EncodeE820({entry}),
              ElementsAreArray<uint8_t>({
                  0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00,  // address
                  0x00, 0x00, 0xf0, 0x7f, 0x00, 0x00, 0x00, 0x00,  // length
                  0x01, 0x00, 0x00, 0x00,                          // type
              }));
}

TEST(E820, PacksEntriesWithoutCountOrPadding) {
  const std::vector<E820Entry> entries = {
      {.address = 0x0102030405060708,
       .length = 0x1112131415161718,
       .type = 0x21222324},
      {.address = 0xfeffffff00000000, .length = 1, .type = kE820Reserved},
  };
  const std::vector<uint8_t> bytes = EncodeE820(entries);
  ASSERT_EQ(bytes.size(), 40u);
  EXPECT_THAT(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 20),
              ElementsAreArray<uint8_t>({
                  0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,  //
                  0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,  //
                  0x24, 0x23, 0x22, 0x21,                          //
              }));
  // The second entry starts right at byte 20.
  EXPECT_EQ(bytes[20], 0x00);
  EXPECT_EQ(bytes[24], 0xff);
  EXPECT_EQ(bytes[27], 0xfe);
  EXPECT_EQ(bytes[28], 0x01);
  EXPECT_EQ(bytes[36], 0x02);
}

TEST(E820, RoundTrips) {
  const std::vector<E820Entry> entries = {
      {.address = 0, .length = 0x9fc00, .type = kE820Ram},
      {.address = 0x9fc00, .length = 0x400, .type = kE820Reserved},
      {.address = 0xf0000, .length = 0x10000, .type = kE820Reserved},
      {.address = 0x100000, .length = 0xbff00000, .type = kE820Ram},
      {.address = 0xfeffc000, .length = 0x4000, .type = kE820Reserved},
      {.address = 0x100000000, .length = 0x40000000, .type = kE820Ram},
      {.address = kMax, .length = kMax, .type = 0xffffffff},
  };
  auto decoded = DecodeE820(EncodeE820(entries));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, entries);
}

TEST(E820, EmptyTable) {
  EXPECT_THAT(EncodeE820({}), IsEmpty());
  auto decoded = DecodeE820({});
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(*decoded, IsEmpty());
}

TEST(E820, DecodesHandWrittenBytes) {
  const std::vector<uint8_t> bytes = {
      0x00, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x02, 0x00, 0x00, 0x00,                          //
  };
  auto decoded = DecodeE820(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(*decoded, ElementsAre(E820Entry{.address = 0xf0000,
                                              .length = 0x10000,
                                              .type = kE820Reserved}));
}

TEST(E820, DecodeRejectsPartialEntries) {
  for (size_t size : {1, 19, 21, 39, 41}) {
    const std::vector<uint8_t> bytes(size, 0);
    EXPECT_EQ(DecodeE820(bytes).status().code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }
}

TEST(E820, ValidateRejectsZeroLengthTypeZeroAndWrap) {
  EXPECT_TRUE(ValidateE820Entry({.address = 0, .length = 1, .type = 1}).ok());
  EXPECT_EQ(
      ValidateE820Entry({.address = 0x1000, .length = 0, .type = 1}).code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      ValidateE820Entry({.address = 0x1000, .length = 1, .type = 0}).code(),
      absl::StatusCode::kInvalidArgument);
  // A range may end exactly at 2^64 ...
  EXPECT_TRUE(
      ValidateE820Entry({.address = kMax, .length = 1, .type = 2}).ok());
  EXPECT_TRUE(
      ValidateE820Entry({.address = 1, .length = kMax, .type = 2}).ok());
  EXPECT_TRUE(
      ValidateE820Entry({.address = 0, .length = kMax, .type = 2}).ok());
  // ... but not pass it.
  EXPECT_EQ(ValidateE820Entry({.address = kMax, .length = 2, .type = 2}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateE820Entry({.address = 2, .length = kMax, .type = 2}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateE820Entry({.address = 0x8000000000000000,
                               .length = 0x8000000000000001,
                               .type = 2})
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(E820, BuilderKeepsInsertionOrderAndSkipsRejectedEntries) {
  E820MapBuilder map;
  ASSERT_TRUE(map.Add(0x100000, 0x1000, kE820Ram).ok());
  EXPECT_FALSE(map.Add(0x200000, 0, kE820Ram).ok());
  EXPECT_FALSE(map.Add(kMax, 2, kE820Reserved).ok());
  ASSERT_TRUE(map.Add({.address = 0, .length = 0x1000, .type = kE820Nvs}).ok());
  EXPECT_THAT(
      map.entries(),
      ElementsAre(
          E820Entry{.address = 0x100000, .length = 0x1000, .type = kE820Ram},
          E820Entry{.address = 0, .length = 0x1000, .type = kE820Nvs}));
  EXPECT_EQ(map.Encode(), EncodeE820(map.entries()));
  EXPECT_EQ(map.Encode().size(), 40u);
}

}  // namespace
}  // namespace linux_loader
