// The syntactic layer of the `--fw-cfg-config` syntax: turns tokens into
// parameters, with no knowledge of which keys exist.
//
//   options := ""  |  param ("," param)*
//   param   := key                        a bare word, such as `disable`
//            | key "=" value
//            | key "=" "[" list "]"       top level only
//   list    := ""  |  item (":" item)*
//   item    := param ("," param)*          params without lists
//   value   := quoted  |  (text | "=")*    so `string=a=b` is the text "a=b"
//
// A key is unquoted text. A quoted value must be the whole value: `"a"b` and
// `a"b"` are errors, as are an unquoted value containing `[`, a `:` outside
// brackets, unbalanced brackets and empty parameters or items (`a=1,,b=2`,
// `[x=1:]`). Errors are InvalidArgumentError, on one line, quoting the input
// and giving the offset of the offending token.
//
// Internal to //fw_cfg/config; see fw_cfg_config.h for the meaning of keys.

#ifndef FW_CFG_CONFIG_OPTION_PARSER_H_
#define FW_CFG_CONFIG_OPTION_PARSER_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace fw_cfg::config_internal {

struct OptionParam;

// One item of a bracketed list: `name=opt/x,file=/y`.
struct OptionItem {
  std::vector<OptionParam> params;
  std::string_view source;  // as written, within the parsed input
};

struct OptionParam {
  enum class Kind { kBare, kValue, kList };

  Kind kind = Kind::kBare;
  std::string key;
  std::string value;             // kValue: quotes removed, escapes resolved
  std::vector<OptionItem> list;  // kList
  std::string_view source;       // as written, within the parsed input
};

// Parses `input`. The `source` views in the result point into `input`.
absl::StatusOr<std::vector<OptionParam>> ParseOptions(std::string_view input);

}  // namespace fw_cfg::config_internal

#endif  // FW_CFG_CONFIG_OPTION_PARSER_H_
