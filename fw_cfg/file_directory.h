// FwCfgDirectory: the named items ("files") and the directory the guest reads
// at key 0x19.
//
// Mirrors QEMU 7.2 (fw_cfg_add_file_callback on a machine without legacy
// ordering): files are kept sorted by name (byte-wise strcmp), and the file
// at sorted position i has select key 0x20 + i, so adding a file renumbers
// every file that sorts after it, exactly as on QEMU. The directory is
//   u32 BE count, then per file: u32 BE size, u16 BE select, u16 reserved,
//   char name[56] (NUL-padded).
// QEMU sizes its directory item for every slot (4 + 64 * slots bytes); a
// guest cannot tell, since bytes past an item's end read as zero either way,
// so this one holds just the files present.

#ifndef FW_CFG_FILE_DIRECTORY_H_
#define FW_CFG_FILE_DIRECTORY_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fw_cfg/item.h"

namespace fw_cfg {

class FwCfgDirectory {
 public:
  // At most `slots` files (QEMU's x-file-slots: 0x20 by default; at most
  // 0x3fe0, since keys have 14 bits).
  explicit FwCfgDirectory(uint32_t slots) : slots_(slots) {}

  // Adds a file. Fails if the name is empty, longer than 55 bytes, contains a
  // NUL, is already present, or all slots are taken. Returns the file's
  // position in the sorted directory (names after it move up by one).
  absl::StatusOr<uint32_t> Add(std::string_view name,
                               std::shared_ptr<Item> item);

  // Whether `name` may name a file: 1 to 55 bytes, no NUL.
  static absl::Status CheckName(std::string_view name);

  // Puts `item` in place of the file called `name`, at the same position.
  // Fails (NotFound) if there is no such file.
  absl::StatusOr<uint32_t> Replace(std::string_view name,
                                   std::shared_ptr<Item> item);

  // The sorted position of the file called `name`, or -1.
  int64_t Position(std::string_view name) const;

  uint32_t slots() const { return slots_; }

  struct File {
    std::string name;
    std::shared_ptr<Item> item;
  };
  // Sorted by name; files()[i] has key 0x20 + i.
  const std::vector<File>& files() const { return files_; }

  // The item at file key `key` (0x20 and up), or nullptr.
  Item* Find(uint16_t key) const;

  // The directory item's bytes.
  std::vector<uint8_t> Encode() const;

 private:
  uint32_t slots_;
  std::vector<File> files_;
};

}  // namespace fw_cfg

#endif  // FW_CFG_FILE_DIRECTORY_H_
