// COM1, the i8042, the CMOS RTC and the ACPI PM block, through a PIO bus as
// a guest reaches them.

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "vm-device/bus.h"
#include "vmm/devices/acpi_pm.h"
#include "vmm/devices/cmos.h"
#include "vmm/devices/debugcon.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/serial.h"

namespace vmm {
namespace {

uint32_t In(vm_device::PioBus& bus, uint16_t port, int size = 1) {
  uint8_t b[4] = {};
  bus.Read(port, absl::MakeSpan(b, size));
  return b[0] | b[1] << 8 | b[2] << 16 | uint32_t{b[3]} << 24;
}
void Out(vm_device::PioBus& bus, uint16_t port, uint32_t value, int size = 1) {
  uint8_t b[4] = {static_cast<uint8_t>(value), static_cast<uint8_t>(value >> 8),
                  static_cast<uint8_t>(value >> 16),
                  static_cast<uint8_t>(value >> 24)};
  bus.Write(port, absl::MakeConstSpan(b, size));
}

TEST(Serial, TransmitsAndInterruptsLikeA16550) {
  std::string output;
  int interrupts = 0;
  vm_device::PioBus bus;
  ASSERT_TRUE(bus.Insert(std::make_shared<Serial16550>(
                             [&](uint8_t c) { output.push_back(c); },
                             [&] { ++interrupts; }),
                         0x3f8, 8)
                  .ok());
  EXPECT_EQ(In(bus, 0x3fd) & 0x60, 0x60u);  // THR and transmitter empty.
  Out(bus, 0x3f8, 'h');
  Out(bus, 0x3f8, 'i');
  EXPECT_EQ(output, "hi");
  EXPECT_EQ(interrupts, 0);  // IER off.
  Out(bus, 0x3f9, 0x02);     // Enable THRE interrupt: fires at once.
  EXPECT_EQ(interrupts, 1);
  EXPECT_EQ(In(bus, 0x3fa) & 0x0f, 0x02u);  // IIR: THRE, then cleared.
  EXPECT_EQ(In(bus, 0x3fa) & 0x0f, 0x01u);
  Out(bus, 0x3f8, '!');
  EXPECT_EQ(interrupts, 2);
  // DLAB: divisor latch instead of data.
  Out(bus, 0x3fb, 0x83);
  Out(bus, 0x3f8, 0x01);
  EXPECT_EQ(In(bus, 0x3f8), 0x01u);
  EXPECT_EQ(output, "hi!");  // The divisor write was not data.
  Out(bus, 0x3fb, 0x03);
  Out(bus, 0x3ff, 0x5a);
  EXPECT_EQ(In(bus, 0x3ff), 0x5au);  // Scratch.
  // Loopback (Linux's probe): no output, MSR mirrors MCR.
  Out(bus, 0x3fc, 0x1f);
  Out(bus, 0x3f8, 'x');
  EXPECT_EQ(output, "hi!");  // Looped back, not sent.
  EXPECT_EQ(In(bus, 0x3fe) & 0xf0, 0xf0u);
}

TEST(I8042, ResetCommandOnlyAtTheCommandPort) {
  int resets = 0;
  vm_device::PioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<I8042>([&] { ++resets; }), 0x60, I8042::kSize)
          .ok());
  Out(bus, 0x60, 0xfe);  // Data port: not a command.
  Out(bus, 0x64, 0xaa);  // Another command.
  Out(bus, 0x64, 0xf1);  // Pulse output-port bits, bit 0 (reset) left alone.
  EXPECT_EQ(resets, 0);
  Out(bus, 0x64, 0xfe);
  EXPECT_EQ(resets, 1);
  Out(bus, 0x64, 0xd1);  // Write the output port with the reset bit clear.
  Out(bus, 0x60, 0x02);
  EXPECT_EQ(resets, 2);
}

