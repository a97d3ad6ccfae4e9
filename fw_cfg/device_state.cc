// FwCfg::SaveState and FwCfg::RestoreState: the device's snapshot format.
//
// Version 1, every integer little-endian (docs/snapshot.md has the table):
//   magic "FWCFGST\0", u32 version, u32 flags (bit 0: DMA), u32 file slots,
//   u16 selected key, u16 zero, u32 offset, u64 DMA address register,
//   u32 numbered-item count, then per item:
//     u16 key, u8 kind (ItemKind), u8 zero, u32 size, the bytes;
//   u32 file count, then per file, in the directory's (sorted) order:
//     u8 name length (1-55), the name, u8 kind, u8 zero, u32 size, the bytes;
//   u32 CRC-32 of everything before it.
// The keys the device maintains (signature, ID, directory) are not saved:
// they follow from the flags and the files.

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/byte_stream.h"
#include "base/crc32.h"
#include "base/status_macros.h"
#include "fw_cfg/fw_cfg.h"

namespace fw_cfg {
namespace {

constexpr char kMagic[8] = {'F', 'W', 'C', 'F', 'G', 'S', 'T', '\0'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kFlagDma = 1;

struct SavedItem {
  ItemKind kind;
  absl::Span<const uint8_t> bytes;
};

// A parsed state; its spans point into the caller's buffer.
struct ParsedState {
  bool dma = false;
  uint32_t file_slots = 0;
  uint16_t selected_key = 0;
  uint32_t offset = 0;
  uint64_t dma_address = 0;
  std::map<uint16_t, SavedItem> numbered;                // by key
  std::vector<std::pair<std::string, SavedItem>> files;  // sorted
};

const char* KindName(ItemKind kind) {
  switch (kind) {
    case ItemKind::kData:
      return "data";
    case ItemKind::kGenerated:
      return "generated";
    case ItemKind::kWritable:
      return "writable";
  }
  return "?";
}

absl::Status Corrupt(const std::string& what) {
  return absl::DataLossError("fw_cfg state: " + what);
}

// Reads kind, zero byte, size and bytes; `what` names the entry in errors.
absl::StatusOr<SavedItem> ParseItem(base::ByteReader& in,
                                    const std::string& what) {
  const uint8_t kind = in.U8();
  const uint8_t zero = in.U8();
  const uint32_t size = in.U32();
  absl::Span<const uint8_t> bytes = in.Bytes(size);
  if (!in.ok()) return Corrupt(what + ": truncated");
  if (kind > static_cast<uint8_t>(ItemKind::kWritable) || zero != 0) {
    return Corrupt(absl::StrFormat("%s: unknown kind %d", what, kind));
  }
  return SavedItem{static_cast<ItemKind>(kind), bytes};
}

absl::StatusOr<ParsedState> Parse(absl::Span<const uint8_t> state) {
  if (state.size() < sizeof(kMagic) + 4 ||
      std::memcmp(state.data(), kMagic, sizeof(kMagic)) != 0) {
    return absl::InvalidArgumentError(
        "not an fw_cfg device state (no \"FWCFGST\" magic)");
  }
  base::ByteReader header(state.subspan(sizeof(kMagic)));
  const uint32_t version = header.U32();
  if (version != kVersion) {
    return absl::FailedPreconditionError(
        absl::StrFormat("fw_cfg state version %d; this build reads version %d",
                        version, kVersion));
  }
  const size_t body = state.size() - 4;
  base::ByteReader tail(state.subspan(body));
  const uint32_t crc = tail.U32();
  if (state.size() < sizeof(kMagic) + 8 ||
      base::Crc32(state.first(body)) != crc) {
    return Corrupt("checksum mismatch (truncated or damaged)");
  }

  base::ByteReader in(state.subspan(sizeof(kMagic) + 4, body - 12));
  ParsedState parsed;
  const uint32_t flags = in.U32();
  parsed.dma = (flags & kFlagDma) != 0;
  parsed.file_slots = in.U32();
  parsed.selected_key = in.U16();
  const uint16_t zero = in.U16();
  parsed.offset = in.U32();
  parsed.dma_address = in.U64();
  if (!in.ok()) return Corrupt("truncated header");
  if ((flags & ~kFlagDma) != 0 || zero != 0) {
    return Corrupt(absl::StrFormat("unknown flags 0x%x", flags));
  }

  const uint32_t numbered = in.U32();
  if (!in.ok()) return Corrupt("truncated item count");
  for (uint32_t i = 0; i < numbered; ++i) {
    const uint16_t key = in.U16();
    const std::string what = absl::StrFormat("key 0x%04x", key);
    ASSIGN_OR_RETURN(SavedItem item, ParseItem(in, what));
    const uint16_t index = key & kEntryMask;
    const bool arch = (key & kArchLocal) != 0;
    if ((key & kWriteChannel) != 0 || index >= kFileFirst ||
        (!arch && (index == kSignature || index == kId || index == kFileDir))) {
      return Corrupt(what + " is not a numbered item's key");
    }
    if (!parsed.numbered.emplace(key, item).second) {
      return Corrupt(what + " appears twice");
    }
  }

  const uint32_t files = in.U32();
  if (!in.ok()) return Corrupt("truncated file count");
  if (files > parsed.file_slots) {
    return Corrupt(
        absl::StrFormat("%d files in %d slots", files, parsed.file_slots));
  }
  for (uint32_t i = 0; i < files; ++i) {
    const uint8_t length = in.U8();
    std::string name = in.Text(length);
    if (!in.ok()) return Corrupt(absl::StrFormat("file %d: truncated", i));
    if (length == 0 || length > kMaxFileNameLength ||
        name.find('\0') != std::string::npos) {
      return Corrupt(absl::StrFormat("file %d: bad name \"%s\"", i,
                                     absl::CHexEscape(name)));
    }
    if (!parsed.files.empty() && !(parsed.files.back().first < name)) {
      return Corrupt(
          absl::StrFormat("file \"%s\" out of order or repeated", name));
    }
    ASSIGN_OR_RETURN(SavedItem item, ParseItem(in, "file \"" + name + "\""));
    parsed.files.emplace_back(std::move(name), item);
  }
  if (in.remaining() != 0) {
    return Corrupt(
        absl::StrFormat("%d unexpected bytes at the end", in.remaining()));
  }
  return parsed;
}

// Whether `target` (the restoring device's item, or null) can take `saved`.
// An item with behaviour must be restored into an item of its kind and size.
absl::Status CheckBehaviour(const Item* target, const SavedItem* saved,
                            const std::string& what) {
  if (target == nullptr || target->kind() == ItemKind::kData)
    return absl::OkStatus();
  if (saved == nullptr) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fw_cfg state: this device has %s (%s) and the state does not", what,
        KindName(target->kind())));
  }
  if (saved->kind != target->kind() || saved->bytes.size() != target->size()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fw_cfg state: %s is %s, %d bytes, in the state and %s, %d bytes, "
        "here",
        what, KindName(saved->kind), saved->bytes.size(),
        KindName(target->kind()), target->size()));
  }
  return absl::OkStatus();
}

