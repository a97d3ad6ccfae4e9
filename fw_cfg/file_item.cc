#include "fw_cfg/file_item.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/regular_file.h"
#include "base/status_macros.h"

namespace fw_cfg {
namespace {

// Reads through the data register arrive a byte (or up to 8 bytes) at a time;
// serving them from a small window saves a system call per byte.
constexpr uint32_t kWindowSize = 4096;

class FileItem : public Item {
 public:
  FileItem(int fd, std::string path, uint64_t file_offset, uint32_t size,
           PreadFunction pread)
      : fd_(fd),
        path_(std::move(path)),
        file_offset_(file_offset),
        size_(size),
        pread_(std::move(pread)) {}
  ~FileItem() override { close(fd_); }

  uint32_t size() const override { return size_; }

  absl::Status Read(uint32_t offset, absl::Span<uint8_t> out) override {
    if (out.size() >= kWindowSize) return ReadFile(offset, out);
    if (offset < window_start_ ||
        offset + out.size() > window_start_ + window_.size()) {
      const uint32_t start = offset - offset % kWindowSize;
      window_.resize(
          std::min<uint64_t>(2 * kWindowSize, uint64_t{size_} - start));
      window_start_ = start;
      if (absl::Status status = ReadFile(start, absl::MakeSpan(window_));
          !status.ok()) {
        window_.clear();
        return status;
      }
    }
    std::memcpy(out.data(), window_.data() + (offset - window_start_),
                out.size());
    return absl::OkStatus();
  }

 private:
  // Fills `out` from the file at item offset `offset`: retries interrupted
  // and short reads, zero-fills past the file's current end.
  absl::Status ReadFile(uint32_t offset, absl::Span<uint8_t> out) {
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t n =
          pread_(fd_, out.data() + done, out.size() - done,
                 static_cast<off_t>(file_offset_ + offset + done));
      if (n > 0) {
        done += static_cast<size_t>(n);
      } else if (n == 0) {
        std::memset(out.data() + done, 0, out.size() - done);  // Shrunk.
        break;
      } else if (errno != EINTR && errno != EAGAIN) {
        return absl::DataLossError(absl::StrFormat(
            "fw_cfg: reading %s at offset %d: %s", path_,
            file_offset_ + offset + done, std::strerror(errno)));
      }
    }
    return absl::OkStatus();
  }

  const int fd_;
  const std::string path_;
  const uint64_t file_offset_;
  const uint32_t size_;
  const PreadFunction pread_;
  // A cached window of the item for small reads: window_ holds the bytes at
  // [window_start_, window_start_ + window_.size()).
  uint32_t window_start_ = 0;
  std::vector<uint8_t> window_;
};

// Running out of descriptors gets a hint: every file item larger than the
// snapshot size keeps its file open.
absl::Status OpenFailure(const std::string& path, int error) {
  if (error == EMFILE || error == ENFILE) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "fw_cfg: cannot open %s: %s (each file item larger than %d bytes "
        "keeps its file open; raise the limit with `ulimit -n`)",
        path, std::strerror(error), kFileSnapshotMax));
  }
  return absl::NotFoundError(absl::StrFormat("fw_cfg: cannot open %s: %s", path,
                                             std::strerror(error)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItemWithReader(
    const std::string& path, uint64_t offset, uint64_t size,
    PreadFunction pread) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return OpenFailure(path, errno);
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg: %s is not a regular file", path));
  }
  uint64_t end;
  if (__builtin_add_overflow(offset, size, &end) ||
      end > static_cast<uint64_t>(st.st_size)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg: %s is %d bytes long, too short for bytes [%d, +%d)", path,
        st.st_size, offset, size));
  }
  if (absl::Status status = CheckItemSize(size); !status.ok()) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: %s", path, status.message()));
  }
  return std::make_shared<FileItem>(
      fd, path, offset, static_cast<uint32_t>(size), std::move(pread));
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItem(const std::string& path,
                                                        uint64_t offset,
                                                        uint64_t size) {
  return MakeFileRangeItemWithReader(path, offset, size, ::pread);
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileItem(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrFormat("fw_cfg: cannot open %s: %s",
                                               path, std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg: %s is not a regular file", path));
  }
  return MakeFileRangeItem(path, 0, static_cast<uint64_t>(st.st_size));
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileOrSnapshotItem(
    const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) > kFileSnapshotMax) {
    return MakeFileItem(path);
  }
  errno = 0;
  absl::StatusOr<base::RegularFile> file =
      base::ReadRegularFile(path, kFileSnapshotMax);
  if (!file.ok() && (errno == EMFILE || errno == ENFILE)) {
    return OpenFailure(path, errno);
  }
  if (!file.ok()) {
    return absl::Status(file.status().code(),
                        absl::StrFormat("fw_cfg: %s", file.status().message()));
  }
  if (file->size > kFileSnapshotMax) return MakeFileItem(path);
  return MakeBytesItem(std::move(file->bytes));
}

}  // namespace fw_cfg
