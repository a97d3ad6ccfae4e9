// Reading fw_cfg inside a Linux guest, through the qemu_fw_cfg driver's
// sysfs tree (default /sys/firmware/qemu_fw_cfg):
//
//   rev                       the device's feature word, decimal
//   by_key/N/name             the file name, then a newline (N: decimal key)
//   by_key/N/size             its size, decimal, then a newline
//   by_key/N/key              its key, decimal, then a newline
//   by_key/N/raw              its bytes
//   by_name/<name>/raw        the same bytes, by name
//
// The driver lists only directory files (keys 0x20 and up); numbered keys
// such as 0x0000 are not there. Reads change nothing on the device that a
// later reader would notice.

#ifndef TOOLS_FWCFG_SYSFS_READER_H_
#define TOOLS_FWCFG_SYSFS_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "tools/fwcfg/reader.h"

namespace fwcfg {

inline constexpr char kDefaultSysfsDir[] = "/sys/firmware/qemu_fw_cfg";

class SysfsReader final : public FwCfgReader {
 public:
  // Fails (NotFoundError) unless DIR/by_key is a directory.
  static absl::StatusOr<std::unique_ptr<SysfsReader>> Open(
      const std::string& dir);

  // Every by_key/N entry, sorted by key. An entry whose `key` file
  // disagrees with its directory name, or whose files are unreadable or
  // malformed, is an error.
  absl::StatusOr<std::vector<FileEntry>> ListFiles() override;
  // Reads by_key/KEY/raw; fewer bytes than `size` is an error.
  absl::Status ReadItem(uint16_t key, uint64_t size,
                        const ByteSink& sink) override;
  std::string Describe() const override;

 private:
  explicit SysfsReader(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_SYSFS_READER_H_
