#include "fw_cfg/config/fw_cfg_config.h"

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "fw_cfg/config/option_lexer.h"
#include "fw_cfg/config/option_parser.h"
#include "fw_cfg/keys.h"
#include "re2/re2.h"

namespace fw_cfg {
namespace {

using config_internal::OptionItem;
using config_internal::OptionParam;
using config_internal::QuoteForMessage;
using config_internal::QuoteValueIfNeeded;

constexpr std::string_view kDisable = "disable";
constexpr std::string_view kItems = "items";

// The on/off switches, in the order they are documented and rendered.
struct Switch {
  std::string_view key;
  bool FwCfgConfig::*field;
  bool default_value = true;
};
constexpr Switch kSwitches[] = {
    {"e820", &FwCfgConfig::e820},
    {"kernel", &FwCfgConfig::kernel},
    {"cmdline", &FwCfgConfig::cmdline},
    {"initramfs", &FwCfgConfig::initramfs},
    {"acpi_table", &FwCfgConfig::acpi_table},
    // Ours, beyond the seed's keys: QEMU's `-device vmcoreinfo`.
    {"vmcoreinfo", &FwCfgConfig::vmcoreinfo, false},
};

const Switch* FindSwitch(std::string_view key) {
  for (const Switch& s : kSwitches) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

absl::StatusOr<bool> ParseOnOff(const OptionParam& param) {
  if (param.kind == OptionParam::Kind::kList) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg config key %s takes on or off, not a list: %s",
        QuoteForMessage(param.key), QuoteForMessage(param.source)));
  }
  if (param.value == "on") return true;
  if (param.value == "off") return false;
  return absl::InvalidArgumentError(absl::StrFormat(
      "invalid value %s in %s: fw_cfg config key %s takes on or off",
      QuoteForMessage(param.value), QuoteForMessage(param.source),
      QuoteForMessage(param.key)));
}

absl::StatusOr<FwCfgItemConfig> ParseItem(const OptionItem& item) {
  const std::string where = QuoteForMessage(item.source);
  std::optional<std::string> name;
  std::optional<std::string> file;
  std::optional<std::string> string;
  std::optional<bool> preload;
  for (const OptionParam& param : item.params) {
    if (param.key == "preload") {
      if (preload.has_value()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "fw_cfg item %s: key \"preload\" given more than once", where));
      }
      ASSIGN_OR_RETURN(preload, ParseOnOff(param));
      continue;
    }
    if (param.kind != OptionParam::Kind::kValue) {
      return absl::InvalidArgumentError(
          absl::StrFormat("fw_cfg item %s: expected key=value, got %s (a "
                          "value containing \",\" or \":\" must be quoted)",
                          where, QuoteForMessage(param.source)));
    }
    std::optional<std::string>* slot = nullptr;
    if (param.key == "name") {
      slot = &name;
    } else if (param.key == "file") {
      slot = &file;
    } else if (param.key == "string") {
      slot = &string;
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "fw_cfg item %s: unknown key %s (expected name, file, string or "
          "preload)",
          where, QuoteForMessage(param.key)));
    }
    if (slot->has_value()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("fw_cfg item %s: key %s given more than once", where,
                          QuoteForMessage(param.key)));
    }
    *slot = param.value;
  }
  if (!name) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg item %s has no name=", where));
  }
  if (file && string) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item %s has both file= and string=; give exactly one", where));
  }
  if (!file && !string) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item %s has neither file= nor string=; give exactly one",
        where));
  }
  if (absl::Status status = ValidateFwCfgItemName(*name); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg item %s: %s", where, status.message()));
  }
  if (file && file->empty()) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg item %s has an empty file= path", where));
  }
  if (preload.value_or(false) && !file) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item %s: preload=on is for file= items", where));
  }
  // An empty string= is allowed: a zero-byte item is a valid fw_cfg file.
  FwCfgItemConfig result;
  result.preload = preload.value_or(false);
  result.name = *std::move(name);
  if (file) {
    result.source = FwCfgItemConfig::Source::kFile;
    result.value = *std::move(file);
  } else {
    result.source = FwCfgItemConfig::Source::kString;
    result.value = *std::move(string);
  }
  return result;
}

absl::StatusOr<std::vector<FwCfgItemConfig>> ParseItems(
    const OptionParam& param) {
  if (param.kind != OptionParam::Kind::kList) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg config key \"items\" takes a bracketed list such as "
        "items=[name=opt/x,file=/path]: %s",
        QuoteForMessage(param.source)));
  }
  std::vector<FwCfgItemConfig> items;
  std::set<std::string_view> names;
  for (const OptionItem& item : param.list) {
    ASSIGN_OR_RETURN(FwCfgItemConfig parsed, ParseItem(item));
    items.push_back(std::move(parsed));
  }
  // A separate pass: the views into `items` stay valid once it stops growing.
  for (const FwCfgItemConfig& item : items) {
    if (!names.insert(item.name).second) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "duplicated fw_cfg item name %s", QuoteForMessage(item.name)));
    }
  }
  return items;
}

}  // namespace

