#include "base/rcu.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <mutex>
#include <utility>
#include <vector>

namespace base {
namespace rcu_internal {

constinit DomainState domain;
thread_local constinit ThreadState thread_state
    __attribute__((tls_model("initial-exec")));

namespace {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BASE_RCU_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define BASE_RCU_TSAN 1
#endif

struct Retired {
  uint64_t epoch;
  const void* object;
  Deleter deleter;
};

// What writers and reclaimers share; readers never touch it on their fast
// path.
struct Registry {
  std::mutex mu;
  Slot* slots = nullptr;         // Guarded by mu; slots are never freed.
  std::vector<Retired> retired;  // Guarded by mu.
  bool membarrier = false;       // Set once, before main().
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();  // Never destroyed: threads
  return *registry;                            // may exit after main().
}

// Readers skip their fence only if the kernel can run one for them on every
// CPU that runs a thread of ours (Linux 4.14+). TSan cannot see membarrier's
// effect, so TSan builds keep the fence.
bool RegisterMembarrier() {
#ifdef BASE_RCU_TSAN
  return false;
#else
  const long commands = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0);
  if (commands < 0 || !(commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) {
    return false;
  }
  return syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED,
                 0) == 0;
#endif
}

// Runs before main(), while the process has one thread, so that readers can
// read domain.reader_fence without synchronization.
const bool kInitialized = [] {
  Registry& registry = TheRegistry();
  registry.membarrier = RegisterMembarrier();
  domain.reader_fence = !registry.membarrier;
  return true;
}();

// A full barrier on every thread that may be inside a read section, after
// the caller's pointer store and before its slot loads.
void BarrierOnAllReaders(const Registry& registry) {
  if (registry.membarrier &&
      syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0) {
    return;
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

// Releases the thread's slot when the thread exits.
struct SlotOwner {
  ~SlotOwner() {
    Registry& registry = TheRegistry();
    std::lock_guard<std::mutex> lock(registry.mu);
    if (thread_state.slot != nullptr) thread_state.slot->owned = false;
    thread_state.slot = nullptr;
  }
};

// Takes out of the retired list what no reader can hold, under registry.mu,
// and sets the domain's waiting epoch for what remains.
std::vector<Retired> TakeReclaimable(Registry& registry) {
  uint64_t oldest_reader = std::numeric_limits<uint64_t>::max();
  for (const Slot* slot = registry.slots; slot != nullptr; slot = slot->next) {
    const uint64_t entered = slot->epoch.load(std::memory_order_acquire);
    if (entered != 0) oldest_reader = std::min(oldest_reader, entered);
  }
  // An object retired at epoch R is safe once every reader in a read section
  // entered at R or later (it then loads the newer pointer).
  std::vector<Retired> reclaimable;
  uint64_t waiting = 0;
  auto keep =
      std::partition(registry.retired.begin(), registry.retired.end(),
                     [&](const Retired& r) { return r.epoch > oldest_reader; });
  for (auto it = registry.retired.begin(); it != keep; ++it) {
    waiting = std::max(waiting, it->epoch);
  }
  reclaimable.assign(keep, registry.retired.end());
  registry.retired.erase(keep, registry.retired.end());
  domain.waiting_epoch.store(waiting, std::memory_order_relaxed);
  return reclaimable;
}

// Deleters run without the registry lock: a destructor may retire more.
size_t Reclaim() {
  Registry& registry = TheRegistry();
  std::vector<Retired> reclaimable;
  size_t waiting;
  {
    std::lock_guard<std::mutex> lock(registry.mu);
    reclaimable = TakeReclaimable(registry);
    waiting = registry.retired.size();
  }
  for (const Retired& r : reclaimable) r.deleter(r.object);
  return waiting;
}

}  // namespace

Slot* RegisterThread() {
  Registry& registry = TheRegistry();
  Slot* slot = nullptr;
  {
    std::lock_guard<std::mutex> lock(registry.mu);
    for (Slot* s = registry.slots; s != nullptr; s = s->next) {
      if (!s->owned) {
        slot = s;
        break;
      }
    }
    if (slot == nullptr) {
      slot = new Slot();
      slot->next = registry.slots;
      registry.slots = slot;
    }
    slot->owned = true;
  }
  thread_state.slot = slot;
  static thread_local SlotOwner owner;
  (void)owner;
  return slot;
}

void ReclaimAfterRead() { Reclaim(); }

void Retire(const void* object, Deleter deleter) {
  Registry& registry = TheRegistry();
  {
    std::lock_guard<std::mutex> lock(registry.mu);
    // After the caller's pointer store (seq_cst): a reader that reads this
    // epoch or a later one loads the new pointer.
    const uint64_t epoch =
        domain.epoch.fetch_add(1, std::memory_order_seq_cst) + 1;
    registry.retired.push_back(Retired{epoch, object, deleter});
    domain.waiting_epoch.store(epoch, std::memory_order_relaxed);
    // Inside the lock: no reclaimer may scan the slots for this entry before
    // the barrier has made every reader's epoch store visible.
    BarrierOnAllReaders(registry);
  }
  // Frees it now if no reader is inside a read section that began earlier.
  Reclaim();
}

}  // namespace rcu_internal

size_t RcuReclaim() { return rcu_internal::Reclaim(); }

bool RcuReadersAreFenceFree() { return !rcu_internal::domain.reader_fence; }

}  // namespace base