// The item that holds `saved` in the restored device: `target` itself when it
// has behaviour (CheckBehaviour passed), else a new in-memory item.
absl::StatusOr<std::shared_ptr<Item>> Rebuild(std::shared_ptr<Item> target,
                                              const SavedItem& saved) {
  if (target != nullptr && target->kind() != ItemKind::kData) return target;
  std::vector<uint8_t> bytes(saved.bytes.begin(), saved.bytes.end());
  // A writable item stays writable (without the callback no target had); a
  // generated one keeps its last contents.
  if (saved.kind == ItemKind::kWritable) {
    return MakeWritableItem(std::move(bytes));
  }
  return MakeBytesItem(std::move(bytes));
}

void SaveItem(base::ByteWriter& out, ItemKind kind,
              const std::vector<uint8_t>& bytes) {
  out.U8(static_cast<uint8_t>(kind));
  out.U8(0);
  out.U32(static_cast<uint32_t>(bytes.size()));
  out.Bytes(bytes);
}

absl::StatusOr<std::vector<uint8_t>> ReadWhole(Item& item,
                                               const std::string& what) {
  std::vector<uint8_t> bytes(item.size());
  absl::Status read = item.Read(0, absl::MakeSpan(bytes));
  if (!read.ok()) {
    return absl::Status(read.code(),
                        absl::StrFormat("saving %s: %s", what, read.message()));
  }
  return bytes;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> FwCfg::SaveState() {
  base::MutexLock lock(mu_);
  base::ByteWriter out;
  out.Bytes(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(kMagic),
                                sizeof(kMagic)));
  out.U32(kVersion);
  out.U32(options_.dma ? kFlagDma : 0);
  out.U32(options_.file_slots);
  out.U16(selected_key_);
  out.U16(0);
  out.U32(offset_);
  out.U64(dma_address_);

  std::vector<std::pair<uint16_t, Item*>> numbered;
  for (int arch = 0; arch < 2; ++arch) {
    for (uint16_t index = 0; index < kFileFirst; ++index) {
      if (!arch && (index == kSignature || index == kId || index == kFileDir))
        continue;
      if (Item* item = numbered_[arch][index].get(); item != nullptr) {
        numbered.emplace_back(
            static_cast<uint16_t>(index | (arch ? kArchLocal : 0)), item);
      }
    }
  }
  out.U32(static_cast<uint32_t>(numbered.size()));
  for (const auto& [key, item] : numbered) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                     ReadWhole(*item, absl::StrFormat("key 0x%04x", key)));
    out.U16(key);
    SaveItem(out, item->kind(), bytes);
  }

  out.U32(static_cast<uint32_t>(directory_.files().size()));
  for (const FwCfgDirectory::File& file : directory_.files()) {
    ASSIGN_OR_RETURN(
        std::vector<uint8_t> bytes,
        ReadWhole(*file.item, "fw_cfg file \"" + file.name + "\""));
    out.U8(static_cast<uint8_t>(file.name.size()));
    out.Text(file.name);
    SaveItem(out, file.item->kind(), bytes);
  }
  out.U32(base::Crc32(out.bytes()));
  return out.Take();
}

