#include "fw_cfg/trace.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fw_cfg/keys.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;
using testing::X86Machine;

// What QEMU 7.2 prints for `-trace fw_cfg_select` on q35 when qtest selects
// each key (the device pointer masked):
//   key 0x000b 'initdr_size', ret: 1      (QEMU's spelling)
//   key 0x0019 'file_dir', ret: 1
//   key 0x001a 'unknown', ret: 1
//   key 0x0022 'unknown', ret: 1          (files have no name in the trace)
//   key 0x8002 'irq0_override', ret: 1
//   key 0x8003 'unknown', ret: 1
//   key 0xc000 'unknown', ret: 1
//   key 0x0040 'unknown', ret: 0          (past the default 32 file slots)
TEST(Trace, KeyNamesAreQemus) {
  EXPECT_EQ(TraceKeyName(0x0000), "signature");
  EXPECT_EQ(TraceKeyName(0x000b), "initdr_size");
  EXPECT_EQ(TraceKeyName(0x0018), "setup_data");
  EXPECT_EQ(TraceKeyName(0x0019), "file_dir");
  EXPECT_EQ(TraceKeyName(0x001a), "unknown");
  EXPECT_EQ(TraceKeyName(0x0022), "unknown");
  EXPECT_EQ(TraceKeyName(0x8000), "acpi_tables");
  EXPECT_EQ(TraceKeyName(0x8001), "smbios_entries");
  EXPECT_EQ(TraceKeyName(0x8002), "irq0_override");
  EXPECT_EQ(TraceKeyName(0x8003), "unknown");
  EXPECT_EQ(TraceKeyName(0x8004), "hpet");
  EXPECT_EQ(TraceKeyName(0xc002), "unknown");
  EXPECT_EQ(TraceKeyName(0x4000), "unknown");
}

TEST(Trace, SelectLineIsQemus) {
  const std::string line =
      FormatSelectEvent(reinterpret_cast<const void*>(0x55d0c1a0), 0x19, true);
  EXPECT_EQ(line, "fw_cfg_select 0x55d0c1a0 key 0x0019 'file_dir', ret: 1\n");
  EXPECT_EQ(FormatSelectEvent(reinterpret_cast<const void*>(0x10), 0x40, false),
            "fw_cfg_select 0x10 key 0x0040 'unknown', ret: 0\n");
}

struct Recorder : TraceSink {
  void Select(const void* device, uint16_t key, bool valid) override {
    devices.push_back(device);
    keys.push_back(key);
    valids.push_back(valid);
  }
  void Read(const void*, uint64_t value) override { reads.push_back(value); }
  std::vector<const void*> devices;
  std::vector<uint16_t> keys;
  std::vector<bool> valids;
  std::vector<uint64_t> reads;
};

// QEMU 7.2 `-trace fw_cfg_read` after selecting key 0: x86 `inb 0x511`,
// `inw 0x511`, `inl 0x511` print = 0x51, = 0x45, = 0x4d (one data byte per
// access; the rest of a wide access is other ports); arm `readq` of the data
// register prints = 0x51454d5500000000 and a `readb` past the end = 0x0.
TEST(Trace, ReadsAreReportedWithQemusValues) {
  auto x86_trace = std::make_shared<Recorder>();
  X86Machine x86({.trace = x86_trace});
  x86.outw(0x510, 0x0000);
  x86.inb(0x511);
  x86.inw(0x511);
  x86.inl(0x511);
  EXPECT_THAT(x86_trace->reads, ElementsAre(0x51, 0x45, 0x4d));
  // A DMA transfer reports one read of 0 when it is done.
  x86_trace->reads.clear();
  x86.WriteDescriptor(0x1000, 0x0000000a, 4, 0x2000);
  x86.StartDma(0x1000);
  EXPECT_THAT(x86_trace->reads, ElementsAre(0));

  auto arm_trace = std::make_shared<Recorder>();
  testing::ArmMachine arm({.trace = arm_trace});
  arm.writew(testing::ArmMachine::kBase + 8, 0x0000);
  arm.readq(testing::ArmMachine::kBase);
  arm.readb(testing::ArmMachine::kBase);
  EXPECT_THAT(arm_trace->reads, ElementsAre(0x51454d5500000000u, 0u));
}

TEST(Trace, ReadLineIsQemus) {
  EXPECT_EQ(FormatReadEvent(reinterpret_cast<const void*>(0x55d0c1a0), 0x51),
            "fw_cfg_read 0x55d0c1a0 = 0x51\n");
  EXPECT_EQ(FormatReadEvent(reinterpret_cast<const void*>(0x10), 0),
            "fw_cfg_read 0x10 = 0x0\n");
}

TEST(Trace, EverySelectIsReportedPortOrDma) {
  auto recorder = std::make_shared<Recorder>();
  X86Machine m({.trace = recorder});
  m.outw(0x510, 0x0019);
  m.outw(0x510, 0x8002);
  // A DMA descriptor that selects key 0x0001 and reads 4 bytes.
  m.WriteDescriptor(0x1000, 0x0001000a, 4, 0x2000);
  m.StartDma(0x1000);
  // Past the last of the default 32 file slots: QEMU's ret 0.
  m.outw(0x510, 0x0040);
  m.outw(0x510, 0x003f);
  EXPECT_THAT(recorder->keys,
              ElementsAre(0x0019, 0x8002, 0x0001, 0x0040, 0x003f));
  EXPECT_THAT(recorder->valids, ElementsAre(true, true, true, false, true));
  for (const void* device : recorder->devices) {
    EXPECT_EQ(device, &m.device());
  }
}

}  // namespace
}  // namespace fw_cfg
