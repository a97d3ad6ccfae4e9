#include "vmm/options.h"

#include <fnmatch.h>

#include <algorithm>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/regular_file.h"
#include "base/status_macros.h"
#include "re2/re2.h"

namespace vmm {
namespace {

// --fw-cfg-mmio ends below the I/O APIC.
constexpr uint64_t kFwCfgMmioLimit = 0xfec00000;

absl::Status Bad(std::string_view option, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrFormat("%s: %s", option, why));
}

// Parses "key=value,key=value" where only `keys` are allowed, each once.
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> KeyValues(
    std::string_view option, std::string_view text,
    std::initializer_list<std::string_view> keys) {
  std::vector<std::pair<std::string, std::string>> result;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string_view part = text.substr(start, comma - start);
    const size_t equals = part.find('=');
    if (equals == std::string_view::npos) {
      return Bad(option, absl::StrFormat("expected key=value, got '%s'", part));
    }
    const std::string key(part.substr(0, equals));
    bool known = false;
    for (std::string_view k : keys) known |= (k == key);
    if (!known) return Bad(option, absl::StrFormat("unknown key '%s'", key));
    for (const auto& [seen, value] : result) {
      if (seen == key)
        return Bad(option, absl::StrFormat("'%s' given twice", key));
    }
    result.emplace_back(key, std::string(part.substr(equals + 1)));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return result;
}

// 0x-prefixed hex, the whole text.
absl::StatusOr<uint64_t> ParseAddress(std::string_view option,
                                      std::string_view text) {
  uint64_t value = 0;
  if (text.size() < 3 || text.substr(0, 2) != "0x" || text.size() > 18) {
    return Bad(option, absl::StrFormat(
                           "expected a hex address (0x...), got '%s'", text));
  }
  for (char c : text.substr(2)) {
    const int digit = c >= '0' && c <= '9'   ? c - '0'
                      : c >= 'a' && c <= 'f' ? c - 'a' + 10
                      : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                             : -1;
    if (digit < 0) {
      return Bad(option, absl::StrFormat(
                             "expected a hex address (0x...), got '%s'", text));
    }
    value = value << 4 | static_cast<uint64_t>(digit);
  }
  return value;
}

absl::StatusOr<uint64_t> ParseCount(std::string_view option,
                                    std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return Bad(option, "empty number");
  for (char c : text) {
    if (c < '0' || c > '9' || __builtin_mul_overflow(value, 10, &value) ||
        __builtin_add_overflow(value, static_cast<uint64_t>(c - '0'), &value)) {
      return Bad(option, absl::StrFormat("bad number '%s'", text));
    }
  }
  return value;
}

// The text of `--fw-cfg-config @PATH`: the whole file, without the line
// ends at its end (an editor's final newline is not part of the option).
// The trace events (QEMU's names) that `pattern` matches: a glob, as
// QEMU's -trace takes it, or with a leading "re:" an RE2 regular expression
// that must match the whole name. None is an error.
absl::StatusOr<std::vector<std::string>> MatchTraceEvents(
    const std::string& pattern) {
  std::vector<std::string> matched;
  const std::vector<std::string> events = FwCfgTraceEvents();
  if (absl::StartsWith(pattern, "re:")) {
    const RE2 regex(pattern.substr(3), RE2::Quiet);
    if (!regex.ok()) {
      return Bad("--trace", absl::StrFormat("bad regular expression '%s': %s",
                                            pattern.substr(3), regex.error()));
    }
    for (const std::string& event : events) {
      if (RE2::FullMatch(event, regex)) matched.push_back(event);
    }
  } else {
    for (const std::string& event : events) {
      if (fnmatch(pattern.c_str(), event.c_str(), 0) == 0) {
        matched.push_back(event);
      }
    }
  }
  if (matched.empty()) {
    return Bad(
        "--trace",
        absl::StrFormat("no trace event matches '%s' (events: %s)", pattern,
                        events.empty() ? "none without fw_cfg"
                                       : absl::StrJoin(events, ", ")));
  }
  return matched;
}

absl::StatusOr<std::string> ReadResponseFile(std::string_view option,
                                             const std::string& path) {
  constexpr uint64_t kMaxBytes = uint64_t{256} << 20;
  absl::StatusOr<base::RegularFile> file =
      base::ReadRegularFile(path, kMaxBytes + 1);
  if (!file.ok()) {
    return Bad(option, absl::StrFormat(
                           "@%s: %s", path,
                           std::string_view(file.status().message().data(),
                                            file.status().message().size())));
  }
  if (file->size > kMaxBytes) {
    return Bad(option, absl::StrFormat("@%s is larger than 256 MiB", path));
  }
  std::string text(file->bytes.begin(), file->bytes.end());
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
    text.pop_back();
  }
  return text;
}

}  // namespace

