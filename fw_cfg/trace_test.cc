#include "fw_cfg/trace.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fw_cfg/item.h"
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
  // QEMU names architecture-local keys on x86 only (arm `virt`: "unknown").
  EXPECT_EQ(TraceKeyName(0x8000, TraceArch::kOther), "unknown");
  EXPECT_EQ(TraceKeyName(0x8004, TraceArch::kOther), "unknown");
  EXPECT_EQ(TraceKeyName(0x0019, TraceArch::kOther), "file_dir");
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

// Collects the lines a TracePrinter writes.
struct Lines {
  std::shared_ptr<TracePrinter> Printer(
      const std::vector<std::string>& events) {
    return std::make_shared<TracePrinter>(
        events, [this](std::string_view line) { lines.emplace_back(line); });
  }
  std::vector<std::string> lines;
};

// Replaces every "0x<hex>" device pointer in `line` after the event name
// by "PTR", as the conformance test masks QEMU's.
std::string MaskDevice(const std::string& line, const void* device) {
  std::string out = line;
  const std::string pointer = FormatReadEvent(device, 0).substr(12);
  const std::string text = pointer.substr(0, pointer.find(' '));
  for (size_t at = out.find(text); at != std::string::npos;
       at = out.find(text)) {
    out.replace(at, text.size(), "PTR");
  }
  return out;
}

// QEMU 7.2 prints, for the same calls (`-trace 'fw_cfg_add*'`, observed):
//   fw_cfg_add_bytes key 0x0000 'signature', 4 bytes
//   fw_cfg_add_i32 key 0x0001 'id', value 0x3
//   fw_cfg_add_bytes key 0x0001 'id', 4 bytes
//   fw_cfg_add_i16 key 0x0005 'nb_cpus', value 0x1
//   fw_cfg_add_bytes key 0x0005 'nb_cpus', 2 bytes
//   fw_cfg_add_i64 key 0x0003 'ram_size', value 0x8000000
//   fw_cfg_add_file 0x55b4a6550f50 #0: etc/e820 (40 bytes)
//   fw_cfg_add_file 0x55b4a6550f50 #0: bootorder (0 bytes)
// (#N is the position in the sorted directory when the file goes in.)
TEST(Trace, AddEventsAreQemus) {
  Lines out;
  X86Machine m({.trace = out.Printer(TraceEventNames())});
  ASSERT_TRUE(m.device().SetLe16(kNbCpus, 1).ok());
  ASSERT_TRUE(m.device().SetLe64(kRamSize, 0x8000000).ok());
  ASSERT_TRUE(m.device().SetLe32(kX86Irq0Override, 1).ok());
  ASSERT_TRUE(m.device().SetString(kKernelCmdline, "quiet").ok());
  ASSERT_TRUE(m.device()
                  .AddFile("etc/e820", *MakeBytesItem(std::vector<uint8_t>(40)))
                  .ok());
  ASSERT_TRUE(m.device().AddFile("bootorder", *MakeBytesItem({})).ok());
  ASSERT_TRUE(m.device().AddFile("opt/x", *MakeStringItem("abc")).ok());
  std::vector<std::string> masked;
  for (const std::string& line : out.lines) {
    masked.push_back(MaskDevice(line, &m.device()));
  }
  EXPECT_THAT(
      masked,
      ElementsAre("fw_cfg_add_bytes key 0x0000 'signature', 4 bytes\n",
                  "fw_cfg_add_i32 key 0x0001 'id', value 0x3\n",
                  "fw_cfg_add_bytes key 0x0001 'id', 4 bytes\n",
                  "fw_cfg_add_bytes key 0x0019 'file_dir', 4 bytes\n",
                  "fw_cfg_add_i16 key 0x0005 'nb_cpus', value 0x1\n",
                  "fw_cfg_add_bytes key 0x0005 'nb_cpus', 2 bytes\n",
                  "fw_cfg_add_i64 key 0x0003 'ram_size', value 0x8000000\n",
                  "fw_cfg_add_bytes key 0x0003 'ram_size', 8 bytes\n",
                  "fw_cfg_add_i32 key 0x8002 'irq0_override', value 0x1\n",
                  "fw_cfg_add_bytes key 0x8002 'irq0_override', 4 bytes\n",
                  "fw_cfg_add_string key 0x0009 'kernel_cmdline', value "
                  "'quiet'\n",
                  "fw_cfg_add_bytes key 0x0009 'kernel_cmdline', 6 bytes\n",
                  "fw_cfg_add_file PTR #0: etc/e820 (40 bytes)\n",
                  "fw_cfg_add_file PTR #0: bootorder (0 bytes)\n",
                  "fw_cfg_add_file PTR #2: opt/x (3 bytes)\n"));
}

// A failed add reports nothing: the key or name did not change.
TEST(Trace, RefusedAddsAreNotReported) {
  Lines out;
  X86Machine m({.trace = out.Printer({"fw_cfg_add_bytes", "fw_cfg_add_file"})});
  const size_t before = out.lines.size();
  EXPECT_FALSE(m.device().SetItem(kSignature, MakeLe16Item(1)).ok());
  ASSERT_TRUE(m.device().AddFile("opt/x", MakeLe16Item(1)).ok());
  EXPECT_FALSE(m.device().AddFile("opt/x", MakeLe16Item(1)).ok());
  EXPECT_FALSE(m.device().AddFile("", MakeLe16Item(1)).ok());
  EXPECT_EQ(out.lines.size(), before + 1);
}

TEST(Trace, DmaTransfersAreReportedWithTheirOutcome) {
  Lines out;
  X86Machine m({.trace = out.Printer({"fw_cfg_dma_transfer"})});
  // Select the signature and read 4 bytes: ok.
  m.WriteDescriptor(0x1000, 0x0000000a, 4, 0x2000);
  m.StartDma(0x1000);
  // Write to the read-only signature: error.
  m.WriteDescriptor(0x1000, 0x00000018, 4, 0x2000);
  m.StartDma(0x1000);
  // A descriptor outside RAM cannot be read.
  m.StartDma(0xfffffff0);
  std::vector<std::string> masked;
  for (const std::string& line : out.lines) {
    masked.push_back(MaskDevice(line, &m.device()));
  }
  EXPECT_THAT(masked,
              ElementsAre("fw_cfg_dma_transfer PTR descriptor 0x1000 control "
                          "0xa length 4 address 0x2000: ok\n",
                          "fw_cfg_dma_transfer PTR descriptor 0x1000 control "
                          "0x18 length 4 address 0x2000: error\n",
                          "fw_cfg_dma_transfer PTR descriptor 0xfffffff0: "
                          "unreadable, error\n"));
}

// The printer writes only the events it was given.
TEST(Trace, PrinterFiltersByName) {
  Lines out;
  X86Machine m({.trace = out.Printer({"fw_cfg_select"})});
  m.outw(0x510, 0x0019);
  m.inb(0x511);
  ASSERT_TRUE(m.device().SetLe16(kNbCpus, 1).ok());
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(MaskDevice(out.lines[0], &m.device()),
            "fw_cfg_select PTR key 0x0019 'file_dir', ret: 1\n");
}

TEST(Trace, EventNamesAreSortedAndComplete) {
  EXPECT_THAT(
      TraceEventNames(),
      ElementsAre("fw_cfg_add_bytes", "fw_cfg_add_file", "fw_cfg_add_i16",
                  "fw_cfg_add_i32", "fw_cfg_add_i64", "fw_cfg_add_string",
                  "fw_cfg_dma_transfer", "fw_cfg_read", "fw_cfg_select"));
}

}  // namespace
}  // namespace fw_cfg
