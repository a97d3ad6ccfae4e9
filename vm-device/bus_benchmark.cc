// Dispatch cost of the buses, per guest access.
//
//   tools/bazel run -c opt //vm-device:bus_benchmark
//
// 64 devices are registered 0x100 apart; a hit (offset:4) reads 4 bytes
// inside one of them (cycling through all 64), a miss (offset:128) reads 4
// unassigned bytes between them. The device itself does almost nothing, so the
// figures are the cost of the bus: read section, lookup, splitting.
//
// Scaling: BM_ReadOwnDevice runs 1, 2, 4, ... threads up to the machine's
// CPU count (at least 2), each thread reading its own device, as vCPUs do
// with their own devices; the time per iteration is each thread's cost per
// access, so a bus that scales shows the same figure for every thread count.
// BM_ReadWhileRemapping adds a writer thread that inserts and removes a
// range 1000 times a second, to show that publications do not stall readers.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>

#include "base/rcu.h"
#include "benchmark/benchmark.h"
#include "vm-device/bus.h"

namespace vm_device {
namespace {

constexpr int kDevices = 64;

class NullDevice : public BusDevice {
 public:
  explicit NullDevice(AccessWidths widths) : widths_(widths) {}
  AccessWidths Widths() const override { return widths_; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    for (uint8_t& byte : data) byte = static_cast<uint8_t>(offset);
  }
  void Write(uint64_t, absl::Span<const uint8_t>) override {}

 private:
  const AccessWidths widths_;
};

template <typename BusType>
BusType* MakeBus(AccessWidths widths) {
  auto* bus = new BusType();
  for (int i = 0; i < kDevices; ++i) {
    (void)bus->Insert(std::make_shared<NullDevice>(widths), 0x100 * i, 0x10);
  }
  return bus;
}

// Reads 4 bytes at `state.range(0)` into each 0x100-byte slot, cycling
// through the 64 slots: offset 4 lies in a device, 0x80 in the gap after it.
template <typename BusType>
void BM_Read(benchmark::State& state) {
  static BusType* bus = MakeBus<BusType>(AccessWidths{1, 4, false});
  const uint64_t offset = state.range(0);
  uint8_t data[4];
  uint64_t i = state.thread_index() * 7;
  for (auto _ : state) {
    bus->Read(0x100 * (i++ % kDevices) + offset, absl::MakeSpan(data));
    benchmark::DoNotOptimize(data);
  }
  state.SetItemsProcessed(state.iterations());
}

// A 4-byte access to a byte-wide device: four device calls.
void BM_ReadSplitFourWays(benchmark::State& state) {
  static PioBus* bus = MakeBus<PioBus>(AccessWidths{1, 1, false});
  uint8_t data[4];
  uint64_t i = 0;
  for (auto _ : state) {
    bus->Read(0x100 * (i++ % kDevices) + 4, absl::MakeSpan(data));
    benchmark::DoNotOptimize(data);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Write(benchmark::State& state) {
  static MmioBus* bus = MakeBus<MmioBus>(AccessWidths{1, 8, false});
  const uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  uint64_t i = 0;
  for (auto _ : state) {
    bus->Write(0x100 * (i++ % kDevices) + 8, absl::MakeConstSpan(data));
  }
  state.SetItemsProcessed(state.iterations());
}

// Thread t reads device t (4 bytes at offset 4), hitting the same device
// every time.
void ReadOwnDevice(benchmark::State& state, const Bus& bus) {
  const uint64_t address = 0x100 * (state.thread_index() % kDevices) + 4;
  uint8_t data[4];
  for (auto _ : state) {
    bus.Read(address, absl::MakeSpan(data));
    benchmark::DoNotOptimize(data);
  }
  state.SetItemsProcessed(state.iterations());
}

template <typename BusType>
void BM_ReadOwnDevice(benchmark::State& state) {
  static BusType* bus = MakeBus<BusType>(AccessWidths{1, 4, false});
  ReadOwnDevice(state, *bus);
}

// As BM_ReadOwnDevice on the PIO bus, while another thread inserts and
// removes a range every millisecond (each a new table published, the old one
// reclaimed).
void BM_ReadWhileRemapping(benchmark::State& state) {
  static PioBus* bus = MakeBus<PioBus>(AccessWidths{1, 4, false});
  static std::atomic<bool> stop{false};
  static std::thread* writer = nullptr;
  if (state.thread_index() == 0) {
    stop.store(false);
    writer = new std::thread([] {
      auto device = std::make_shared<NullDevice>(AccessWidths{1, 4, false});
      while (!stop.load()) {
        (void)bus->Insert(device, 0xf000, 0x10);
        (void)bus->Remove(0xf000);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    });
  }
  ReadOwnDevice(state, *bus);
  if (state.thread_index() == 0) {
    stop.store(true);
    writer->join();
    delete writer;
  }
}

// 1, 2, 4, ... threads, up to the CPU count (at least 2).
void ThreadCounts(benchmark::internal::Benchmark* benchmark) {
  const int cpus = std::max(2u, std::thread::hardware_concurrency());
  for (int threads = 1; threads <= cpus; threads *= 2) {
    benchmark->Threads(threads);
  }
  if ((cpus & (cpus - 1)) != 0) benchmark->Threads(cpus);
}

constexpr int64_t kHit = 4;
constexpr int64_t kMiss = 0x80;
BENCHMARK(BM_Read<PioBus>)
    ->ArgName("offset")
    ->Arg(kHit)
    ->Arg(kMiss)
    ->ThreadRange(1, 2);
BENCHMARK(BM_Read<MmioBus>)
    ->ArgName("offset")
    ->Arg(kHit)
    ->Arg(kMiss)
    ->ThreadRange(1, 2);
BENCHMARK(BM_ReadOwnDevice<PioBus>)->Apply(ThreadCounts);
BENCHMARK(BM_ReadOwnDevice<MmioBus>)->Apply(ThreadCounts);
BENCHMARK(BM_ReadWhileRemapping)->Apply(ThreadCounts);
BENCHMARK(BM_ReadSplitFourWays);
BENCHMARK(BM_Write);

}  // namespace
}  // namespace vm_device

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // Readers fence themselves only where membarrier is missing (base/rcu.h).
  benchmark::AddCustomContext("rcu_readers",
                              base::RcuReadersAreFenceFree()
                                  ? "fence-free (writers use membarrier)"
                                  : "seq_cst fence on entry (no membarrier)");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
