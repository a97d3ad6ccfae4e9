// The VMM built with the fw_cfg device (--//vmm:fw_cfg=true): see
// fw_cfg_part.h.

#include "vmm/fw_cfg_part.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "acpi_tables/x86_acpi_firmware.h"
#include "base/mutex.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/config/user_items.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/mmio.h"
#include "fw_cfg/standard/direct_boot.h"
#include "fw_cfg/standard/standard_items.h"
#include "fw_cfg/standard/vmcoreinfo.h"
#include "fw_cfg/trace.h"
#include "linux-loader/e820.h"
#include "vmm/layout.h"
#include "vmm/x86/elf_kernel.h"

namespace vmm {

struct FwCfgOption {
  fw_cfg::FwCfgConfig config;
};

namespace {

// QEMU's option ROM that boots a bzImage from the kernel keys by DMA, as
// Debian's qemu-system-data installs it; QEMU publishes it for -kernel.
constexpr char kLinuxBootRom[] = "/usr/share/qemu/linuxboot_dma.bin";

// SeaBIOS's serial console for its screen output: a little-endian port.
constexpr char kSerconPort[] = "etc/sercon-port";

// Whether the file starts with the ELF magic; unreadable files are left for
// the kernel loader to report.
bool IsElfFile(const std::string& path) {
  absl::StatusOr<base::RegularFile> head = base::ReadRegularFile(path, 4);
  return head.ok() && IsElf(head->bytes);
}

absl::Status AddRomFile(fw_cfg::FwCfg& device, const char* name,
                        const char* path) {
  ASSIGN_OR_RETURN(std::shared_ptr<fw_cfg::Item> rom,
                   fw_cfg::MakeFileOrSnapshotItem(path));
  return device.AddFile(name, std::move(rom));
}

absl::Status AddX86Items(fw_cfg::FwCfg& device, const FwCfgMachine& options,
                         const fw_cfg::FwCfgConfig& config,
                         std::vector<std::string>& warnings) {
  RETURN_IF_ERROR(fw_cfg::AddMachineInfo(
      device, {.ram_size = options.memory_size,
               .boot_cpus = static_cast<uint16_t>(options.boot_cpus),
               .max_cpus = static_cast<uint16_t>(options.boot_cpus)}));
  RETURN_IF_ERROR(fw_cfg::AddX86Irq0Override(device));
  if (config.e820) {
    std::vector<linux_loader::E820Entry> entries;
    for (const vm_memory::RegionLayout& region :
         RamLayout(options.layout, options.memory_size)) {
      entries.push_back(
          {region.start.raw(), region.size, linux_loader::kE820Ram});
    }
    RETURN_IF_ERROR(fw_cfg::AddE820File(device, entries));
  }
  const bool direct_boot_keys =
      options.kernel && (config.kernel || config.initramfs || config.cmdline);
  std::vector<std::string> boot_devices;
  if (direct_boot_keys && IsElfFile(*options.kernel)) {
    // QEMU's keys 0x07-0x18 describe a bzImage (its setup header and
    // protected-mode part); an ELF vmlinux has neither.
    warnings.push_back(
        "--fw-cfg-config: kernel=, initramfs= and cmdline= publish nothing "
        "for an ELF vmlinux; only a bzImage has the direct-boot keys");
  } else if (direct_boot_keys) {
    RETURN_IF_ERROR(fw_cfg::AddX86DirectBoot(
        device, {.kernel_path = *options.kernel,
                 .initrd_path = options.initramfs,
                 .cmdline = options.cmdline,
                 .ram_below_4g = RamBelowFourGiB(options.memory_size),
                 .publish_kernel = config.kernel,
                 .publish_initrd = config.initramfs,
                 .publish_cmdline = config.cmdline}));
    if (options.firmware && config.kernel) {
      // The firmware finds the kernel keys but needs this ROM to boot them.
      RETURN_IF_ERROR(base::WithContext(
          AddRomFile(device, "genroms/linuxboot_dma.bin", kLinuxBootRom),
          "--kernel with --firmware needs QEMU's option ROM linuxboot_dma.bin "
          "(Debian package qemu-system-data)"));
      // As QEMU's -kernel: the ROM boots first (bootindex 0).
      boot_devices.push_back("/rom@genroms/linuxboot_dma.bin");
    }
  }
  RETURN_IF_ERROR(fw_cfg::AddBootConfigFiles(device, boot_devices));
  const bool user_sercon = std::any_of(config.items.begin(), config.items.end(),
                                       [](const fw_cfg::FwCfgItemConfig& item) {
                                         return item.name == kSerconPort;
                                       });
  if (options.firmware && !user_sercon) {
    // COM1 is this machine's only console, so SeaBIOS's screen output goes
    // there (QEMU, which has a display, needs `-fw_cfg` for that); a user
    // item of the same name takes its place.
    RETURN_IF_ERROR(device.AddFile(kSerconPort, fw_cfg::MakeLe16Item(0x3f8)));
  }
  if (config.acpi_table) {
    // The same tables a direct boot gets, for firmware to install through
    // QEMU's linker/loader files.
    ASSIGN_OR_RETURN(acpi_tables::AcpiFirmwareFiles files,
                     acpi_tables::BuildX86AcpiFirmwareFiles(options.acpi));
    RETURN_IF_ERROR(fw_cfg::AddAcpiFiles(device, std::move(files.tables),
                                         std::move(files.rsdp),
                                         std::move(files.table_loader)));
  }
  return fw_cfg::AddUserItems(device, config);
}

// What the guest last published in etc/vmcoreinfo (written by the vCPU
// thread's DMA, read by the control API's).
struct LastVmcoreinfo {
  base::Mutex mu;
  std::optional<FwCfgVmcoreinfo> location ABSL_GUARDED_BY(mu);
};

absl::StatusOr<std::shared_ptr<fw_cfg::Item>> MakeSourceItem(
    std::string_view name, const FwCfgItemSource& source) {
  if (source.file.has_value() == source.string.has_value()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item \"%s\": give exactly one of file and string", name));
  }
  if (source.string) return fw_cfg::MakeStringItem(*source.string);
  return base::WithContext(fw_cfg::MakeFileOrSnapshotItem(*source.file),
                           absl::StrFormat("fw_cfg item \"%s\"", name));
}

