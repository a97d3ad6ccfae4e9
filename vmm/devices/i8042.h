// I8042: just enough of the PS/2 controller for a guest to reset the
// machine. Insert it at 0x60 with length 5 (0x60-0x64; KVM's in-kernel PIT
// answers 0x61 before the exit reaches us): the "pulse reset line" command
// (0xfe written to port 0x64), which Linux's reboot and firmware use, calls
// `on_reset`. Status reads say "no data, ready for input", so probing guests
// find no keyboard.

#ifndef VMM_DEVICES_I8042_H_
#define VMM_DEVICES_I8042_H_

#include <cstdint>
#include <functional>

#include "vm-device/bus_device.h"

namespace vmm {

class I8042 : public vm_device::BusDevice {
 public:
  static constexpr uint16_t kDataPort = 0x60;
  static constexpr uint16_t kCommandPort = 0x64;

  explicit I8042(std::function<void()> on_reset)
      : on_reset_(std::move(on_reset)) {}

  vm_device::AccessWidths Widths() const override { return {1, 1, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::function<void()> on_reset_;
};

}  // namespace vmm

#endif  // VMM_DEVICES_I8042_H_
