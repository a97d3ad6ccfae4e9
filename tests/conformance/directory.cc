#include "tests/conformance/directory.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/byte_order.h"

namespace conformance {

absl::StatusOr<std::vector<DirectoryEntry>> ParseDirectoryEntries(
    const std::vector<uint8_t>& bytes, uint32_t count) {
  if (bytes.size() < size_t{count} * 64) {
    return absl::InvalidArgumentError("directory shorter than its count");
  }
  std::vector<DirectoryEntry> entries;
  entries.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    const uint8_t* e = bytes.data() + size_t{i} * 64;
    DirectoryEntry entry;
    entry.size = base::LoadBe32(e);
    entry.key = base::LoadBe16(e + 4);
    entry.reserved = base::LoadBe16(e + 6);
    const uint8_t* name = e + 8;
    const uint8_t* nul = std::find(name, name + 56, 0);
    entry.name.assign(name, nul);
    entry.terminated = nul != name + 56;
    entry.padding_clean =
        entry.terminated &&
        std::all_of(nul, name + 56, [](uint8_t b) { return b == 0; });
    entries.push_back(std::move(entry));
  }
  return entries;
}

absl::StatusOr<KeyMap> UserKeys(const std::vector<DirectoryEntry>& directory,
                                const std::vector<ItemSpec>& items) {
  KeyMap keys;
  std::vector<std::string> missing;
  for (const ItemSpec& item : items) {
    auto it = std::find_if(
        directory.begin(), directory.end(),
        [&](const DirectoryEntry& e) { return e.name == item.name; });
    if (it == directory.end()) {
      missing.push_back(item.name);
    } else {
      keys[item.name] = it->key;
    }
  }
  if (!missing.empty()) {
    std::vector<std::string> listed;
    for (const DirectoryEntry& e : directory) {
      listed.push_back(absl::StrFormat("%s(0x%04x, %u)", absl::CEscape(e.name),
                                       e.key, e.size));
    }
    return absl::NotFoundError(absl::StrCat(
        "user items missing from the directory: ", absl::StrJoin(missing, ", "),
        "; it lists ", directory.size(),
        " files: ", absl::StrJoin(listed, " ")));
  }
  return keys;
}

std::vector<std::string> CheckDirectory(
    const std::vector<DirectoryEntry>& directory,
    const std::vector<ItemSpec>& items) {
  std::vector<std::string> problems;
  std::vector<const ItemSpec*> sorted;
  for (const ItemSpec& item : items) {
    std::vector<const DirectoryEntry*> found;
    for (const DirectoryEntry& e : directory) {
      if (e.name == item.name) found.push_back(&e);
    }
    if (found.size() != 1) {
      problems.push_back(absl::StrCat("user item '", item.name, "' is listed ",
                                      found.size(), " times"));
      continue;
    }
    sorted.push_back(&item);
    const DirectoryEntry& e = *found[0];
    if (e.size != item.content.size()) {
      problems.push_back(absl::StrCat("user item '", item.name, "' has size ",
                                      e.size, ", expected ",
                                      item.content.size()));
    }
    if (e.reserved != 0) {
      problems.push_back(absl::StrFormat(
          "user item '%s' has reserved field 0x%04x", item.name, e.reserved));
    }
    if (!e.padding_clean) {
      problems.push_back(absl::StrCat("user item '", item.name,
                                      "' has a name field that is not "
                                      "NUL-terminated and zero-padded"));
    }
    if (e.key < 0x20 || e.key > 0x3fff) {
      problems.push_back(absl::StrFormat(
          "user item '%s' has key 0x%04x, not a file key", item.name, e.key));
    }
  }
  std::sort(
      sorted.begin(), sorted.end(),
      [](const ItemSpec* a, const ItemSpec* b) { return a->name < b->name; });
  auto key_of = [&](const std::string& name) {
    for (const DirectoryEntry& e : directory) {
      if (e.name == name) return e.key;
    }
    return uint16_t{0};
  };
  for (size_t i = 1; i < sorted.size(); ++i) {
    const uint16_t a = key_of(sorted[i - 1]->name);
    const uint16_t b = key_of(sorted[i]->name);
    if (!(a < b)) {
      problems.push_back(absl::StrFormat(
          "user items out of name order: '%s' has key 0x%04x, '%s' 0x%04x",
          sorted[i - 1]->name, a, sorted[i]->name, b));
    }
  }
  for (size_t i = 1; i < directory.size(); ++i) {
    const DirectoryEntry& a = directory[i - 1];
    const DirectoryEntry& b = directory[i];
    if (!(a.name < b.name) || !(a.key < b.key)) {
      problems.push_back(absl::StrFormat(
          "directory not sorted by name with ascending keys at entry %u: "
          "'%s' (0x%04x) before '%s' (0x%04x)",
          i, absl::CEscape(a.name), a.key, absl::CEscape(b.name), b.key));
    }
  }
  return problems;
}

}  // namespace conformance