// etc/vmcoreinfo: says where the guest's note is when the guest publishes
// it and, with --vmcoreinfo-file, writes the note there, read from RAM.
absl::Status AddVmcoreinfo(
    fw_cfg::FwCfg& device, const FwCfgMachine& options,
    const std::shared_ptr<const vm_memory::GuestMemory>& memory,
    std::shared_ptr<LastVmcoreinfo> last) {
  auto log = options.log;
  auto path = options.vmcoreinfo_file;
  auto on_publish = [memory, log, path,
                     last](const fw_cfg::VmcoreinfoLocation& location) {
    {
      base::MutexLock lock(last->mu);
      last->location = FwCfgVmcoreinfo{.address = location.paddr,
                                       .size = location.size,
                                       .guest_format = location.guest_format};
    }
    if (log) {
      log(absl::StrFormat(
          "vmm: vmcoreinfo: the guest's note is at 0x%x, %d bytes (format "
          "%d)\n",
          location.paddr, location.size, location.guest_format));
    }
    if (!path) return;
    absl::StatusOr<fw_cfg::VmcoreinfoNote> note =
        fw_cfg::ReadVmcoreinfoNote(*memory, location);
    std::string error;
    if (!note.ok()) {
      error = std::string(note.status().message());
    } else if (FILE* f = std::fopen(path->c_str(), "wb"); f == nullptr) {
      error = absl::StrFormat("cannot write %s: %s", *path, strerror(errno));
    } else {
      const bool written =
          std::fwrite(note->bytes.data(), 1, note->bytes.size(), f) ==
          note->bytes.size();
      if (std::fclose(f) != 0 || !written) {
        error = absl::StrFormat("cannot write %s: %s", *path, strerror(errno));
      }
    }
    if (!error.empty() && log) {
      log(absl::StrFormat("vmm: --vmcoreinfo-file: %s\n", error));
    }
  };
  return fw_cfg::Vmcoreinfo::Add(device, std::move(on_publish)).status();
}

}  // namespace

struct FwCfgDevice {
  std::shared_ptr<fw_cfg::FwCfg> device;
  std::shared_ptr<LastVmcoreinfo> vmcoreinfo;
};

bool FwCfgBuiltIn() { return true; }

std::vector<std::string> FwCfgTraceEvents() {
  return fw_cfg::TraceEventNames();
}

absl::StatusOr<std::shared_ptr<const FwCfgOption>> ParseFwCfgOption(
    std::string_view text) {
  ASSIGN_OR_RETURN(fw_cfg::FwCfgConfig config, fw_cfg::ParseFwCfgConfig(text));
  return std::make_shared<const FwCfgOption>(
      FwCfgOption{.config = std::move(config)});
}

bool FwCfgVmcoreinfoEnabled(const FwCfgOption& option) {
  return option.config.vmcoreinfo;
}

std::vector<std::string> FwCfgOptionWarnings(const FwCfgOption& option) {
  return option.config.warnings;
}

