// Reading the start (or all) of a host file that must be a regular file.
//
// Opened with O_NONBLOCK, so a FIFO or device given by mistake is refused
// at once instead of hanging start-up; interrupted and short reads are
// retried.
//
//   ASSIGN_OR_RETURN(base::RegularFile kernel,
//                    base::ReadRegularFile(path, /*max_bytes=*/128 << 10));
//   // kernel.size: the whole file's size; kernel.bytes: its first bytes.

#ifndef BASE_REGULAR_FILE_H_
#define BASE_REGULAR_FILE_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace base {

struct RegularFile {
  uint64_t size = 0;           // the file's size
  std::vector<uint8_t> bytes;  // its first min(size, max_bytes) bytes
};

// Fails with NotFound (cannot open), InvalidArgument (not a regular file) or
// DataLoss (a read error, or the file shrank while read); each message names
// the path.
absl::StatusOr<RegularFile> ReadRegularFile(
    const std::string& path,
    uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

}  // namespace base

#endif  // BASE_REGULAR_FILE_H_
