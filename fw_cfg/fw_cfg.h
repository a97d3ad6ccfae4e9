// FwCfg: the transport-independent core of QEMU's fw_cfg device.
//
// It holds the item table (generic keys 0x00-0x1f, the architecture-local
// table selected by bit 15, and the named files from 0x20 up with their
// directory at 0x19), the selection state (key and offset), the DMA address
// register and the DMA engine, which reaches guest RAM through
// //vm-memory. The register front ends (io_ports.h for x86 ports, mmio.h for
// the arm `virt` layout) translate bus accesses into the calls below.
//
// Behaviour follows QEMU 7.2's hw/nvram/fw_cfg.c, which every guest driver
// and firmware is written against:
//   - Selecting a key resets the offset to 0, even when re-selecting. Bit 14
//     of the key is ignored; bit 15 picks the architecture-local table.
//     After creation key 0 (the signature) is selected, as after QEMU's reset.
//   - A data read returns the next bytes of the item in order and advances;
//     bytes past the end, and all bytes of keys with no item, read as zero.
//   - DMA: see RunDma in fw_cfg.cc for QEMU's algorithm, step by step.
//
// Thread safety: every method may be called from any thread. One mutex
// makes each register access atomic, as QEMU's big lock does; a DMA
// transfer holds it for its whole length.
//
//   ASSIGN_OR_RETURN(auto device, FwCfg::Create(memory));
//   RETURN_IF_ERROR(device->AddFile("opt/org.example/data", item));
//   RETURN_IF_ERROR(AttachIoPorts(device, pio_bus));

#ifndef FW_CFG_FW_CFG_H_
#define FW_CFG_FW_CFG_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "base/mutex.h"
#include "fw_cfg/file_directory.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/trace.h"
#include "vm-memory/guest_memory.h"

namespace fw_cfg {

struct FwCfgOptions {
  // How many named files fit (QEMU's x-file-slots; 0x20 by default).
  // At most 0x3fe0: keys are 14 bits and files start at 0x20.
  uint32_t file_slots = kDefaultFileSlots;
  // Whether the DMA interface exists (the ID key then reads 3, else 1).
  bool dma = true;
  // Receives QEMU's trace events (trace.h); none when null.
  std::shared_ptr<TraceSink> trace;
};

// One entry of the file directory.
struct FileInfo {
  std::string name;
  uint16_t key;
  uint32_t size;
  ItemKind kind = ItemKind::kData;
};

class FwCfg {
 public:
  // `memory` is the guest RAM DMA reads and writes; it may be null only when
  // `options.dma` is false.
  static absl::StatusOr<std::shared_ptr<FwCfg>> Create(
      std::shared_ptr<const vm_memory::GuestMemory> memory,
      FwCfgOptions options = {});

  FwCfg(const FwCfg&) = delete;
  FwCfg& operator=(const FwCfg&) = delete;

  // ---- Configuration, by the VMM ----

  // Puts `item` at a numbered key: a generic key below 0x20, or an
  // architecture-local key 0x8000-0x801f. The signature (0x00), ID (0x01)
  // and directory (0x19) keys belong to the device, as do keys with bit 14
  // set. Fails if the key already has an item.
  absl::Status SetItem(uint16_t key, std::shared_ptr<Item> item);

  // SetItem with a little-endian integer or a NUL-terminated string, as
  // QEMU's fw_cfg_add_i16/_i32/_i64/_string: the trace reports the value.
  absl::Status SetLe16(uint16_t key, uint16_t value);
  absl::Status SetLe32(uint16_t key, uint32_t value);
  absl::Status SetLe64(uint16_t key, uint64_t value);
  absl::Status SetString(uint16_t key, std::string_view value);

  // Adds a named file; its key follows from the sorted order of all names.
  // Fails on an empty, over-long (>55 bytes) or duplicate name, or when the
  // file slots are full.
  absl::Status AddFile(std::string_view name, std::shared_ptr<Item> item);

  // The directory as the guest sees it: sorted, with keys.
  std::vector<FileInfo> ListFiles() const;

