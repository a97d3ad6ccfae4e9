#include "fw_cfg/fw_cfg.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/dma_memory.h"

namespace fw_cfg {

using vm_memory::GuestAddress;
using vm_memory::GuestMemory;

namespace {

constexpr uint32_t kMaxFileSlots = kEntryMask + 1 - kFileFirst;  // 0x3fe0

// FWCfgDmaAccess: u32 control, u32 length, u64 address, all big-endian.
constexpr uint64_t kDescriptorSize = 16;

}  // namespace

absl::StatusOr<std::shared_ptr<FwCfg>> FwCfg::Create(
    std::shared_ptr<const vm_memory::GuestMemory> memory,
    FwCfgOptions options) {
  if (options.file_slots > kMaxFileSlots) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg: %d file slots requested; keys allow at most %d",
        options.file_slots, kMaxFileSlots));
  }
  if (options.dma && memory == nullptr) {
    return absl::InvalidArgumentError("fw_cfg: DMA needs guest memory");
  }
  return std::shared_ptr<FwCfg>(new FwCfg(std::move(memory), options));
}

FwCfg::FwCfg(std::shared_ptr<const vm_memory::GuestMemory> memory,
             FwCfgOptions options)
    : memory_(std::move(memory)),
      options_(options),
      directory_(options.file_slots) {
  base::MutexLock lock(mu_);
  const uint32_t features =
      kFeatureTraditional | (options.dma ? kFeatureDma : 0);
  numbered_[0][kSignature] = *MakeStringItem("QEMU");
  numbered_[0][kId] = MakeLe32Item(features);
  numbered_[0][kFileDir] = *MakeBytesItem(directory_.Encode());
  if (options_.trace != nullptr) {
    options_.trace->AddBytes(this, kSignature, 4);
    options_.trace->AddInteger(this, kId, 32, features);
    options_.trace->AddBytes(this, kId, 4);
    options_.trace->AddBytes(this, kFileDir, numbered_[0][kFileDir]->size());
  }
}

absl::Status FwCfg::SetItem(uint16_t key, std::shared_ptr<Item> item) {
  if (item == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg key 0x%04x: null item", key));
  }
  const uint16_t index = key & kEntryMask;
  const bool arch = (key & kArchLocal) != 0;
  if ((key & kWriteChannel) != 0 || index >= kFileFirst) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg key 0x%04x is not a numbered key (0x00-0x1f or "
                        "0x8000-0x801f); use AddFile for named items",
                        key));
  }
  if (!arch && (index == kSignature || index == kId || index == kFileDir)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg key 0x%04x is maintained by the device", key));
  }
  base::MutexLock lock(mu_);
  std::shared_ptr<Item>& slot = numbered_[arch][index];
  if (slot != nullptr) {
    return absl::AlreadyExistsError(
        absl::StrFormat("fw_cfg key 0x%04x already has an item", key));
  }
  const uint32_t size = item->size();
  slot = std::move(item);
  if (options_.trace != nullptr) options_.trace->AddBytes(this, key, size);
  return absl::OkStatus();
}

absl::Status FwCfg::SetLe16(uint16_t key, uint16_t value) {
  if (options_.trace != nullptr)
    options_.trace->AddInteger(this, key, 16, value);
  return SetItem(key, MakeLe16Item(value));
}

absl::Status FwCfg::SetLe32(uint16_t key, uint32_t value) {
  if (options_.trace != nullptr)
    options_.trace->AddInteger(this, key, 32, value);
  return SetItem(key, MakeLe32Item(value));
}

absl::Status FwCfg::SetLe64(uint16_t key, uint64_t value) {
  if (options_.trace != nullptr)
    options_.trace->AddInteger(this, key, 64, value);
  return SetItem(key, MakeLe64Item(value));
}

absl::Status FwCfg::SetString(uint16_t key, std::string_view value) {
  ASSIGN_OR_RETURN(std::shared_ptr<Item> item,
                   MakeStringItem(value, /*nul_terminated=*/true));
  if (options_.trace != nullptr) options_.trace->AddString(this, key, value);
  return SetItem(key, std::move(item));
}

absl::Status FwCfg::AddFile(std::string_view name, std::shared_ptr<Item> item) {
  base::MutexLock lock(mu_);
  return AddFileLocked(name, std::move(item));
}

absl::Status FwCfg::AddFileLocked(std::string_view name,
                                  std::shared_ptr<Item> item) {
  const uint64_t size = item != nullptr ? item->size() : 0;
  ASSIGN_OR_RETURN(const uint32_t index, directory_.Add(name, std::move(item)));
  directory_stale_ = true;
  if (options_.trace != nullptr) {
    options_.trace->AddFile(this, index, name, size);
  }
  return absl::OkStatus();
}

