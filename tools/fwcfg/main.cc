// fwcfg: inspect a QEMU-compatible fw_cfg device. See cli.h.

#include <cstdio>
#include <string>
#include <vector>

#include "tools/fwcfg/cli.h"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return fwcfg::RunFwcfg(args, stdout, stderr);
}
