// ExitStats: kinds of exits, the median from the histogram, merging, the
// bound on kinds, and the report.

#include "vmm/exit_stats.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

using ::testing::HasSubstr;

kvm_run PioExit(uint16_t port, bool out) {
  kvm_run run;
  std::memset(&run, 0, sizeof(run));
  run.exit_reason = KVM_EXIT_IO;
  run.io.port = port;
  run.io.direction = out ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
  run.io.size = 1;
  run.io.count = 1;
  return run;
}

kvm_run MmioExit(uint64_t address, bool write) {
  kvm_run run;
  std::memset(&run, 0, sizeof(run));
  run.exit_reason = KVM_EXIT_MMIO;
  run.mmio.phys_addr = address;
  run.mmio.is_write = write;
  run.mmio.len = 4;
  return run;
}

TEST(ExitStats, KindsAndFigures) {
  ExitStats stats;
  // 0x511 in: 1000 exits, cycles 1000..1999 (median 1499.5).
  for (int i = 0; i < 1000; ++i) stats.Record(PioExit(0x511, false), 1000 + i);
  stats.Record(PioExit(0x511, true), 50);
  stats.Record(MmioExit(0xfee000b0, true), 7000);
  stats.Record(MmioExit(0xfee00300, true), 9000);  // Same page.
  kvm_run hlt;
  std::memset(&hlt, 0, sizeof(hlt));
  hlt.exit_reason = KVM_EXIT_HLT;
  stats.Record(hlt, 3);

  const auto summaries = stats.Summaries();
  ASSERT_EQ(summaries.size(), 4u);
  EXPECT_EQ(summaries[0].kind, "pio in 0x0511");
  EXPECT_EQ(summaries[0].count, 1000u);
  EXPECT_EQ(summaries[0].min_cycles, 1000u);
  EXPECT_DOUBLE_EQ(summaries[0].mean_cycles, 1499.5);
  // The histogram has 16 buckets per power of two: within 1/16 below.
  EXPECT_LE(summaries[0].median_cycles, 1500u);
  EXPECT_GE(summaries[0].median_cycles, 1500u - 1500u / 16);
  EXPECT_EQ(summaries[1].kind, "mmio write 0xfee00000");
  EXPECT_EQ(summaries[1].count, 2u);
  EXPECT_EQ(summaries[1].min_cycles, 7000u);
  EXPECT_EQ(stats.exits(), 1004u);

  const std::string report = stats.Report(2.0);
  EXPECT_THAT(report, HasSubstr("TSC 2.000 GHz"));
  EXPECT_THAT(report, HasSubstr("pio out 0x0511"));
  EXPECT_THAT(report, HasSubstr("hlt"));
  EXPECT_THAT(report, HasSubstr("1004"));
}

TEST(ExitStats, SmallAndHugeValuesLandInTheirBuckets) {
  ExitStats stats;
  for (uint64_t cycles : {uint64_t{0}, uint64_t{1}, uint64_t{15}}) {
    ExitStats one;
    one.Record(PioExit(0x80, true), cycles);
    EXPECT_EQ(one.Summaries()[0].median_cycles, cycles);
  }
  stats.Record(PioExit(0x80, true), ~uint64_t{0});
  EXPECT_EQ(stats.Summaries()[0].min_cycles, ~uint64_t{0});
  EXPECT_GE(stats.Summaries()[0].median_cycles, ~uint64_t{0} / 16 * 15);
}

TEST(ExitStats, MergeAddsPerKind) {
  ExitStats a, b;
  a.Record(PioExit(0x511, false), 100);
  b.Record(PioExit(0x511, false), 300);
  b.Record(PioExit(0x3f8, true), 10);
  a.Merge(b);
  const auto summaries = a.Summaries();
  ASSERT_EQ(summaries.size(), 2u);
  EXPECT_EQ(summaries[0].kind, "pio in 0x0511");
  EXPECT_EQ(summaries[0].count, 2u);
  EXPECT_EQ(summaries[0].min_cycles, 100u);
  EXPECT_DOUBLE_EQ(summaries[0].mean_cycles, 200.0);
}

// A guest touching ever new MMIO pages cannot grow the table without end.
TEST(ExitStats, KindsAreBounded) {
  ExitStats stats;
  for (uint64_t page = 0; page < 5000; ++page) {
    stats.Record(MmioExit(page << 12, false), 10);
  }
  const auto summaries = stats.Summaries();
  EXPECT_LE(summaries.size(), 1025u);
  EXPECT_EQ(summaries[0].kind, "other");
  EXPECT_EQ(stats.exits(), 5000u);
}

}  // namespace
}  // namespace vmm