// Linux's i8042 probe (drivers/input/serio/i8042.c): flush, self-test, read
// and write the command byte, enable the keyboard port; each reply must be
// there at once, or the driver waits 0.5 s per try and gives up ("Can't
// read CTR").
TEST(I8042, AnswersLinuxsControllerCommands) {
  vm_device::PioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<I8042>(nullptr), 0x60, I8042::kSize).ok());
  EXPECT_EQ(In(bus, 0x64), 0x18u);  // QEMU's reset status: nothing to read.
  Out(bus, 0x64, 0xaa);             // Self-test.
  EXPECT_EQ(In(bus, 0x64), 0x1du);  // Output full, system flag.
  EXPECT_EQ(In(bus, 0x60), 0x55u);
  EXPECT_EQ(In(bus, 0x64) & 0x01, 0u);
  Out(bus, 0x64, 0x20);  // Read the command byte.
  EXPECT_EQ(In(bus, 0x60), 0x03u);
  Out(bus, 0x64, 0x60);  // Write it: translation, system flag, interrupts off.
  Out(bus, 0x60, 0x64);
  EXPECT_EQ(In(bus, 0x64) & 0x08, 0u);  // The last write was data.
  Out(bus, 0x64, 0x20);
  EXPECT_EQ(In(bus, 0x60), 0x64u);
  Out(bus, 0x64, 0xa7);  // Disable the auxiliary port: CTR bit 5.
  Out(bus, 0x64, 0xad);  // Disable the keyboard: CTR bit 4.
  Out(bus, 0x64, 0x20);
  EXPECT_EQ(In(bus, 0x60), 0x74u);
  Out(bus, 0x64, 0xa8);
  Out(bus, 0x64, 0xae);
  Out(bus, 0x64, 0x20);
  EXPECT_EQ(In(bus, 0x60), 0x44u);
  Out(bus, 0x64, 0xab);  // Keyboard interface test: no error.
  EXPECT_EQ(In(bus, 0x60), 0x00u);
  // Loopbacks: the keyboard's, then the auxiliary port's (status bit 5).
  Out(bus, 0x64, 0xd2);
  Out(bus, 0x60, 0x5a);
  EXPECT_EQ(In(bus, 0x64) & 0x21, 0x01u);
  EXPECT_EQ(In(bus, 0x60), 0x5au);
  Out(bus, 0x64, 0xd3);
  Out(bus, 0x60, 0xa5);
  EXPECT_EQ(In(bus, 0x64) & 0x21, 0x21u);
  EXPECT_EQ(In(bus, 0x60), 0xa5u);
  // A keyboard command: nothing is attached, so no reply; the data port
  // reads the last byte again.
  Out(bus, 0x60, 0xff);
  EXPECT_EQ(In(bus, 0x64) & 0x01, 0u);
  EXPECT_EQ(In(bus, 0x60), 0xa5u);
  Out(bus, 0x64, 0xd0);  // The output port: A20 on, not in reset.
  EXPECT_EQ(In(bus, 0x60), 0xcfu);
}

TEST(I8042, UnansweredRepliesAreBounded) {
  vm_device::PioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<I8042>(nullptr), 0x60, I8042::kSize).ok());
  // A guest issuing commands without reading the replies: at most 16 are
  // kept, the oldest first.
  for (int i = 0; i < 1000; ++i) {
    Out(bus, 0x64, 0xd2);
    Out(bus, 0x60, i & 0xff);
  }
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(In(bus, 0x64) & 0x01, 1u);
    EXPECT_EQ(In(bus, 0x60), static_cast<uint32_t>(i));
  }
  EXPECT_EQ(In(bus, 0x64) & 0x01, 0u);
}

// The clock and the CMOS bytes, read through ports 0x70/0x71 as a guest
// does, against a fake host clock.
class CmosTest : public ::testing::Test {
 protected:
  void Attach(const Cmos::MachineInfo& machine) {
    ASSERT_TRUE(
        bus_.Insert(std::make_shared<Cmos>(machine, [this] { return now_; }),
                    Cmos::kIndexPort, Cmos::kSize)
            .ok());
  }
  uint32_t Get(uint8_t index) {
    Out(bus_, 0x70, index);
    return In(bus_, 0x71);
  }
  void Set(uint8_t index, uint8_t value) {
    Out(bus_, 0x70, index);
    Out(bus_, 0x71, value);
  }

  vm_device::PioBus bus_;
  // Friday 2026-12-04 13:45:59.5 UTC.
  absl::Time now_ = absl::FromUnixMillis(1796391959500);
};

