#include "acpi_tables/bios_linker_loader_testing.h"

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
#include "base/status_macros.h"

namespace acpi_tables {

using linker_internal::AtCommand;
using linker_internal::FitsIn;
using linker_internal::GetName;
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
using linker_internal::kU64Max;
using linker_internal::kWrPointerDstOffset;
using linker_internal::kWrPointerSizeOffset;
using linker_internal::kWrPointerSrcOffset;
using linker_internal::LoadField;
using linker_internal::StoreField;
using linker_internal::ValidateName;
using linker_internal::ValidatePointerSize;
using linker_internal::ValidateZone;

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

}  // namespace acpi_tables
