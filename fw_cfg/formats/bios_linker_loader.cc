#include "fw_cfg/formats/bios_linker_loader.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {
namespace {

// Byte offsets inside one 128-byte command (QEMU's packed
// struct BiosLinkerLoaderEntry: u32 command, then the union at byte 4).
constexpr size_t kCommandOffset = 0;
constexpr size_t kUnionOffset = 4;
constexpr size_t kFirstNameOffset = kUnionOffset;                   // 4
constexpr size_t kSecondNameOffset = kUnionOffset + kFileNameSize;  // 60
// ALLOCATE: char file[56]; u32 align; u8 zone.
constexpr size_t kAllocAlignOffset = kSecondNameOffset;     // 60
constexpr size_t kAllocZoneOffset = kAllocAlignOffset + 4;  // 64
// ADD_POINTER: char dest_file[56]; char src_file[56]; u32 offset; u8 size.
constexpr size_t kPointerOffsetOffset =
    kSecondNameOffset + kFileNameSize;                           // 116
constexpr size_t kPointerSizeOffset = kPointerOffsetOffset + 4;  // 120
// ADD_CHECKSUM: char file[56]; u32 offset; u32 start; u32 length.
constexpr size_t kChecksumOffsetOffset = kSecondNameOffset;         // 60
constexpr size_t kChecksumStartOffset = kChecksumOffsetOffset + 4;  // 64
constexpr size_t kChecksumLengthOffset = kChecksumStartOffset + 4;  // 68
// WRITE_POINTER: char dest_file[56]; char src_file[56]; u32 dst_offset;
// u32 src_offset; u8 size.
constexpr size_t kWrPointerDstOffset =
    kSecondNameOffset + kFileNameSize;                            // 116
constexpr size_t kWrPointerSrcOffset = kWrPointerDstOffset + 4;   // 120
constexpr size_t kWrPointerSizeOffset = kWrPointerSrcOffset + 4;  // 124

// The layout documented in the header, derived above from QEMU's fields.
static_assert(kSecondNameOffset == 60 && kAllocZoneOffset == 64);
static_assert(kPointerOffsetOffset == 116 && kPointerSizeOffset == 120);
static_assert(kChecksumStartOffset == 64 && kChecksumLengthOffset == 68);
static_assert(kWrPointerSrcOffset == 120 && kWrPointerSizeOffset == 124);
static_assert(kWrPointerSizeOffset + 1 <= kLinkerCommandSize);

constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// A name must fit, with its NUL, in the 56-byte field. QEMU would silently
// truncate it with strncpy; firmware would then not find the file.
absl::Status ValidateName(absl::string_view name, absl::string_view what) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " name is empty"));
  }
  if (name.size() > static_cast<size_t>(kMaxFileNameLength)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s name \"%s\" is %u bytes; at most %d fit", what,
                        name, name.size(), kMaxFileNameLength));
  }
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name contains a NUL byte"));
  }
  return absl::OkStatus();
}

bool IsPointerSize(uint8_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

absl::Status ValidatePointerSize(uint8_t size) {
  if (!IsPointerSize(size)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("pointer size %u is not 1, 2, 4 or 8", size));
  }
  return absl::OkStatus();
}

bool IsPowerOfTwo(uint64_t value) {
  return value != 0 && (value & (value - 1)) == 0;
}

absl::Status ValidateZone(uint8_t zone) {
  if (zone != kAllocZoneHigh && zone != kAllocZoneFseg) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "allocation zone %u is not HIGH (1) or FSEG (2)", zone));
  }
  return absl::OkStatus();
}

bool FitsIn(uint64_t value, uint8_t size) {
  return size >= 8 || (value >> (8 * size)) == 0;
}

// Little-endian fields of 1, 2, 4 or 8 bytes (the size is checked first).
uint64_t LoadField(const uint8_t* at, uint8_t size) {
  switch (size) {
    case 1:
      return at[0];
    case 2:
      return base::LoadLe16(at);
    case 4:
      return base::LoadLe32(at);
    default:
      return base::LoadLe64(at);
  }
}

void StoreField(uint8_t* at, uint8_t size, uint64_t value) {
  switch (size) {
    case 1:
      at[0] = static_cast<uint8_t>(value);
      break;
    case 2:
      base::StoreLe16(at, static_cast<uint16_t>(value));
      break;
    case 4:
      base::StoreLe32(at, static_cast<uint32_t>(value));
      break;
    default:
      base::StoreLe64(at, value);
      break;
  }
}