absl::Status ValidateFwCfgItemName(std::string_view name) {
  if (name.empty()) {
    return absl::InvalidArgumentError("empty fw_cfg item name");
  }
  if (name.size() > static_cast<size_t>(kMaxFileNameLength)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item name %s is %d bytes long; the limit is %d",
        QuoteForMessage(name), name.size(), kMaxFileNameLength));
  }
  // Compiled once; RE2 is thread-safe for matching.
  static const RE2* const kNamePattern =
      new RE2(R"re([A-Za-z0-9._~+@-]+(/[A-Za-z0-9._~+@-]+)*)re");
  if (!RE2::FullMatch(name, *kNamePattern)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid fw_cfg item name %s: expected one or more \"/\"-separated "
        "components made of A-Z a-z 0-9 . _ ~ + @ -",
        QuoteForMessage(name)));
  }
  // The pattern cannot say "not . or .." (RE2 has no lookahead), so look at
  // each component.
  size_t begin = 0;
  while (begin <= name.size()) {
    size_t end = name.find('/', begin);
    if (end == std::string_view::npos) end = name.size();
    const std::string_view component = name.substr(begin, end - begin);
    begin = end + 1;
    if (component == "." || component == "..") {
      return absl::InvalidArgumentError(absl::StrFormat(
          "invalid fw_cfg item name %s: component %s cannot be a directory "
          "in the guest's sysfs",
          QuoteForMessage(name), QuoteForMessage(component)));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<FwCfgConfig> ParseFwCfgConfig(std::string_view text) {
  ASSIGN_OR_RETURN(std::vector<OptionParam> params,
                   config_internal::ParseOptions(text));
  FwCfgConfig config;
  std::set<std::string_view> seen;
  for (const OptionParam& param : params) {
    if (param.key == kDisable) {
      if (param.kind != OptionParam::Kind::kBare) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "\"disable\" takes no value: %s", QuoteForMessage(param.source)));
      }
      if (params.size() != 1) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "\"disable\" cannot be combined with other fw_cfg config "
            "options: %s",
            QuoteForMessage(text)));
      }
      config.enabled = false;
      return config;
    }
    if (param.kind == OptionParam::Kind::kBare) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "expected key=value or \"disable\" in fw_cfg config, got %s",
          QuoteForMessage(param.source)));
    }
    const Switch* s = FindSwitch(param.key);
    if (s == nullptr && param.key != kItems) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "unknown fw_cfg config key %s in %s (expected e820, kernel, "
          "cmdline, initramfs, acpi_table, vmcoreinfo or items)",
          QuoteForMessage(param.key), QuoteForMessage(param.source)));
    }
    if (!seen.insert(param.key).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("fw_cfg config key %s given more than once: %s",
                          QuoteForMessage(param.key), QuoteForMessage(text)));
    }
    if (s != nullptr) {
      ASSIGN_OR_RETURN(config.*(s->field), ParseOnOff(param));
    } else {
      ASSIGN_OR_RETURN(config.items, ParseItems(param));
    }
  }
  for (const FwCfgItemConfig& item : config.items) {
    // QEMU's wording (hw/nvram/fw_cfg.c), so users recognise it.
    if (!item.name.starts_with("opt/")) {
      config.warnings.push_back(absl::StrFormat(
          "fw_cfg item name %s: externally provided fw_cfg item names should "
          "be prefixed with \"opt/\"",
          QuoteForMessage(item.name)));
    }
  }
  return config;
}

std::string RenderFwCfgConfig(const FwCfgConfig& config) {
  if (!config.enabled) return std::string(kDisable);
  std::vector<std::string> params;
  for (const Switch& s : kSwitches) {
    if (config.*(s.field) != s.default_value) {
      params.push_back(
          absl::StrFormat("%s=%s", s.key, config.*(s.field) ? "on" : "off"));
    }
  }
  if (!config.items.empty()) {
    std::vector<std::string> items;
    for (const FwCfgItemConfig& item : config.items) {
      items.push_back(absl::StrCat(
          "name=", QuoteValueIfNeeded(item.name),
          item.source == FwCfgItemConfig::Source::kFile ? ",file=" : ",string=",
          QuoteValueIfNeeded(item.value), item.preload ? ",preload=on" : ""));
    }
    params.push_back(absl::StrCat("items=[", absl::StrJoin(items, ":"), "]"));
  }
  return absl::StrJoin(params, ",");
}

}  // namespace fw_cfg