TEST_F(CmosTest, TimeOfDayInBcdAnd24HourMode) {
  Attach({.ram_below_4g = 512 << 20, .cpus = 1});
  EXPECT_EQ(Get(0x00), 0x59u);  // seconds
  EXPECT_EQ(Get(0x02), 0x45u);  // minutes
  EXPECT_EQ(Get(0x04), 0x13u);  // hours
  EXPECT_EQ(Get(0x06), 0x06u);  // weekday: Sunday is 1
  EXPECT_EQ(Get(0x07), 0x04u);  // day of month
  EXPECT_EQ(Get(0x08), 0x12u);  // month
  EXPECT_EQ(Get(0x09), 0x26u);  // year
  EXPECT_EQ(Get(0x32), 0x20u);  // century
  EXPECT_EQ(Get(0x0a), 0x26u);  // divider running, 1024 Hz
  EXPECT_EQ(Get(0x0b), 0x02u);  // 24-hour, BCD
  EXPECT_EQ(Get(0x0c), 0x00u);  // no interrupt flags
  EXPECT_EQ(Get(0x0d), 0x80u);  // valid RAM and time
  EXPECT_EQ(Get(0x8d), 0x80u);  // bit 7 of the index masks NMIs only
  EXPECT_EQ(In(bus_, 0x70), 0xffu);
  now_ += absl::Seconds(1);
  EXPECT_EQ(Get(0x00), 0x00u);  // The minute rolls over.
  EXPECT_EQ(Get(0x02), 0x46u);
}

TEST_F(CmosTest, BinaryAnd12HourModes) {
  Attach({.ram_below_4g = 512 << 20, .cpus = 1});
  Set(0x0b, 0x04);              // Binary, 12-hour.
  EXPECT_EQ(Get(0x00), 59u);    // 0x3b
  EXPECT_EQ(Get(0x04), 0x81u);  // 1 PM
  EXPECT_EQ(Get(0x09), 26u);
  Set(0x0b, 0x00);  // BCD, 12-hour.
  EXPECT_EQ(Get(0x04), 0x81u);
  now_ -= absl::Hours(13);  // 00:45: 12 AM
  EXPECT_EQ(Get(0x04), 0x12u);
}

TEST_F(CmosTest, UpdateInProgressOnlyJustBeforeTheSecondTicks) {
  Attach({.ram_below_4g = 512 << 20, .cpus = 1});
  EXPECT_EQ(Get(0x0a) & 0x80, 0u);  // .5 s into the second
  now_ += absl::Microseconds(499800);
  EXPECT_EQ(Get(0x0a) & 0x80, 0x80u);  // 200 us before the update
  Set(0x0b, 0x82);                     // SET: updates stopped, so no UIP.
  EXPECT_EQ(Get(0x0a) & 0x80, 0u);
  Set(0x0b, 0x02);
  Set(0x0a, 0xa6);                  // UIP is read-only.
  now_ += absl::Microseconds(300);  // just after the update
  EXPECT_EQ(Get(0x0a), 0x26u);
}

TEST_F(CmosTest, WritingTheClockMovesOnlyTheGuestsTime) {
  Attach({.ram_below_4g = 512 << 20, .cpus = 1});
  Set(0x0b, 0x82);  // As Linux's hwclock: SET, write the fields, clear SET.
  Set(0x04, 0x07);
  Set(0x02, 0x30);
  Set(0x08, 0x01);
  Set(0x09, 0x99);
  Set(0x32, 0x19);
  Set(0x0b, 0x02);
  EXPECT_EQ(Get(0x04), 0x07u);
  EXPECT_EQ(Get(0x02), 0x30u);
  EXPECT_EQ(Get(0x07), 0x04u);
  EXPECT_EQ(Get(0x08), 0x01u);
  EXPECT_EQ(Get(0x09), 0x99u);
  EXPECT_EQ(Get(0x32), 0x19u);
  EXPECT_EQ(Get(0x06), 0x02u);  // 1999-01-04 was a Monday.
  now_ += absl::Seconds(2);     // The guest's clock keeps running.
  EXPECT_EQ(Get(0x00), 0x01u);
  // Nonsense from a hostile guest (month 0x99, hour 0xff) gives some time,
  // never a crash, and every field stays a valid BCD clock reading.
  Set(0x08, 0x99);
  Set(0x04, 0xff);
  const uint32_t month = Get(0x08);
  EXPECT_GE(month, 0x01u);
  EXPECT_LE(month, 0x12u);
  EXPECT_LE(Get(0x04), 0x23u);
}