// Copies a validated name into a zeroed 56-byte field; the NUL is the zero
// byte already there.
void PutName(uint8_t* field, absl::string_view name) {
  std::memcpy(field, name.data(),
              std::min(name.size(), static_cast<size_t>(kMaxFileNameLength)));
}

absl::StatusOr<std::string> GetName(const uint8_t* field, size_t index,
                                    absl::string_view what) {
  const void* nul = std::memchr(field, '\0', kFileNameSize);
  if (nul == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "command %u: %s name is not NUL-terminated within %d bytes", index,
        what, kFileNameSize));
  }
  if (nul == field) {
    // No fw_cfg file has an empty name: firmware would look one up and
    // fail, and EncodeBiosLinkerLoader refuses it too.
    return absl::InvalidArgumentError(
        absl::StrFormat("command %u: %s name is empty", index, what));
  }
  return std::string(reinterpret_cast<const char*>(field),
                     static_cast<const uint8_t*>(nul) - field);
}

// Writes one command into `out`, kLinkerCommandSize zeroed bytes.
struct CommandEncoder {
  uint8_t* out;

  void operator()(const LinkerAllocate& c) const {
    base::StoreLe32(out + kCommandOffset,
                    static_cast<uint32_t>(LinkerCommandType::kAllocate));
    PutName(out + kFirstNameOffset, c.file);
    base::StoreLe32(out + kAllocAlignOffset, c.align);
    out[kAllocZoneOffset] = c.zone;
  }
  void operator()(const LinkerAddPointer& c) const {
    base::StoreLe32(out + kCommandOffset,
                    static_cast<uint32_t>(LinkerCommandType::kAddPointer));
    PutName(out + kFirstNameOffset, c.dest_file);
    PutName(out + kSecondNameOffset, c.src_file);
    base::StoreLe32(out + kPointerOffsetOffset, c.offset);
    out[kPointerSizeOffset] = c.size;
  }
  void operator()(const LinkerAddChecksum& c) const {
    base::StoreLe32(out + kCommandOffset,
                    static_cast<uint32_t>(LinkerCommandType::kAddChecksum));
    PutName(out + kFirstNameOffset, c.file);
    base::StoreLe32(out + kChecksumOffsetOffset, c.offset);
    base::StoreLe32(out + kChecksumStartOffset, c.start);
    base::StoreLe32(out + kChecksumLengthOffset, c.length);
  }
  void operator()(const LinkerWritePointer& c) const {
    base::StoreLe32(out + kCommandOffset,
                    static_cast<uint32_t>(LinkerCommandType::kWritePointer));
    PutName(out + kFirstNameOffset, c.dest_file);
    PutName(out + kSecondNameOffset, c.src_file);
    base::StoreLe32(out + kWrPointerDstOffset, c.dst_offset);
    base::StoreLe32(out + kWrPointerSrcOffset, c.src_offset);
    out[kWrPointerSizeOffset] = c.size;
  }
};

std::vector<uint8_t> EncodeUnchecked(absl::Span<const LinkerCommand> commands) {
  std::vector<uint8_t> bytes(commands.size() * kLinkerCommandSize, 0);
  for (size_t i = 0; i < commands.size(); ++i) {
    std::visit(CommandEncoder{bytes.data() + i * kLinkerCommandSize},
               commands[i]);
  }
  return bytes;
}

// Names of a command, for the encoder's check.
std::vector<std::pair<absl::string_view, absl::string_view>> NamesOf(
    const LinkerCommand& command) {
  if (const auto* c = std::get_if<LinkerAllocate>(&command)) {
    return {{c->file, "ALLOCATE file"}};
  }
  if (const auto* c = std::get_if<LinkerAddPointer>(&command)) {
    return {{c->dest_file, "ADD_POINTER destination"},
            {c->src_file, "ADD_POINTER source"}};
  }
  if (const auto* c = std::get_if<LinkerAddChecksum>(&command)) {
    return {{c->file, "ADD_CHECKSUM file"}};
  }
  const auto& c = std::get<LinkerWritePointer>(command);
  return {{c.dest_file, "WRITE_POINTER destination"},
          {c.src_file, "WRITE_POINTER source"}};
}

