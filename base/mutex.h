// Mutexes annotated for clang's -Wthread-safety analysis.
//
// Why not absl::Mutex: Debian's abseil is a prebuilt library, not compiled
// with -fsanitize=thread, so ThreadSanitizer cannot see the synchronisation
// inside absl::Mutex and reports false races on everything it protects. These
// wrappers sit on the standard library's mutexes, which map to pthread calls
// that every sanitizer intercepts, and carry abseil's capability annotations
// so the analysis still checks ABSL_GUARDED_BY at compile time.
//
//   class Counter {
//    public:
//     void Add() { base::MutexLock lock(mu_); ++n_; }
//    private:
//     base::Mutex mu_;
//     int n_ ABSL_GUARDED_BY(mu_) = 0;
//   };

#ifndef BASE_MUTEX_H_
#define BASE_MUTEX_H_

#include <atomic>
#include <mutex>
#include <shared_mutex>
#include <thread>

#include "absl/base/thread_annotations.h"

namespace base {
namespace internal {
// Prints why and aborts: the calling thread locked a Mutex it holds.
[[noreturn]] void DieOfRelock();
}  // namespace internal

// An exclusive mutex. Not recursive: in debug builds (no NDEBUG), a thread
// that locks it again while holding it aborts with a message instead of
// deadlocking silently (a callback that calls back into its owner).
class ABSL_LOCKABLE Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() {
#ifndef NDEBUG
    // Only this thread can have stored its own id, so relaxed order is
    // enough to see it.
    if (owner_.load(std::memory_order_relaxed) == std::this_thread::get_id()) {
      internal::DieOfRelock();
    }
#endif
    mu_.lock();
#ifndef NDEBUG
    owner_.store(std::this_thread::get_id(), std::memory_order_relaxed);
#endif
  }
  void Unlock() ABSL_UNLOCK_FUNCTION() {
#ifndef NDEBUG
    owner_.store(std::thread::id(), std::memory_order_relaxed);
#endif
    mu_.unlock();
  }

 private:
  std::mutex mu_;
#ifndef NDEBUG
  std::atomic<std::thread::id> owner_{};
#endif
};

// A reader-writer mutex: many readers or one writer.
class ABSL_LOCKABLE SharedMutex {
 public:
  SharedMutex() = default;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;

  void Lock() ABSL_EXCLUSIVE_LOCK_FUNCTION() { mu_.lock(); }
  void Unlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock(); }
  void ReaderLock() ABSL_SHARED_LOCK_FUNCTION() { mu_.lock_shared(); }
  void ReaderUnlock() ABSL_UNLOCK_FUNCTION() { mu_.unlock_shared(); }

 private:
  std::shared_mutex mu_;
};

// Holds a Mutex for the lifetime of the scope.
class ABSL_SCOPED_LOCKABLE MutexLock {
 public:
  explicit MutexLock(Mutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu) : mu_(mu) {
    mu_.Lock();
  }
  ~MutexLock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex& mu_;
};

// Holds a SharedMutex exclusively for the lifetime of the scope.
class ABSL_SCOPED_LOCKABLE WriterMutexLock {
 public:
  explicit WriterMutexLock(SharedMutex& mu) ABSL_EXCLUSIVE_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_.Lock();
  }
  ~WriterMutexLock() ABSL_UNLOCK_FUNCTION() { mu_.Unlock(); }
  WriterMutexLock(const WriterMutexLock&) = delete;
  WriterMutexLock& operator=(const WriterMutexLock&) = delete;

 private:
  SharedMutex& mu_;
};

// Holds a SharedMutex shared for the lifetime of the scope.
class ABSL_SCOPED_LOCKABLE ReaderMutexLock {
 public:
  explicit ReaderMutexLock(SharedMutex& mu) ABSL_SHARED_LOCK_FUNCTION(mu)
      : mu_(mu) {
    mu_.ReaderLock();
  }
  ~ReaderMutexLock() ABSL_UNLOCK_FUNCTION() { mu_.ReaderUnlock(); }
  ReaderMutexLock(const ReaderMutexLock&) = delete;
  ReaderMutexLock& operator=(const ReaderMutexLock&) = delete;

 private:
  SharedMutex& mu_;
};

}  // namespace base

#endif  // BASE_MUTEX_H_
