// Machine: the composition root. Builds guest memory, the PIO and MMIO buses
// and every device from the options, registering each device explicitly.
//
// Layouts (shared by --qtest and a KVM boot):
//   x86_64    RAM from 0; as on QEMU q35, at most 2 GiB below 4 GiB once the
//             machine has 0xb0000000 bytes or more, the rest from 4 GiB.
//             fw_cfg on I/O ports 0x510 (selector/data) and 0x514 (DMA).
//   arm-virt  RAM from 0x40000000; fw_cfg MMIO at 0x09020000.
//
// fw_cfg holds what QEMU's machine puts there: x86 keys 0x03 (RAM size),
// 0x05/0x0f (CPUs), 0x04; arm key 0x05; `etc/e820` on x86 (e820=on); the
// direct-boot keys for --kernel (kernel=, initramfs=, cmdline=); the ACPI
// tables as QEMU's etc/acpi/* and etc/table-loader (acpi_table=, x86); and
// the user's items.

#ifndef VMM_MACHINE_H_
#define VMM_MACHINE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "acpi_tables/x86_acpi.h"
#include "fw_cfg/fw_cfg.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"
#include "vmm/options.h"

namespace vmm {

// The ACPI tables' description of the x86 machine the options make.
acpi_tables::X86AcpiConfig X86AcpiConfigFor(const VmmOptions& options,
                                            bool has_fw_cfg);

// Guest RAM regions for a layout and size.
std::vector<vm_memory::RegionLayout> RamLayout(Layout layout, uint64_t size);

class Machine {
 public:
  static absl::StatusOr<std::unique_ptr<Machine>> Create(
      const VmmOptions& options);

  const vm_memory::GuestMemory& memory() const { return *memory_; }
  const std::shared_ptr<const vm_memory::GuestMemory>& memory_ptr() const {
    return memory_;
  }
  vm_device::PioBus& pio() { return pio_; }
  vm_device::MmioBus& mmio() { return mmio_; }
  // What the user should know about the machine built (printed by main).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Null when fw_cfg is disabled or not built in.
  const std::shared_ptr<fw_cfg::FwCfg>& fw_cfg() const { return fw_cfg_; }

 private:
  Machine() = default;
  // x86: the CMOS RTC.
  absl::Status AddLegacyDevices(const VmmOptions& options);
  absl::Status AddFwCfg(const VmmOptions& options);

  std::shared_ptr<const vm_memory::GuestMemory> memory_;
  vm_device::PioBus pio_;
  vm_device::MmioBus mmio_;
  std::shared_ptr<fw_cfg::FwCfg> fw_cfg_;
  std::vector<std::string> warnings_;
};

}  // namespace vmm

#endif  // VMM_MACHINE_H_