// Prefixes a status message with the index of the command that caused it.
absl::Status AtCommand(size_t index, const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrFormat("command %u: %s", index,
                                                     status.message()));
}

}  // namespace

LinkerCommandType CommandTypeOf(const LinkerCommand& command) {
  switch (command.index()) {
    case 0:
      return LinkerCommandType::kAllocate;
    case 1:
      return LinkerCommandType::kAddPointer;
    case 2:
      return LinkerCommandType::kAddChecksum;
    default:
      return LinkerCommandType::kWritePointer;
  }
}

// ---------------------------------------------------------------------------
// Builder.

absl::Status BiosLinkerLoader::AddAllocate(absl::string_view file,
                                           uint32_t align, uint8_t zone,
                                           std::optional<uint32_t> file_size) {
  RETURN_IF_ERROR(ValidateName(file, "ALLOCATE file"));
  // QEMU asserts !(align & (align - 1)), which lets 0 through; a 0 alignment
  // means nothing, so it is rejected here.
  if (!IsPowerOfTwo(align)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "ALLOCATE \"%s\": alignment %u is not a power of two", file, align));
  }
  RETURN_IF_ERROR(ValidateZone(zone));
  // QEMU asserts that a file is allocated once: firmware would otherwise
  // load two copies and patch only one.
  if (!allocated_.try_emplace(std::string(file), file_size).second) {
    return absl::AlreadyExistsError(
        absl::StrFormat("\"%s\" is already allocated", file));
  }
  allocations_.push_back(
      LinkerAllocate{.file = std::string(file), .align = align, .zone = zone});
  return absl::OkStatus();
}

absl::Status BiosLinkerLoader::CheckAllocated(absl::string_view file,
                                              uint64_t end,
                                              absl::string_view what) const {
  RETURN_IF_ERROR(ValidateName(file, what));
  auto it = allocated_.find(file);
  // Firmware only resolves names of files it has already loaded.
  if (it == allocated_.end()) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s \"%s\" is not allocated", what, file));
  }
  if (it->second.has_value() && end > *it->second) {
    return absl::OutOfRangeError(
        absl::StrFormat("%s \"%s\": offset %u is past its end (%u bytes)", what,
                        file, end, *it->second));
  }
  return absl::OkStatus();
}

absl::Status BiosLinkerLoader::AddPointer(absl::string_view dest_file,
                                          uint32_t dest_offset, uint8_t size,
                                          absl::string_view src_file) {
  RETURN_IF_ERROR(ValidatePointerSize(size));
  const uint64_t field_end = uint64_t{dest_offset} + size;
  // SeaBIOS rejects a field whose end wraps a 32-bit offset.
  if (field_end > kU32Max) {
    return absl::OutOfRangeError(
        absl::StrFormat("ADD_POINTER field at %u wraps 32 bits", dest_offset));
  }
  RETURN_IF_ERROR(
      CheckAllocated(dest_file, field_end, "ADD_POINTER destination"));
  RETURN_IF_ERROR(CheckAllocated(src_file, 0, "ADD_POINTER source"));
  others_.push_back(LinkerAddPointer{.dest_file = std::string(dest_file),
                                     .src_file = std::string(src_file),
                                     .offset = dest_offset,
                                     .size = size});
  return absl::OkStatus();
}

absl::Status BiosLinkerLoader::AddChecksum(absl::string_view file,
                                           uint32_t start, uint32_t length,
                                           uint32_t checksum_offset) {
  const uint64_t end = uint64_t{start} + length;
  if (end > kU32Max) {
    return absl::OutOfRangeError(absl::StrFormat(
        "ADD_CHECKSUM range [%u, +%u) wraps 32 bits", start, length));
  }
  // QEMU asserts that the checksum byte lies inside the summed range, which
  // is what makes "subtract the sum from it" zero the sum.
  if (checksum_offset < start || checksum_offset >= end) {
    return absl::InvalidArgumentError(
        absl::StrFormat("ADD_CHECKSUM byte %u is outside the range [%u, %u)",
                        checksum_offset, start, end));
  }
  RETURN_IF_ERROR(CheckAllocated(file, end, "ADD_CHECKSUM file"));
  others_.push_back(LinkerAddChecksum{.file = std::string(file),
                                      .offset = checksum_offset,
                                      .start = start,
                                      .length = length});
  return absl::OkStatus();
}

