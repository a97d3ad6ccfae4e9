#include "acpi_tables/bios_linker_loader.h"

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
#include "acpi_tables/bios_linker_loader_internal.h"
#include "base/byte_order.h"
#include "base/status_context.h"
#include "base/status_macros.h"

namespace acpi_tables {
namespace linker_internal {

bool IsPointerSize(uint8_t size) {
  return size == 1 || size == 2 || size == 4 || size == 8;
}

absl::Status ValidateName(absl::string_view name, absl::string_view what) {
  if (name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " name is empty"));
  }
  if (name.size() > static_cast<size_t>(kLinkerMaxNameLength)) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s name \"%s\" is %u bytes; at most %d fit", what,
                        name, name.size(), kLinkerMaxNameLength));
  }
  if (name.find('\0') != absl::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " name contains a NUL byte"));
  }
  return absl::OkStatus();
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

absl::StatusOr<std::string> GetName(const uint8_t* field, size_t index,
                                    absl::string_view what) {
  const void* nul = std::memchr(field, '\0', kLinkerNameSize);
  if (nul == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "command %u: %s name is not NUL-terminated within %d bytes", index,
        what, kLinkerNameSize));
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

absl::Status AtCommand(size_t index, const absl::Status& status) {
  return base::WithContext(status, absl::StrFormat("command %u", index));
}

}  // namespace linker_internal

namespace {

using linker_internal::AtCommand;
using linker_internal::FitsIn;
using linker_internal::IsPowerOfTwo;
using linker_internal::kAllocAlignOffset;
using linker_internal::kAllocZoneOffset;
using linker_internal::kChecksumLengthOffset;
using linker_internal::kChecksumOffsetOffset;
using linker_internal::kChecksumStartOffset;
using linker_internal::kCommandOffset;
using linker_internal::kFirstNameOffset;
using linker_internal::kPointerOffsetOffset;
using linker_internal::kPointerSizeOffset;
using linker_internal::kSecondNameOffset;
using linker_internal::kU32Max;
using linker_internal::kWrPointerDstOffset;
using linker_internal::kWrPointerSizeOffset;
using linker_internal::kWrPointerSrcOffset;
using linker_internal::StoreField;
using linker_internal::ValidateName;
using linker_internal::ValidatePointerSize;
using linker_internal::ValidateZone;

// A name must fit, with its NUL, in the 56-byte field. QEMU would silently
// truncate it with strncpy; firmware would then not find the file.

// Little-endian fields of 1, 2, 4 or 8 bytes (the size is checked first).
// Copies a validated name into a zeroed 56-byte field; the NUL is the zero
// byte already there.
void PutName(uint8_t* field, absl::string_view name) {
  std::memcpy(field, name.data(),
              std::min(name.size(), static_cast<size_t>(kLinkerMaxNameLength)));
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

}  // namespace acpi_tables