TEST_F(CmosTest, MemorySizeAndCpuBytesAsQemuWritesThem) {
  // 4 GiB on the q35 layout: 2 GiB below 4 GiB, 2 GiB above; 4 vCPUs.
  Attach({.ram_below_4g = uint64_t{2} << 30,
          .ram_above_4g = uint64_t{2} << 30,
          .cpus = 4});
  EXPECT_EQ(Get(0x15) | Get(0x16) << 8, 640u);     // base memory, KiB
  EXPECT_EQ(Get(0x17) | Get(0x18) << 8, 0xffffu);  // above 1 MiB, capped
  EXPECT_EQ(Get(0x30) | Get(0x31) << 8, 0xffffu);
  EXPECT_EQ(Get(0x34) | Get(0x35) << 8, 0x7f00u);  // above 16 MiB, 64 KiB
  EXPECT_EQ(Get(0x5b) | Get(0x5c) << 8 | Get(0x5d) << 16, 0x8000u);
  EXPECT_EQ(Get(0x5f), 3u);     // CPUs - 1
  EXPECT_EQ(Get(0x14), 0x06u);  // FPU, PS/2 mouse port
  EXPECT_EQ(Get(0x10), 0x00u);  // no floppy drives
  EXPECT_EQ(Get(0x3d), 0x12u);  // boot order "cad"
  EXPECT_EQ(Get(0x38), 0x30u);
  Set(0x40, 0xa5);  // The rest is RAM.
  EXPECT_EQ(Get(0x40), 0xa5u);
  Set(0x0d, 0x00);  // Register D is read-only.
  EXPECT_EQ(Get(0x0d), 0x80u);
}

TEST_F(CmosTest, SmallMachine) {
  Attach({.ram_below_4g = 8 << 20, .cpus = 300});
  EXPECT_EQ(Get(0x17) | Get(0x18) << 8, 7168u);  // (8 MiB - 1 MiB) / 1 KiB
  EXPECT_EQ(Get(0x34) | Get(0x35) << 8, 0u);     // nothing above 16 MiB
  EXPECT_EQ(Get(0x5f), 0u);  // 300 CPUs do not fit: 0, as QEMU
}

// QEMU's isa-debugcon (iobase 0x402, as SeaBIOS's builds for QEMU use):
// bytes written go to the log; every read returns 0xe9, which firmware
// checks before writing.
TEST(DebugConsole, LogsWritesAndReadsBackE9) {
  std::string log;
  vm_device::PioBus bus;
  ASSERT_TRUE(bus.Insert(std::make_shared<DebugConsole>([&](uint8_t byte) {
                           log.push_back(static_cast<char>(byte));
                         }),
                         DebugConsole::kSeaBiosPort, 1)
                  .ok());
  EXPECT_EQ(In(bus, 0x402, 1), 0xe9u);
  Out(bus, 0x402, 'S', 1);
  Out(bus, 0x402, 'e', 1);
  EXPECT_EQ(log, "Se");
  // A 2-byte access covers 0x402 and the unassigned 0x403: one byte logged,
  // the other half reads 0xff as any unassigned port.
  Out(bus, 0x402, 0x4141, 2);
  EXPECT_EQ(log, "SeA");
  EXPECT_EQ(In(bus, 0x402, 2), 0xffe9u);
}

TEST(AcpiPm, SleepEnableWithS5TypePowersOff) {
  int power_offs = 0;
  vm_device::PioBus bus;
  ASSERT_TRUE(
      bus.Insert(std::make_shared<AcpiPm>([&] { ++power_offs; }), 0x600, 6)
          .ok());
  EXPECT_EQ(In(bus, 0x604, 2) & 1, 1u);  // SCI_EN: already in ACPI mode.
  Out(bus, 0x602, 0x0121, 2);            // PM1_EN reads back.
  EXPECT_EQ(In(bus, 0x602, 2), 0x0121u);
  Out(bus, 0x604, 5 << 10, 2);  // SLP_TYP without SLP_EN: nothing.
  EXPECT_EQ(power_offs, 0);
  Out(bus, 0x604, (5 << 10) | 0x2000, 2);  // S3-ish type: not S5.
  EXPECT_EQ(power_offs, 0);
  EXPECT_EQ(In(bus, 0x604, 2) & 0x2000, 0u);  // SLP_EN reads 0.
  Out(bus, 0x604, 0x2000, 2);                 // SLP_TYP 0 (\_S5) | SLP_EN.
  EXPECT_EQ(power_offs, 1);
  // A guest access running past the 6-byte block (inl at 0x604 reaches the
  // device as one 4-byte piece): the 2 bytes beyond read 0, writes to them
  // go nowhere.
  EXPECT_EQ(In(bus, 0x604, 4) >> 16, 0u);
  Out(bus, 0x604, 0xffff0001, 4);
  EXPECT_EQ(In(bus, 0x604, 4), 0x0001u);
}