absl::Status BiosLinkerLoader::AddWritePointer(absl::string_view dest_file,
                                               uint32_t dst_offset,
                                               uint8_t size,
                                               absl::string_view src_file,
                                               uint32_t src_offset) {
  RETURN_IF_ERROR(ValidateName(dest_file, "WRITE_POINTER destination"));
  RETURN_IF_ERROR(ValidatePointerSize(size));
  if (uint64_t{dst_offset} + size > kU32Max) {
    return absl::OutOfRangeError(
        absl::StrFormat("WRITE_POINTER field at %u wraps 32 bits", dst_offset));
  }
  // QEMU asserts src_offset < the source blob's length.
  RETURN_IF_ERROR(CheckAllocated(src_file, uint64_t{src_offset} + 1,
                                 "WRITE_POINTER source"));
  others_.push_back(LinkerWritePointer{.dest_file = std::string(dest_file),
                                       .src_file = std::string(src_file),
                                       .dst_offset = dst_offset,
                                       .src_offset = src_offset,
                                       .size = size});
  return absl::OkStatus();
}

std::vector<LinkerCommand> BiosLinkerLoader::commands() const {
  // QEMU prepends each ALLOCATE (g_array_prepend_vals), so the last one
  // added comes first and all of them precede the other commands.
  std::vector<LinkerCommand> script(allocations_.rbegin(), allocations_.rend());
  script.insert(script.end(), others_.begin(), others_.end());
  return script;
}

std::vector<uint8_t> BiosLinkerLoader::Encode() const {
  return EncodeUnchecked(commands());
}

absl::StatusOr<std::vector<uint8_t>> BiosLinkerLoader::EncodePadded(
    size_t alignment) const {
  // Firmware rejects a script whose size is not a multiple of 128.
  if (alignment == 0 || alignment % kLinkerCommandSize != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("padding alignment %u is not a positive multiple of %u",
                        alignment, kLinkerCommandSize));
  }
  std::vector<uint8_t> bytes = Encode();
  const size_t rounded = (bytes.size() + alignment - 1) / alignment * alignment;
  bytes.resize(rounded, 0);
  return bytes;
}

// ---------------------------------------------------------------------------
// Raw encoding and decoding.

absl::StatusOr<std::vector<uint8_t>> EncodeBiosLinkerLoader(
    absl::Span<const LinkerCommand> commands) {
  for (size_t i = 0; i < commands.size(); ++i) {
    for (const auto& [name, what] : NamesOf(commands[i])) {
      RETURN_IF_ERROR(AtCommand(i, ValidateName(name, what)));
    }
  }
  return EncodeUnchecked(commands);
}

absl::StatusOr<std::vector<LinkerCommand>> DecodeBiosLinkerLoader(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() % kLinkerCommandSize != 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "etc/table-loader size %u is not a multiple of %u (truncated command)",
        bytes.size(), kLinkerCommandSize));
  }
  std::vector<LinkerCommand> commands;
  for (size_t i = 0; i < bytes.size() / kLinkerCommandSize; ++i) {
    const uint8_t* in = bytes.data() + i * kLinkerCommandSize;
    const uint32_t type = base::LoadLe32(in + kCommandOffset);
    switch (type) {
      case 0:  // padding
        break;
      case static_cast<uint32_t>(LinkerCommandType::kAllocate): {
        LinkerAllocate c;
        ASSIGN_OR_RETURN(c.file, GetName(in + kFirstNameOffset, i, "file"));
        c.align = base::LoadLe32(in + kAllocAlignOffset);
        c.zone = in[kAllocZoneOffset];
        commands.push_back(std::move(c));
        break;
      }
      case static_cast<uint32_t>(LinkerCommandType::kAddPointer): {
        LinkerAddPointer c;
        ASSIGN_OR_RETURN(c.dest_file,
                         GetName(in + kFirstNameOffset, i, "destination"));
        ASSIGN_OR_RETURN(c.src_file,
                         GetName(in + kSecondNameOffset, i, "source"));
        c.offset = base::LoadLe32(in + kPointerOffsetOffset);
        c.size = in[kPointerSizeOffset];
        commands.push_back(std::move(c));
        break;
      }
      case static_cast<uint32_t>(LinkerCommandType::kAddChecksum): {
        LinkerAddChecksum c;
        ASSIGN_OR_RETURN(c.file, GetName(in + kFirstNameOffset, i, "file"));
        c.offset = base::LoadLe32(in + kChecksumOffsetOffset);
        c.start = base::LoadLe32(in + kChecksumStartOffset);
        c.length = base::LoadLe32(in + kChecksumLengthOffset);
        commands.push_back(std::move(c));
        break;
      }
      case static_cast<uint32_t>(LinkerCommandType::kWritePointer): {
        LinkerWritePointer c;
        ASSIGN_OR_RETURN(c.dest_file,
                         GetName(in + kFirstNameOffset, i, "destination"));
        ASSIGN_OR_RETURN(c.src_file,
                         GetName(in + kSecondNameOffset, i, "source"));
        c.dst_offset = base::LoadLe32(in + kWrPointerDstOffset);
        c.src_offset = base::LoadLe32(in + kWrPointerSrcOffset);
        c.size = in[kWrPointerSizeOffset];
        commands.push_back(std::move(c));
        break;
      }
      default:
        return absl::InvalidArgumentError(
            absl::StrFormat("command %u: unknown command type 0x%x", i, type));
    }
  }
  return commands;
}