absl::Status FwCfg::ReplaceFile(std::string_view name,
                                std::shared_ptr<Item> item) {
  if (item == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("fw_cfg file \"%s\": null item", name));
  }
  base::MutexLock lock(mu_);
  const int64_t position = directory_.Position(name);
  if (position >= 0 &&
      directory_.files()[position].item->kind() != ItemKind::kData) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fw_cfg file \"%s\" is maintained by the VMM (%s); it cannot be "
        "replaced",
        name,
        directory_.files()[position].item->kind() == ItemKind::kWritable
            ? "the guest writes it"
            : "generated when selected"));
  }
  const uint32_t size = item->size();
  ASSIGN_OR_RETURN(const uint32_t index,
                   directory_.Replace(name, std::move(item)));
  // The size in the directory may have changed.
  directory_stale_ = true;
  if (options_.trace != nullptr) {
    options_.trace->AddFile(this, index, name, size);
  }
  return absl::OkStatus();
}

absl::Status FwCfg::AddFileAtEnd(std::string_view name,
                                 std::shared_ptr<Item> item) {
  RETURN_IF_ERROR(FwCfgDirectory::CheckName(name));
  base::MutexLock lock(mu_);
  const auto& files = directory_.files();
  if (directory_.Position(name) >= 0) {
    return absl::AlreadyExistsError(
        absl::StrFormat("duplicate fw_cfg file name: %s", name));
  }
  if (!files.empty() && std::string_view(files.back().name) > name) {
    // The first file that sorts after `name` is the first to move.
    auto moved = std::upper_bound(
        files.begin(), files.end(), name,
        [](std::string_view n, const FwCfgDirectory::File& file) {
          return n < file.name;
        });
    return absl::FailedPreconditionError(absl::StrFormat(
        "adding fw_cfg file \"%s\" would move \"%s\" from key 0x%04x to "
        "0x%04x, and a guest that read the directory would then read the "
        "wrong item (only names that sort after \"%s\" can be added while "
        "the VM runs)",
        name, moved->name, kFileFirst + (moved - files.begin()),
        kFileFirst + (moved - files.begin()) + 1, files.back().name));
  }
  return AddFileLocked(name, std::move(item));
}

std::vector<FileInfo> FwCfg::ListFiles() const {
  base::MutexLock lock(mu_);
  std::vector<FileInfo> files;
  files.reserve(directory_.files().size());
  for (size_t i = 0; i < directory_.files().size(); ++i) {
    const FwCfgDirectory::File& file = directory_.files()[i];
    files.push_back({file.name, static_cast<uint16_t>(kFileFirst + i),
                     file.item->size(), file.item->kind()});
  }
  return files;
}

Item* FwCfg::Resolve(uint16_t key) {
  const uint16_t index = key & kEntryMask;
  const bool arch = (key & kArchLocal) != 0;
  if (index < kFileFirst) {
    if (!arch && index == kFileDir && directory_stale_) {
      // At most 4 + 64 * 0x3fe0 bytes, far below MakeBytesItem's 4 GiB.
      numbered_[0][kFileDir] = *MakeBytesItem(directory_.Encode());
      directory_stale_ = false;
    }
    return numbered_[arch][index].get();
  }
  // Only the generic table has files (QEMU adds them to entries[0]).
  if (arch) return nullptr;
  return directory_.Find(index);
}

void FwCfg::SelectLocked(uint16_t key) {
  selected_key_ = key;
  offset_ = 0;
  if (Item* item = Resolve(key); item != nullptr) item->OnSelect();
  if (options_.trace != nullptr) {
    // QEMU's `ret`: whether the key lies below its last file slot.
    options_.trace->Select(
        this, key, (key & kEntryMask) < kFileFirst + options_.file_slots);
  }
}

void FwCfg::Select(uint16_t key) {
  base::MutexLock lock(mu_);
  SelectLocked(key);
}

void FwCfg::ReadData(absl::Span<uint8_t> out) {
  base::MutexLock lock(mu_);
  Item* item = Resolve(selected_key_);
  uint32_t available = 0;
  if (item != nullptr && offset_ < item->size()) {
    available = static_cast<uint32_t>(
        std::min<uint64_t>(out.size(), item->size() - offset_));
    // The data register cannot report errors: a failed host read gives zeros
    // (the item's contract), and the offset advances as for any read.
    if (!item->Read(offset_, out.first(available)).ok()) {
      std::memset(out.data(), 0, available);
    }
    offset_ += available;
  }
  std::memset(out.data() + available, 0, out.size() - available);
  if (options_.trace != nullptr) {
    // One event per register access of up to 8 bytes, as QEMU's.
    for (size_t chunk = 0; chunk < out.size(); chunk += 8) {
      uint64_t value = 0;
      for (size_t i = chunk; i < std::min(out.size(), chunk + 8); ++i) {
        value = value << 8 | out[i];
      }
      options_.trace->Read(this, value);
    }
  }
}

