// Adding the user's `items=[...]` of --fw-cfg-config (fw_cfg_config.h) to a
// device: `string=` items hold the text without a NUL (as QEMU's -fw_cfg
// string=); `file=` items up to kFileSnapshotMax bytes are read now, as QEMU
// reads every file, and larger ones with pread when the guest reads them
// (MakeFileOrSnapshotItem). Errors name the item.
//
//   ASSIGN_OR_RETURN(FwCfgConfig config, ParseFwCfgConfig(option_text));
//   RETURN_IF_ERROR(CheckFwCfgItemFiles(config));
//   RETURN_IF_ERROR(AddUserItems(*device, config));

#ifndef FW_CFG_CONFIG_USER_ITEMS_H_
#define FW_CFG_CONFIG_USER_ITEMS_H_

#include "absl/status/status.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/fw_cfg.h"

namespace fw_cfg {

absl::Status AddUserItems(FwCfg& device, const FwCfgConfig& config);

}  // namespace fw_cfg

#endif  // FW_CFG_CONFIG_USER_ITEMS_H_
