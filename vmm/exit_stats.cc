#include "vmm/exit_stats.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"

namespace vmm {
namespace {

// Key layout: bits 63..56 the kind class, then class-specific fields.
constexpr uint64_t kClassPio = 1;
constexpr uint64_t kClassMmio = 2;
constexpr uint64_t kClassReason = 3;
constexpr uint64_t kClassOther = 4;  // Past kMaxKinds.

uint64_t KeyFor(const kvm_run& run) {
  switch (run.exit_reason) {
    case KVM_EXIT_IO:
      return kClassPio << 56 |
             uint64_t{run.io.direction == KVM_EXIT_IO_OUT} << 32 | run.io.port;
    case KVM_EXIT_MMIO:
      // By 4 KiB page: the device, not each register.
      return kClassMmio << 56 | uint64_t{run.mmio.is_write != 0} << 55 |
             (run.mmio.phys_addr >> 12 & ((uint64_t{1} << 52) - 1));
    default:
      return kClassReason << 56 | run.exit_reason;
  }
}

const char* ReasonName(uint32_t reason) {
  switch (reason) {
    case KVM_EXIT_HLT:
      return "hlt";
    case KVM_EXIT_INTR:
      return "intr (signal)";
    case KVM_EXIT_SHUTDOWN:
      return "shutdown";
    case KVM_EXIT_SYSTEM_EVENT:
      return "system event";
    case KVM_EXIT_FAIL_ENTRY:
      return "fail entry";
    case KVM_EXIT_INTERNAL_ERROR:
      return "internal error";
    default:
      return nullptr;
  }
}

}  // namespace

int ExitStats::Bucket(uint64_t cycles) {
  if (cycles < kSubBuckets) return static_cast<int>(cycles);
  // The top 5 bits (leading 1 and 4 below it) pick the bucket.
  const int octave = std::bit_width(cycles) - 5;  // >= 0
  const uint64_t top = cycles >> octave;          // 16..31
  return (octave + 1) * kSubBuckets + static_cast<int>(top - kSubBuckets);
}

uint64_t ExitStats::BucketStart(int bucket) {
  if (bucket < kSubBuckets) return static_cast<uint64_t>(bucket);
  const int octave = bucket / kSubBuckets - 1;
  return (uint64_t{kSubBuckets} + bucket % kSubBuckets) << octave;
}

std::string ExitStats::KindName(uint64_t key) {
  const uint64_t kind_class = key >> 56;
  if (kind_class == kClassPio) {
    return absl::StrFormat("pio %s 0x%04x", (key >> 32 & 1) ? "out" : "in",
                           key & 0xffff);
  }
  if (kind_class == kClassMmio) {
    return absl::StrFormat("mmio %s 0x%x", (key >> 55 & 1) ? "write" : "read",
                           (key & ((uint64_t{1} << 52) - 1)) << 12);
  }
  if (kind_class == kClassReason) {
    const uint32_t reason = static_cast<uint32_t>(key);
    const char* name = ReasonName(reason);
    return name != nullptr ? name : absl::StrFormat("exit reason %d", reason);
  }
  return "other";
}

void ExitStats::Record(const kvm_run& run, uint64_t cycles) {
  uint64_t key = KeyFor(run);
  auto it = counters_.find(key);
  if (it == counters_.end()) {
    if (counters_.size() >= kMaxKinds) key = kClassOther << 56;
    it = counters_.try_emplace(key).first;
  }
  Counter& counter = it->second;
  ++counter.count;
  counter.cycles += cycles;
  counter.min = std::min(counter.min, cycles);
  ++counter.histogram[Bucket(cycles)];
}

void ExitStats::Merge(const ExitStats& other) {
  for (const auto& [key, theirs] : other.counters_) {
    Counter& ours = counters_[key];
    ours.count += theirs.count;
    ours.cycles += theirs.cycles;
    ours.min = std::min(ours.min, theirs.min);
    for (int i = 0; i < kBuckets; ++i) ours.histogram[i] += theirs.histogram[i];
  }
}

uint64_t ExitStats::exits() const {
  uint64_t total = 0;
  for (const auto& [key, counter] : counters_) total += counter.count;
  return total;
}

std::vector<ExitStats::Summary> ExitStats::Summaries() const {
  std::vector<Summary> summaries;
  for (const auto& [key, counter] : counters_) {
    // The median: the bucket holding the (count + 1) / 2-th smallest value.
    uint64_t seen = 0, median = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counter.histogram[i];
      if (seen * 2 >= counter.count) {
        median = std::max(BucketStart(i), counter.min);
        break;
      }
    }
    summaries.push_back(Summary{KindName(key), counter.count, counter.min,
                                median,
                                static_cast<double>(counter.cycles) /
                                    static_cast<double>(counter.count)});
  }
  std::sort(summaries.begin(), summaries.end(),
            [](const Summary& a, const Summary& b) {
              return a.count != b.count ? a.count > b.count : a.kind < b.kind;
            });
  return summaries;
}

std::string ExitStats::Report(double cycles_per_ns) const {
  std::string report = absl::StrFormat(
      "exits handled in user space (KVM_RUN's return to the next KVM_RUN)");
  if (cycles_per_ns > 0) {
    absl::StrAppendFormat(&report, ", TSC %.3f GHz", cycles_per_ns);
  }
  absl::StrAppendFormat(&report, ":\n  %-24s %10s %14s %14s %12s", "exit",
                        "count", "median cycles", "mean cycles", "min cycles");
  if (cycles_per_ns > 0) absl::StrAppendFormat(&report, " %10s", "median ns");
  report += "\n";
  for (const Summary& s : Summaries()) {
    absl::StrAppendFormat(&report, "  %-24s %10d %14d %14.0f %12d", s.kind,
                          s.count, s.median_cycles, s.mean_cycles,
                          s.min_cycles);
    if (cycles_per_ns > 0) {
      absl::StrAppendFormat(
          &report, " %10.0f",
          static_cast<double>(s.median_cycles) / cycles_per_ns);
    }
    report += "\n";
  }
  absl::StrAppendFormat(&report, "  %-24s %10d\n", "all", exits());
  return report;
}

}  // namespace vmm