absl::StatusOr<uint64_t> ParseSize(std::string_view text) {
  uint64_t multiplier = 1;
  if (!text.empty()) {
    switch (text.back()) {
      case 'K':
      case 'k':
        multiplier = uint64_t{1} << 10;
        break;
      case 'M':
      case 'm':
        multiplier = uint64_t{1} << 20;
        break;
      case 'G':
      case 'g':
        multiplier = uint64_t{1} << 30;
        break;
      case 'T':
      case 't':
        multiplier = uint64_t{1} << 40;
        break;
      default:
        break;
    }
    if (multiplier != 1) text.remove_suffix(1);
  }
  ASSIGN_OR_RETURN(uint64_t value, ParseCount("size", text));
  uint64_t bytes;
  if (__builtin_mul_overflow(value, multiplier, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("size %s is too large", text));
  }
  return bytes;
}

absl::StatusOr<VmmOptions> ParseVmmOptions(absl::Span<const std::string> args) {
  VmmOptions options;
  std::vector<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (const size_t equals = name.find('=');
        name.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    if (name == "--help" || name == "-h") {
      options.help = true;
      continue;
    }
    static constexpr std::string_view kWithValue[] = {
        "--kernel",        "--initramfs",
        "--cmdline",       "--memory",
        "--cpus",          "--serial",
        "--fw-cfg-config", "--qtest",
        "--layout",        "--firmware",
        "--debugcon",      "--trace",
        "--fw-cfg-mmio",   "--fw-cfg-arm-mmio",
        "--trace-file",    "--vmcoreinfo-file",
        "--api-socket",    "--restore",
        "--exit-stats"};
    bool known = false;
    for (std::string_view option : kWithValue) known |= (option == name);
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrFormat("unknown option '%s' (see --help)", args[i]));
    }
    for (const std::string& previous : seen) {
      // --trace adds events each time, as QEMU's -trace does.
      if (previous == name && name != "--trace") {
        return Bad(name, "given twice");
      }
    }
    seen.push_back(name);
    if (!value) {
      if (i + 1 >= args.size()) return Bad(name, "missing value");
      value = args[++i];
    }

    std::string recorded = *value;
    if (name == "--kernel") {
      options.kernel = *value;
    } else if (name == "--firmware") {
      options.firmware = *value;
    } else if (name == "--initramfs") {
      options.initramfs = *value;
    } else if (name == "--cmdline") {
      options.cmdline = *value;
    } else if (name == "--memory") {
      ASSIGN_OR_RETURN(auto pairs, KeyValues(name, *value, {"size"}));
      absl::StatusOr<uint64_t> size = ParseSize(pairs[0].second);
      if (!size.ok()) {
        return Bad(name, std::string_view(size.status().message().data(),
                                          size.status().message().size()));
      }
      if (*size < (1 << 20) || *size % 4096 != 0) {
        return Bad(name, "size must be a multiple of 4 KiB and at least 1M");
      }
      options.memory_size = *size;
    } else if (name == "--cpus") {
      ASSIGN_OR_RETURN(auto pairs, KeyValues(name, *value, {"boot"}));
      ASSIGN_OR_RETURN(uint64_t boot, ParseCount(name, pairs[0].second));
      if (boot < 1 || boot > 255) return Bad(name, "boot must be 1 to 255");
      options.boot_cpus = static_cast<uint32_t>(boot);
    } else if (name == "--serial") {
      if (*value == "tty") {
        options.serial = SerialMode::kTty;
      } else if (*value == "off") {
        options.serial = SerialMode::kOff;
      } else if (value->rfind("file=", 0) == 0 && value->size() > 5) {
        options.serial = SerialMode::kFile;
        options.serial_path = value->substr(5);
      } else {
        return Bad(name,
                   absl::StrFormat("expected tty, off or file=PATH, got '%s'",
                                   *value));
      }
    } else if (name == "--fw-cfg-config") {
      std::string text = *value;
      if (!text.empty() && text[0] == '@') {
        ASSIGN_OR_RETURN(text, ReadResponseFile(name, text.substr(1)));
      }
      recorded = text;
      absl::StatusOr<std::shared_ptr<const FwCfgOption>> option =
          ParseFwCfgOption(text);
      if (!option.ok()) {
        return Bad(name, std::string_view(option.status().message().data(),
                                          option.status().message().size()));
      }
      options.fw_cfg = *std::move(option);
    } else if (name == "--qtest") {
      options.qtest = *value;
    } else if (name == "--fw-cfg-mmio" || name == "--fw-cfg-arm-mmio") {
      // Below the I/O APIC (0xfec00000), where nothing else of ours sits,
      // and 8-byte aligned for the 8-byte registers.
      const bool arm = name == "--fw-cfg-arm-mmio";
      const uint64_t size = arm ? 0x18 : 0x0c;
      ASSIGN_OR_RETURN(const uint64_t base, ParseAddress(name, *value));
      if (base % 8 != 0 || base > kFwCfgMmioLimit - size) {
        return Bad(name, absl::StrFormat(
                             "0x%x: expected an 8-byte aligned address whose "
                             "0x%02x-byte block ends by 0x%x",
                             base, size, kFwCfgMmioLimit));
      }
      (arm ? options.fw_cfg_arm_mmio : options.fw_cfg_mmio) = base;
    } else if (name == "--debugcon") {
      if (value->rfind("file=", 0) != 0 || value->size() <= 5) {
        return Bad(name,
                   absl::StrFormat("expected file=PATH, got '%s'", *value));
      }
      options.debugcon_path = value->substr(5);
    } else if (name == "--trace") {
      ASSIGN_OR_RETURN(std::vector<std::string> events,
                       MatchTraceEvents(*value));
      for (std::string& event : events) {
        if (std::find(options.trace_events.begin(), options.trace_events.end(),
                      event) == options.trace_events.end()) {
          options.trace_events.push_back(std::move(event));
        }
      }
    } else if (name == "--trace-file") {
      options.trace_file = *value;
    } else if (name == "--vmcoreinfo-file") {
      options.vmcoreinfo_file = *value;
    } else if (name == "--api-socket") {
      if (value->empty()) return Bad(name, "needs a path");
      options.api_socket = *value;
    } else if (name == "--exit-stats") {
      if (*value == "stderr") {
        options.exit_stats = "";
      } else if (value->rfind("file=", 0) == 0 && value->size() > 5) {
        options.exit_stats = value->substr(5);
      } else {
        return Bad(name, absl::StrFormat(
                             "expected stderr or file=PATH, got '%s'", *value));
      }
    } else if (name == "--restore") {
      if (value->empty()) return Bad(name, "needs a directory");
      options.restore = *value;
    } else if (name == "--layout") {
      if (*value == "x86_64") {
        options.layout = Layout::kX86_64;
      } else if (*value == "arm-virt") {
        options.layout = Layout::kArmVirt;
      } else {
        return Bad(name, absl::StrFormat(
                             "expected x86_64 or arm-virt, got '%s'", *value));
      }
    }
    if (std::find(std::begin(kRestoreOverrides), std::end(kRestoreOverrides),
                  name) == std::end(kRestoreOverrides) &&
        name != "--restore") {
      options.machine_args.push_back(absl::StrCat(name, "=", recorded));
    }
  }
  if (options.restore && options.machine_args.size() > 0) {
    return Bad("--restore",
               absl::StrFormat(
                   "takes the machine from the snapshot; only %s "
                   "may be given with it",
                   absl::StrJoin(kRestoreOverrides, ", ",
                                 [](std::string* out, std::string_view option) {
                                   out->append(option);
                                 })));
  }
  if (options.initramfs && !options.kernel) {
    return Bad("--initramfs", "needs --kernel");
  }
  if (options.firmware && options.layout != Layout::kX86_64) {
    return Bad("--firmware", "is for the x86_64 layout");
  }
  for (const auto& [name, given] :
       {std::pair{"--fw-cfg-mmio", options.fw_cfg_mmio.has_value()},
        std::pair{"--fw-cfg-arm-mmio", options.fw_cfg_arm_mmio.has_value()}}) {
    if (given && options.layout != Layout::kX86_64) {
      return Bad(name,
                 "is for the x86_64 layout (arm-virt has its block at "
                 "0x09020000)");
    }
  }
  if (options.fw_cfg_mmio && options.fw_cfg_arm_mmio) {
    return Bad("--fw-cfg-arm-mmio",
               "goes beside the ports, not with --fw-cfg-mmio");
  }
  if (options.debugcon_path && options.layout != Layout::kX86_64) {
    return Bad("--debugcon", "is for the x86_64 layout");
  }
  if (options.trace_file && options.trace_events.empty()) {
    return Bad("--trace-file", "needs --trace");
  }
  if (options.exit_stats && options.qtest) {
    return Bad("--exit-stats", "times vCPU exits; --qtest has no vCPU");
  }
  if (options.vmcoreinfo_file &&
      !(options.fw_cfg && FwCfgVmcoreinfoEnabled(*options.fw_cfg))) {
    return Bad("--vmcoreinfo-file", "needs --fw-cfg-config vmcoreinfo=on");
  }
  return options;
}