uint8_t AcpiChecksum(absl::Span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return static_cast<uint8_t>(-sum);
}

absl::Status StoreLinkerPointer(absl::Span<uint8_t> blob, uint64_t offset,
                                uint8_t size, uint64_t value) {
  RETURN_IF_ERROR(ValidatePointerSize(size));
  if (offset > blob.size() || size > blob.size() - offset) {
    return absl::OutOfRangeError(
        absl::StrFormat("%u-byte field at %u is past the end (%u bytes)", size,
                        offset, blob.size()));
  }
  if (!FitsIn(value, size)) {
    return absl::OutOfRangeError(
        absl::StrFormat("0x%x does not fit in %u bytes", value, size));
  }
  StoreField(blob.data() + offset, size, value);
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Firmware model.

LinkerAllocator BumpLinkerAllocator(LinkerMemoryLayout layout) {
  return [layout, next_high = layout.high_start, next_fseg = layout.fseg_start](
             const LinkerAllocate& command,
             uint64_t size) mutable -> absl::StatusOr<uint64_t> {
    RETURN_IF_ERROR(ValidateZone(command.zone));
    const bool fseg = command.zone == kAllocZoneFseg;
    uint64_t& next = fseg ? next_fseg : next_high;
    const uint64_t end = fseg ? layout.fseg_end : layout.high_end;
    // SeaBIOS raises every alignment to MALLOC_MIN_ALIGN (16).
    const uint64_t align = std::max<uint64_t>(command.align, 16);
    if (!IsPowerOfTwo(align)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("alignment %u is not a power of two", align));
    }
    const uint64_t misalignment = next % align;
    const uint64_t pad = misalignment == 0 ? 0 : align - misalignment;
    if (next > end || pad > end - next || size > end - next - pad) {
      return absl::ResourceExhaustedError(
          absl::StrFormat("no room for %u bytes of \"%s\" in zone %u", size,
                          command.file, command.zone));
    }
    const uint64_t address = next + pad;
    next = address + size;
    return address;
  };
}

namespace {

struct Allocation {
  uint64_t address;
  std::vector<uint8_t>* blob;  // points into the caller's LinkerFiles
};

// Runs commands one at a time. Each check names the firmware behaviour it
// mirrors; where SeaBIOS would log and skip a bad command, this reports it.
class Executor {
 public:
  Executor(LinkerFiles* files, const LinkerAllocator& allocator)
      : files_(*files), allocator_(allocator) {}