  bool dma_enabled() const { return options_.dma; }
  uint32_t file_slots() const { return options_.file_slots; }

  // ---- Changes while a guest runs, by the VMM ----

  // QEMU's fw_cfg_modify_file: the file called `name` gets `item` (new
  // contents and size) at the same key. A guest that has the key selected
  // keeps its offset and reads on in the new contents (zeros past their
  // end), as on QEMU; the directory announces the new size. Refused for an
  // item with VMM behaviour (generated or writable: a generator or a write
  // callback would be lost) and for a name not in the directory.
  absl::Status ReplaceFile(std::string_view name, std::shared_ptr<Item> item);

  // Adds a file while a guest may have read the directory. Adding a name
  // that sorts before an existing one would renumber that file's key, and a
  // guest that cached the keys (Linux's driver does, at probe) would then
  // read the wrong item under the old name: that is refused
  // (FailedPrecondition, naming the file that would move). A name that sorts
  // after every file gets the next key; guests see it when they read the
  // directory again.
  absl::Status AddFileAtEnd(std::string_view name, std::shared_ptr<Item> item);

  // ---- Snapshots (device_state.cc; the format is in docs/snapshot.md) ----

  // Everything a guest can observe: the selection and offset, the DMA
  // address register, and every item's kind and bytes (host files are read
  // now, so a restore needs no copy of them). Fails only if a host file
  // cannot be read.
  absl::StatusOr<std::vector<uint8_t>> SaveState();

  // Makes this device what SaveState saw. The item table becomes the saved
  // one; an item this device already has under the same key or name keeps
  // its behaviour (generator, write callback) and takes the saved bytes.
  // Fails, leaving the device unchanged, on input that is not a state of
  // this version (bad magic, unknown version, truncated, checksum, malformed
  // entries: DataLoss or InvalidArgument) and on a device configured
  // differently (FailedPrecondition: DMA, file slots, or an item with
  // behaviour that the state lacks or has with another kind or size).
  absl::Status RestoreState(absl::Span<const uint8_t> state);

  // ---- Registers, driven by the front ends for the guest ----
  // Every input is guest-controlled and accepted: nothing here fails.

  // The selector register.
  void Select(uint16_t key);
  // The data register: fills `out` with the next bytes of the selected item
  // (zeros past its end) and advances the offset by the bytes it had.
  void ReadData(absl::Span<uint8_t> out);
  // The DMA address register. Writing the high half latches it and clears
  // the low half; writing the low half, or all 64 bits at once, starts the
  // transfer whose descriptor is at the address, then resets the address to
  // 0. No-ops when DMA is disabled.
  void WriteDmaAddressHigh(uint32_t high);
  void WriteDmaAddressLow(uint32_t low);
  void WriteDmaAddress(uint64_t address);

 private:
  FwCfg(std::shared_ptr<const vm_memory::GuestMemory> memory,
        FwCfgOptions options);

  // The item selected by `key`, or nullptr. Re-encodes the file directory
  // if files were added since it was last read.
  Item* Resolve(uint16_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SelectLocked(uint16_t key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AddFileLocked(std::string_view name, std::shared_ptr<Item> item)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunDma(uint64_t descriptor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::shared_ptr<const vm_memory::GuestMemory> memory_;
  const FwCfgOptions options_;

  mutable base::Mutex mu_;
  // Items at keys 0x00-0x1f of each table: [0] generic, [1] arch-local.
  std::array<std::array<std::shared_ptr<Item>, kFileFirst>, 2> numbered_
      ABSL_GUARDED_BY(mu_);
  FwCfgDirectory directory_ ABSL_GUARDED_BY(mu_);
  // numbered_[0][kFileDir] no longer matches directory_: AddFile marks it,
  // the next access re-encodes it, so adding N files costs O(N), not
  // O(N^2) (each encoding is O(N)).
  bool directory_stale_ ABSL_GUARDED_BY(mu_) = false;
  uint16_t selected_key_ ABSL_GUARDED_BY(mu_) = kSignature;
  uint32_t offset_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dma_address_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace fw_cfg

#endif  // FW_CFG_FW_CFG_H_
