// The `fwcfg` command line: list, dump and verify fw_cfg items over qtest
// or sysfs. See FwcfgUsage() for the synopsis, output formats and exit codes.

#ifndef TOOLS_FWCFG_CLI_H_
#define TOOLS_FWCFG_CLI_H_

#include <cstdio>
#include <string>
#include <vector>

#include "tools/fwcfg/guest_platform.h"

namespace fwcfg {

// The --help text.
std::string FwcfgUsage();

// Runs fwcfg with `args` (without the program name). Results go to `out`,
// each error as one line "fwcfg: ..." to `err`. Returns the exit status:
// 0 success (and `verify` match), 1 runtime failure or `verify` mismatch,
// 2 usage error.
int RunFwcfg(const std::vector<std::string>& args, std::FILE* out,
             std::FILE* err);

// The same with the platform --io and --dma use (LinuxGuestPlatform() in
// the one above): tests pass a device model.
int RunFwcfg(const std::vector<std::string>& args, std::FILE* out,
             std::FILE* err, GuestPlatform& platform);

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_CLI_H_
