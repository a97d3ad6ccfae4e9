#include "fw_cfg/trace.h"

#include <algorithm>
#include <array>
#include <iterator>
#include <utility>

#include "absl/strings/str_format.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {

std::string_view TraceKeyName(uint16_t key, TraceArch arch) {
  // QEMU 7.2's key_name() and, for x86, fw_cfg_arch_key_name(); observed
  // through `-trace fw_cfg_select` for every numbered key.
  static constexpr std::array<std::string_view, kFileFirst> kGeneric = {
      "signature",
      "id",
      "uuid",
      "ram_size",
      "nographic",
      "nb_cpus",
      "machine_id",
      "kernel_addr",
      "kernel_size",
      "kernel_cmdline",
      "initrd_addr",
      "initdr_size",
      "boot_device",
      "numa",
      "boot_menu",
      "max_cpus",
      "kernel_entry",
      "kernel_data",
      "initrd_data",
      "cmdline_addr",
      "cmdline_size",
      "cmdline_data",
      "setup_addr",
      "setup_size",
      "setup_data",
      "file_dir",
      "",
      "",
      "",
      "",
      "",
      ""};
  if ((key & kArchLocal) != 0) {
    if (arch != TraceArch::kX86) return "unknown";
    // The whole key must match: with bit 14 set, QEMU says "unknown".
    switch (key) {
      case kX86AcpiTables:
        return "acpi_tables";
      case kX86SmbiosEntries:
        return "smbios_entries";
      case kX86Irq0Override:
        return "irq0_override";
      case kX86HpetBlock:
        return "hpet";
      default:  // 0x8003 (e820_table) lost its name in QEMU 7.2
        return "unknown";
    }
  }
  if (key < kFileFirst && !kGeneric[key].empty()) return kGeneric[key];
  return "unknown";
}

std::string FormatSelectEvent(const void* device, uint16_t key, bool valid,
                              TraceArch arch) {
  return absl::StrFormat("fw_cfg_select %p key 0x%04x '%s', ret: %d\n", device,
                         key, TraceKeyName(key, arch), valid ? 1 : 0);
}

std::string FormatReadEvent(const void* device, uint64_t value) {
  return absl::StrFormat("fw_cfg_read %p = 0x%x\n", device, value);
}

std::string FormatAddBytesEvent(uint16_t key, uint64_t size, TraceArch arch) {
  return absl::StrFormat("fw_cfg_add_bytes key 0x%04x '%s', %d bytes\n", key,
                         TraceKeyName(key, arch), size);
}

std::string FormatAddIntegerEvent(uint16_t key, int bits, uint64_t value,
                                  TraceArch arch) {
  return absl::StrFormat("fw_cfg_add_i%d key 0x%04x '%s', value 0x%x\n", bits,
                         key, TraceKeyName(key, arch), value);
}

std::string FormatAddStringEvent(uint16_t key, std::string_view value,
                                 TraceArch arch) {
  return absl::StrFormat("fw_cfg_add_string key 0x%04x '%s', value '%s'\n", key,
                         TraceKeyName(key, arch), value);
}

std::string FormatAddFileEvent(const void* device, uint32_t index,
                               std::string_view name, uint64_t size) {
  return absl::StrFormat("fw_cfg_add_file %p #%d: %s (%d bytes)\n", device,
                         index, name, size);
}

std::string FormatDmaEvent(const void* device,
                           const TraceSink::DmaTransfer& transfer) {
  if (!transfer.descriptor_read) {
    return absl::StrFormat(
        "fw_cfg_dma_transfer %p descriptor 0x%x: "
        "unreadable, error\n",
        device, transfer.descriptor);
  }
  return absl::StrFormat(
      "fw_cfg_dma_transfer %p descriptor 0x%x control 0x%x length %d address "
      "0x%x: %s\n",
      device, transfer.descriptor, transfer.control, transfer.length,
      transfer.address, transfer.error ? "error" : "ok");
}

namespace {

// Every event, in the order of TracePrinter's Event bits (bit i is
// kEventNames[i]).
constexpr std::string_view kEventNames[] = {
    "fw_cfg_select",     "fw_cfg_read",     "fw_cfg_add_bytes",
    "fw_cfg_add_i16",    "fw_cfg_add_i32",  "fw_cfg_add_i64",
    "fw_cfg_add_string", "fw_cfg_add_file", "fw_cfg_dma_transfer"};

}  // namespace

std::vector<std::string> TraceEventNames() {
  std::vector<std::string> names(std::begin(kEventNames),
                                 std::end(kEventNames));
  std::sort(names.begin(), names.end());
  return names;
}

TracePrinter::TracePrinter(const std::vector<std::string>& enabled,
                           std::function<void(std::string_view line)> output,
                           TraceArch arch)
    : output_(std::move(output)), arch_(arch) {
  static_assert(kDma == 1u << (std::size(kEventNames) - 1));
  for (size_t i = 0; i < std::size(kEventNames); ++i) {
    if (std::find(enabled.begin(), enabled.end(), kEventNames[i]) !=
        enabled.end()) {
      enabled_ |= uint32_t{1} << i;
    }
  }
}

void TracePrinter::Select(const void* device, uint16_t key, bool valid) {
  if ((enabled_ & kSelect) != 0) {
    output_(FormatSelectEvent(device, key, valid, arch_));
  }
}

void TracePrinter::Read(const void* device, uint64_t value) {
  if ((enabled_ & kRead) != 0) output_(FormatReadEvent(device, value));
}

void TracePrinter::AddBytes(const void*, uint16_t key, uint64_t size) {
  if ((enabled_ & kAddBytes) != 0)
    output_(FormatAddBytesEvent(key, size, arch_));
}

void TracePrinter::AddInteger(const void*, uint16_t key, int bits,
                              uint64_t value) {
  const Event event = bits == 16 ? kAddI16 : bits == 32 ? kAddI32 : kAddI64;
  if ((enabled_ & event) != 0) {
    output_(FormatAddIntegerEvent(key, bits, value, arch_));
  }
}

void TracePrinter::AddString(const void*, uint16_t key,
                             std::string_view value) {
  if ((enabled_ & kAddString) != 0)
    output_(FormatAddStringEvent(key, value, arch_));
}

void TracePrinter::AddFile(const void* device, uint32_t index,
                           std::string_view name, uint64_t size) {
  if ((enabled_ & kAddFile) != 0) {
    output_(FormatAddFileEvent(device, index, name, size));
  }
}

void TracePrinter::Dma(const void* device, const DmaTransfer& transfer) {
  if ((enabled_ & kDma) != 0) output_(FormatDmaEvent(device, transfer));
}

}  // namespace fw_cfg
