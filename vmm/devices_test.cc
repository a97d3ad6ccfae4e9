// COM1, the i8042 and the ACPI PM block, through a PIO bus as a guest
// reaches them.

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "vm-device/bus.h"
#include "vmm/devices/acpi_pm.h"
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
      bus.Insert(std::make_shared<I8042>([&] { ++resets; }), 0x60, 5).ok());
  EXPECT_EQ(In(bus, 0x64), 0u);  // Nothing to read, ready for input.
  Out(bus, 0x60, 0xfe);          // Data port: not a command.
  Out(bus, 0x64, 0xaa);          // Another command.
  EXPECT_EQ(resets, 0);
  Out(bus, 0x64, 0xfe);
  EXPECT_EQ(resets, 1);
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

}  // namespace
}  // namespace vmm
