// What a guest pays per fw_cfg access, in the device model (no VM exit).
//
//   tools/bazel run -c opt //fw_cfg:fw_cfg_benchmark
//
// - DataPortByte: one `inb 0x511` through the PIO bus, the access Linux's
//   sysfs driver makes for every byte (bytes item, and file item served from
//   its read window).
// - DataPortByteTraced: the same with a trace sink printing fw_cfg_read
//   (formatting each event into a line that goes nowhere); DataPortByte
//   has no sink, the cost of tracing off.
// - DmaRead: one DMA READ of N bytes into guest RAM, from an in-memory item
//   and from a file item (pread from the page cache into guest RAM).

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_order.h"
#include "benchmark/benchmark.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/item.h"
#include "fw_cfg/trace.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"

namespace fw_cfg {
namespace {

constexpr uint64_t kRamSize = 1 << 30;
constexpr uint32_t kItemSize = 64 << 20;

struct Machine {
  explicit Machine(std::shared_ptr<TraceSink> trace = nullptr) {
    memory = *vm_memory::GuestMemory::CreateAnonymous(
        {{vm_memory::GuestAddress(0), kRamSize}});
    device = *FwCfg::Create(memory, {.trace = std::move(trace)});
    (void)AttachIoPorts(device, pio);
    (void)device->AddFile(
        "opt/bytes", *MakeBytesItem(std::vector<uint8_t>(kItemSize, 0x5a)));
    file_path = "/tmp/fw_cfg_benchmark." + std::to_string(getpid()) + "." +
                std::to_string(++machines) + ".img";
    const int fd = open(file_path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600);
    std::vector<uint8_t> chunk(1 << 20, 0xa5);
    for (uint32_t i = 0; i < kItemSize / chunk.size(); ++i) {
      (void)!write(fd, chunk.data(), chunk.size());
    }
    close(fd);
    (void)device->AddFile("opt/file", *MakeFileItem(file_path));
  }
  ~Machine() { unlink(file_path.c_str()); }

  static inline int machines = 0;
  std::shared_ptr<const vm_memory::GuestMemory> memory;
  std::shared_ptr<FwCfg> device;
  vm_device::PioBus pio;
  std::string file_path;
};

Machine& TheMachine() {
  static Machine* machine = new Machine();
  return *machine;
}

Machine& TracedMachine() {
  static Machine* machine = new Machine(std::make_shared<TracePrinter>(
      std::vector<std::string>{"fw_cfg_read"},
      [](std::string_view line) { benchmark::DoNotOptimize(line.data()); }));
  return *machine;
}

// Key 0x20 is opt/bytes, 0x21 opt/file (sorted names).
void DataPortByte(benchmark::State& state, Machine& m) {
  const uint16_t key = static_cast<uint16_t>(state.range(0));
  uint8_t select[2];
  base::StoreLe16(select, key);
  m.pio.Write(0x510, select);
  uint64_t read = 0;
  uint8_t byte[1];
  for (auto _ : state) {
    if (++read == kItemSize) {  // Start over before running off the end.
      m.pio.Write(0x510, select);
      read = 0;
    }
    m.pio.Read(0x511, byte);
    benchmark::DoNotOptimize(byte);
  }
  state.SetBytesProcessed(state.iterations());
}

void BM_DataPortByte(benchmark::State& state) {
  DataPortByte(state, TheMachine());
}
BENCHMARK(BM_DataPortByte)->ArgName("key")->Arg(0x20)->Arg(0x21);

void BM_DataPortByteTraced(benchmark::State& state) {
  DataPortByte(state, TracedMachine());
}
BENCHMARK(BM_DataPortByteTraced)->ArgName("key")->Arg(0x20);

void BM_DmaRead(benchmark::State& state) {
  Machine& m = TheMachine();
  const uint16_t key = static_cast<uint16_t>(state.range(0));
  const uint32_t length = static_cast<uint32_t>(state.range(1));
  uint8_t descriptor[16];
  base::StoreBe32(descriptor, (uint32_t{key} << 16) | 0x0a);  // select + read
  base::StoreBe32(descriptor + 4, length);
  base::StoreBe64(descriptor + 8, 0x100000);
  for (auto _ : state) {
    // The device overwrites the control word with the status: rewrite it.
    (void)m.memory->Write(vm_memory::GuestAddress(0x1000), descriptor);
    m.device->WriteDmaAddress(0x1000);
  }
  state.SetBytesProcessed(state.iterations() * int64_t{length});
  if (*m.memory->ReadBe32(vm_memory::GuestAddress(0x1000)) != 0) {
    state.SkipWithError("DMA reported an error");
  }
}
BENCHMARK(BM_DmaRead)
    ->ArgNames({"key", "bytes"})
    ->Args({0x20, 4096})
    ->Args({0x21, 4096})
    ->Args({0x20, 64 << 20})
    ->Args({0x21, 64 << 20});

}  // namespace
}  // namespace fw_cfg

BENCHMARK_MAIN();