void FwCfg::WriteDmaAddressHigh(uint32_t high) {
  if (!options_.dma) return;
  base::MutexLock lock(mu_);
  dma_address_ = uint64_t{high} << 32;
}

void FwCfg::WriteDmaAddressLow(uint32_t low) {
  if (!options_.dma) return;
  base::MutexLock lock(mu_);
  const uint64_t descriptor = dma_address_ | low;
  dma_address_ = 0;
  RunDma(descriptor);
}

void FwCfg::WriteDmaAddress(uint64_t address) {
  if (!options_.dma) return;
  base::MutexLock lock(mu_);
  dma_address_ = 0;
  RunDma(address);
}

// QEMU 7.2's fw_cfg_dma_transfer, step by step. Guest-controlled values:
// the descriptor address, and the control word, length and address in the
// descriptor. Lengths are u32; addresses advance modulo 2^64 as QEMU's
// dma_addr_t does, but a range that would wrap is never touched past 2^64-1
// (dma_memory.h reports those bytes as failed).
void FwCfg::RunDma(uint64_t descriptor_address) {
  const GuestMemory& memory = *memory_;
  const GuestAddress descriptor(descriptor_address);
  // The control word is the first field; QEMU writes status there.
  auto write_status = [&](uint32_t status) {
    uint8_t bytes[4];
    base::StoreBe32(bytes, status);
    CopyToGuest(memory, descriptor,
                bytes);  // Best effort, as QEMU's stl_be_dma.
  };

  // 1. Copy the descriptor out once; validate only the copy.
  uint8_t raw[kDescriptorSize];
  if (!CopyFromGuest(memory, descriptor, raw)) {
    write_status(kDmaError);
    if (options_.trace != nullptr) {
      options_.trace->Dma(
          this, {.descriptor = descriptor_address, .descriptor_read = false});
    }
    return;
  }
  const uint32_t control = base::LoadBe32(raw);
  const uint32_t requested_length = base::LoadBe32(raw + 4);
  const uint64_t requested_address = base::LoadBe64(raw + 8);
  uint32_t length = requested_length;
  uint64_t address = requested_address;

  // 2. Select, if asked: the key is in the top 16 bits.
  if ((control & kDmaSelect) != 0)
    SelectLocked(static_cast<uint16_t>(control >> 16));

  // 3. One operation, by QEMU's precedence READ > WRITE > SKIP; with none,
  // nothing moves and the request succeeds. The input ERROR bit is ignored.
  enum class Op { kRead, kWrite, kSkip } op = Op::kSkip;
  if ((control & kDmaRead) != 0) {
    op = Op::kRead;
  } else if ((control & kDmaWrite) != 0) {
    op = Op::kWrite;
  } else if ((control & kDmaSkip) == 0) {
    length = 0;
  }

  // 4. Transfer.
  bool error = false;
  Item* item = Resolve(selected_key_);
  while (length > 0 && !error) {
    uint32_t chunk;
    if (item == nullptr || offset_ >= item->size()) {
      // Nothing (left) to transfer: a read zero-fills the destination, a
      // write fails, a skip does nothing. The offset stays.
      chunk = length;
      if (op == Op::kRead)
        error = !FillGuest(memory, GuestAddress(address), chunk, 0);
      if (op == Op::kWrite) error = true;
    } else {
      chunk = std::min(length, item->size() - offset_);
      if (op == Op::kRead) {
        error = !CopyItemToGuest(memory, GuestAddress(address), *item, offset_,
                                 chunk);
      } else if (op == Op::kWrite) {
        // QEMU refuses a write that would run past the item's end, and reads
        // the guest's bytes straight into the item: when the source is not
        // all RAM, the item still takes the bytes (zeros where it was not
        // RAM) and the write fails without the callback.
        if (!item->writable() || chunk != length) {
          error = true;
        } else {
          std::vector<uint8_t> bytes(chunk);
          error = !CopyFromGuest(memory, GuestAddress(address),
                                 absl::MakeSpan(bytes));
          item->Write(offset_, bytes);
          if (!error) item->OnWritten(offset_, chunk);
        }
      }
      // The offset advances even when the copy failed, as in QEMU.
      offset_ += chunk;
    }
    address += chunk;  // Modulo 2^64, as dma_addr_t.
    length -= chunk;
  }

  // 5. Report: only the control word is written back.
  write_status(error ? kDmaError : 0);
  if (options_.trace != nullptr) {
    options_.trace->Dma(this, {.descriptor = descriptor_address,
                               .descriptor_read = true,
                               .control = control,
                               .length = requested_length,
                               .address = requested_address,
                               .error = error});
    options_.trace->Read(this, 0);  // As QEMU.
  }
}

}  // namespace fw_cfg
