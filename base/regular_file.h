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

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/unique_fd.h"

namespace base {

struct RegularFile {
  uint64_t size = 0;           // the file's size
  std::vector<uint8_t> bytes;  // its first min(size, max_bytes) bytes
};

// An open regular file and its size at the time it was opened.
struct OpenedRegularFile {
  UniqueFd fd;
  uint64_t size = 0;
};

// Opens `path` read-only (O_NONBLOCK, O_CLOEXEC, O_NOCTTY) if it is a regular
// file. An open error maps errno as absl::ErrnoToStatus does (ENOENT NotFound,
// EACCES PermissionDenied, EMFILE/ENFILE ResourceExhausted, ...); anything
// but a regular file is InvalidArgument ("PATH is a directory; ..."). Each
// message names the path.
absl::StatusOr<OpenedRegularFile> OpenRegularFile(const std::string& path);

// Reads the first min(size, max_bytes) bytes of `file` (opened from `path`,
// which messages name) and closes it. Fails with DataLoss on a read error or
// if the file shrank while read.
absl::StatusOr<RegularFile> ReadOpenedRegularFile(const std::string& path,
                                                  OpenedRegularFile file,
                                                  uint64_t max_bytes);

// "a directory", "a FIFO", "a socket", ... for a stat mode that is not a
// regular file.
const char* FileTypeName(unsigned int st_mode);

// Reads exactly `out.size()` bytes of `fd` at `offset` (pread: the file
// position is untouched), retrying interrupted and short reads. Fails with
// DataLoss, naming `path`, on a read error or when the file ends first.
absl::Status PreadFully(int fd, uint64_t offset, absl::Span<uint8_t> out,
                        const std::string& path);

// OpenRegularFile, then ReadOpenedRegularFile; fails as either.
absl::StatusOr<RegularFile> ReadRegularFile(
    const std::string& path,
    uint64_t max_bytes = std::numeric_limits<uint64_t>::max());

}  // namespace base

#endif  // BASE_REGULAR_FILE_H_