  absl::Status operator()(const LinkerAllocate& c) {
    RETURN_IF_ERROR(ValidateName(c.file, "ALLOCATE file"));
    // SeaBIOS: `align & (align - 1)` is an error; 0 passes and means the
    // minimum alignment.
    if (c.align != 0 && !IsPowerOfTwo(c.align)) {
      return absl::InvalidArgumentError(
          absl::StrFormat("ALLOCATE \"%s\": alignment %u is not a power of two",
                          c.file, c.align));
    }
    RETURN_IF_ERROR(ValidateZone(c.zone));
    // OVMF rejects a second ALLOCATE of the same file.
    if (allocations_.contains(c.file)) {
      return absl::AlreadyExistsError(
          absl::StrFormat("\"%s\" is already allocated", c.file));
    }
    auto it = files_.find(c.file);
    if (it == files_.end()) {
      return absl::NotFoundError(
          absl::StrFormat("ALLOCATE: no fw_cfg file \"%s\"", c.file));
    }
    std::vector<uint8_t>& blob = it->second;
    // SeaBIOS loads nothing for an empty file, so later references to it
    // would fail; report it here.
    if (blob.empty()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("ALLOCATE: fw_cfg file \"%s\" is empty", c.file));
    }
    const uint64_t size = blob.size();
    ASSIGN_OR_RETURN(const uint64_t address, allocator_(c, size));
    const uint64_t align = c.align == 0 ? 1 : c.align;
    if (address % align != 0) {
      return absl::InternalError(
          absl::StrFormat("allocator placed \"%s\" at 0x%x, not aligned to %u",
                          c.file, address, align));
    }
    if (size - 1 > kU64Max - address) {
      return absl::InternalError(absl::StrFormat(
          "allocator placed \"%s\" at 0x%x, which wraps past 2^64", c.file,
          address));
    }
    const uint64_t last = address + (size - 1);
    for (const auto& [name, other] : allocations_) {
      const uint64_t other_last = other.address + (other.blob->size() - 1);
      if (address <= other_last && other.address <= last) {
        return absl::InternalError(absl::StrFormat(
            "allocator placed \"%s\" over \"%s\"", c.file, name));
      }
    }
    allocations_.emplace(c.file, Allocation{address, &blob});
    result_.addresses.emplace(c.file, address);
    return absl::OkStatus();
  }

  absl::Status operator()(const LinkerAddPointer& c) {
    // SeaBIOS: size must be 1, 2, 4 or 8.
    RETURN_IF_ERROR(ValidatePointerSize(c.size));
    ASSIGN_OR_RETURN(const Allocation dest,
                     Find(c.dest_file, "ADD_POINTER destination"));
    ASSIGN_OR_RETURN(const Allocation src,
                     Find(c.src_file, "ADD_POINTER source"));
    // SeaBIOS: the field must lie inside the destination file.
    if (uint64_t{c.offset} + c.size > dest.blob->size()) {
      return absl::OutOfRangeError(absl::StrFormat(
          "ADD_POINTER: %u-byte field at %u is past the end of \"%s\" (%u "
          "bytes)",
          c.size, c.offset, c.dest_file, dest.blob->size()));
    }
    uint8_t* field = dest.blob->data() + c.offset;
    const uint64_t offset = LoadField(field, c.size);
    // OVMF: the field must hold an offset inside the source file.
    if (offset >= src.blob->size()) {
      return absl::OutOfRangeError(absl::StrFormat(
          "ADD_POINTER: offset 0x%x at %s+%u is past the end of \"%s\" (%u "
          "bytes)",
          offset, c.dest_file, c.offset, c.src_file, src.blob->size()));
    }
    // OVMF: the sum must fit in the field (SeaBIOS would truncate it).
    if (offset > kU64Max - src.address ||
        !FitsIn(offset + src.address, c.size)) {
      return absl::OutOfRangeError(
          absl::StrFormat("ADD_POINTER: 0x%x + 0x%x does not fit in %u bytes",
                          src.address, offset, c.size));
    }
    StoreField(field, c.size, offset + src.address);
    return absl::OkStatus();
  }

