// Internals of the BIOS linker/loader shared by the builder
// (bios_linker_loader.cc) and the firmware model of the tests
// (bios_linker_loader_testing.cc): the command layout and field helpers.
// Not part of the API.

#ifndef ACPI_TABLES_BIOS_LINKER_LOADER_INTERNAL_H_
#define ACPI_TABLES_BIOS_LINKER_LOADER_INTERNAL_H_

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader.h"

namespace acpi_tables::linker_internal {

// Byte offsets inside one 128-byte command (QEMU's packed
// struct BiosLinkerLoaderEntry: u32 command, then the union at byte 4).
inline constexpr size_t kCommandOffset = 0;
inline constexpr size_t kUnionOffset = 4;
inline constexpr size_t kFirstNameOffset = kUnionOffset;  // 4
inline constexpr size_t kSecondNameOffset =
    kUnionOffset + kLinkerNameSize;  // 60
// ALLOCATE: char file[56]; u32 align; u8 zone.
inline constexpr size_t kAllocAlignOffset = kSecondNameOffset;     // 60
inline constexpr size_t kAllocZoneOffset = kAllocAlignOffset + 4;  // 64
// ADD_POINTER: char dest_file[56]; char src_file[56]; u32 offset; u8 size.
inline constexpr size_t kPointerOffsetOffset =
    kSecondNameOffset + kLinkerNameSize;                                // 116
inline constexpr size_t kPointerSizeOffset = kPointerOffsetOffset + 4;  // 120
// ADD_CHECKSUM: char file[56]; u32 offset; u32 start; u32 length.
inline constexpr size_t kChecksumOffsetOffset = kSecondNameOffset;         // 60
inline constexpr size_t kChecksumStartOffset = kChecksumOffsetOffset + 4;  // 64
inline constexpr size_t kChecksumLengthOffset = kChecksumStartOffset + 4;  // 68
// WRITE_POINTER: char dest_file[56]; char src_file[56]; u32 dst_offset;
// u32 src_offset; u8 size.
inline constexpr size_t kWrPointerDstOffset =
    kSecondNameOffset + kLinkerNameSize;                                 // 116
inline constexpr size_t kWrPointerSrcOffset = kWrPointerDstOffset + 4;   // 120
inline constexpr size_t kWrPointerSizeOffset = kWrPointerSrcOffset + 4;  // 124

// The layout documented in the header, derived above from QEMU's fields.
static_assert(kSecondNameOffset == 60 && kAllocZoneOffset == 64);
static_assert(kPointerOffsetOffset == 116 && kPointerSizeOffset == 120);
static_assert(kChecksumStartOffset == 64 && kChecksumLengthOffset == 68);
static_assert(kWrPointerSrcOffset == 120 && kWrPointerSizeOffset == 124);
static_assert(kWrPointerSizeOffset + 1 <= kLinkerCommandSize);

inline constexpr uint64_t kU32Max = std::numeric_limits<uint32_t>::max();
inline constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// A name must fit, with its NUL, in the 56-byte field. QEMU would silently
// truncate it with strncpy; firmware would then not find the file.
absl::Status ValidateName(absl::string_view name, absl::string_view what);
bool IsPointerSize(uint8_t size);
absl::Status ValidatePointerSize(uint8_t size);
bool IsPowerOfTwo(uint64_t value);
absl::Status ValidateZone(uint8_t zone);
// Whether `value` fits in a `size`-byte field.
bool FitsIn(uint64_t value, uint8_t size);
// Little-endian fields of 1, 2, 4 or 8 bytes (the size is checked first).
uint64_t LoadField(const uint8_t* at, uint8_t size);
void StoreField(uint8_t* at, uint8_t size, uint64_t value);
// The NUL-terminated name in a 56-byte field of command `index`.
absl::StatusOr<std::string> GetName(const uint8_t* field, size_t index,
                                    absl::string_view what);
// Prefixes a status message with the index of the command that caused it.
absl::Status AtCommand(size_t index, const absl::Status& status);

}  // namespace acpi_tables::linker_internal

#endif  // ACPI_TABLES_BIOS_LINKER_LOADER_INTERNAL_H_
