#include "vmm/machine.h"

#include <algorithm>
#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/byte_stream.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "vmm/devices/acpi_pm.h"
#include "vmm/devices/cmos.h"
#include "vmm/devices/debugcon.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/serial.h"
#include "vmm/fw_cfg_part.h"
#include "vmm/layout.h"
#include "vmm/x86/firmware.h"

namespace vmm {
namespace {

absl::StatusOr<std::shared_ptr<const vm_memory::GuestMemory>> CreateMemory(
    const VmmOptions& options) {
  const std::vector<vm_memory::RegionLayout> ram =
      RamLayout(options.layout, options.memory_size);
  if (options.firmware) return CreateMemoryWithFirmware(ram, *options.firmware);
  return base::WithContext(vm_memory::GuestMemory::CreateAnonymous(ram),
                           "guest memory");
}

}  // namespace

absl::StatusOr<std::unique_ptr<Machine>> Machine::Create(
    const VmmOptions& options, bool restoring) {
  std::unique_ptr<Machine> machine(new Machine());
  ASSIGN_OR_RETURN(machine->stop_latch_, StopLatch::Create());
  ASSIGN_OR_RETURN(machine->memory_, CreateMemory(options));
  acpi_tables::X86AcpiConfig& acpi = machine->acpi_;
  acpi.num_vcpus = options.boot_cpus;
  acpi.cmos_rtc = true;
  acpi.i8042 = true;
  std::function<void(std::string_view)> trace_output;
  if (!options.trace_events.empty()) {
    if (options.trace_file) {
      ASSIGN_OR_RETURN(machine->trace_file_,
                       OpenLog("--trace-file", *options.trace_file));
    }
    std::FILE* const out =
        machine->trace_file_ ? machine->trace_file_.get() : stderr;
    trace_output = [out](std::string_view line) {
      std::fwrite(line.data(), 1, line.size(), out);
    };
  }
  for (const auto& [base, size] :
       {std::pair{options.fw_cfg_mmio, uint64_t{0x0c}},
        std::pair{options.fw_cfg_arm_mmio, uint64_t{0x18}}}) {
    if (!base.has_value()) continue;
    // RAM would hide the block from the guest (KVM serves RAM itself).
    for (const vm_memory::RegionLayout& ram :
         RamLayout(options.layout, options.memory_size)) {
      if (*base + size > ram.start.raw() &&
          *base < ram.start.raw() + ram.size) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "fw_cfg MMIO at 0x%x: inside guest RAM [0x%x, 0x%x)", *base,
            ram.start.raw(), ram.start.raw() + ram.size));
      }
    }
  }
  if (options.fw_cfg_mmio.has_value()) {
    acpi.fw_cfg_mmio_base = static_cast<uint32_t>(*options.fw_cfg_mmio);
  }
  ASSIGN_OR_RETURN(machine->fw_cfg_,
                   AttachFwCfg({.layout = options.layout,
                                .memory_size = options.memory_size,
                                .boot_cpus = options.boot_cpus,
                                .kernel = options.kernel,
                                .initramfs = options.initramfs,
                                .cmdline = options.cmdline,
                                .acpi = acpi,
                                .option = options.fw_cfg,
                                .firmware = options.firmware.has_value(),
                                .trace_events = options.trace_events,
                                .trace_output = std::move(trace_output),
                                .x86_mmio_base = options.fw_cfg_mmio,
                                .x86_arm_mmio_base = options.fw_cfg_arm_mmio,
                                .vmcoreinfo_file = options.vmcoreinfo_file,
                                .log =
                                    [](std::string_view line) {
                                      std::fwrite(line.data(), 1, line.size(),
                                                  stderr);
                                    },
                                .restoring = restoring},
                               machine->memory_, machine->pio_, machine->mmio_,
                               machine->warnings_));
  // The DSDT announces fw_cfg only where it is.
  if (!machine->has_fw_cfg()) acpi.fw_cfg.reset();
  if (options.layout == Layout::kX86_64) {
    RETURN_IF_ERROR(machine->OpenConsole(options));
    RETURN_IF_ERROR(machine->AddX86Devices(options));
  }
  return machine;
}

absl::StatusOr<Machine::OwnedFile> Machine::OpenLog(const char* option,
                                                    const std::string& path) {
  OwnedFile file(std::fopen(path.c_str(), "w"));
  if (file == nullptr) {
    return absl::ErrnoToStatus(
        errno, absl::StrFormat("%s: cannot open %s", option, path));
  }
  std::setvbuf(file.get(), nullptr, _IONBF, 0);
  return file;
}