absl::StatusOr<VmmOptions> RestoreOptions(
    absl::Span<const std::string> saved, const VmmOptions& command_line,
    absl::Span<const std::string> command_line_args) {
  for (const std::string& arg : saved) {
    if (arg.rfind("--", 0) != 0 || arg.find('=') == std::string::npos) {
      return absl::DataLossError(
          absl::StrFormat("snapshot: bad machine argument '%s'", arg));
    }
  }
  std::vector<std::string> args(saved.begin(), saved.end());
  // The command line's overrides replace the snapshot's (which has none of
  // them but --trace, repeatable, and --serial: those are dropped first).
  std::vector<std::string> overrides;
  for (size_t i = 0; i < command_line_args.size(); ++i) {
    std::string name = command_line_args[i];
    const bool inline_value = name.find('=') != std::string::npos;
    if (inline_value) name.resize(name.find('='));
    if (name == "--restore") {
      if (!inline_value) ++i;
      continue;
    }
    overrides.push_back(command_line_args[i]);
    if (!inline_value && i + 1 < command_line_args.size()) {
      overrides.push_back(command_line_args[++i]);
    }
  }
  args.insert(args.end(), overrides.begin(), overrides.end());
  ASSIGN_OR_RETURN(VmmOptions options, ParseVmmOptions(args));
  options.machine_args.assign(saved.begin(), saved.end());
  options.restore = command_line.restore;
  return options;
}

