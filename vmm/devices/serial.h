// Serial16550: a 16550A UART at 0x3f8 (COM1), enough for a Linux console.
//
// Output bytes go to a callback; there is no input. The transmitter is
// always empty, so the "transmit holding register empty" interrupt is raised
// whenever the guest enables it or writes a byte, and cleared when the guest
// reads IIR. The interrupt line is edge-triggered through `raise_irq`, as an
// ISA device on the in-kernel PIC/IOAPIC.

#ifndef VMM_DEVICES_SERIAL_H_
#define VMM_DEVICES_SERIAL_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "vm-device/bus_device.h"
#include "vmm/devices/device_state.h"

namespace vmm {

class Serial16550 : public vm_device::BusDevice, public DeviceState {
 public:
  static constexpr uint16_t kCom1Base = 0x3f8;
  static constexpr uint32_t kCom1Irq = 4;

  Serial16550(std::function<void(uint8_t)> output,
              std::function<void()> raise_irq)
      : output_(std::move(output)), raise_irq_(std::move(raise_irq)) {}

  vm_device::AccessWidths Widths() const override { return {1, 1, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // The registers a guest driver remembers (IER above all: Linux sets THRI
  // once and waits for the interrupt).
  std::vector<uint8_t> SaveState() override;
  absl::Status RestoreState(absl::Span<const uint8_t> state) override;

 private:
  bool dlab() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return (lcr_ & 0x80) != 0;
  }

  const std::function<void(uint8_t)> output_;
  const std::function<void()> raise_irq_;
  base::Mutex mu_;
  uint8_t ier_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t lcr_ ABSL_GUARDED_BY(mu_) = 0x03;
  uint8_t mcr_ ABSL_GUARDED_BY(mu_) = 0x08;
  uint8_t scr_ ABSL_GUARDED_BY(mu_) = 0;
  uint8_t dll_ ABSL_GUARDED_BY(mu_) = 0x0c;
  uint8_t dlm_ ABSL_GUARDED_BY(mu_) = 0;
  bool thre_pending_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace vmm

#endif  // VMM_DEVICES_SERIAL_H_
