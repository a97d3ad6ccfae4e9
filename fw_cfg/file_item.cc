#include "fw_cfg/file_item.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/huge_page_buffer.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace fw_cfg {
namespace {

// Reads through the data register arrive a byte (or up to 8 bytes) at a time;
// serving them from a small window saves a system call per byte.
constexpr uint32_t kWindowSize = 4096;

class FileItem : public Item {
 public:
  FileItem(base::UniqueFd fd, std::string path, uint64_t file_offset,
           uint32_t size, PreadFunction pread)
      : fd_(std::move(fd)),
        path_(std::move(path)),
        file_offset_(file_offset),
        size_(size),
        pread_(std::move(pread)) {}
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
          pread_(fd_.get(), out.data() + done, out.size() - done,
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

  const base::UniqueFd fd_;
  const std::string path_;
  const uint64_t file_offset_;
  const uint32_t size_;
  const PreadFunction pread_;
  // A cached window of the item for small reads: window_ holds the bytes at
  // [window_start_, window_start_ + window_.size()).
  uint32_t window_start_ = 0;
  std::vector<uint8_t> window_;
};

// A file read whole into a huge-page buffer.
class PreloadedItem : public Item {
 public:
  explicit PreloadedItem(base::HugePageBuffer bytes)
      : bytes_(std::move(bytes)) {}
  uint32_t size() const override {
    return static_cast<uint32_t>(bytes_.size());
  }
  absl::Status Read(uint32_t offset, absl::Span<uint8_t> out) override {
    if (!out.empty()) {
      std::memcpy(out.data(), bytes_.span().data() + offset, out.size());
    }
    return absl::OkStatus();
  }

 private:
  const base::HugePageBuffer bytes_;
};

// A failure to open an item's file, naming the device; running out of
// descriptors gets a hint, since every file item larger than the snapshot
// size keeps its file open.
absl::Status OpenFailure(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "fw_cfg: %s (each file item larger than %d bytes keeps its file "
        "open; raise the limit with `ulimit -n`)",
        status.message(), kFileSnapshotMax));
  }
  return base::WithContext(status, "fw_cfg");
}

// An item over bytes [offset, offset + size) of an open file; takes the
// descriptor.
absl::StatusOr<std::shared_ptr<Item>> ItemFromOpenFile(
    base::OpenedRegularFile file, const std::string& path, uint64_t offset,
    uint64_t size, PreadFunction pread) {
  uint64_t end;
  if (__builtin_add_overflow(offset, size, &end) || end > file.size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg: %s is %d bytes long, too short for bytes [%d, +%d)", path,
        file.size, offset, size));
  }
  if (absl::Status status = CheckItemSize(size); !status.ok()) {
    return base::WithContext(status, path);
  }
  return std::make_shared<FileItem>(std::move(file.fd), path, offset,
                                    static_cast<uint32_t>(size),
                                    std::move(pread));
}

}  // namespace

absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItemWithReader(
    const std::string& path, uint64_t offset, uint64_t size,
    PreadFunction pread) {
  absl::StatusOr<base::OpenedRegularFile> file = base::OpenRegularFile(path);
  if (!file.ok()) return OpenFailure(file.status());
  return ItemFromOpenFile(*std::move(file), path, offset, size,
                          std::move(pread));
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItem(const std::string& path,
                                                        uint64_t offset,
                                                        uint64_t size) {
  return MakeFileRangeItemWithReader(path, offset, size, ::pread);
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileItem(const std::string& path) {
  absl::StatusOr<base::OpenedRegularFile> file = base::OpenRegularFile(path);
  if (!file.ok()) return OpenFailure(file.status());
  return ItemFromOpenFile(*std::move(file), path, 0, file->size, ::pread);
}

absl::StatusOr<std::shared_ptr<Item>> MakePreloadedFileItem(
    const std::string& path) {
  absl::StatusOr<base::OpenedRegularFile> file = base::OpenRegularFile(path);
  if (!file.ok()) return OpenFailure(file.status());
  if (absl::Status status = CheckItemSize(file->size); !status.ok()) {
    return base::WithContext(status, path);
  }
  absl::StatusOr<base::HugePageBuffer> bytes =
      base::HugePageBuffer::Create(file->size);
  if (!bytes.ok()) {
    return base::WithContext(bytes.status(), absl::StrCat("fw_cfg: ", path));
  }
  // A file that shrinks while read is an error (DataLoss), not zeros.
  if (absl::Status status =
          base::PreadFully(file->fd.get(), 0, bytes->span(), path);
      !status.ok()) {
    return base::WithContext(status, "fw_cfg");
  }
  return std::make_shared<PreloadedItem>(*std::move(bytes));
}

absl::StatusOr<std::shared_ptr<Item>> MakeFileOrSnapshotItem(
    const std::string& path) {
  absl::StatusOr<base::OpenedRegularFile> file = base::OpenRegularFile(path);
  if (!file.ok()) return OpenFailure(file.status());
  if (file->size > kFileSnapshotMax) {
    return ItemFromOpenFile(*std::move(file), path, 0, file->size, ::pread);
  }
  absl::StatusOr<base::RegularFile> snapshot =
      base::ReadOpenedRegularFile(path, *std::move(file), kFileSnapshotMax);
  if (!snapshot.ok()) return OpenFailure(snapshot.status());
  return MakeBytesItem(std::move(snapshot->bytes));
}

}  // namespace fw_cfg
