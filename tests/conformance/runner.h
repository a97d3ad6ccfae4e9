// Runs one case on two qtest peers, the reference (always QEMU) and the
// candidate (our VMM, or QEMU again), and compares their replies line by
// line.

#ifndef TESTS_CONFORMANCE_RUNNER_H_
#define TESTS_CONFORMANCE_RUNNER_H_

#include <string>
#include <vector>

#include "tests/conformance/case_file.h"

namespace conformance {

struct RunnerConfig {
  std::string qemu_x86_64;   // path of qemu-system-x86_64
  std::string qemu_aarch64;  // path of qemu-system-aarch64
  std::string vmm;           // path of our VMM; empty: QEMU on both sides
  std::string work_dir;      // generated item files and stderr logs go here
  int reply_timeout_s = 60;  // the longest a peer may stay silent
  int exit_timeout_s = 10;   // for our VMM to exit once its stdin closes
  int max_reported = 5;      // mismatches printed per case
  // Also compare the fw_cfg_select / fw_cfg_read trace streams
  // (trace_stream.h), outside the runner's own directory reads.
  bool compare_traces = false;
};

struct CaseResult {
  bool passed = false;
  std::string report;  // why it failed; empty when it passed
  int commands = 0;    // command lines compared
};

// The command lines that start each peer. `files` holds, for each item, the
// path of its generated file (ignored for string items).
std::vector<std::string> QemuArgv(const std::string& binary,
                                  const CaseSpec& spec,
                                  const std::vector<std::string>& files);
std::vector<std::string> VmmArgv(const std::string& binary,
                                 const CaseSpec& spec,
                                 const std::vector<std::string>& files);

CaseResult RunCase(const CaseSpec& spec, const RunnerConfig& config);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_RUNNER_H_
