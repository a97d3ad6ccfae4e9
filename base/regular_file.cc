#include "base/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace base {

const char* FileTypeName(unsigned int st_mode) {
  if (S_ISDIR(st_mode)) return "a directory";
  if (S_ISFIFO(st_mode)) return "a FIFO";
  if (S_ISSOCK(st_mode)) return "a socket";
  if (S_ISCHR(st_mode)) return "a character device";
  if (S_ISBLK(st_mode)) return "a block device";
  if (S_ISREG(st_mode)) return "a regular file";
  return "not a regular file";
}

absl::StatusOr<OpenedRegularFile> OpenRegularFile(const std::string& path) {
  // Quoted and escaped: a path with a newline keeps the message on one line.
  const std::string shown = absl::StrCat("\"", absl::CHexEscape(path), "\"");
  // O_NONBLOCK: opening a FIFO must not wait for a writer. O_NOCTTY: a
  // terminal given by mistake must not become our controlling terminal.
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
  if (!fd.valid()) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", shown));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot examine ", shown));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %s, not a regular file", shown, FileTypeName(st.st_mode)));
  }
  return OpenedRegularFile{std::move(fd), static_cast<uint64_t>(st.st_size)};
}

absl::StatusOr<RegularFile> ReadRegularFile(const std::string& path,
                                            uint64_t max_bytes) {
  absl::StatusOr<OpenedRegularFile> opened = OpenRegularFile(path);
  if (!opened.ok()) return opened.status();
  return ReadOpenedRegularFile(path, *std::move(opened), max_bytes);
}

absl::StatusOr<RegularFile> ReadOpenedRegularFile(const std::string& path,
                                                  OpenedRegularFile opened,
                                                  uint64_t max_bytes) {
  RegularFile file;
  file.size = opened.size;
  file.bytes.resize(std::min(file.size, max_bytes));
  absl::Status read =
      PreadFully(opened.fd.get(), 0, absl::MakeSpan(file.bytes), path);
  if (!read.ok()) return read;
  return file;
}

absl::Status PreadFully(int fd, uint64_t offset, absl::Span<uint8_t> out,
                        const std::string& path) {
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = pread(fd, out.data() + done, out.size() - done,
                            static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : 0;
      return absl::DataLossError(
          absl::StrFormat("reading %s: %s", path,
                          error ? std::strerror(error) : "file shrank"));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

}  // namespace base