TEST_F(CmosTest, StateRoundTripsAndHostileStatesAreRefused) {
  auto cmos = std::make_shared<Cmos>(Cmos::MachineInfo{.cpus = 2},
                                     [this] { return now_; });
  ASSERT_TRUE(bus_.Insert(cmos, Cmos::kIndexPort, Cmos::kSize).ok());
  Set(0x40, 0xab);
  Out(bus_, 0x70, 0x41);  // the index a guest left selected
  const std::vector<uint8_t> state = cmos->SaveState();

  auto restored =
      std::make_shared<Cmos>(Cmos::MachineInfo{}, [this] { return now_; });
  ASSERT_TRUE(restored->RestoreState(state).ok());
  vm_device::PioBus bus;
  ASSERT_TRUE(bus.Insert(restored, Cmos::kIndexPort, Cmos::kSize).ok());
  Out(bus, 0x71, 0xcd);  // written at the restored index
  Out(bus, 0x70, 0x40);
  EXPECT_EQ(In(bus, 0x71), 0xabu);
  Out(bus, 0x70, 0x41);
  EXPECT_EQ(In(bus, 0x71), 0xcdu);
  Out(bus, 0x70, 0x5f);
  EXPECT_EQ(In(bus, 0x71), 1u);  // the CPU byte came with the state

  // An index past the 128 bytes, another version, a wrong length: refused,
  // and the device keeps its state.
  std::vector<uint8_t> bad = state;
  bad[1] = 0x80;
  EXPECT_FALSE(restored->RestoreState(bad).ok());
  bad = state;
  bad[0] = 2;
  EXPECT_FALSE(restored->RestoreState(bad).ok());
  EXPECT_FALSE(
      restored->RestoreState(absl::MakeConstSpan(state).first(state.size() - 1))
          .ok());
  Out(bus, 0x70, 0x41);
  EXPECT_EQ(In(bus, 0x71), 0xcdu);
}

TEST(DeviceState, SerialAndAcpiPmRoundTripAndRefuseOtherSizes) {
  int interrupts = 0;
  Serial16550 serial([](uint8_t) {}, [&] { ++interrupts; });
  uint8_t ier = 0x02;  // THRE interrupt on, as Linux leaves it
  serial.Write(1, absl::MakeConstSpan(&ier, 1));
  Serial16550 restored([](uint8_t) {}, [&] { ++interrupts; });
  ASSERT_TRUE(restored.RestoreState(serial.SaveState()).ok());
  uint8_t read = 0;
  restored.Read(1, absl::MakeSpan(&read, 1));
  EXPECT_EQ(read, 0x02);
  std::vector<uint8_t> bad = serial.SaveState();
  bad[0] = 9;  // version
  EXPECT_FALSE(restored.RestoreState(bad).ok());
  bad = serial.SaveState();
  bad[7] = 2;  // not a flag
  EXPECT_FALSE(restored.RestoreState(bad).ok());
  EXPECT_FALSE(restored.RestoreState({}).ok());

  AcpiPm pm([] {});
  const std::vector<uint8_t> pm_state = pm.SaveState();
  EXPECT_EQ(pm_state.size(), AcpiPm::kSize);
  AcpiPm pm_restored([] {});
  EXPECT_TRUE(pm_restored.RestoreState(pm_state).ok());
  EXPECT_FALSE(
      pm_restored.RestoreState(std::vector<uint8_t>(AcpiPm::kSize + 1)).ok());
}

}  // namespace
}  // namespace vmm