std::string VmmUsage() {
  return R"(Usage: vmm [OPTIONS]

A minimal KVM virtual machine monitor with a QEMU-compatible fw_cfg device.

  --kernel PATH          Linux kernel to boot: a bzImage, or an ELF vmlinux
                         (entered directly, without the decompressor)
  --firmware PATH        x86 firmware image, loaded as QEMU's -bios: a raw
                         image (a multiple of 64 KiB, at most 16 MiB) mapped
                         read-only to end at 4 GiB, its last 128 KiB copied
                         into RAM at 0xE0000-0xFFFFF (writable there, as on
                         QEMU machines without PCI, where SeaBIOS keeps its
                         data); the vCPU starts at the reset vector. With
                         --kernel (a bzImage), the firmware boots it through
                         the fw_cfg kernel keys and QEMU's option ROM
                         genroms/linuxboot_dma.bin, as SeaBIOS does on QEMU.
  --initramfs PATH       initramfs for the kernel
  --cmdline TEXT         kernel command line
  --memory size=SIZE     guest RAM, e.g. 512M or 2G (default 512M)
  --cpus boot=N          number of vCPUs (default 1)
  --serial tty|off|file=PATH
                         where the COM1 console goes (default tty)
  --fw-cfg-config CONFIG fw_cfg contents:
                           e820=on|off,kernel=on|off,cmdline=on|off,
                           initramfs=on|off,acpi_table=on|off,
                           items=[name=NAME,file=PATH:name=NAME,string=TEXT]
                         or `disable`; also vmcoreinfo=on|off (default off:
                         QEMU's -device vmcoreinfo, etc/vmcoreinfo). Values may be double-quoted to hold
                         , : [ ] = (inside quotes \" and \\ are escapes).
                         @PATH reads CONFIG from the file PATH (for thousands
                         of items: one argument holds at most 128 KiB).
  --fw-cfg-mmio BASE     x86: fw_cfg's registers on the MMIO bus at BASE
                         (hex, 8-byte aligned, above guest RAM and below
                         0xfec00000) instead of ports 0x510-0x51b, in the
                         ports' arrangement (selector +0, big-endian; data
                         +1; DMA +4), as Linux's driver reads a memory
                         resource on x86; the DSDT describes it
  --fw-cfg-arm-mmio BASE x86: also QEMU's arm `virt` MMIO block (data +0,
                         selector +8 big-endian, DMA +16; 0x18 bytes) at
                         BASE, beside the ports and not in the DSDT: for
                         firmware and tests of that layout
  --debugcon file=PATH   QEMU's isa-debugcon at port 0x402, where SeaBIOS
                         writes its log (reads return 0xe9)
  --trace PATTERN        print the device's trace events whose QEMU name
                         matches the glob PATTERN, or the whole RE2 regular
                         expression after "re:" (repeatable), in QEMU's
                         format: fw_cfg_select, fw_cfg_read, fw_cfg_add_bytes,
                         fw_cfg_add_i16/i32/i64, fw_cfg_add_string,
                         fw_cfg_add_file, and ours, fw_cfg_dma_transfer
  --trace-file PATH      write them to PATH instead of stderr
  --vmcoreinfo-file PATH with --fw-cfg-config vmcoreinfo=on: write the
                         guest's VMCOREINFO note there, read from guest RAM,
                         whenever the guest publishes it in etc/vmcoreinfo
  --api-socket PATH      serve the control API (HTTP with JSON bodies, as
                         Cloud Hypervisor's) on the Unix socket PATH, mode
                         0600: vm.info, vm.pause, vm.resume, vm.shutdown,
                         vm.snapshot, fw-cfg.list, fw-cfg.add-item,
                         fw-cfg.modify-item, fw-cfg.vmcoreinfo (see
                         tools/vmm-remote and docs/api.md)
  --exit-stats stderr|file=PATH
                         time every VM exit a vCPU thread handles, from
                         KVM_RUN's return to the next KVM_RUN (TSC), and
                         print per kind of exit (port, MMIO page, reason)
                         the count and median/mean/min cycles when the run
                         ends
  --restore DIR          start the VM a vm.snapshot wrote to DIR: the
                         machine, memory, vCPUs and devices (fw_cfg items by
                         content: the host files may be gone). Only
                         --api-socket, --qtest, --serial, --trace,
                         --trace-file and --exit-stats may be given with
                         it; with
                         --api-socket the VM starts paused (vm.resume)
  --qtest stdio|unix:PATH|unix:PATH,server
                         no vCPU: serve QEMU's qtest protocol over the buses
                         and memory instead (no KVM needed)
  --layout x86_64|arm-virt
                         machine layout (default x86_64; arm-virt is for
                         --qtest: RAM at 0x40000000, fw_cfg MMIO 0x09020000)
  --help                 this text

Exit status: 0 the guest powered off (ACPI S5), or --qtest ended; 3 the
guest reset the machine (the VMM does not restart it); 4 a vCPU halted with
nothing left to wake it; 128+N SIGINT or SIGTERM (N), after printing each
vCPU's registers; 1 an error (set-up, KVM, a triple fault: with the
registers); 2 a bad command line.

The x86 machine (--layout x86_64) has: RAM from 0 (above 4 GiB past 2 GiB,
as QEMU's q35), reserved 0x9FC00-0xFFFFF; the host's CPUID as KVM allows it,
with the hypervisor bit and KVM's paravirtual leaves (kvmclock); KVM's
in-kernel local APICs, I/O APIC, 8259 PICs and PIT; COM1 at 0x3F8, IRQ 4
(output only); an i8042 controller at 0x60/0x64 with no keyboard or mouse,
whose reset command ends the VMM; a CMOS RTC at 0x70/0x71 (host time, no
IRQ 8); the ACPI PM1 block at 0x600 (S5 ends the VMM); ACPI tables (RSDP,
XSDT, FADT, MADT, and a DSDT with COM1, the keyboard controller, the RTC and
fw_cfg) at 0xE0000 for a direct boot, or in fw_cfg's etc/acpi/* for
firmware; fw_cfg at 0x510/0x511 with DMA at 0x514. It has no PCI
bus (Linux prints "PCI: Fatal: No config space access function found"), so
no virtio or other PCI devices, no disk or network, no HPET, no ACPI PM
timer and no VGA: the guest's root file system is its initramfs.
)";
}

}  // namespace vmm
