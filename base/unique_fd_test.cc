#include "base/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "gtest/gtest.h"

namespace base {
namespace {

bool IsOpen(int fd) { return fcntl(fd, F_GETFD) != -1; }

TEST(UniqueFdTest, ClosesItsDescriptorAtTheEndOfItsScope) {
  int raw;
  {
    UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
    EXPECT_TRUE(IsOpen(raw));
  }
  EXPECT_FALSE(IsOpen(raw));
}

TEST(UniqueFdTest, AFailedOpenHoldsNothing) {
  UniqueFd fd(open("/nonexistent/file", O_RDONLY | O_CLOEXEC));
  EXPECT_FALSE(fd.valid());
  EXPECT_EQ(fd.get(), -1);
}

TEST(UniqueFdTest, MovingHandsTheDescriptorOver) {
  UniqueFd first(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = first.get();
  UniqueFd second = std::move(first);
  EXPECT_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): checked
  EXPECT_EQ(second.get(), raw);
  EXPECT_TRUE(IsOpen(raw));
}

TEST(UniqueFdTest, MoveAssignmentClosesWhatTheTargetHeld) {
  UniqueFd target(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int old = target.get();
  UniqueFd source(open("/dev/null", O_RDONLY | O_CLOEXEC));
  target = std::move(source);
  EXPECT_FALSE(IsOpen(old));
  EXPECT_TRUE(target.valid());
}

TEST(UniqueFdTest, ReleaseGivesUpOwnershipWithoutClosing) {
  UniqueFd fd(open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int raw = fd.release();
  EXPECT_FALSE(fd.valid());
  EXPECT_TRUE(IsOpen(raw));
  close(raw);
}

}  // namespace
}  // namespace base
