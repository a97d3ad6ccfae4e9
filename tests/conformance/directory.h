// The fw_cfg file directory (key 0x19) as each side reports it, and the
// checks `check-dir` makes. The raw directories of QEMU and our VMM differ
// (each lists its own files), so only the user items are compared.

#ifndef TESTS_CONFORMANCE_DIRECTORY_H_
#define TESTS_CONFORMANCE_DIRECTORY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/substitute.h"

namespace conformance {

struct DirectoryEntry {
  uint32_t size = 0;
  uint16_t key = 0;
  uint16_t reserved = 0;
  std::string name;            // up to the first NUL
  bool padding_clean = false;  // every byte after the name's NUL is 0
  bool terminated = false;     // the 56-byte field holds a NUL
};

// Decodes `count` 64-byte entries (u32 BE size, u16 BE key, u16 reserved,
// char name[56]) from `bytes`.
absl::StatusOr<std::vector<DirectoryEntry>> ParseDirectoryEntries(
    const std::vector<uint8_t>& bytes, uint32_t count);

// The select key of each user item on this side; an error names the user
// items missing from the directory.
absl::StatusOr<KeyMap> UserKeys(const std::vector<DirectoryEntry>& directory,
                                const std::vector<ItemSpec>& items);

// What `check-dir` verifies on one side: each user item listed once, with
// its size, a NUL-terminated zero-padded name, reserved 0 and a file key
// (0x20-0x3fff); the user items' keys ascend in name order; and the whole
// directory is sorted by name (byte-wise) with ascending keys, as QEMU
// keeps it. Returns one line per problem; empty if all is well.
std::vector<std::string> CheckDirectory(
    const std::vector<DirectoryEntry>& directory,
    const std::vector<ItemSpec>& items);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_DIRECTORY_H_
