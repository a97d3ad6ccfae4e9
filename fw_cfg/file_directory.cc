#include "fw_cfg/file_directory.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {

absl::Status FwCfgDirectory::CheckName(std::string_view name) {
  if (name.empty() || name.size() > kMaxFileNameLength ||
      name.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg file name \"%s\" must be 1 to %d bytes without NUL",
        absl::CHexEscape(absl::string_view(name.data(), name.size())),
        kMaxFileNameLength));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> FwCfgDirectory::Add(std::string_view name,
                                             std::shared_ptr<Item> item) {
  if (item == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg file \"%s\": null item", name));
  }
  RETURN_IF_ERROR(CheckName(name));
  if (files_.size() >= slots_) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "fw_cfg file \"%s\": all %d file slots are taken (raise the slot "
        "limit)",
        name, slots_));
  }
  // std::string compares bytes as unsigned char, like strcmp.
  auto position = std::lower_bound(
      files_.begin(), files_.end(), name,
      [](const File& file, std::string_view n) { return file.name < n; });
  if (position != files_.end() && position->name == name) {
    return absl::AlreadyExistsError(
        absl::StrFormat("duplicate fw_cfg file name: %s", name));
  }
  const uint32_t index = static_cast<uint32_t>(position - files_.begin());
  files_.insert(position, File{std::string(name), std::move(item)});
  return index;
}

absl::StatusOr<uint32_t> FwCfgDirectory::Replace(std::string_view name,
                                                 std::shared_ptr<Item> item) {
  if (item == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg file \"%s\": null item", name));
  }
  const int64_t position = Position(name);
  if (position < 0) {
    return absl::NotFoundError(
        absl::StrFormat("no fw_cfg file called \"%s\"", name));
  }
  files_[position].item = std::move(item);
  return static_cast<uint32_t>(position);
}

int64_t FwCfgDirectory::Position(std::string_view name) const {
  auto position = std::lower_bound(
      files_.begin(), files_.end(), name,
      [](const File& file, std::string_view n) { return file.name < n; });
  if (position == files_.end() || position->name != name) return -1;
  return position - files_.begin();
}

Item* FwCfgDirectory::Find(uint16_t key) const {
  if (key < kFileFirst) return nullptr;
  const size_t index = key - kFileFirst;
  return index < files_.size() ? files_[index].item.get() : nullptr;
}

std::vector<uint8_t> FwCfgDirectory::Encode() const {
  std::vector<uint8_t> bytes(4 + kFileDirEntrySize * files_.size(), 0);
  base::StoreBe32(bytes.data(), static_cast<uint32_t>(files_.size()));
  for (size_t i = 0; i < files_.size(); ++i) {
    uint8_t* entry = bytes.data() + 4 + kFileDirEntrySize * i;
    base::StoreBe32(entry, files_[i].item->size());
    base::StoreBe16(entry + 4, static_cast<uint16_t>(kFileFirst + i));
    std::memcpy(entry + 8, files_[i].name.data(), files_[i].name.size());
  }
  return bytes;
}

}  // namespace fw_cfg
