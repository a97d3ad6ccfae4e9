// CheckFwCfgItemFiles, declared in fw_cfg_config.h. Kept apart from the
// parser because it is the only part that touches the host file system.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/config/option_lexer.h"

namespace fw_cfg {
namespace {

using config_internal::QuoteForMessage;

// The fw_cfg file directory stores each item's size as a big-endian u32.
constexpr uint64_t kMaxItemSize = 0xffffffff;

absl::Status CheckItemFile(const FwCfgItemConfig& item) {
  const std::string context =
      absl::StrFormat("fw_cfg item %s", QuoteForMessage(item.name));
  // OpenRegularFile refuses FIFOs without waiting for a writer, and
  // terminals without making them ours.
  absl::StatusOr<base::OpenedRegularFile> file =
      base::OpenRegularFile(item.value);
  if (!file.ok()) return base::WithContext(file.status(), context);
  if (file->size > kMaxItemSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: file %s is %d bytes; an fw_cfg item holds at most %d bytes (its "
        "size field is 32 bits)",
        context, QuoteForMessage(item.value), file->size, kMaxItemSize));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFwCfgItemFiles(const FwCfgConfig& config) {
  if (!config.enabled) return absl::OkStatus();
  for (const FwCfgItemConfig& item : config.items) {
    if (item.source != FwCfgItemConfig::Source::kFile) continue;
    if (absl::Status status = CheckItemFile(item); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
