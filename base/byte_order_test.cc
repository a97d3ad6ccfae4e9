#include "base/byte_order.h"

#include <cstdint>

#include "gtest/gtest.h"

namespace {

TEST(ByteOrder, LoadsFromTheSpecifiedOrder) {
  const uint8_t bytes[9] = {0xaa, 0x01, 0x02, 0x03, 0x04,
                            0x05, 0x06, 0x07, 0x08};
  // Offset 1: deliberately misaligned for every width.
  EXPECT_EQ(base::LoadLe16(bytes + 1), 0x0201);
  EXPECT_EQ(base::LoadBe16(bytes + 1), 0x0102);
  EXPECT_EQ(base::LoadLe32(bytes + 1), 0x04030201u);
  EXPECT_EQ(base::LoadBe32(bytes + 1), 0x01020304u);
  EXPECT_EQ(base::LoadLe64(bytes + 1), 0x0807060504030201ull);
  EXPECT_EQ(base::LoadBe64(bytes + 1), 0x0102030405060708ull);
}

TEST(ByteOrder, StoresInTheSpecifiedOrder) {
  uint8_t b[9] = {};
  base::StoreBe32(b + 1, 0x00100000);
  EXPECT_EQ(b[1], 0x00);
  EXPECT_EQ(b[2], 0x10);
  EXPECT_EQ(b[3], 0x00);
  EXPECT_EQ(b[4], 0x00);
  base::StoreLe64(b + 1, 0x1122334455667788ull);
  EXPECT_EQ(b[1], 0x88);
  EXPECT_EQ(b[8], 0x11);
  EXPECT_EQ(b[0], 0x00);  // Nothing written before the start.
  base::StoreBe16(b, 0xabcd);
  EXPECT_EQ(b[0], 0xab);
  EXPECT_EQ(b[1], 0xcd);
  base::StoreLe16(b, 0xabcd);
  EXPECT_EQ(b[0], 0xcd);
  base::StoreLe32(b, 0x01020304);
  EXPECT_EQ(b[0], 0x04);
  base::StoreBe64(b, 0x0102030405060708ull);
  EXPECT_EQ(b[0], 0x01);
  EXPECT_EQ(b[7], 0x08);
}

TEST(ByteOrder, ByteSwap) {
  EXPECT_EQ(base::ByteSwap<uint8_t>(0x12), 0x12);
  EXPECT_EQ(base::ByteSwap<uint16_t>(0x1234), 0x3412);
  EXPECT_EQ(base::ByteSwap<uint32_t>(0x12345678u), 0x78563412u);
  EXPECT_EQ(base::ByteSwap<uint64_t>(0x0102030405060708ull),
            0x0807060504030201ull);
}

}  // namespace
