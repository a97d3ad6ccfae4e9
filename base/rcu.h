// Read-copy-update: readers that write no shared memory, for data that is
// read on every guest access and changed rarely (the bus's range table).
//
// A reader brackets its use of published objects with an RcuReadLock. A
// writer never changes a published object: it publishes a new one
// (RcuPointer::Publish) and the old one is freed once no read-side critical
// section that could have seen it is still running. This is userspace RCU's
// "memb" flavour (liburcu), written against C++ atomics so that
// ThreadSanitizer can check it; liburcu's own barriers are invisible to TSan.
//
// Cost on the read side: RcuReadLock stores the domain's epoch into the
// thread's own slot (a cache line no other thread writes) and, on leaving,
// stores 0 there. No atomic read-modify-write, no shared cache line written,
// so readers on different cores never slow each other down.
//
// Memory ordering (why a reader never uses a freed object):
//  1. Publication: Publish stores the new pointer with release; Read loads it
//     with acquire, so a reader sees the object fully built.
//  2. Retirement: after the store, the writer increments the global epoch
//     (seq_cst, after the pointer store) and records the old object with that
//     epoch R. A reader stores the epoch it read on entry (acquire load) into
//     its slot; if that value is >= R, the reader read the epoch after the
//     increment and so (acquire/release on the epoch) loads the new pointer:
//     it cannot hold the old object. A slot below R may hold it: wait.
//  3. A slot that reads 0 is the subtle case: the reader may have stored its
//     epoch and then loaded the pointer, with the store still in its CPU's
//     store buffer. The store and the load are therefore separated by a full
//     barrier, paid by the writer: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)
//     runs a barrier on every CPU running this process's threads after the
//     pointer store and before the writer scans the slots (readers only need a
//     compiler barrier). Where the kernel lacks membarrier, and under TSan,
//     readers use a seq_cst fence instead and the writer one too. Either way,
//     Dekker's argument holds: the writer sees the reader's epoch, or the
//     reader sees the new pointer.
//  4. Freeing: the writer reads each slot with acquire; the reader's slot
//     stores are release stores, so everything a reader did with the old
//     object happens before the writer frees it (what TSan checks).
//
// Reclamation is deferred, never waited for: a writer (or a device callback
// that remaps itself while its own read section is open) returns at once,
// and an object a reader still uses is freed by the last such reader when it
// leaves its read section, or by a later writer. Read sections nest (a device
// called from a bus may dispatch on another bus); only the outermost one
// touches the slot. A read section must not block forever: what it keeps
// alive waits for it.
//
//   base::RcuPointer<Table> table_(std::make_unique<Table>());
//   // Reader:
//   base::RcuReadLock lock;
//   const Table* table = table_.Read();   // valid until `lock` ends
//   // Writer (writers serialize among themselves):
//   auto next = std::make_unique<Table>(*table_.ReadForUpdate());
//   next->Add(...);
//   table_.Publish(std::move(next));     // the old table is freed later

#ifndef BASE_RCU_H_
#define BASE_RCU_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace base {
namespace rcu_internal {

// One per thread that has entered a read section, on its own cache line;
// never freed (reused by the next thread once its owner has exited).
struct alignas(64) Slot {
  // 0 outside a read section; else the epoch read when it was entered.
  std::atomic<uint64_t> epoch{0};
  bool owned = false;
  Slot* next = nullptr;
};

struct ThreadState {
  Slot* slot = nullptr;
  uint32_t depth = 0;
};

// Written by writers only; read on every read-side entry and exit.
struct alignas(64) DomainState {
  // The current epoch, starting at 1 (0 marks an idle slot).
  std::atomic<uint64_t> epoch{1};
  // The newest retirement epoch not yet freed, 0 if none: a reader that
  // entered before it may be what keeps it alive, so it tries to free it.
  std::atomic<uint64_t> waiting_epoch{0};
  // Whether readers need a real fence (no membarrier, or TSan).
  bool reader_fence = true;
};

extern constinit DomainState domain;
extern thread_local constinit ThreadState thread_state
    __attribute__((tls_model("initial-exec")));

Slot* RegisterThread();
void ReclaimAfterRead();

inline void Enter() {
  ThreadState& state = thread_state;
  if (state.depth++ != 0) return;
  Slot* slot = state.slot != nullptr ? state.slot : RegisterThread();
  slot->epoch.store(domain.epoch.load(std::memory_order_acquire),
                    std::memory_order_release);
  // Orders the slot store before the loads of published pointers; see 3.
  if (domain.reader_fence) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
  } else {
    std::atomic_signal_fence(std::memory_order_seq_cst);
  }
}

inline void Exit() {
  ThreadState& state = thread_state;
  if (--state.depth != 0) return;
  Slot* slot = state.slot;
  const uint64_t entered = slot->epoch.load(std::memory_order_relaxed);
  slot->epoch.store(0, std::memory_order_release);
  if (domain.waiting_epoch.load(std::memory_order_relaxed) > entered) {
    ReclaimAfterRead();
  }
}

// Type-erased deleter for retired objects.
using Deleter = void (*)(const void*);
void Retire(const void* object, Deleter deleter);

}  // namespace rcu_internal

// A read-side critical section. Cheap (two thread-local stores); nests.
class RcuReadLock {
 public:
  RcuReadLock() { rcu_internal::Enter(); }
  ~RcuReadLock() { rcu_internal::Exit(); }
  RcuReadLock(const RcuReadLock&) = delete;
  RcuReadLock& operator=(const RcuReadLock&) = delete;
};

// An immutable T published to readers. Publish and ReadForUpdate must be
// serialized by the caller (a writer mutex); Read may run anywhere.
template <typename T>
class RcuPointer {
 public:
  explicit RcuPointer(std::unique_ptr<const T> initial)
      : current_(initial.release()) {}
  RcuPointer(const RcuPointer&) = delete;
  RcuPointer& operator=(const RcuPointer&) = delete;
  // Retires the current object: a reader still in a read section that
  // loaded it keeps it alive.
  ~RcuPointer() { RetireObject(current_.load(std::memory_order_relaxed)); }

  // The current object; call under an RcuReadLock, and use the result only
  // until that lock ends.
  const T* Read() const { return current_.load(std::memory_order_acquire); }

  // The current object, for a writer that will Publish a changed copy.
  const T* ReadForUpdate() const {
    return current_.load(std::memory_order_relaxed);
  }

  // Makes `next` the current object; the old one is freed when no reader can
  // hold it any more (maybe before this returns).
  void Publish(std::unique_ptr<const T> next) {
    RetireObject(current_.exchange(next.release(), std::memory_order_seq_cst));
  }

 private:
  static void RetireObject(const T* object) {
    if (object == nullptr) return;
    rcu_internal::Retire(
        object, [](const void* p) { delete static_cast<const T*>(p); });
  }

  std::atomic<const T*> current_;
};

// Frees every retired object that no read section can hold any more, and
// returns how many are still waiting (for tests and diagnostics).
size_t RcuReclaim();

// Whether readers run without a fence (the kernel has membarrier's private
// expedited command and this is not a TSan build).
bool RcuReadersAreFenceFree();

}  // namespace base

#endif  // BASE_RCU_H_
