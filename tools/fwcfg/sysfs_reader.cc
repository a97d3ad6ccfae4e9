#include "tools/fwcfg/sysfs_reader.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace fwcfg {
namespace {

absl::Status ErrnoStatus(const std::string& what, int error) {
  return absl::ErrnoToStatus(error, what);
}

// Reads up to `limit` bytes; fewer only at end of file.
absl::StatusOr<std::string> ReadUpTo(int fd, const std::string& path,
                                     size_t limit) {
  std::string data;
  char chunk[65536];
  while (data.size() < limit) {
    const size_t want = std::min(sizeof(chunk), limit - data.size());
    const ssize_t n = read(fd, chunk, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoStatus(path, errno);
    if (n == 0) break;
    data.append(chunk, static_cast<size_t>(n));
  }
  return data;
}

// A small text attribute (name, size, key, rev), without its final newline.
absl::StatusOr<std::string> ReadAttribute(const std::string& path) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus(path, errno);
  constexpr size_t kMax = 4096;
  ASSIGN_OR_RETURN(std::string text, ReadUpTo(fd.get(), path, kMax + 1));
  if (text.size() > kMax) {
    return absl::DataLossError(
        absl::StrFormat("%s: longer than %d bytes", path, kMax));
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

bool ParseDecimal(std::string_view text, uint64_t max, uint64_t* value) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t result = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(result, uint64_t{10}, &result) ||
        __builtin_add_overflow(result, static_cast<uint64_t>(c - '0'),
                               &result)) {
      return false;
    }
  }
  if (result > max) return false;
  *value = result;
  return true;
}

absl::StatusOr<uint64_t> ReadNumber(const std::string& path, uint64_t max) {
  ASSIGN_OR_RETURN(const std::string text, ReadAttribute(path));
  uint64_t value;
  if (!ParseDecimal(text, max, &value)) {
    return absl::DataLossError(
        absl::StrFormat("%s: expected a decimal number up to %d, got '%s'",
                        path, max, absl::CHexEscape(text)));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SysfsReader>> SysfsReader::Open(
    const std::string& dir) {
  const std::string by_key = dir + "/by_key";
  struct stat info;
  if (stat(by_key.c_str(), &info) != 0) {
    const int error = errno;
    return absl::NotFoundError(absl::StrFormat(
        "%s: %s (is the qemu_fw_cfg module loaded? use --qtest outside a "
        "guest)",
        by_key, std::strerror(error)));
  }
  if (!S_ISDIR(info.st_mode)) {
    return absl::NotFoundError(absl::StrFormat("%s: not a directory", by_key));
  }
  return std::unique_ptr<SysfsReader>(new SysfsReader(dir));
}

std::string SysfsReader::Describe() const {
  return absl::StrFormat("sysfs %s", dir_);
}

absl::StatusOr<std::vector<FileEntry>> SysfsReader::ListFiles() {
  const std::string by_key = dir_ + "/by_key";
  DIR* listing = opendir(by_key.c_str());
  if (listing == nullptr) return ErrnoStatus(by_key, errno);
  std::vector<uint64_t> keys;
  errno = 0;
  while (const dirent* entry = readdir(listing)) {
    uint64_t key;
    if (ParseDecimal(entry->d_name, 0xffff, &key)) keys.push_back(key);
  }
  const int error = errno;
  closedir(listing);
  if (error != 0) return ErrnoStatus(by_key, error);
  std::sort(keys.begin(), keys.end());

  std::vector<FileEntry> files;
  files.reserve(keys.size());
  for (uint64_t key : keys) {
    const std::string entry = absl::StrFormat("%s/%d", by_key, key);
    ASSIGN_OR_RETURN(const uint64_t listed_key,
                     ReadNumber(entry + "/key", 0xffff));
    if (listed_key != key) {
      return absl::DataLossError(
          absl::StrFormat("%s/key says %d, not %d", entry, listed_key, key));
    }
    ASSIGN_OR_RETURN(const uint64_t size,
                     ReadNumber(entry + "/size", UINT32_MAX));
    ASSIGN_OR_RETURN(std::string name, ReadAttribute(entry + "/name"));
    files.push_back(FileEntry{.key = static_cast<uint16_t>(key),
                              .size = static_cast<uint32_t>(size),
                              .name = std::move(name)});
  }
  return files;
}

absl::Status SysfsReader::ReadItem(uint16_t key, uint64_t size,
                                   const ByteSink& sink) {
  const std::string path = absl::StrFormat("%s/by_key/%d/raw", dir_, key);
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int error = errno;
    if (error == ENOENT) {
      return absl::NotFoundError(absl::StrFormat(
          "key 0x%04x is not in %s/by_key (the driver shows only files)", key,
          dir_));
    }
    return ErrnoStatus(path, error);
  }
  uint64_t done = 0;
  while (done < size) {
    const size_t want =
        static_cast<size_t>(std::min<uint64_t>(size - done, 1 << 20));
    ASSIGN_OR_RETURN(const std::string chunk, ReadUpTo(fd.get(), path, want));
    if (!chunk.empty()) {
      RETURN_IF_ERROR(sink(absl::MakeConstSpan(
          reinterpret_cast<const uint8_t*>(chunk.data()), chunk.size())));
    }
    done += chunk.size();
    if (chunk.size() < want) {
      return absl::DataLossError(absl::StrFormat(
          "%s: only %d bytes, fewer than the %d asked for", path, done, size));
    }
  }
  return absl::OkStatus();
}

}  // namespace fwcfg
