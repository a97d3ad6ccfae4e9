#include "vm-device/bus.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vm_device {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

// A device with 16 bytes of registers, byte i initially 0xa0 + i, that logs
// every call it receives as "R<offset>/<size>" or "W<offset>/<size>".
class RecordingDevice : public BusDevice {
 public:
  explicit RecordingDevice(AccessWidths widths = {}) : widths_(widths) {
    for (int i = 0; i < 16; ++i) bytes_[i] = 0xa0 + i;
  }

  AccessWidths Widths() const override { return widths_; }

  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    base::MutexLock lock(mu_);
    log_.push_back(absl::StrFormat("R%d/%d", offset, data.size()));
    for (size_t i = 0; i < data.size(); ++i)
      data[i] = bytes_[(offset + i) % 16];
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    base::MutexLock lock(mu_);
    log_.push_back(absl::StrFormat("W%d/%d", offset, data.size()));
    for (size_t i = 0; i < data.size(); ++i)
      bytes_[(offset + i) % 16] = data[i];
  }

  std::vector<std::string> TakeLog() {
    base::MutexLock lock(mu_);
    return std::move(log_);
  }
  uint8_t byte(int i) {
    base::MutexLock lock(mu_);
    return bytes_[i];
  }

 private:
  const AccessWidths widths_;
  base::Mutex mu_;
  uint8_t bytes_[16] ABSL_GUARDED_BY(mu_);
  std::vector<std::string> log_ ABSL_GUARDED_BY(mu_);
};

