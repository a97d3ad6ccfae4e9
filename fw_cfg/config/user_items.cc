#include "fw_cfg/config/user_items.h"

#include <memory>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/item.h"

namespace fw_cfg {

absl::Status AddUserItems(FwCfg& device, const FwCfgConfig& config) {
  for (const FwCfgItemConfig& user : config.items) {
    absl::StatusOr<std::shared_ptr<Item>> item =
        user.source == FwCfgItemConfig::Source::kString
            ? MakeStringItem(user.value)
        : user.preload ? MakePreloadedFileItem(user.value)
                       : MakeFileOrSnapshotItem(user.value);
    absl::Status status =
        item.ok() ? device.AddFile(user.name, *std::move(item)) : item.status();
    RETURN_IF_ERROR(base::WithContext(
        status, absl::StrFormat("fw_cfg item %s", user.name)));
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
