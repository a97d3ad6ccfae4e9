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

absl::StatusOr<RegularFile> ReadRegularFile(const std::string& path,
                                            uint64_t max_bytes) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrFormat("cannot open %s: %s", path, std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is not a regular file", path));
  }
  RegularFile file;
  file.size = static_cast<uint64_t>(st.st_size);
  file.bytes.resize(std::min(file.size, max_bytes));
  size_t done = 0;
  while (done < file.bytes.size()) {
    const ssize_t n = pread(fd, file.bytes.data() + done,
                            file.bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : 0;
      close(fd);
      return absl::DataLossError(
          absl::StrFormat("reading %s: %s", path,
                          error ? std::strerror(error) : "file shrank"));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return file;
}

}  // namespace base