uint64_t ReadValue(const Bus& bus, uint64_t address, int size,
                   bool* hit = nullptr) {
  uint8_t bytes[8] = {};
  const bool any = bus.Read(address, absl::MakeSpan(bytes, size));
  if (hit != nullptr) *hit = any;
  uint64_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

bool WriteValue(const Bus& bus, uint64_t address, int size, uint64_t value) {
  uint8_t bytes[8];
  for (int i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  return bus.Write(address, absl::MakeConstSpan(bytes, size));
}

// ---- Registration ---------------------------------------------------------

TEST(BusInsert, RejectsOverlapsAndAcceptsNeighbours) {
  MmioBus bus;
  auto device = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(device, 0x1000, 0x100).ok());  // [0x1000, 0x10ff]

  struct Case {
    uint64_t base, length;
    bool ok;
  } cases[] = {
      {0x1000, 0x100, false},    // identical
      {0x0f00, 0x101, false},    // ends on the first byte
      {0x10ff, 0x10, false},     // starts on the last byte
      {0x1010, 0x10, false},     // inside
      {0x0000, 0x10000, false},  // around
      {0x0f00, 0x100, true},     // adjacent below
      {0x1100, 0x100, true},     // adjacent above
  };
  for (const Case& c : cases) {
    absl::Status status =
        bus.Insert(std::make_shared<RecordingDevice>(), c.base, c.length);
    EXPECT_EQ(status.ok(), c.ok)
        << absl::StrFormat("0x%x+0x%x: ", c.base, c.length) << status;
    if (!c.ok) {
      EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
      EXPECT_THAT(status.message(), HasSubstr("overlaps"));
    }
  }
}

TEST(BusInsert, RejectsZeroLengthWrapNullAndOutOfSpace) {
  MmioBus mmio;
  PioBus pio;
  auto device = std::make_shared<RecordingDevice>();
  EXPECT_EQ(mmio.Insert(device, 0x1000, 0).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(mmio.Insert(device, kMax - 3, 8).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(mmio.Insert(nullptr, 0x1000, 8).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(mmio.Insert(device, kMax - 7, 8).ok());  // The very top.
  // The port space ends at 0xffff.
  EXPECT_EQ(pio.Insert(device, 0xfffe, 4).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(pio.Insert(device, 0x10000, 1).code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(pio.Insert(device, 0xfffc, 4).ok());
}

TEST(BusInsert, RejectsInvalidAccessWidths) {
  MmioBus bus;
  for (AccessWidths widths :
       {AccessWidths{0, 4, false}, AccessWidths{1, 3, false},
        AccessWidths{4, 2, false}, AccessWidths{1, 16, false}}) {
    absl::Status status =
        bus.Insert(std::make_shared<RecordingDevice>(widths), 0, 16);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument)
        << int{widths.min} << " " << int{widths.max};
  }
  EXPECT_FALSE(bus.Find(0).has_value());
}

TEST(BusInsert, OneDeviceAtSeveralRanges) {
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(device, 0x510, 2).ok());
  ASSERT_TRUE(bus.Insert(device, 0x514, 8).ok());
  EXPECT_EQ(ReadValue(bus, 0x511, 1), 0xa1u);  // offset 1 of the first range
  EXPECT_EQ(ReadValue(bus, 0x515, 1), 0xa1u);  // offset 1 of the second
  EXPECT_THAT(device->TakeLog(), ElementsAre("R1/1", "R1/1"));
  EXPECT_EQ(bus.Find(0x512), std::nullopt);
  EXPECT_EQ(bus.Find(0x51b)->range, *BusRange::Create(0x514, 8));
  EXPECT_EQ(bus.Find(0x51b)->device, device);
}

TEST(BusRemove, RemovesOnlyTheRangeAtBase) {
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(device, 0x60, 1).ok());
  ASSERT_TRUE(bus.Insert(device, 0x64, 1).ok());
  EXPECT_EQ(bus.Remove(0x61).code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(bus.Remove(0x60).ok());
  EXPECT_EQ(bus.Remove(0x60).code(), absl::StatusCode::kNotFound);
  bool hit = true;
  EXPECT_EQ(ReadValue(bus, 0x60, 1, &hit), 0xffu);
  EXPECT_FALSE(hit);
  EXPECT_EQ(ReadValue(bus, 0x64, 1, &hit), 0xa0u);
  EXPECT_TRUE(hit);
  // The freed range can be used again.
  EXPECT_TRUE(bus.Insert(std::make_shared<RecordingDevice>(), 0x60, 4).ok());
}

// ---- Dispatch -------------------------------------------------------------

TEST(BusDispatch, PassesOffsetsRelativeToTheRange) {
  MmioBus bus;
  auto device = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  ASSERT_TRUE(bus.Insert(device, 0x9020000, 0x10).ok());
  EXPECT_EQ(ReadValue(bus, 0x9020008, 8), 0xafaeadacabaaa9a8u);
  EXPECT_TRUE(WriteValue(bus, 0x9020004, 4, 0x11223344));
  EXPECT_THAT(device->TakeLog(), ElementsAre("R8/8", "W4/4"));
  EXPECT_EQ(device->byte(4), 0x44);  // Guest byte order: LSB first.
  EXPECT_EQ(device->byte(7), 0x11);
}

TEST(BusDispatch, SplitsWideAccessesAndRecombinesLittleEndian) {
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>(AccessWidths{1, 1, false});
  ASSERT_TRUE(bus.Insert(device, 0x3f8, 8).ok());
  EXPECT_EQ(ReadValue(bus, 0x3f8, 4), 0xa3a2a1a0u);
  EXPECT_THAT(device->TakeLog(), ElementsAre("R0/1", "R1/1", "R2/1", "R3/1"));
  EXPECT_TRUE(WriteValue(bus, 0x3fa, 2, 0xbeef));
  EXPECT_THAT(device->TakeLog(), ElementsAre("W2/1", "W3/1"));
  EXPECT_EQ(device->byte(2), 0xef);
  EXPECT_EQ(device->byte(3), 0xbe);
}

TEST(BusDispatch, SplitsAtNaturalAlignmentUnlessUnalignedIsAllowed) {
  MmioBus bus;
  auto aligned = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  auto unaligned = std::make_shared<RecordingDevice>(AccessWidths{1, 8, true});
  ASSERT_TRUE(bus.Insert(aligned, 0x1000, 16).ok());
  ASSERT_TRUE(bus.Insert(unaligned, 0x2000, 16).ok());

  // 8 bytes at offset 1: 1 + 2 + 4 + 1, as QEMU's memory_access_size cuts it.
  EXPECT_EQ(ReadValue(bus, 0x1001, 8), 0xa8a7a6a5a4a3a2a1u);
  EXPECT_THAT(aligned->TakeLog(), ElementsAre("R1/1", "R2/2", "R4/4", "R8/1"));
  EXPECT_EQ(ReadValue(bus, 0x2001, 8), 0xa8a7a6a5a4a3a2a1u);
  EXPECT_THAT(unaligned->TakeLog(), ElementsAre("R1/8"));

  // A 3-byte access (string I/O can produce odd sizes): 2 + 1.
  uint8_t three[3];
  bus.Read(0x1004, absl::MakeSpan(three));
  EXPECT_THAT(aligned->TakeLog(), ElementsAre("R4/2", "R6/1"));
  EXPECT_THAT(three, ElementsAre(0xa4, 0xa5, 0xa6));
}

TEST(BusDispatch, PiecesBelowTheMinimumReadZeroAndDropWrites) {
  MmioBus bus;
  auto device = std::make_shared<RecordingDevice>(AccessWidths{4, 4, false});
  ASSERT_TRUE(bus.Insert(device, 0x0, 16).ok());
  bool hit = false;
  EXPECT_EQ(ReadValue(bus, 0x0, 2, &hit), 0u);
  EXPECT_TRUE(
      hit);  // The range was hit, even though the device was not called.
  EXPECT_TRUE(WriteValue(bus, 0x0, 1, 0xff));
  EXPECT_THAT(device->TakeLog(), IsEmpty());
  EXPECT_EQ(device->byte(0), 0xa0);
  // A misaligned 4-byte access splits into 2 + 2, both too narrow.
  EXPECT_EQ(ReadValue(bus, 0x2, 4), 0u);
  EXPECT_THAT(device->TakeLog(), IsEmpty());
  // An aligned 8-byte access becomes two valid 4-byte ones.
  EXPECT_EQ(ReadValue(bus, 0x4, 8), 0xabaaa9a8a7a6a5a4u);
  EXPECT_THAT(device->TakeLog(), ElementsAre("R4/4", "R8/4"));
}

TEST(BusDispatch, UnassignedBytesReadAllOnesOnPioAndZeroOnMmio) {
  PioBus pio;
  MmioBus mmio;
  bool hit = true;
  EXPECT_EQ(ReadValue(pio, 0x512, 2, &hit), 0xffffu);
  EXPECT_FALSE(hit);
  EXPECT_EQ(ReadValue(mmio, 0x9020018, 8, &hit), 0u);
  EXPECT_FALSE(hit);
  EXPECT_FALSE(WriteValue(pio, 0x80, 1, 0x12));
  EXPECT_FALSE(WriteValue(mmio, 0xfee00000, 4, 0x12));
}

TEST(BusDispatch, AccessesStraddlingARangeEdgeReachOnlyTheCoveredBytes) {
  // The layout of QEMU's x86 fw_cfg: 0x510-0x511, a gap, 0x514-0x51b.
  PioBus bus;
  auto ports = std::make_shared<RecordingDevice>(AccessWidths{1, 1, false});
  auto dma = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  ASSERT_TRUE(bus.Insert(ports, 0x510, 2).ok());
  ASSERT_TRUE(bus.Insert(dma, 0x514, 8).ok());

  // inw 0x511: one byte from the device, one unassigned 0xff.
  EXPECT_EQ(ReadValue(bus, 0x511, 2), 0xffa1u);
  EXPECT_THAT(ports->TakeLog(), ElementsAre("R1/1"));
  // inl 0x511: device byte, two unassigned, then byte 0 of the DMA range.
  EXPECT_EQ(ReadValue(bus, 0x511, 4), 0xa0ffffa1u);
  EXPECT_THAT(ports->TakeLog(), ElementsAre("R1/1"));
  EXPECT_THAT(dma->TakeLog(), ElementsAre("R0/1"));
  // inl 0x512: two unassigned, then DMA bytes 0-1 as one 2-byte piece.
  EXPECT_EQ(ReadValue(bus, 0x512, 4), 0xa1a0ffffu);
  EXPECT_THAT(dma->TakeLog(), ElementsAre("R0/2"));
  // A write that straddles the edge writes only the covered byte.
  EXPECT_TRUE(WriteValue(bus, 0x50f, 2, 0x7766));
  EXPECT_THAT(ports->TakeLog(), ElementsAre("W0/1"));
  EXPECT_EQ(ports->byte(0), 0x77);
  // Past the end of the DMA range.
  EXPECT_EQ(ReadValue(bus, 0x51a, 4), 0xffffa7a6u);
}

TEST(BusDispatch, PiecesAreNotCutWhereTheRangeEnds) {
  // QEMU's x86 fw_cfg selector/data ports: a 2-byte range whose device takes
  // up to 4 bytes. `inl 0x510` / `outl 0x510` reach it as one 4-byte access
  // (which fw_cfg refuses), not as 2 device bytes plus 2 unassigned ones.
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>(AccessWidths{1, 4, false});
  ASSERT_TRUE(bus.Insert(device, 0x510, 2).ok());
  EXPECT_EQ(ReadValue(bus, 0x510, 4), 0xa3a2a1a0u);
  EXPECT_TRUE(WriteValue(bus, 0x510, 4, 0));
  EXPECT_THAT(device->TakeLog(), ElementsAre("R0/4", "W0/4"));
}

TEST(BusDispatch, UnassignedPiecesAreAlignedAndAtMostFourBytes) {
  // A device at 0x50e. `inl 0x50c` is one aligned 4-byte unassigned piece in
  // QEMU, so the device is not called; `inl 0x50d` is 1 unassigned byte, the
  // device's two, and 1 unassigned byte.
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>(AccessWidths{1, 1, false});
  ASSERT_TRUE(bus.Insert(device, 0x50e, 2).ok());
  bool hit = true;
  EXPECT_EQ(ReadValue(bus, 0x50c, 4, &hit), 0xffffffffu);
  EXPECT_FALSE(hit);
  EXPECT_THAT(device->TakeLog(), IsEmpty());
  EXPECT_EQ(ReadValue(bus, 0x50d, 4, &hit), 0xffa1a0ffu);
  EXPECT_TRUE(hit);
  EXPECT_THAT(device->TakeLog(), ElementsAre("R0/1", "R1/1"));
  // An 8-byte unassigned MMIO read: two 4-byte pieces of zeros.
  MmioBus mmio;
  auto wide = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  ASSERT_TRUE(mmio.Insert(wide, 0x1004, 4).ok());
  EXPECT_EQ(ReadValue(mmio, 0x1000, 8), 0xa3a2a1a000000000u);
  EXPECT_THAT(wide->TakeLog(), ElementsAre("R0/4"));
}

TEST(BusDispatch, NeverWrapsPastTheTopOfTheAddressSpace) {
  MmioBus mmio;
  auto low = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  auto top = std::make_shared<RecordingDevice>(AccessWidths{1, 8, true});
  ASSERT_TRUE(mmio.Insert(low, 0, 16).ok());
  ASSERT_TRUE(mmio.Insert(top, kMax - 1, 2).ok());
  // 4 bytes at 2^64 - 2: two from `top`, two past the end (not from `low`).
  EXPECT_EQ(ReadValue(mmio, kMax - 1, 4), 0x0000a1a0u);
  EXPECT_THAT(top->TakeLog(), ElementsAre("R0/2"));
  EXPECT_THAT(low->TakeLog(), IsEmpty());
  EXPECT_TRUE(WriteValue(mmio, kMax, 8, ~uint64_t{0}));
  EXPECT_THAT(top->TakeLog(), ElementsAre("W1/1"));
  EXPECT_THAT(low->TakeLog(), IsEmpty());

  PioBus pio;
  auto port = std::make_shared<RecordingDevice>(AccessWidths{1, 4, true});
  ASSERT_TRUE(pio.Insert(port, 0xfffe, 2).ok());
  ASSERT_TRUE(pio.Insert(low, 0, 4).ok());
  EXPECT_EQ(ReadValue(pio, 0xfffe, 4), 0xffffa1a0u);  // 0x10000+ unassigned.
  EXPECT_EQ(ReadValue(pio, 0x12345, 1), 0xffu);
  EXPECT_THAT(low->TakeLog(), IsEmpty());
}

TEST(BusDispatch, EmptyAccessTouchesNothing) {
  PioBus bus;
  auto device = std::make_shared<RecordingDevice>();
  ASSERT_TRUE(bus.Insert(device, 0, 16).ok());
  EXPECT_FALSE(bus.Read(0, {}));
  EXPECT_FALSE(bus.Write(0, {}));
  EXPECT_THAT(device->TakeLog(), IsEmpty());
}

TEST(BusDispatch, LongAccessesVisitEveryRange) {
  // A 64-byte access across 3 devices and gaps, as a string copy might do.
  MmioBus bus;
  auto a = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  auto b = std::make_shared<RecordingDevice>(AccessWidths{1, 8, false});
  ASSERT_TRUE(bus.Insert(a, 0x100, 16).ok());
  ASSERT_TRUE(bus.Insert(b, 0x118, 8).ok());
  std::vector<uint8_t> data(64, 0x55);
  EXPECT_TRUE(bus.Read(0xf8, absl::MakeSpan(data)));
  std::vector<uint8_t> expected(64, 0);
  for (int i = 0; i < 16; ++i) expected[8 + i] = 0xa0 + i;
  for (int i = 0; i < 8; ++i) expected[0x20 + i] = 0xa0 + i;
  EXPECT_THAT(data, ElementsAreArray(expected));
  EXPECT_THAT(a->TakeLog(), ElementsAre("R0/8", "R8/8"));
  EXPECT_THAT(b->TakeLog(), ElementsAre("R0/8"));
}

}  // namespace
}  // namespace vm_device
