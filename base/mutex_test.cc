#include "base/mutex.h"

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

class Counter {
 public:
  void Add() {
    base::MutexLock lock(mu_);
    ++value_;
  }
  int Get() {
    base::MutexLock lock(mu_);
    return value_;
  }

 private:
  base::Mutex mu_;
  int value_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST(Mutex, SerialisesIncrements) {
  Counter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) counter.Add();
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter.Get(), 40000);
}

// Two fields that a writer always keeps equal.
struct Pair {
  base::SharedMutex mu;
  int a ABSL_GUARDED_BY(mu) = 0;
  int b ABSL_GUARDED_BY(mu) = 0;
};

TEST(SharedMutex, ReadersSeeWholeUpdates) {
  Pair pair;
  std::thread writer([&] {
    for (int i = 1; i <= 10000; ++i) {
      base::WriterMutexLock lock(pair.mu);
      pair.a = i;
      pair.b = i;
    }
  });
  int torn = 0;
  for (int i = 0; i < 10000; ++i) {
    base::ReaderMutexLock lock(pair.mu);
    if (pair.a != pair.b) ++torn;
  }
  writer.join();
  EXPECT_EQ(torn, 0);
}

// Hidden from -Wthread-safety, which rejects the second Lock() at compile
// time when it can see it.
void LockTwice(base::Mutex& mu) ABSL_NO_THREAD_SAFETY_ANALYSIS {
  mu.Lock();
  mu.Lock();
}

TEST(MutexDeathTest, RelockingOnTheSameThreadAbortsInDebugBuilds) {
#ifdef NDEBUG
  GTEST_SKIP() << "the check is compiled in without NDEBUG only";
#else
  base::Mutex mu;
  EXPECT_DEATH(LockTwice(mu), "already holds the mutex");
#endif
}

TEST(Mutex, AnotherThreadMayLockOnceReleased) {
  base::Mutex mu;
  mu.Lock();
  mu.Unlock();
  std::thread([&] { base::MutexLock lock(mu); }).join();
  base::MutexLock lock(mu);  // The owner was cleared: no false alarm.
}

}  // namespace
