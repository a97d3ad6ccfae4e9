#include "tools/fwcfg/reader.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "fw_cfg/keys.h"

namespace fwcfg {

absl::StatusOr<std::vector<uint8_t>> ReadItemBytes(FwCfgReader& reader,
                                                   uint16_t key,
                                                   uint64_t size) {
  std::vector<uint8_t> bytes;
  bytes.reserve(size);
  RETURN_IF_ERROR(
      reader.ReadItem(key, size, [&bytes](absl::Span<const uint8_t> chunk) {
        bytes.insert(bytes.end(), chunk.begin(), chunk.end());
        return absl::OkStatus();
      }));
  if (bytes.size() != size) {
    return absl::DataLossError(absl::StrFormat(
        "key 0x%04x: read %d bytes, expected %d", key, bytes.size(), size));
  }
  return bytes;
}

absl::StatusOr<std::vector<FileEntry>> ReadDirectory(FwCfgReader& reader) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> head,
                   ReadItemBytes(reader, fw_cfg::kFileDir, 4));
  ASSIGN_OR_RETURN(const uint32_t count, ParseDirectoryCount(head));
  ASSIGN_OR_RETURN(
      const std::vector<uint8_t> directory,
      ReadItemBytes(reader, fw_cfg::kFileDir,
                    4 + uint64_t{count} * fw_cfg::kFileDirEntrySize));
  ASSIGN_OR_RETURN(std::vector<FileEntry> files, ParseDirectory(directory));
  std::stable_sort(
      files.begin(), files.end(),
      [](const FileEntry& a, const FileEntry& b) { return a.key < b.key; });
  return files;
}

absl::StatusOr<FileEntry> FindFile(FwCfgReader& reader, std::string_view name) {
  ASSIGN_OR_RETURN(const std::vector<FileEntry> files, reader.ListFiles());
  for (const FileEntry& file : files) {
    if (file.name == name) return file;
  }
  return absl::NotFoundError(absl::StrFormat(
      "no file named '%s' in the fw_cfg directory (%d files; see `list`)",
      absl::CHexEscape(absl::string_view(name.data(), name.size())),
      files.size()));
}

}  // namespace fwcfg
