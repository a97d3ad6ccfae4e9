// Cmos: the PC's MC146818 real-time clock and its 128 bytes of CMOS RAM,
// at ports 0x70 (index; bit 7 is the NMI mask, ignored) and 0x71 (data).
// Insert it at 0x70 with length 2.
//
// What a guest finds, as on QEMU's mc146818rtc with the values QEMU's PC
// machines write (pc_cmos_init):
//   - the time of day from the host's wall clock (UTC), in BCD and 24-hour
//     mode unless the guest changes register B; writing a time register
//     moves the guest's clock by the difference, and the host's clock is not
//     touched. Register A's update-in-progress bit is set during the last
//     244 us of each second, as on the chip, so a guest that waits for it to
//     clear reads a consistent time;
//   - register D's "valid RAM and time" bit; registers C (interrupt flags)
//     reads 0: this RTC raises no interrupt (IRQ 8), neither periodic, alarm
//     nor update-ended;
//   - the memory-size bytes firmware reads (0x15-0x18, 0x30/0x31,
//     0x34/0x35, 0x5b-0x5d), the CPU count (0x5f), the equipment byte (0x14:
//     FPU, PS/2 mouse port) and QEMU's default boot order (0x38, 0x3d).
//     Everything else is RAM, read back as written.
//
// Thread safety: any vCPU may call it.

#ifndef VMM_DEVICES_CMOS_H_
#define VMM_DEVICES_CMOS_H_

#include <array>
#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/time/time.h"
#include "base/mutex.h"
#include "vm-device/bus_device.h"
#include "vmm/devices/device_state.h"

namespace vmm {

class Cmos : public vm_device::BusDevice, public DeviceState {
 public:
  static constexpr uint16_t kIndexPort = 0x70;
  static constexpr uint64_t kSize = 2;

  struct MachineInfo {
    uint64_t ram_below_4g = 0;
    uint64_t ram_above_4g = 0;
    uint32_t cpus = 1;
  };

  // `clock` gives the host's wall-clock time; tests pass their own.
  explicit Cmos(const MachineInfo& machine,
                std::function<absl::Time()> clock = absl::Now);

  vm_device::AccessWidths Widths() const override { return {1, 1, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // The index, the 128 bytes and the guest clock's offset from the host's.
  std::vector<uint8_t> SaveState() override;
  absl::Status RestoreState(absl::Span<const uint8_t> state) override;

 private:
  uint8_t ReadRegister(uint8_t index) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteRegister(uint8_t index, uint8_t value)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time GuestTime() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A clock field in the guest's format (register B: BCD or binary, 12- or
  // 24-hour), and back.
  uint8_t Encode(int value) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int Decode(uint8_t value) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::function<absl::Time()> clock_;
  base::Mutex mu_;
  uint8_t index_ ABSL_GUARDED_BY(mu_) = 0;
  std::array<uint8_t, 128> ram_ ABSL_GUARDED_BY(mu_) = {};
  // The guest's clock minus the host's.
  absl::Duration offset_ ABSL_GUARDED_BY(mu_);
};

}  // namespace vmm

#endif  // VMM_DEVICES_CMOS_H_
