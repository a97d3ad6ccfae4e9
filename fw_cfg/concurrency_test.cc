// Several vCPUs on one device at once. Also run under ThreadSanitizer
// (:concurrency_tsan_test).
//
// fw_cfg has one selection shared by all vCPUs, so port reads from two
// vCPUs interleave; what must hold is that every access is atomic: a DMA
// transfer that selects and reads in one descriptor always gets exactly its
// item, its control word is always written back consistently, and a port
// read never returns a byte that no item has.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

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

TEST(Concurrency, ConfigurationWhileTheGuestReads) {
  X86Machine m;
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      m.outw(0x510, kFileDir);
      (void)m.inl(0x511);
      m.WriteDescriptor(0x1000, 0x0019000a, 256, 0x2000);
      m.StartDma(0x1000);
    }
  });
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(
        m.device()
            .AddFile("opt/late" + std::to_string(100 + i), *MakeStringItem("x"))
            .ok());
  }
  stop.store(true);
  reader.join();
  EXPECT_EQ(m.device().ListFiles().size(), 30u);
}

}  // namespace
}  // namespace fw_cfg
