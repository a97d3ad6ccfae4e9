// DebugConsole: QEMU's isa-debugcon, the one-port log that SeaBIOS, OVMF and
// the Bochs BIOS write their debug output to (SeaBIOS's QEMU builds use port
// 0x402).
//
// Every byte written goes to a callback; a read returns the readback byte,
// 0xe9 as QEMU's default, which firmware uses to detect the port. Wider
// accesses are cut into bytes by the bus, as QEMU's 1-byte region does.
//
//   pio.Insert(std::make_shared<DebugConsole>(write_byte),
//              DebugConsole::kSeaBiosPort, 1);

#ifndef VMM_DEVICES_DEBUGCON_H_
#define VMM_DEVICES_DEBUGCON_H_

#include <cstdint>
#include <functional>
#include <utility>

#include "vm-device/bus_device.h"

namespace vmm {

class DebugConsole : public vm_device::BusDevice {
 public:
  static constexpr uint16_t kSeaBiosPort = 0x402;
  static constexpr uint8_t kReadback = 0xe9;

  explicit DebugConsole(std::function<void(uint8_t)> output)
      : output_(std::move(output)) {}

  vm_device::AccessWidths Widths() const override { return {1, 1, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::function<void(uint8_t)> output_;
};

}  // namespace vmm

#endif  // VMM_DEVICES_DEBUGCON_H_
