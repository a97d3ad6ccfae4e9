#include "vmm/stop_latch.h"

#include <poll.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace vmm {
namespace {

bool Readable(int fd) {
  pollfd p = {fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

TEST(StopLatch, FirstRequestWinsAndWakesTheOwner) {
  absl::StatusOr<std::unique_ptr<StopLatch>> latch = StopLatch::Create();
  ASSERT_TRUE(latch.ok());
  EXPECT_FALSE((*latch)->reason().has_value());
  EXPECT_FALSE((*latch)->stopped());
  EXPECT_FALSE(Readable((*latch)->fd()));
  (*latch)->Request(StopReason::kSignal, absl::AbortedError("SIGTERM"), 15);
  EXPECT_TRUE((*latch)->stopped());
  (*latch)->Request(StopReason::kPowerOff);
  EXPECT_TRUE(Readable((*latch)->fd()));
  EXPECT_EQ((*latch)->reason(), StopReason::kSignal);
  EXPECT_EQ((*latch)->signal(), 15);
  EXPECT_EQ((*latch)->error().message(), "SIGTERM");
  (*latch)->Clear();
  EXPECT_FALSE((*latch)->reason().has_value());
  EXPECT_FALSE((*latch)->stopped());
  EXPECT_FALSE(Readable((*latch)->fd()));
}

TEST(StopLatch, ManyThreadsOneReason) {
  absl::StatusOr<std::unique_ptr<StopLatch>> latch = StopLatch::Create();
  ASSERT_TRUE(latch.ok());
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&latch, i] {
      (*latch)->Request(i % 2 ? StopReason::kReset : StopReason::kPowerOff);
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE((*latch)->reason().has_value());
  EXPECT_TRUE(*(*latch)->reason() == StopReason::kReset ||
              *(*latch)->reason() == StopReason::kPowerOff);
  EXPECT_EQ(StopReasonName(StopReason::kReset), std::string("reset"));
}

}  // namespace
}  // namespace vmm
