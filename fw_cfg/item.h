// fw_cfg items: the content behind one selector key.
//
// An Item has a size fixed when it is created (the guest reads it from the
// file directory before it reads the data) and serves bytes at an offset.
// The kinds QEMU has, plus one it lacks:
//   - MakeBytesItem / MakeStringItem: bytes held in memory.
//   - MakeGeneratedItem: bytes computed by a VMM callback each time the guest
//     selects the key (QEMU's select_cb, used e.g. for ACPI tables).
//   - MakeWritableItem: bytes the guest may overwrite by DMA WRITE, with a
//     VMM callback after each successful write (QEMU's write_cb, used e.g.
//     for etc/vmcoreinfo).
//   - MakeFileItem (file_item.h): bytes read from a host file with pread at
//     access time; QEMU reads such files whole at start-up instead.
//
// Items are not thread-safe on their own: FwCfg calls them under its lock.
// So do the callbacks (a Generator on select, a WriteCallback after a DMA
// WRITE), as QEMU runs select_cb and write_cb under its big lock: a callback
// must not call back into the FwCfg that owns the item (it would deadlock;
// debug builds abort with a message instead). Hand the work to another
// thread if it needs the device.

#ifndef FW_CFG_ITEM_H_
#define FW_CFG_ITEM_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace fw_cfg {

// What a device snapshot (FwCfg::SaveState) records about an item besides
// its bytes: whether the VMM gave it behaviour, which a restore must find
// again in the target device.
enum class ItemKind : uint8_t {
  kData = 0,       // bytes, strings, integers, host files: just the bytes
  kGenerated = 1,  // MakeGeneratedItem: the last generated contents
  kWritable = 2,   // MakeWritableItem: the bytes the guest wrote
};

class Item {
 public:
  virtual ~Item() = default;

  // The size the directory announces. Never changes.
  virtual uint32_t size() const = 0;

  // Copies the bytes at [offset, offset + out.size()) into `out`; the range
  // lies within size(). Bytes the source can no longer supply (a host file
  // that shrank) read as zero. Fails only on a host I/O error, which fails
  // the guest's DMA request.
  virtual absl::Status Read(uint32_t offset, absl::Span<uint8_t> out) = 0;

  // Whether DMA WRITE may change the item.
  virtual bool writable() const { return false; }
  // Stores guest bytes at [offset, offset + data.size()), within size().
  // Only called on writable items.
  virtual void Write(uint32_t offset, absl::Span<const uint8_t> data);
  // Called after a DMA WRITE of [offset, offset + length) succeeded.
  virtual void OnWritten(uint32_t offset, uint32_t length);

  // Called when the guest selects the item's key.
  virtual void OnSelect() {}

  virtual ItemKind kind() const { return ItemKind::kData; }
  // Restore: replaces the contents with `contents` (exactly size() bytes),
  // without calling any callback. Only generated and writable items have
  // their own contents to replace; others ignore it.
  virtual void LoadContents(absl::Span<const uint8_t> contents);
};

// Rejects sizes that do not fit the directory's 32-bit size field.
absl::Status CheckItemSize(uint64_t size);

// A read-only item holding `bytes`. Fails if there are 2^32 or more.
absl::StatusOr<std::shared_ptr<Item>> MakeBytesItem(std::vector<uint8_t> bytes);

// A read-only item holding the characters of `text`. QEMU's
// `-fw_cfg name=...,string=...` stores no terminating NUL; its internal
// string keys (fw_cfg_add_string, e.g. the kernel command line) do: pass
// `nul_terminated` for those.
absl::StatusOr<std::shared_ptr<Item>> MakeStringItem(
    std::string_view text, bool nul_terminated = false);

// A little-endian integer item, as QEMU's fw_cfg_add_i16/i32/i64.
std::shared_ptr<Item> MakeLe16Item(uint16_t value);
std::shared_ptr<Item> MakeLe32Item(uint32_t value);
std::shared_ptr<Item> MakeLe64Item(uint64_t value);

// An item of `size` bytes that `generate` fills in whenever the guest
// selects its key (the buffer holds the previous contents, zeros at first).
using Generator = std::function<void(absl::Span<uint8_t> contents)>;
absl::StatusOr<std::shared_ptr<Item>> MakeGeneratedItem(uint64_t size,
                                                        Generator generate);

// A writable item that starts as `initial`. After each successful DMA WRITE,
// `on_write` sees the written range and the item's whole contents.
using WriteCallback = std::function<void(uint32_t offset, uint32_t length,
                                         absl::Span<const uint8_t> contents)>;
absl::StatusOr<std::shared_ptr<Item>> MakeWritableItem(
    std::vector<uint8_t> initial, WriteCallback on_write = nullptr);

}  // namespace fw_cfg

#endif  // FW_CFG_ITEM_H_