absl::Status Machine::OpenConsole(const VmmOptions& options) {
  switch (options.serial) {
    case SerialMode::kOff:
      return absl::OkStatus();
    case SerialMode::kTty:
      // Over qtest stdio, standard output carries the protocol.
      if (!(options.qtest && *options.qtest == "stdio")) console_ = stdout;
      return absl::OkStatus();
    case SerialMode::kFile:
      // Unbuffered, so a reader of the file sees each byte as the guest
      // sends it (tests time console markers).
      ASSIGN_OR_RETURN(console_file_, OpenLog("--serial", options.serial_path));
      console_ = console_file_.get();
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Machine::AddX86Devices(const VmmOptions& options) {
  std::FILE* const console = console_;
  auto serial = std::make_shared<Serial16550>(
      [console](uint8_t byte) {
        if (console == nullptr) return;
        std::fputc(byte, console);
        if (byte == '\n') std::fflush(console);
      },
      [this] { irqs_.Raise(Serial16550::kCom1Irq); });
  RETURN_IF_ERROR(pio_.Insert(serial, Serial16550::kCom1Base, 8));
  stateful_.emplace_back("serial", serial);
  RETURN_IF_ERROR(pio_.Insert(std::make_shared<I8042>([this] {
                                stop_latch_->Request(StopReason::kReset);
                              }),
                              I8042::kDataPort, I8042::kSize));
  const uint64_t below = RamBelowFourGiB(options.memory_size);
  auto cmos = std::make_shared<Cmos>(
      Cmos::MachineInfo{.ram_below_4g = below,
                        .ram_above_4g = options.memory_size - below,
                        .cpus = options.boot_cpus});
  RETURN_IF_ERROR(pio_.Insert(cmos, Cmos::kIndexPort, Cmos::kSize));
  stateful_.emplace_back("cmos", cmos);
  if (options.debugcon_path) {
    ASSIGN_OR_RETURN(debugcon_file_,
                     OpenLog("--debugcon", *options.debugcon_path));
    std::FILE* const log = debugcon_file_.get();
    RETURN_IF_ERROR(
        pio_.Insert(std::make_shared<DebugConsole>(
                        [log](uint8_t byte) { std::fputc(byte, log); }),
                    DebugConsole::kSeaBiosPort, 1));
  }
  // ACPI's fixed PM1 block, where the FADT says: S5 powers off.
  auto pm = std::make_shared<AcpiPm>(
      [this] { stop_latch_->Request(StopReason::kPowerOff); });
  RETURN_IF_ERROR(pio_.Insert(pm, acpi_.pm_io_base, AcpiPm::kSize));
  stateful_.emplace_back("acpi_pm", pm);
  return absl::OkStatus();
}

// The record: u32 section count, then per section u8 name length, the name,
// u64 size, the bytes (base/byte_stream.h, little-endian).
absl::StatusOr<std::vector<uint8_t>> Machine::SaveDeviceState() {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sections;
  if (fw_cfg_ != nullptr) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> state, FwCfgSaveState(*fw_cfg_));
    sections.emplace_back("fw_cfg", std::move(state));
  }
  for (const auto& [name, device] : stateful_) {
    sections.emplace_back(name, device->SaveState());
  }
  base::ByteWriter out;
  out.U32(static_cast<uint32_t>(sections.size()));
  for (const auto& [name, bytes] : sections) {
    out.U8(static_cast<uint8_t>(name.size()));
    out.Text(name);
    out.U64(bytes.size());
    out.Bytes(bytes);
  }
  return out.Take();
}

absl::Status Machine::RestoreDeviceState(absl::Span<const uint8_t> state) {
  base::ByteReader in(state);
  std::map<std::string, absl::Span<const uint8_t>> sections;
  const uint32_t count = in.U32();
  for (uint32_t i = 0; i < count && in.ok(); ++i) {
    std::string name = in.Text(in.U8());
    sections[name] = in.Bytes(in.U64());
  }
  if (!in.ok() || in.remaining() != 0 || sections.size() != count) {
    return absl::DataLossError("device state: malformed record");
  }
  std::vector<std::string> expected;
  if (fw_cfg_ != nullptr) expected.push_back("fw_cfg");
  for (const auto& [name, device] : stateful_) expected.push_back(name);
  for (const std::string& name : expected) {
    if (!sections.contains(name)) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "device state: no section for this machine's %s", name));
    }
  }
  if (sections.size() != expected.size()) {
    return absl::FailedPreconditionError(
        "device state: a section for a device this machine does not have");
  }
  // All or nothing: the small devices first, each refusing without change,
  // undone if a later one or fw_cfg (which checks its whole state first)
  // refuses.
  std::vector<std::vector<uint8_t>> before;
  for (const auto& [name, device] : stateful_) {
    before.push_back(device->SaveState());
  }
  auto undo = [&](size_t restored) {
    for (size_t i = 0; i < restored; ++i) {
      (void)stateful_[i].second->RestoreState(before[i]);
    }
  };
  for (size_t i = 0; i < stateful_.size(); ++i) {
    absl::Status status =
        stateful_[i].second->RestoreState(sections[stateful_[i].first]);
    if (!status.ok()) {
      undo(i);
      return status;
    }
  }
  if (fw_cfg_ != nullptr) {
    absl::Status status = FwCfgRestoreState(*fw_cfg_, sections["fw_cfg"]);
    if (!status.ok()) {
      undo(stateful_.size());
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace vmm
