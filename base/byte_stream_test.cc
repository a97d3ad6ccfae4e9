#include "base/byte_stream.h"

#include <cstdint>
#include <string>
#include <vector>

#include "base/crc32.h"
#include "gtest/gtest.h"

namespace base {
namespace {

TEST(ByteStream, RoundTripIsLittleEndian) {
  ByteWriter out;
  out.U8(0x01);
  out.U16(0x0302);
  out.U32(0x07060504);
  out.U64(0x0f0e0d0c0b0a0908);
  out.Text("hi");
  EXPECT_EQ(out.bytes(), (std::vector<uint8_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                               11, 12, 13, 14, 15, 'h', 'i'}));
  ByteReader in(out.bytes());
  EXPECT_EQ(in.U8(), 0x01);
  EXPECT_EQ(in.U16(), 0x0302);
  EXPECT_EQ(in.U32(), 0x07060504u);
  EXPECT_EQ(in.U64(), 0x0f0e0d0c0b0a0908u);
  EXPECT_EQ(in.Text(2), "hi");
  EXPECT_TRUE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ByteStream, TruncatedInputFailsAndStaysFailed) {
  const std::vector<uint8_t> three = {1, 2, 3};
  ByteReader in(three);
  EXPECT_EQ(in.U32(), 0u);
  EXPECT_FALSE(in.ok());
  // A later read that would fit is refused too: the stream is out of step.
  EXPECT_EQ(in.U8(), 0u);
  EXPECT_FALSE(in.ok());
  EXPECT_EQ(in.remaining(), 0u);
}

TEST(ByteStream, HugeLengthDoesNotWrap) {
  const std::vector<uint8_t> data(8);
  ByteReader in(data);
  in.U32();
  EXPECT_TRUE(in.Bytes(~uint64_t{0}).empty());
  EXPECT_FALSE(in.ok());
}

TEST(Crc32, KnownValues) {
  const std::string check = "123456789";
  const std::vector<uint8_t> bytes(check.begin(), check.end());
  EXPECT_EQ(Crc32(bytes), 0xcbf43926u);
  EXPECT_EQ(Crc32({}), 0u);
  // Continuing a CRC equals computing it over the concatenation.
  const uint32_t first = Crc32(absl::MakeConstSpan(bytes).first(4));
  EXPECT_EQ(Crc32(absl::MakeConstSpan(bytes).subspan(4), first), 0xcbf43926u);
}

}  // namespace
}  // namespace base
