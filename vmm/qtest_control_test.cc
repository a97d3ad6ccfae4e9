#include "vmm/qtest_control.h"

#include <poll.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include "gtest/gtest.h"
#include "vmm/stop_latch.h"

namespace vmm {
namespace {

using std::chrono::milliseconds;

TEST(QtestControl, PauseWaitsForTheCommandInProgressAndHoldsTheNext) {
  auto latch = StopLatch::Create();
  ASSERT_TRUE(latch.ok());
  QtestControl control(**latch, /*start_paused=*/false);
  EXPECT_FALSE(control.paused());
  EXPECT_EQ(control.vcpus(), 0u);

  // A command in progress: Pause returns only once it has ended.
  control.BeginCommand();
  std::future<absl::Status> pause =
      std::async(std::launch::async, [&] { return control.Pause(); });
  EXPECT_EQ(pause.wait_for(milliseconds(200)), std::future_status::timeout);
  control.EndCommand();
  ASSERT_EQ(pause.wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_TRUE(pause.get().ok());
  EXPECT_TRUE(control.paused());
  EXPECT_EQ(control.Pause().code(), absl::StatusCode::kFailedPrecondition);

  // No vCPU state; the next command waits for the resume.
  auto cpu = control.SaveCpuState();
  ASSERT_TRUE(cpu.ok());
  EXPECT_FALSE(cpu->has_value());
  std::atomic<bool> began = false;
  std::thread command([&] {
    control.BeginCommand();
    began = true;
    control.EndCommand();
  });
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(began);
  EXPECT_TRUE(control.Resume().ok());
  command.join();
  EXPECT_TRUE(began);
  EXPECT_EQ(control.Resume().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(control.SaveCpuState().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(QtestControl, ShutdownEndsTheSessionEvenWhilePaused) {
  auto latch = StopLatch::Create();
  ASSERT_TRUE(latch.ok());
  QtestControl control(**latch, /*start_paused=*/true);
  EXPECT_TRUE(control.paused());
  std::thread command([&] {
    control.BeginCommand();  // held by the pause until the shutdown
    control.EndCommand();
  });
  control.Shutdown();
  command.join();
  pollfd fd = {control.stop_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 0), 1);
  EXPECT_EQ((*latch)->reason(), StopReason::kPowerOff);
}

}  // namespace
}  // namespace vmm
