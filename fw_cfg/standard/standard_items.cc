#include "fw_cfg/standard/standard_items.h"

#include <memory>
#include <string>
#include <utility>

#include "base/status_macros.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {
namespace {

absl::Status AddBytesFile(FwCfg& device, const char* name,
                          std::vector<uint8_t> bytes) {
  ASSIGN_OR_RETURN(std::shared_ptr<Item> item, MakeBytesItem(std::move(bytes)));
  return device.AddFile(name, std::move(item));
}

}  // namespace

absl::Status AddMachineInfo(FwCfg& device, const MachineInfo& info) {
  RETURN_IF_ERROR(device.SetLe64(kRamSize, info.ram_size));
  RETURN_IF_ERROR(device.SetLe16(kNbCpus, info.boot_cpus));
  RETURN_IF_ERROR(device.SetLe16(kMaxCpus, info.max_cpus));
  RETURN_IF_ERROR(device.SetLe16(kNoGraphic, info.nographic));
  if (info.uuid) {
    ASSIGN_OR_RETURN(std::shared_ptr<Item> uuid,
                     MakeBytesItem(std::vector<uint8_t>(info.uuid->begin(),
                                                        info.uuid->end())));
    RETURN_IF_ERROR(device.SetItem(kUuid, std::move(uuid)));
  }
  return absl::OkStatus();
}

absl::Status AddBootConfigFiles(FwCfg& device,
                                absl::Span<const std::string> boot_devices) {
  std::vector<uint8_t> bootorder;
  for (const std::string& path : boot_devices) {
    if (!bootorder.empty()) bootorder.push_back('\n');
    bootorder.insert(bootorder.end(), path.begin(), path.end());
  }
  if (!bootorder.empty()) bootorder.push_back('\0');
  RETURN_IF_ERROR(AddBytesFile(device, "bootorder", std::move(bootorder)));
  RETURN_IF_ERROR(AddBytesFile(device, "bios-geometry", {}));
  return device.AddFile("etc/boot-fail-wait", MakeLe32Item(0xffffffff));
}

absl::Status AddX86Irq0Override(FwCfg& device) {
  return device.SetLe32(kX86Irq0Override, 1);
}

absl::Status AddE820File(FwCfg& device,
                         absl::Span<const linux_loader::E820Entry> entries) {
  for (const linux_loader::E820Entry& entry : entries) {
    RETURN_IF_ERROR(linux_loader::ValidateE820Entry(entry));
  }
  return AddBytesFile(device, "etc/e820", linux_loader::EncodeE820(entries));
}

absl::Status AddAcpiFiles(FwCfg& device, std::vector<uint8_t> tables,
                          std::vector<uint8_t> rsdp,
                          std::vector<uint8_t> table_loader) {
  RETURN_IF_ERROR(AddBytesFile(device, "etc/acpi/tables", std::move(tables)));
  RETURN_IF_ERROR(AddBytesFile(device, "etc/acpi/rsdp", std::move(rsdp)));
  return AddBytesFile(device, "etc/table-loader", std::move(table_loader));
}

}  // namespace fw_cfg
