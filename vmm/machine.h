// Machine: the composition root. Builds guest memory, the PIO and MMIO buses
// and every device from the options, and registers each one explicitly; the
// devices live as long as the Machine. Running it (kvm_runner.h) or serving
// qtest over it (qtest/) adds no device.
//
// The x86_64 layout (layout.h) gets, as a PC has them:
//   COM1       0x3f8-0x3ff, IRQ 4 (Serial16550; output to --serial)
//   i8042      0x60/0x64 (its reset command asks the runner to stop)
//   CMOS RTC   0x70/0x71
//   ACPI PM1   acpi_config().pm_io_base, 6 ports (S5 asks the runner to stop)
//   fw_cfg     0x510-0x51b, when built in and not disabled (fw_cfg_part.h)
// and ACPI tables describing them (acpi_config(); the runner writes them for
// a direct boot, the fw_cfg part publishes them for firmware). The arm-virt
// layout has RAM and fw_cfg's MMIO registers only.
//
// Devices reach the outside through two objects the Machine owns and the
// runner connects: stop_latch(), where reset and power-off requests land,
// and irqs(), through which COM1 raises its interrupt on the irqchip of the
// run (with none connected, as under qtest, interrupts are dropped).

#ifndef VMM_MACHINE_H_
#define VMM_MACHINE_H_

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/x86_acpi.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"
#include "vmm/devices/device_state.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/irq_relay.h"
#include "vmm/options.h"
#include "vmm/stop_latch.h"

namespace vmm {

class Machine {
 public:
  // With `restoring`, the fw_cfg device gets only its items with behaviour
  // (RestoreDeviceState brings the others from the snapshot, without the
  // host files).
  static absl::StatusOr<std::unique_ptr<Machine>> Create(
      const VmmOptions& options, bool restoring = false);
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  const vm_memory::GuestMemory& memory() const { return *memory_; }
  vm_device::PioBus& pio() { return pio_; }
  vm_device::MmioBus& mmio() { return mmio_; }
  StopLatch& stop_latch() { return *stop_latch_; }
  IrqRelay& irqs() { return irqs_; }
  // The x86 machine as the ACPI tables describe it.
  const acpi_tables::X86AcpiConfig& acpi_config() const { return acpi_; }
  bool has_fw_cfg() const { return fw_cfg_ != nullptr; }
  // The fw_cfg device for the control API; null without one.
  FwCfgDevice* fw_cfg() const { return fw_cfg_.get(); }

  // The devices' state (fw_cfg's, the serial port's, the CMOS', ACPI PM1's)
  // as one record of named sections, and back. A restore checks every
  // section before changing any device; a section the machine has no device
  // for, or a device with no section, is an error.
  absl::StatusOr<std::vector<uint8_t>> SaveDeviceState();
  absl::Status RestoreDeviceState(absl::Span<const uint8_t> state);
  // What the user should know about the machine built (printed by main).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Machine() = default;
  absl::Status OpenConsole(const VmmOptions& options);
  absl::Status AddX86Devices(const VmmOptions& options);

  struct FileCloser {
    void operator()(std::FILE* file) const { std::fclose(file); }
  };
  using OwnedFile = std::unique_ptr<std::FILE, FileCloser>;
  // Opens `path` for a log that is read while the VMM runs: unbuffered.
  static absl::StatusOr<OwnedFile> OpenLog(const char* option,
                                           const std::string& path);

  // Declared before the buses, so that the devices writing to them never
  // outlive them.
  OwnedFile trace_file_;     // --trace-file; stderr when null
  OwnedFile debugcon_file_;  // --debugcon
  OwnedFile console_file_;   // --serial file=PATH
  std::shared_ptr<const vm_memory::GuestMemory> memory_;
  vm_device::PioBus pio_;
  vm_device::MmioBus mmio_;
  std::unique_ptr<StopLatch> stop_latch_;
  IrqRelay irqs_;
  acpi_tables::X86AcpiConfig acpi_;
  std::shared_ptr<FwCfgDevice> fw_cfg_;
  // The devices with state besides fw_cfg, by section name.
  std::vector<std::pair<std::string, std::shared_ptr<DeviceState>>> stateful_;
  // Where COM1's bytes go: stdout, console_file_, or nowhere.
  std::FILE* console_ = nullptr;
  std::vector<std::string> warnings_;
};

}  // namespace vmm

#endif  // VMM_MACHINE_H_
