// ExitStats: what a VM exit costs in user space, per kind of exit.
//
// `vmm --exit-stats` times every exit a vCPU thread handles, from KVM_RUN's
// return to the start of the next KVM_RUN, with the TSC, and prints at the
// end of the run, per kind of exit (port and direction for port I/O, page and
// direction for MMIO, the exit reason otherwise): the count and the median,
// mean and minimum cycles. That interval is everything the VMM adds to an
// exit (device model, bus, locks, the run loop); the rest of an exit's cost
// is the kernel's and the CPU's. Cloud Hypervisor's `vm.counters` and QEMU's
// `info profile` answer similar questions.
//
// One ExitStats per vCPU thread (Record is not thread-safe); Merge them for
// the report. Record costs a hash lookup and a few adds, done outside the
// timed interval.

#ifndef VMM_EXIT_STATS_H_
#define VMM_EXIT_STATS_H_

#include <linux/kvm.h>

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace vmm {

class ExitStats {
 public:
  // One exit described by `run` (as KVM_RUN left it), handled in `cycles`.
  void Record(const kvm_run& run, uint64_t cycles);
  void Merge(const ExitStats& other);

  // Per kind of exit, for reports and tests.
  struct Summary {
    std::string kind;  // "pio in 0x0511", "mmio write 0xfee00000", "hlt"...
    uint64_t count;
    uint64_t min_cycles;
    uint64_t median_cycles;  // Within 1/16 (the histogram's resolution).
    double mean_cycles;
  };
  // Busiest first.
  std::vector<Summary> Summaries() const;
  uint64_t exits() const;

  // The table `vmm --exit-stats` prints, one line each, with the TSC rate
  // (cycles per nanosecond) to give times too (0: cycles only).
  std::string Report(double cycles_per_ns) const;

 private:
  // Log-linear histogram: 16 buckets per power of two, so a median read
  // from it is off by at most 1/16.
  static constexpr int kSubBuckets = 16;
  static constexpr int kBuckets = 64 * kSubBuckets;
  struct Counter {
    uint64_t count = 0;
    uint64_t cycles = 0;
    uint64_t min = ~uint64_t{0};
    std::array<uint32_t, kBuckets> histogram{};
  };
  static int Bucket(uint64_t cycles);
  static uint64_t BucketStart(int bucket);
  static std::string KindName(uint64_t key);

  // Keyed by kind (see KindName). A guest touching ever new MMIO pages could
  // grow this without end: past kMaxKinds, new kinds count as "other".
  static constexpr size_t kMaxKinds = 1024;
  std::unordered_map<uint64_t, Counter> counters_;
};

}  // namespace vmm

#endif  // VMM_EXIT_STATS_H_
