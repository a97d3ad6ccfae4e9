// The fw_cfg_select / fw_cfg_read trace streams of both peers, for the
// trace differential: QEMU writes them with `-trace ... -D FILE`, our VMM
// with `--trace ... --trace-file FILE`, in QEMU's format.
//
// The runner's own directory reads (key discovery and check-dir) differ
// between the peers by design (each lists its own files), so it marks the
// trace files' lengths around them; those spans are cut before comparing.
// Both peers write each line before the qtest reply of the command that
// caused it, so a length taken after a reply includes every line so far.

#ifndef TESTS_CONFORMANCE_TRACE_STREAM_H_
#define TESTS_CONFORMANCE_TRACE_STREAM_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/conformance/layout.h"
#include "tests/conformance/substitute.h"

namespace conformance {

// Extra arguments that make each peer trace selects and reads into `path`.
// QEMU also gets x-file-slots=0x3fe0, the file slots our VMM has, since a
// select's `ret` says whether the key is below the last slot.
std::vector<std::string> QemuTraceArgs(Layout layout, const std::string& path);
std::vector<std::string> VmmTraceArgs(const std::string& path);

// The current length of the file at `path` (0 if it does not exist yet).
uint64_t TraceFileLength(const std::string& path);

// The lines of the trace at `path`, without the byte ranges in `cut`
// ([begin, end) pairs, ascending), each line's device pointer replaced by
// "PTR" and each user item's key (`keys`, this peer's; the sides number
// them differently) by its name: "key {opt/a}|0x4000". Lines that are not
// fw_cfg events (a peer's warnings) are dropped.
absl::StatusOr<std::vector<std::string>> ReadTraceLines(
    const std::string& path,
    const std::vector<std::pair<uint64_t, uint64_t>>& cut, const KeyMap& keys);

// "" when the streams are equal; otherwise where they first differ, with a
// few lines of context from each.
std::string CompareTraceLines(const std::string& ref_label,
                              const std::vector<std::string>& ref,
                              const std::string& cand_label,
                              const std::vector<std::string>& cand);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_TRACE_STREAM_H_
