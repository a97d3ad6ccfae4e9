#include "tools/fwcfg/directory.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "fw_cfg/keys.h"

namespace fwcfg {

absl::StatusOr<uint32_t> ParseDirectoryCount(absl::Span<const uint8_t> data) {
  if (data.size() < 4) {
    return absl::DataLossError(absl::StrFormat(
        "file directory: %d bytes, too short for the count", data.size()));
  }
  const uint32_t count = base::LoadBe32(data.data());
  if (count > kMaxDirectoryFiles) {
    return absl::DataLossError(absl::StrFormat(
        "file directory: count %d (0x%08x) is over the %d files fw_cfg can "
        "hold",
        count, count, kMaxDirectoryFiles));
  }
  return count;
}

absl::StatusOr<std::vector<FileEntry>> ParseDirectory(
    absl::Span<const uint8_t> data) {
  absl::StatusOr<uint32_t> count = ParseDirectoryCount(data);
  if (!count.ok()) return count.status();
  const size_t needed =
      4 + static_cast<size_t>(*count) * fw_cfg::kFileDirEntrySize;
  if (data.size() < needed) {
    return absl::DataLossError(
        absl::StrFormat("file directory: %d files need %d bytes, got %d",
                        *count, needed, data.size()));
  }
  std::vector<FileEntry> files;
  files.reserve(*count);
  for (uint32_t i = 0; i < *count; ++i) {
    const uint8_t* entry = data.data() + 4 + i * fw_cfg::kFileDirEntrySize;
    const uint8_t* name = entry + 8;
    const uint8_t* end = static_cast<const uint8_t*>(
        std::memchr(name, 0, fw_cfg::kFileNameSize));
    if (end == nullptr) {
      return absl::DataLossError(absl::StrFormat(
          "file directory: entry %d has no NUL in its %d-byte name", i,
          fw_cfg::kFileNameSize));
    }
    if (end == name) {
      return absl::DataLossError(
          absl::StrFormat("file directory: entry %d has an empty name", i));
    }
    files.push_back(FileEntry{
        .key = base::LoadBe16(entry + 4),
        .size = base::LoadBe32(entry),
        .name = std::string(reinterpret_cast<const char*>(name),
                            static_cast<size_t>(end - name)),
    });
  }
  return files;
}

std::vector<uint8_t> EncodeDirectory(const std::vector<FileEntry>& files) {
  std::vector<uint8_t> data(4 + files.size() * fw_cfg::kFileDirEntrySize, 0);
  base::StoreBe32(data.data(), static_cast<uint32_t>(files.size()));
  for (size_t i = 0; i < files.size(); ++i) {
    uint8_t* entry = data.data() + 4 + i * fw_cfg::kFileDirEntrySize;
    base::StoreBe32(entry, files[i].size);
    base::StoreBe16(entry + 4, files[i].key);
    const size_t length =
        std::min<size_t>(files[i].name.size(), fw_cfg::kMaxFileNameLength);
    std::memcpy(entry + 8, files[i].name.data(), length);
  }
  return data;
}

}  // namespace fwcfg
