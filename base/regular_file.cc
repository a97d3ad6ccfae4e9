#include "base/regular_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace base {

absl::StatusOr<OpenedRegularFile> OpenRegularFile(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        absl::StrFormat("cannot open %s: %s", path, std::strerror(error));
    if (error == EMFILE || error == ENFILE) {
      return absl::ResourceExhaustedError(message);
    }
    return absl::NotFoundError(message);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is not a regular file", path));
  }
  return OpenedRegularFile{fd, static_cast<uint64_t>(st.st_size)};
}

absl::StatusOr<RegularFile> ReadRegularFile(const std::string& path,
                                            uint64_t max_bytes) {
  absl::StatusOr<OpenedRegularFile> opened = OpenRegularFile(path);
  if (!opened.ok()) return opened.status();
  return ReadOpenedRegularFile(path, *opened, max_bytes);
}

absl::StatusOr<RegularFile> ReadOpenedRegularFile(const std::string& path,
                                                  OpenedRegularFile opened,
                                                  uint64_t max_bytes) {
  RegularFile file;
  file.size = opened.size;
  file.bytes.resize(std::min(file.size, max_bytes));
  absl::Status read =
      PreadFully(opened.fd, 0, absl::MakeSpan(file.bytes), path);
  close(opened.fd);
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
