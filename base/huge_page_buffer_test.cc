#include "base/huge_page_buffer.h"

#include <cstdint>
#include <utility>

#include "gtest/gtest.h"

namespace base {
namespace {

TEST(HugePageBuffer, ZeroFilledAlignedAndWritable) {
  for (size_t size : {size_t{1}, size_t{4096}, size_t{(2 << 20) + 3}}) {
    auto buffer = HugePageBuffer::Create(size);
    ASSERT_TRUE(buffer.ok()) << buffer.status();
    ASSERT_EQ(buffer->size(), size);
    // 2 MiB aligned, so that the kernel can back it with huge pages.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(buffer->span().data()) % (2 << 20),
              0u);
    for (size_t i = 0; i < size; i += 4093) EXPECT_EQ(buffer->span()[i], 0);
    buffer->span()[size - 1] = 0xab;
    EXPECT_EQ(buffer->span()[size - 1], 0xab);
  }
}

TEST(HugePageBuffer, EmptyAndMoved) {
  auto empty = HugePageBuffer::Create(0);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->span().empty());

  auto a = HugePageBuffer::Create(8192);
  ASSERT_TRUE(a.ok());
  a->span()[5] = 7;
  HugePageBuffer b = *std::move(a);
  EXPECT_EQ(b.size(), 8192u);
  EXPECT_EQ(b.span()[5], 7);
  auto c = HugePageBuffer::Create(16);
  ASSERT_TRUE(c.ok());
  *c = std::move(b);  // Unmaps c's old buffer.
  EXPECT_EQ(c->span()[5], 7);
}

TEST(HugePageBuffer, ImpossibleSizesFailCleanly) {
  EXPECT_EQ(HugePageBuffer::Create(~size_t{0}).status().code(),
            absl::StatusCode::kResourceExhausted);
  // Far more than any address space: mmap refuses.
  EXPECT_EQ(HugePageBuffer::Create(size_t{1} << 62).status().code(),
            absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace base
