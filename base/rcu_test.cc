// Read-copy-update: when retired objects are freed, and a stress run of
// readers against a publishing writer (also built with TSan and ASan as
// :rcu_tsan_test and :rcu_asan_test).

#include "base/rcu.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace base {
namespace {

constexpr uint64_t kAlive = 0x600dcafe600dcafe;

// Counts live instances; a reader checks `magic` to catch a freed object
// (ASan catches the read itself).
struct Tracked {
  explicit Tracked(uint64_t value, std::atomic<int>* live)
      : value(value), live(live) {
    live->fetch_add(1);
  }
  ~Tracked() {
    magic = 0;
    live->fetch_sub(1);
  }
  uint64_t magic = kAlive;
  const uint64_t value;
  std::atomic<int>* const live;
};

TEST(Rcu, PublishWithoutReadersFreesTheOldObjectAtOnce) {
  std::atomic<int> live{0};
  {
    RcuPointer<Tracked> pointer(std::make_unique<Tracked>(1, &live));
    EXPECT_EQ(live.load(), 1);
    pointer.Publish(std::make_unique<Tracked>(2, &live));
    EXPECT_EQ(live.load(), 1);
    RcuReadLock lock;
    EXPECT_EQ(pointer.Read()->value, 2u);
  }
  // The destructor retired the last one; no reader held it.
  EXPECT_EQ(live.load(), 0);
  EXPECT_EQ(RcuReclaim(), 0u);
}

TEST(Rcu, AReaderKeepsWhatItLoadedUntilItsSectionEnds) {
  std::atomic<int> live{0};
  RcuPointer<Tracked> pointer(std::make_unique<Tracked>(1, &live));
  std::mutex mu;
  std::condition_variable cv;
  bool loaded = false, release = false;
  uint64_t seen = 0;
  std::thread reader([&] {
    RcuReadLock lock;
    const Tracked* object = pointer.Read();
    std::unique_lock<std::mutex> guard(mu);
    loaded = true;
    cv.notify_all();
    cv.wait(guard, [&] { return release; });
    seen = object->magic == kAlive ? object->value : 0;
  });
  {
    std::unique_lock<std::mutex> guard(mu);
    cv.wait(guard, [&] { return loaded; });
  }
  pointer.Publish(std::make_unique<Tracked>(2, &live));
  // Publish returned without waiting for the reader; the old object lives.
  EXPECT_EQ(live.load(), 2);
  EXPECT_EQ(RcuReclaim(), 1u);
  EXPECT_EQ(live.load(), 2);
  {
    std::lock_guard<std::mutex> guard(mu);
    release = true;
    cv.notify_all();
  }
  reader.join();
  EXPECT_EQ(seen, 1u);
  // The reader freed it when it left its read section.
  EXPECT_EQ(live.load(), 1);
  EXPECT_EQ(RcuReclaim(), 0u);
}

TEST(Rcu, NestedSectionsHoldUntilTheOutermostEnds) {
  std::atomic<int> live{0};
  RcuPointer<Tracked> pointer(std::make_unique<Tracked>(1, &live));
  {
    RcuReadLock outer;
    const Tracked* first = pointer.Read();
    {
      RcuReadLock inner;
      // A writer inside a read section (a device that remaps itself while
      // being called) must not wait for itself.
      pointer.Publish(std::make_unique<Tracked>(2, &live));
      EXPECT_EQ(pointer.Read()->value, 2u);
    }
    EXPECT_EQ(live.load(), 2);
    EXPECT_EQ(first->magic, kAlive);
    EXPECT_EQ(first->value, 1u);
  }
  EXPECT_EQ(live.load(), 1);
}

TEST(Rcu, ASectionThatBeganAfterThePublicationDoesNotHoldTheOldObject) {
  std::atomic<int> live{0};
  RcuPointer<Tracked> pointer(std::make_unique<Tracked>(1, &live));
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  // Thread A holds the old object; thread B enters after the publication.
  std::thread a([&] {
    RcuReadLock lock;
    (void)pointer.Read();
    std::unique_lock<std::mutex> guard(mu);
    stage = 1;
    cv.notify_all();
    cv.wait(guard, [&] { return stage == 3; });
  });
  {
    std::unique_lock<std::mutex> guard(mu);
    cv.wait(guard, [&] { return stage == 1; });
  }
  pointer.Publish(std::make_unique<Tracked>(2, &live));
  std::thread b([&] {
    RcuReadLock lock;
    EXPECT_EQ(pointer.Read()->value, 2u);
    std::unique_lock<std::mutex> guard(mu);
    stage = 2;
    cv.notify_all();
    cv.wait(guard, [&] { return stage == 4; });
  });
  {
    std::unique_lock<std::mutex> guard(mu);
    cv.wait(guard, [&] { return stage == 2; });
    stage = 3;
    cv.notify_all();
  }
  a.join();
  // B is still inside its section, but it began after the publication.
  EXPECT_EQ(live.load(), 1);
  {
    std::lock_guard<std::mutex> guard(mu);
    stage = 4;
    cv.notify_all();
  }
  b.join();
}

TEST(Rcu, ThreadsThatExitGiveTheirSlotsBack) {
  std::atomic<int> live{0};
  RcuPointer<Tracked> pointer(std::make_unique<Tracked>(1, &live));
  // Short-lived readers, one after another: each reuses a slot, so a writer's
  // scan stays short, and none holds anything after it exits.
  for (int i = 0; i < 200; ++i) {
    std::thread([&] {
      RcuReadLock lock;
      EXPECT_EQ(pointer.Read()->magic, kAlive);
    }).join();
    pointer.Publish(std::make_unique<Tracked>(i + 2, &live));
    EXPECT_EQ(live.load(), 1);
  }
}

// Readers loop over read sections, checking that what they loaded is alive
// and a value the writer published; the writer publishes as fast as it can.
TEST(Rcu, StressReadersAgainstAPublishingWriter) {
  constexpr int kReaders = 4;
  constexpr auto kDuration = std::chrono::milliseconds(500);
  std::atomic<int> live{0};
  auto pointer = std::make_unique<RcuPointer<Tracked>>(
      std::make_unique<Tracked>(0, &live));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> published{0};
  std::atomic<uint64_t> bad{0};
  std::atomic<uint64_t> sections{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&] {
      uint64_t n = 0, previous = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        RcuReadLock lock;
        const Tracked* object = pointer->Read();
        // Values only grow: a reader never sees an older object after a
        // newer one.
        if (object->magic != kAlive || object->value < previous ||
            object->value > published.load()) {
          bad.fetch_add(1);
        }
        previous = object->value;
        if (++n % 64 == 0) {
          RcuReadLock nested;
          if (pointer->Read()->magic != kAlive) bad.fetch_add(1);
        }
      }
      sections.fetch_add(n);
    });
  }
  uint64_t value = 0;
  const auto end = std::chrono::steady_clock::now() + kDuration;
  while (std::chrono::steady_clock::now() < end) {
    published.store(++value);
    pointer->Publish(std::make_unique<Tracked>(value, &live));
  }
  stop.store(true);
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(value, 100u);
  EXPECT_GT(sections.load(), 1000u);
  pointer.reset();
  EXPECT_EQ(RcuReclaim(), 0u);
  EXPECT_EQ(live.load(), 0);
}

}  // namespace
}  // namespace base
