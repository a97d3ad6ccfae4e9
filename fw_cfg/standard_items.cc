#include "fw_cfg/standard_items.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "fw_cfg/file_item.h"
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
  RETURN_IF_ERROR(device.SetItem(kRamSize, MakeLe64Item(info.ram_size)));
  RETURN_IF_ERROR(device.SetItem(kNbCpus, MakeLe16Item(info.boot_cpus)));
  RETURN_IF_ERROR(device.SetItem(kMaxCpus, MakeLe16Item(info.max_cpus)));
  RETURN_IF_ERROR(device.SetItem(kNoGraphic, MakeLe16Item(info.nographic)));
  if (info.uuid) {
    ASSIGN_OR_RETURN(std::shared_ptr<Item> uuid,
                     MakeBytesItem(std::vector<uint8_t>(info.uuid->begin(),
                                                        info.uuid->end())));
    RETURN_IF_ERROR(device.SetItem(kUuid, std::move(uuid)));
  }
  return absl::OkStatus();
}

absl::Status AddE820File(FwCfg& device, absl::Span<const E820Entry> entries) {
  for (const E820Entry& entry : entries) {
    RETURN_IF_ERROR(ValidateE820Entry(entry));
  }
  return AddBytesFile(device, "etc/e820", EncodeE820(entries));
}

absl::Status AddAcpiFiles(FwCfg& device, AcpiFiles files) {
  RETURN_IF_ERROR(
      AddBytesFile(device, "etc/acpi/tables", std::move(files.tables)));
  RETURN_IF_ERROR(AddBytesFile(device, "etc/acpi/rsdp", std::move(files.rsdp)));
  return AddBytesFile(device, "etc/table-loader",
                      std::move(files.table_loader));
}

absl::Status AddUserItems(FwCfg& device, const FwCfgConfig& config) {
  for (const FwCfgItemConfig& user : config.items) {
    absl::StatusOr<std::shared_ptr<Item>> item =
        user.source == FwCfgItemConfig::Source::kFile
            ? MakeFileOrSnapshotItem(user.value)
            : MakeStringItem(user.value);
    absl::Status status =
        item.ok() ? device.AddFile(user.name, *std::move(item)) : item.status();
    if (!status.ok()) {
      return absl::Status(
          status.code(),
          absl::StrFormat("fw_cfg item %s: %s", user.name, status.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
