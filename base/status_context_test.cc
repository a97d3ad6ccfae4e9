#include "base/status_context.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace base {
namespace {

TEST(WithContextTest, PrefixesTheMessageAndKeepsTheCode) {
  const absl::Status status =
      WithContext(absl::NotFoundError("cannot open /x"), "kernel");
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(status.message(), "kernel: cannot open /x");
}

TEST(WithContextTest, OkStaysOk) {
  EXPECT_TRUE(WithContext(absl::OkStatus(), "kernel").ok());
}

TEST(WithContextTest, AStatusOrValuePassesThrough) {
  absl::StatusOr<int> value = WithContext(absl::StatusOr<int>(42), "answer");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 42);
  absl::StatusOr<int> error = WithContext(
      absl::StatusOr<int>(absl::OutOfRangeError("too big")), "answer");
  EXPECT_EQ(error.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(error.status().message(), "answer: too big");
}

}  // namespace
}  // namespace base