  absl::Status operator()(const LinkerAddChecksum& c) {
    ASSIGN_OR_RETURN(const Allocation file, Find(c.file, "ADD_CHECKSUM file"));
    const uint64_t size = file.blob->size();
    // SeaBIOS: offset < size, start + length must not wrap 32 bits, and the
    // range must lie inside the file.
    if (c.offset >= size) {
      return absl::OutOfRangeError(
          absl::StrFormat("ADD_CHECKSUM: byte %u is past the end of \"%s\" "
                          "(%u bytes)",
                          c.offset, c.file, size));
    }
    const uint64_t end = uint64_t{c.start} + c.length;
    if (end > kU32Max) {
      return absl::OutOfRangeError(absl::StrFormat(
          "ADD_CHECKSUM: range [%u, +%u) wraps 32 bits", c.start, c.length));
    }
    if (end > size) {
      return absl::OutOfRangeError(absl::StrFormat(
          "ADD_CHECKSUM: range [%u, %u) is past the end of \"%s\" (%u bytes)",
          c.start, end, c.file, size));
    }
    // SeaBIOS subtracts the range's sum from the checksum byte, which zeroes
    // the sum whenever the byte is inside the range; OVMF stores the
    // checksum of the range instead, the same thing for the zero byte that
    // QEMU leaves there.
    uint8_t* data = file.blob->data();
    const uint8_t sum = static_cast<uint8_t>(
        -AcpiChecksum(absl::MakeConstSpan(data + c.start, data + end)));
    data[c.offset] = static_cast<uint8_t>(data[c.offset] - sum);
    return absl::OkStatus();
  }

  absl::Status operator()(const LinkerWritePointer& c) {
    RETURN_IF_ERROR(ValidateName(c.dest_file, "WRITE_POINTER destination"));
    RETURN_IF_ERROR(ValidatePointerSize(c.size));
    ASSIGN_OR_RETURN(const Allocation src,
                     Find(c.src_file, "WRITE_POINTER source"));
    // SeaBIOS: the destination is any fw_cfg file, loaded or not.
    auto it = files_.find(c.dest_file);
    if (it == files_.end()) {
      return absl::NotFoundError(
          absl::StrFormat("WRITE_POINTER: no fw_cfg file \"%s\"", c.dest_file));
    }
    std::vector<uint8_t>& dest = it->second;
    if (uint64_t{c.dst_offset} + c.size > dest.size()) {
      return absl::OutOfRangeError(absl::StrFormat(
          "WRITE_POINTER: %u-byte field at %u is past the end of \"%s\" (%u "
          "bytes)",
          c.size, c.dst_offset, c.dest_file, dest.size()));
    }
    if (c.src_offset >= src.blob->size()) {
      return absl::OutOfRangeError(absl::StrFormat(
          "WRITE_POINTER: offset %u is past the end of \"%s\" (%u bytes)",
          c.src_offset, c.src_file, src.blob->size()));
    }
    // SeaBIOS: the address must fit in the field.
    if (c.src_offset > kU64Max - src.address ||
        !FitsIn(src.address + c.src_offset, c.size)) {
      return absl::OutOfRangeError(
          absl::StrFormat("WRITE_POINTER: 0x%x + 0x%x does not fit in %u bytes",
                          src.address, c.src_offset, c.size));
    }
    const uint64_t value = src.address + c.src_offset;
    // The fw_cfg DMA write lands in QEMU's copy of the file.
    StoreField(dest.data() + c.dst_offset, c.size, value);
    result_.written_pointers.push_back(
        LinkerWrittenPointer{.dest_file = c.dest_file,
                             .dst_offset = c.dst_offset,
                             .size = c.size,
                             .value = value});
    return absl::OkStatus();
  }

  LinkerExecution TakeResult() { return std::move(result_); }

 private:
  // Pointer and checksum commands resolve names among loaded files only.
  absl::StatusOr<Allocation> Find(const std::string& name,
                                  absl::string_view what) const {
    RETURN_IF_ERROR(ValidateName(name, what));
    auto it = allocations_.find(name);
    if (it == allocations_.end()) {
      return absl::FailedPreconditionError(
          absl::StrFormat("%s \"%s\" is not allocated", what, name));
    }
    return it->second;
  }

  LinkerFiles& files_;
  const LinkerAllocator& allocator_;
  absl::flat_hash_map<std::string, Allocation> allocations_;
  LinkerExecution result_;
};

}  // namespace

absl::StatusOr<LinkerExecution> ExecuteBiosLinkerLoader(
    absl::Span<const LinkerCommand> commands, LinkerFiles* files,
    const LinkerAllocator& allocator) {
  if (files == nullptr) {
    return absl::InvalidArgumentError("no files");
  }
  if (!allocator) {
    return absl::InvalidArgumentError("no allocator");
  }
  Executor executor(files, allocator);
  for (size_t i = 0; i < commands.size(); ++i) {
    RETURN_IF_ERROR(AtCommand(i, std::visit(executor, commands[i])));
  }
  return executor.TakeResult();
}

}  // namespace fw_cfg
