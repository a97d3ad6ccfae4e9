// The fw_cfg file directory (key 0x19) as a guest reads it: a big-endian
// u32 count, then per file a 64-byte entry — u32 BE size, u16 BE key
// (select), u16 reserved, char name[56], NUL-terminated.

#ifndef TOOLS_FWCFG_DIRECTORY_H_
#define TOOLS_FWCFG_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fwcfg {

struct FileEntry {
  uint16_t key = 0;
  uint32_t size = 0;
  std::string name;

  friend bool operator==(const FileEntry&, const FileEntry&) = default;
};

// At most this many files: keys are 14 bits and files start at 0x20.
inline constexpr uint32_t kMaxDirectoryFiles = 0x4000 - 0x20;

// Decodes the count at the start of the directory (needs 4 bytes) and checks
// it against kMaxDirectoryFiles.
absl::StatusOr<uint32_t> ParseDirectoryCount(absl::Span<const uint8_t> data);

// Decodes a whole directory: `data` must hold the count and at least that
// many entries (trailing bytes are ignored). A name must be NUL-terminated
// within its 56 bytes and not empty. The entries keep the directory's order.
absl::StatusOr<std::vector<FileEntry>> ParseDirectory(
    absl::Span<const uint8_t> data);

// Builds the wire form of a directory (for tests and fixtures); names longer
// than 55 bytes are cut.
std::vector<uint8_t> EncodeDirectory(const std::vector<FileEntry>& files);

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_DIRECTORY_H_
