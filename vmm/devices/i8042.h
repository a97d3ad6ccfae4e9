// I8042: the PS/2 keyboard controller, with no keyboard or mouse attached.
// Insert it at 0x60 with length 5 (0x60-0x64; KVM's in-kernel PIT answers
// 0x61 before the exit reaches us).
//
// It answers the controller commands (port 0x64) that firmware and Linux's
// i8042 driver use, with QEMU's pckbd replies, so their probes finish at
// once instead of timing out:
//   0x20 read / 0x60 write the command byte (CTR), 0xaa self-test (0x55, and
//   the status register's system flag), 0xab keyboard interface test (0x00),
//   0xad/0xae and 0xa7/0xa8 disable/enable the keyboard/auxiliary port (CTR
//   bits 4/5), 0xd0/0xd1 read/write the output port, 0xd2 write the
//   keyboard output buffer (echoed back), and a pulse of the reset line
//   (0xfe, or 0xd1 with bit 0 clear) calls `on_reset`: Linux's reboot and
//   firmware reset the machine that way. Other commands are ignored.
// Replies are read from port 0x60 while the status register's "output
// buffer full" bit is set. No interrupt is raised (nothing attached sends
// data), and bytes written to port 0x60 for a keyboard are dropped.
//
// The machine's DSDT declares the keyboard controller (PNP0303) and no
// mouse, so Linux leaves the auxiliary port alone.
//
// Thread safety: any vCPU may call it.

#ifndef VMM_DEVICES_I8042_H_
#define VMM_DEVICES_I8042_H_

#include <cstdint>
#include <deque>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "vm-device/bus_device.h"

namespace vmm {

class I8042 : public vm_device::BusDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;
  static constexpr uint64_t kSize = 5;

  explicit I8042(std::function<void()> on_reset)
      : on_reset_(std::move(on_reset)) {}

  vm_device::AccessWidths Widths() const override { return {1, 1, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  // Returns whether the command pulses the reset line.
  bool Command(uint8_t command) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool DataWrite(uint8_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Reply(uint8_t value) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::function<void()> on_reset_;
  base::Mutex mu_;
  // Replies not yet read, oldest first (at most 16); bit 8 marks the
  // auxiliary port's.
  std::deque<uint16_t> output_ ABSL_GUARDED_BY(mu_);
  uint8_t last_read_ ABSL_GUARDED_BY(mu_) = 0;
  // QEMU's reset values: last write was a command, keyboard not inhibited;
  // keyboard and auxiliary interrupts enabled; output port not in reset,
  // A20 on.
  uint8_t status_ ABSL_GUARDED_BY(mu_) = 0x18;
  uint8_t command_byte_ ABSL_GUARDED_BY(mu_) = 0x03;
  uint8_t output_port_ ABSL_GUARDED_BY(mu_) = 0xcf;
  // The command whose parameter the next data-port write is, or 0.
  uint8_t pending_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace vmm

#endif  // VMM_DEVICES_I8042_H_
