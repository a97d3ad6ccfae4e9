#include "base/status_macros.h"

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gtest/gtest.h"

namespace {

absl::StatusOr<int> Half(int n) {
  if (n % 2 != 0) return absl::InvalidArgumentError("odd");
  return n / 2;
}

absl::Status CheckPositive(int n) {
  if (n <= 0) return absl::OutOfRangeError("not positive");
  return absl::OkStatus();
}

absl::StatusOr<int> Quarter(int n) {
  RETURN_IF_ERROR(CheckPositive(n));
  ASSIGN_OR_RETURN(int half, Half(n));
  int quarter = 0;
  ASSIGN_OR_RETURN(quarter, Half(half));
  return quarter;
}

TEST(StatusMacros, PassesValuesThrough) {
  absl::StatusOr<int> result = Quarter(12);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 3);
}

TEST(StatusMacros, ReturnIfErrorReturnsTheFirstError) {
  EXPECT_EQ(Quarter(-4).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(StatusMacros, AssignOrReturnReturnsTheError) {
  EXPECT_EQ(Quarter(6).status(), absl::InvalidArgumentError("odd"));
  EXPECT_EQ(Quarter(5).status(), absl::InvalidArgumentError("odd"));
}

}  // namespace
