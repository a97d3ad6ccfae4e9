// AcpiPm: the ACPI fixed-hardware PM1a event and control blocks our FADT
// declares (acpi_tables/x86_acpi.h): 6 ports from pm_io_base (0x600).
//   +0 PM1_STS (16-bit, write 1 to clear)   +2 PM1_EN (16-bit)
//   +4 PM1_CNT (16-bit): SCI_EN (bit 0) always set, as the machine is in
//      ACPI mode from reset (the FADT has no SMI_CMD); writing SLP_EN (bit
//      13) with SLP_TYP (bits 10-12) = 0, the value `\_S5` announces, is the
//      guest's power-off request, as on QEMU's PIIX4/ICH9 PM.

#ifndef VMM_DEVICES_ACPI_PM_H_
#define VMM_DEVICES_ACPI_PM_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "base/mutex.h"
#include "vm-device/bus_device.h"
#include "vmm/devices/device_state.h"

namespace vmm {

class AcpiPm : public vm_device::BusDevice, public DeviceState {
 public:
  static constexpr uint64_t kSize = 6;

  explicit AcpiPm(std::function<void()> on_power_off)
      : on_power_off_(std::move(on_power_off)) {}

  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

  // The six registers (SCI_EN, the enable bits the guest set).
  std::vector<uint8_t> SaveState() override;
  absl::Status RestoreState(absl::Span<const uint8_t> state) override;

 private:
  const std::function<void()> on_power_off_;
  base::Mutex mu_;
  // The six register bytes, little-endian.
  uint8_t registers_[kSize] ABSL_GUARDED_BY(mu_) = {0, 0, 0, 0, 0x01, 0};
};

}  // namespace vmm

#endif  // VMM_DEVICES_ACPI_PM_H_
