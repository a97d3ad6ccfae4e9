#include "vmm/machine.h"

#include <fstream>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "acpi_tables/x86_acpi.h"
#include "base/status_macros.h"
#include "fw_cfg/direct_boot.h"
#include "fw_cfg/formats/e820.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/mmio.h"
#include "fw_cfg/standard_items.h"
#include "vmm/devices/cmos.h"
#include "vmm/x86/firmware.h"

namespace vmm {
namespace {

constexpr uint64_t kFourGiB = uint64_t{1} << 32;
// QEMU q35 (pc_q35_init): with this much RAM or more, only 2 GiB stay low.
constexpr uint64_t kQ35LowMemLimit = 0xb0000000;
constexpr uint64_t kQ35LowMemSplit = 0x80000000;
constexpr uint64_t kArmVirtRamBase = 0x40000000;

// RAM below 4 GiB on the x86 layout.
uint64_t BelowFourGiB(uint64_t size) {
  return size >= kQ35LowMemLimit ? kQ35LowMemSplit : size;
}

// Whether the file starts with the ELF magic; unreadable files are left for
// the kernel loader to report.
bool IsElfFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  return file.read(magic, sizeof(magic)) && magic[0] == 0x7f &&
         magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
}

}  // namespace

acpi_tables::X86AcpiConfig X86AcpiConfigFor(const VmmOptions& options,
                                            bool has_fw_cfg) {
  acpi_tables::X86AcpiConfig config;
  config.num_vcpus = options.boot_cpus;
  config.cmos_rtc = true;
  config.i8042 = true;
  if (!has_fw_cfg) config.fw_cfg.reset();
  return config;
}

std::vector<vm_memory::RegionLayout> RamLayout(Layout layout, uint64_t size) {
  if (layout == Layout::kArmVirt) {
    return {{vm_memory::GuestAddress(kArmVirtRamBase), size}};
  }
  const uint64_t low = BelowFourGiB(size);
  std::vector<vm_memory::RegionLayout> regions = {
      {vm_memory::GuestAddress(0), low}};
  if (size > low)
    regions.push_back({vm_memory::GuestAddress(kFourGiB), size - low});
  return regions;
}

absl::StatusOr<std::unique_ptr<Machine>> Machine::Create(
    const VmmOptions& options) {
  std::unique_ptr<Machine> machine(new Machine());
  const std::vector<vm_memory::RegionLayout> ram =
      RamLayout(options.layout, options.memory_size);
  if (options.firmware) {
    ASSIGN_OR_RETURN(machine->memory_,
                     CreateMemoryWithFirmware(ram, *options.firmware));
    RETURN_IF_ERROR(machine->AddLegacyDevices(options));
    if (options.fw_cfg.enabled) RETURN_IF_ERROR(machine->AddFwCfg(options));
    return machine;
  }
  absl::StatusOr<std::shared_ptr<const vm_memory::GuestMemory>> memory =
      vm_memory::GuestMemory::CreateAnonymous(ram);
  if (!memory.ok()) {
    return absl::Status(
        memory.status().code(),
        absl::StrFormat("guest memory: %s", memory.status().message()));
  }
  machine->memory_ = *std::move(memory);
  RETURN_IF_ERROR(machine->AddLegacyDevices(options));
  if (options.fw_cfg.enabled) RETURN_IF_ERROR(machine->AddFwCfg(options));
  return machine;
}

absl::Status Machine::AddLegacyDevices(const VmmOptions& options) {
  if (options.layout != Layout::kX86_64) return absl::OkStatus();
  const uint64_t below = BelowFourGiB(options.memory_size);
  return pio_.Insert(
      std::make_shared<Cmos>(Cmos::MachineInfo{
          .ram_below_4g = below,
          .ram_above_4g = options.memory_size - below,
          .cpus = options.boot_cpus}),
      Cmos::kIndexPort, Cmos::kSize);
}

absl::Status Machine::AddFwCfg(const VmmOptions& options) {
  // QEMU limits files to 0x20 slots by default, which its own files mostly
  // fill; a guest cannot see the limit, so allow every key there is.
  ASSIGN_OR_RETURN(fw_cfg_,
                   fw_cfg::FwCfg::Create(
                       memory_, fw_cfg::FwCfgOptions{.file_slots = 0x3fe0}));
  fw_cfg::FwCfg& device = *fw_cfg_;
  const fw_cfg::FwCfgConfig& config = options.fw_cfg;

  if (options.layout == Layout::kX86_64) {
    RETURN_IF_ERROR(fw_cfg::AddMachineInfo(
        device, {.ram_size = options.memory_size,
                 .boot_cpus = static_cast<uint16_t>(options.boot_cpus),
                 .max_cpus = static_cast<uint16_t>(options.boot_cpus)}));
    if (config.e820) {
      std::vector<fw_cfg::E820Entry> entries;
      for (const vm_memory::RegionLayout& region :
           RamLayout(options.layout, options.memory_size)) {
        entries.push_back({region.start.raw(), region.size, fw_cfg::kE820Ram});
      }
      RETURN_IF_ERROR(fw_cfg::AddE820File(device, entries));
    }
    const bool direct_boot_keys =
        options.kernel && (config.kernel || config.initramfs || config.cmdline);
    if (direct_boot_keys && IsElfFile(*options.kernel)) {
      // QEMU's keys 0x07-0x18 describe a bzImage (its setup header and
      // protected-mode part); an ELF vmlinux has neither.
      warnings_.push_back(
          "--fw-cfg-config: kernel=, initramfs= and cmdline= publish nothing "
          "for an ELF vmlinux; only a bzImage has the direct-boot keys");
    } else if (direct_boot_keys) {
      RETURN_IF_ERROR(fw_cfg::AddX86DirectBoot(
          device, {.kernel_path = *options.kernel,
                   .initrd_path = options.initramfs,
                   .cmdline = options.cmdline,
                   .ram_below_4g = BelowFourGiB(options.memory_size),
                   .publish_kernel = config.kernel,
                   .publish_initrd = config.initramfs,
                   .publish_cmdline = config.cmdline}));
    }
    if (config.acpi_table) {
      // The same tables a direct boot gets, for firmware to install through
      // QEMU's linker/loader files.
      ASSIGN_OR_RETURN(
          acpi_tables::X86AcpiTables acpi,
          acpi_tables::BuildX86AcpiTables(X86AcpiConfigFor(options, true)));
      RETURN_IF_ERROR(fw_cfg::AddAcpiFiles(device, std::move(acpi.fw_cfg)));
    }
    RETURN_IF_ERROR(fw_cfg::AddUserItems(device, config));
    return fw_cfg::AttachIoPorts(fw_cfg_, pio_);
  }

  // arm `virt` publishes only the CPU count among the numbered keys.
  RETURN_IF_ERROR(device.SetItem(
      fw_cfg::kNbCpus,
      fw_cfg::MakeLe16Item(static_cast<uint16_t>(options.boot_cpus))));
  RETURN_IF_ERROR(fw_cfg::AddUserItems(device, config));
  return fw_cfg::AttachMmio(fw_cfg_, mmio_, fw_cfg::kArmVirtMmioBase);
}

}  // namespace vmm
