// CheckFwCfgItemFiles, declared in fw_cfg_config.h. Kept apart from the
// parser because it is the only part that touches the host file system.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/config/option_lexer.h"

namespace fw_cfg {
namespace {

using config_internal::QuoteForMessage;

// The fw_cfg file directory stores each item's size as a big-endian u32.
constexpr uint64_t kMaxItemSize = 0xffffffff;

const char* FileTypeName(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  return "not a regular file";
}

// Closes a file descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

absl::Status CheckItemFile(const FwCfgItemConfig& item) {
  const std::string prefix =
      absl::StrFormat("fw_cfg item %s: file %s", QuoteForMessage(item.name),
                      QuoteForMessage(item.value));
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
  // forever. O_NOCTTY: a terminal path must not become our controlling tty.
  ScopedFd fd(
      open(item.value.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    return absl::ErrnoToStatus(errno, prefix + " cannot be opened");
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return absl::ErrnoToStatus(errno, prefix + " cannot be examined");
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is %s; an item's file must be a regular file",
                        prefix, FileTypeName(st.st_mode)));
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxItemSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s is %d bytes; an fw_cfg item holds at most %d bytes (its size "
        "field is 32 bits)",
        prefix, st.st_size, kMaxItemSize));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckFwCfgItemFiles(const FwCfgConfig& config) {
  if (!config.enabled) return absl::OkStatus();
  for (const FwCfgItemConfig& item : config.items) {
    if (item.source != FwCfgItemConfig::Source::kFile) continue;
    if (absl::Status status = CheckItemFile(item); !status.ok()) return status;
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