absl::StatusOr<std::shared_ptr<FwCfgDevice>> AttachFwCfg(
    const FwCfgMachine& options,
    const std::shared_ptr<const vm_memory::GuestMemory>& memory,
    vm_device::PioBus& pio, vm_device::MmioBus& mmio,
    std::vector<std::string>& warnings) {
  const fw_cfg::FwCfgConfig config =
      options.option ? options.option->config : fw_cfg::FwCfgConfig{};
  if (!config.enabled) return nullptr;
  if (!options.restoring) RETURN_IF_ERROR(fw_cfg::CheckFwCfgItemFiles(config));
  // QEMU limits files to 0x20 slots by default, which its own files mostly
  // fill; a guest cannot see the limit, so allow every key there is.
  std::shared_ptr<fw_cfg::TraceSink> trace;
  if (!options.trace_events.empty() && options.trace_output) {
    trace = std::make_shared<fw_cfg::TracePrinter>(
        options.trace_events, options.trace_output,
        options.layout == Layout::kX86_64 ? fw_cfg::TraceArch::kX86
                                          : fw_cfg::TraceArch::kOther);
  }
  ASSIGN_OR_RETURN(
      std::shared_ptr<fw_cfg::FwCfg> device,
      fw_cfg::FwCfg::Create(memory,
                            fw_cfg::FwCfgOptions{.file_slots = 0x3fe0,
                                                 .trace = std::move(trace)}));
  auto handle = std::make_shared<FwCfgDevice>(
      FwCfgDevice{device, std::make_shared<LastVmcoreinfo>()});
  if (config.vmcoreinfo) {
    RETURN_IF_ERROR(
        AddVmcoreinfo(*device, options, memory, handle->vmcoreinfo));
  }
  // QEMU's machine reset selects the signature, and its trace says so.
  device->Select(fw_cfg::kSignature);
  if (options.layout == Layout::kX86_64) {
    if (!options.restoring) {
      RETURN_IF_ERROR(AddX86Items(*device, options, config, warnings));
    }
    if (options.x86_mmio_base.has_value()) {
      RETURN_IF_ERROR(
          fw_cfg::AttachX86Mmio(device, mmio, *options.x86_mmio_base));
    } else {
      RETURN_IF_ERROR(fw_cfg::AttachIoPorts(device, pio));
    }
    if (options.x86_arm_mmio_base.has_value()) {
      RETURN_IF_ERROR(
          fw_cfg::AttachMmio(device, mmio, *options.x86_arm_mmio_base));
    }
    return handle;
  }
  if (!options.restoring) {
    // arm `virt` publishes only the CPU count among the numbered keys.
    RETURN_IF_ERROR(device->SetLe16(fw_cfg::kNbCpus,
                                    static_cast<uint16_t>(options.boot_cpus)));
    RETURN_IF_ERROR(fw_cfg::AddUserItems(*device, config));
  }
  RETURN_IF_ERROR(fw_cfg::AttachMmio(device, mmio, fw_cfg::kArmVirtMmioBase));
  return handle;
}

std::vector<FwCfgFileEntry> FwCfgListFiles(FwCfgDevice& device) {
  std::vector<FwCfgFileEntry> entries;
  for (const fw_cfg::FileInfo& file : device.device->ListFiles()) {
    const char* kind = file.kind == fw_cfg::ItemKind::kGenerated  ? "generated"
                       : file.kind == fw_cfg::ItemKind::kWritable ? "writable"
                                                                  : "data";
    entries.push_back({file.name, file.key, file.size, kind});
  }
  return entries;
}

absl::Status FwCfgAddFile(FwCfgDevice& device, std::string_view name,
                          const FwCfgItemSource& source) {
  ASSIGN_OR_RETURN(std::shared_ptr<fw_cfg::Item> item,
                   MakeSourceItem(name, source));
  return device.device->AddFileAtEnd(name, std::move(item));
}

absl::Status FwCfgModifyFile(FwCfgDevice& device, std::string_view name,
                             const FwCfgItemSource& source) {
  ASSIGN_OR_RETURN(std::shared_ptr<fw_cfg::Item> item,
                   MakeSourceItem(name, source));
  return device.device->ReplaceFile(name, std::move(item));
}

std::optional<FwCfgVmcoreinfo> FwCfgLastVmcoreinfo(FwCfgDevice& device) {
  base::MutexLock lock(device.vmcoreinfo->mu);
  return device.vmcoreinfo->location;
}

absl::StatusOr<std::vector<uint8_t>> FwCfgSaveState(FwCfgDevice& device) {
  return device.device->SaveState();
}

absl::Status FwCfgRestoreState(FwCfgDevice& device,
                               absl::Span<const uint8_t> state) {
  return device.device->RestoreState(state);
}

}  // namespace vmm