absl::Status FwCfg::RestoreState(absl::Span<const uint8_t> state) {
  ASSIGN_OR_RETURN(const ParsedState parsed, Parse(state));
  base::MutexLock lock(mu_);
  if (parsed.dma != options_.dma || parsed.file_slots != options_.file_slots) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "fw_cfg state is of a device with DMA %s and %d file slots; this one "
        "has DMA %s and %d",
        parsed.dma ? "on" : "off", parsed.file_slots,
        options_.dma ? "on" : "off", options_.file_slots));
  }

  // Check everything before changing anything.
  for (int arch = 0; arch < 2; ++arch) {
    for (uint16_t index = 0; index < kFileFirst; ++index) {
      const uint16_t key = index | (arch ? kArchLocal : 0);
      auto saved = parsed.numbered.find(key);
      RETURN_IF_ERROR(CheckBehaviour(
          numbered_[arch][index].get(),
          saved == parsed.numbered.end() ? nullptr : &saved->second,
          absl::StrFormat("key 0x%04x", key)));
    }
  }
  std::map<std::string_view, const SavedItem*> saved_files;
  for (const auto& [name, item] : parsed.files) saved_files[name] = &item;
  for (const FwCfgDirectory::File& file : directory_.files()) {
    auto saved = saved_files.find(file.name);
    RETURN_IF_ERROR(CheckBehaviour(
        file.item.get(), saved == saved_files.end() ? nullptr : saved->second,
        "fw_cfg file \"" + file.name + "\""));
  }

  // Build the new tables aside, then swap them in.
  std::array<std::array<std::shared_ptr<Item>, kFileFirst>, 2> numbered;
  numbered[0][kSignature] = numbered_[0][kSignature];
  numbered[0][kId] = numbered_[0][kId];
  numbered[0][kFileDir] = numbered_[0][kFileDir];
  std::vector<std::pair<std::shared_ptr<Item>, const SavedItem*>> loads;
  for (const auto& [key, saved] : parsed.numbered) {
    const bool arch = (key & kArchLocal) != 0;
    const uint16_t index = key & kEntryMask;
    ASSIGN_OR_RETURN(numbered[arch][index],
                     Rebuild(numbered_[arch][index], saved));
    loads.emplace_back(numbered[arch][index], &saved);
  }
  FwCfgDirectory directory(options_.file_slots);
  for (const auto& [name, saved] : parsed.files) {
    const int64_t position = directory_.Position(name);
    ASSIGN_OR_RETURN(
        std::shared_ptr<Item> item,
        Rebuild(position < 0 ? nullptr : directory_.files()[position].item,
                saved));
    RETURN_IF_ERROR(directory.Add(name, item).status());
    loads.emplace_back(std::move(item), &saved);
  }

  // Nothing below can fail.
  for (auto& [item, saved] : loads) {
    if (item->kind() != ItemKind::kData) item->LoadContents(saved->bytes);
  }
  numbered_ = std::move(numbered);
  directory_ = std::move(directory);
  directory_stale_ = true;
  selected_key_ = parsed.selected_key;
  offset_ = parsed.offset;
  dma_address_ = parsed.dma_address;
  return absl::OkStatus();
}

}  // namespace fw_cfg
