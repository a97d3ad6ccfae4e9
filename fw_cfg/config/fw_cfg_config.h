// The `--fw-cfg-config` option: which fw_cfg items a VMM exposes, and which
// extra items the user adds. A VMM that embeds the fw_cfg device can reuse
// this parser without the rest of our VMM.
//
// Syntax (Cloud Hypervisor's, plus string items and quoting):
//
//   --fw-cfg-config e820=on|off,kernel=on|off,cmdline=on|off,
//                   initramfs=on|off,acpi_table=on|off,
//                   items=[name=NAME,file=PATH:name=NAME,string=TEXT]
//   --fw-cfg-config disable
//
// - Top-level parameters are `key=value`, separated by `,`; each key may be
//   given at most once. The five switches default to `on`; the empty string
//   means all defaults. `disable` alone turns fw_cfg off and cannot be
//   combined with anything else.
// - `items=[...]` lists extra items, separated by `:`; `items=[]` is empty.
//   Each item is `key=value` pairs separated by `,`: `name=` (required) and
//   exactly one of `file=` (a host file, read when the VM starts; not empty)
//   or `string=` (the literal text, like QEMU's `-fw_cfg name=..,string=..`;
//   `string=` with nothing after it makes a zero-byte item).
// - A name is one or more `/`-separated components of `A-Z a-z 0-9 . _ ~ +
//   @ -`, none of them `.` or `..` (Linux's guest driver makes each component
//   a sysfs directory), at most 55 bytes (kMaxFileNameLength), and unique.
//   Names should start with `opt/`, as QEMU asks of user items; others are
//   accepted with a warning.
//
// Quoting: any value may be written in double quotes. Inside quotes every
// character is literal except `\"` (a quote) and `\\` (a backslash); any other
// backslash sequence is an error. Unquoted values may not contain `,` `:` `[`
// `]` or `"` (an `=` is fine: `string=a=b`), and a backslash in them is an
// ordinary character. Quotes must enclose the whole value. So
//
//   items=[name=opt/a,file="/tmp/a,b:c]":name=opt/b,string="say \"hi\""]
//
// gives the file `/tmp/a,b:c]` and the text `say "hi"`. Spaces are never
// trimmed. Keys are not quoted.
//
// Every parse error is absl::InvalidArgumentError with a one-line message
// that quotes the offending key, value, item or input (non-printable bytes
// C-escaped).
//
//   ASSIGN_OR_RETURN(fw_cfg::FwCfgConfig config,
//                    fw_cfg::ParseFwCfgConfig(flag_value));
//   for (const std::string& warning : config.warnings) LOG(WARNING) << warning;
//   RETURN_IF_ERROR(fw_cfg::CheckFwCfgItemFiles(config));

#ifndef FW_CFG_CONFIG_FW_CFG_CONFIG_H_
#define FW_CFG_CONFIG_FW_CFG_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fw_cfg {

// One user item from `items=[...]`.
struct FwCfgItemConfig {
  enum class Source { kFile, kString };

  std::string name;  // the fw_cfg file name, e.g. "opt/org.mycorp/setup_info"
  Source source = Source::kString;
  std::string value;  // kFile: the host path; kString: the item's bytes
  // kFile with preload=on: read whole into memory when the VM is built, as
  // QEMU does (MakePreloadedFileItem), instead of read when the guest reads.
  bool preload = false;

  friend bool operator==(const FwCfgItemConfig&,
                         const FwCfgItemConfig&) = default;
};

struct FwCfgConfig {
  bool enabled = true;  // false for `disable`
  bool e820 = true;
  bool kernel = true;
  bool cmdline = true;
  bool initramfs = true;
  bool acpi_table = true;
  // etc/vmcoreinfo, where the guest's kernel writes the address of its
  // VMCOREINFO note for dump tools (QEMU's `-device vmcoreinfo`). Off by
  // default, as in QEMU.
  bool vmcoreinfo = false;
  std::vector<FwCfgItemConfig> items;  // in the order given
  // One line per accepted but questionable item (a name without "opt/").
  std::vector<std::string> warnings;

  friend bool operator==(const FwCfgConfig&, const FwCfgConfig&) = default;
};

// Parses an option value in the syntax above, stopping at the first error.
// `disable` gives enabled == false and every other field at its default.
absl::StatusOr<FwCfgConfig> ParseFwCfgConfig(std::string_view text);

// Renders `config` in the syntax above, omitting defaults and quoting values
// only where needed, so that ParseFwCfgConfig(RenderFwCfgConfig(c)) gives `c`
// again, warnings aside, for every `c` that ParseFwCfgConfig can return. A
// disabled config renders as `disable`, dropping its other fields; the
// default config renders as "".
std::string RenderFwCfgConfig(const FwCfgConfig& config);

// OK if `name` is a valid user item name (see above); otherwise an
// InvalidArgumentError that quotes it. Does not check for "opt/".
absl::Status ValidateFwCfgItemName(std::string_view name);

// Checks, when the VM starts, that each file item's host file exists, can be
// opened for reading, is a regular file and is at most 0xffffffff bytes (the
// fw_cfg directory's size field is 32 bits). It opens with O_NONBLOCK, so a
// FIFO fails at once instead of waiting for a writer. The error names the
// item, the path and the reason. When a system call failed its code is
// absl::ErrnoToStatusCode(errno) (kNotFound for a missing file,
// kPermissionDenied for an unreadable one); otherwise kInvalidArgument. A
// disabled config has nothing to check.
absl::Status CheckFwCfgItemFiles(const FwCfgConfig& config);

}  // namespace fw_cfg

#endif  // FW_CFG_CONFIG_FW_CFG_CONFIG_H_
