// Several vCPUs on one device at once. Also run under ThreadSanitizer
// (:concurrency_tsan_test).
//
// fw_cfg has one selection shared by all vCPUs, so port reads from two
// vCPUs interleave; what must hold is that every access is atomic: a DMA
// transfer that selects and reads in one descriptor always gets exactly its
// item, its control word is always written back consistently, and a port
// read never returns a byte that no item has.

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using testing::X86Machine;

constexpr int kDmaThreads = 3;
constexpr int kIterations = 2000;
constexpr size_t kItemSize = 64;

TEST(Concurrency, DmaTransfersAreAtomicPerDescriptor) {
  X86Machine m;
  // Item t is kItemSize bytes of the letter 'a' + t.
  for (int t = 0; t < kDmaThreads; ++t) {
    ASSERT_TRUE(m.device()
                    .AddFile("opt/item" + std::to_string(t),
                             *MakeStringItem(std::string(kItemSize, 'a' + t)))
                    .ok());
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kDmaThreads; ++t) {
    threads.emplace_back([&, t] {
      const uint64_t desc = 0x10000 * (t + 1);
      const uint64_t buf = desc + 0x100;
      const uint32_t key = 0x20 + t;
      for (int i = 0; i < kIterations; ++i) {
        m.WriteRam(buf, std::vector<uint8_t>(kItemSize, 0));
        m.WriteDescriptor(desc, (key << 16) | 0x0a, kItemSize, buf);
        m.StartDma(desc);
        if (m.DescriptorControl(desc) != 0) bad.fetch_add(1);
        const std::vector<uint8_t> got = m.ReadRam(buf, kItemSize);
        for (uint8_t byte : got) {
          if (byte != 'a' + t) {
            bad.fetch_add(1);
            break;
          }
        }
      }
    });
  }
  // A vCPU that selects and reads through the ports at the same time.
  threads.emplace_back([&] {
    for (int i = 0; i < kIterations; ++i) {
      m.outw(0x510, 0x20 + i % kDmaThreads);
      const uint8_t byte = m.inb(0x511);
      if (byte != 0 && (byte < 'a' || byte >= 'a' + kDmaThreads)) {
        bad.fetch_add(1);
      }
    }
  });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(bad.load(), 0);
}

// Files added while a vCPU reads the directory: every read sees a whole
// directory of some moment (the count never goes back, the entries it covers
// are the files added first, in order) and every DMA succeeds.
TEST(Concurrency, ConfigurationWhileTheGuestReads) {
  constexpr int kFiles = 30;
  X86Machine m;
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::atomic<uint32_t> final_count{0};
  std::vector<std::string> problems;  // Written by the reader only.
  std::thread reader([&] {
    uint32_t last_count = 0;
    auto problem = [&](const std::string& what) {
      if (problems.size() < 10) problems.push_back(what);
    };
    while (!stop.load()) {
      // The port: the big-endian count, one data-port byte at a time.
      m.outw(0x510, kFileDir);
      uint32_t port_count = 0;
      for (int b = 0; b < 4; ++b) port_count = (port_count << 8) | m.inb(0x511);
      // DMA: the count and the first three entries in one descriptor.
      m.WriteDescriptor(0x1000, 0x0019000a, 4 + 3 * 64, 0x2000);
      m.StartDma(0x1000);
      if (m.DescriptorControl(0x1000) != 0) problem("DMA failed");
      const std::vector<uint8_t> dir = m.ReadRam(0x2000, 4 + 3 * 64);
      const uint32_t count =
          (uint32_t{dir[0]} << 24) | (dir[1] << 16) | (dir[2] << 8) | dir[3];
      if (port_count < last_count || count < port_count || count > kFiles) {
        problem("count went from " + std::to_string(last_count) + " to " +
                std::to_string(port_count) + " then " + std::to_string(count));
      }
      last_count = count;
      final_count.store(count);
      for (uint32_t j = 0; j < std::min<uint32_t>(count, 3); ++j) {
        const uint8_t* entry = dir.data() + 4 + 64 * j;
        const uint32_t size = (uint32_t{entry[0]} << 24) | (entry[1] << 16) |
                              (entry[2] << 8) | entry[3];
        const uint16_t key = static_cast<uint16_t>((entry[4] << 8) | entry[5]);
        const std::string name(reinterpret_cast<const char*>(entry + 8));
        if (size != 1 || key != 0x20 + j ||
            name != "opt/late" + std::to_string(100 + j)) {
          problem("entry " + std::to_string(j) + " is " + name);
        }
      }
      reads.fetch_add(1);
    }
  });
  // Start adding once the reader runs, and let it read the full directory
  // at least once after the last file.
  while (reads.load() == 0) std::this_thread::yield();
  absl::Status added = absl::OkStatus();
  for (int i = 0; i < kFiles && added.ok(); ++i) {
    added = m.device().AddFile("opt/late" + std::to_string(100 + i),
                               *MakeStringItem("x"));
  }
  const int reads_before_last = reads.load();
  while (reads.load() < reads_before_last + 2) std::this_thread::yield();
  stop.store(true);
  reader.join();  // Before any assertion: the thread must be joined.

  EXPECT_TRUE(added.ok()) << added;
  EXPECT_EQ(m.device().ListFiles().size(), size_t{kFiles});
  EXPECT_EQ(final_count.load(), uint32_t{kFiles});
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace fw_cfg
