// The `etc/table-loader` fw_cfg file: QEMU's BIOS linker/loader script.
//
// QEMU cannot know where firmware will place the ACPI tables, so it ships
// them as fw_cfg blobs (`etc/acpi/tables`, `etc/acpi/rsdp`, ...) plus this
// script, which SeaBIOS (src/fw/romfile_loader.c) and OVMF
// (OvmfPkg/AcpiPlatformDxe/QemuFwCfgAcpi.c) execute: allocate each blob in
// guest memory, turn blob-relative offsets into guest addresses, fix up the
// checksums, and tell QEMU where some blobs landed.
//
// The script is a sequence of 128-byte little-endian commands, QEMU's packed
// `struct BiosLinkerLoaderEntry` (hw/acpi/bios-linker-loader.c): a u32
// command at byte 0, then a union zero-padded to 124 bytes. Byte offsets
// within a command, with every name a NUL-terminated char[56]:
//
//   1 ALLOCATE       file @4, u32 align @60, u8 zone @64
//   2 ADD_POINTER    dest_file @4, src_file @60, u32 offset @116, u8 size @120
//   3 ADD_CHECKSUM   file @4, u32 offset @60, u32 start @64, u32 length @68
//   4 WRITE_POINTER  dest_file @4, src_file @60, u32 dst_offset @116,
//                    u32 src_offset @120, u8 size @124
//
// A command word of 0 is padding (QEMU rounds the file up to 4096 bytes).
//
//   BiosLinkerLoader linker;
//   RETURN_IF_ERROR(linker.AddAllocate("etc/acpi/tables", 64, kAllocZoneHigh,
//                                      tables.size()));
//   RETURN_IF_ERROR(linker.AddAllocate("etc/acpi/rsdp", 16, kAllocZoneFseg,
//                                      rsdp.size()));
//   RETURN_IF_ERROR(linker.AddPointer("etc/acpi/rsdp", 16, 4,
//                                     "etc/acpi/tables"));
//   RETURN_IF_ERROR(linker.AddChecksum("etc/acpi/rsdp", 0, 20, 8));
//   ASSIGN_OR_RETURN(std::vector<uint8_t> script, linker.EncodePadded(4096));

#ifndef ACPI_TABLES_BIOS_LINKER_LOADER_H_
#define ACPI_TABLES_BIOS_LINKER_LOADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace acpi_tables {

inline constexpr size_t kLinkerCommandSize = 128;
// A file name field (fw_cfg's file names): 55 bytes and a NUL.
inline constexpr int kLinkerNameSize = 56;
inline constexpr int kLinkerMaxNameLength = kLinkerNameSize - 1;

// Command words (BIOS_LINKER_LOADER_COMMAND_*).
enum class LinkerCommandType : uint32_t {
  kAllocate = 1,
  kAddPointer = 2,
  kAddChecksum = 3,
  kWritePointer = 4,
};

// ALLOCATE zones (BIOS_LINKER_LOADER_ALLOC_ZONE_*): HIGH is anywhere in
// 32-bit memory; FSEG is the 0xf0000-0xfffff BIOS segment, where legacy
// guests scan for the RSDP.
inline constexpr uint8_t kAllocZoneHigh = 1;
inline constexpr uint8_t kAllocZoneFseg = 2;

// Decoded commands carry the raw wire values; only the builder and the
// executor judge them.

// Load `file` into guest memory at an address aligned to `align`.
struct LinkerAllocate {
  std::string file;
  uint32_t align = 0;
  uint8_t zone = 0;
  friend bool operator==(const LinkerAllocate&,
                         const LinkerAllocate&) = default;
};

// Add the address of `src_file` to the `size`-byte little-endian field at
// `offset` in `dest_file` (which holds an offset into `src_file`).
struct LinkerAddPointer {
  std::string dest_file;
  std::string src_file;
  uint32_t offset = 0;
  uint8_t size = 0;
  friend bool operator==(const LinkerAddPointer&,
                         const LinkerAddPointer&) = default;
};

// Adjust the byte at `offset` so that bytes [start, start + length) of `file`
// sum to 0 mod 256 (the ACPI checksum).
struct LinkerAddChecksum {
  std::string file;
  uint32_t offset = 0;
  uint32_t start = 0;
  uint32_t length = 0;
  friend bool operator==(const LinkerAddChecksum&,
                         const LinkerAddChecksum&) = default;
};

// Write the address of `src_file` plus `src_offset`, `size` bytes little-
// endian, into the fw_cfg file `dest_file` at `dst_offset` (by a fw_cfg DMA
// write; `dest_file` is a writable fw_cfg file, not an allocated one).
struct LinkerWritePointer {
  std::string dest_file;
  std::string src_file;
  uint32_t dst_offset = 0;
  uint32_t src_offset = 0;
  uint8_t size = 0;
  friend bool operator==(const LinkerWritePointer&,
                         const LinkerWritePointer&) = default;
};

// One command; the variant's alternative is its tag.
using LinkerCommand = std::variant<LinkerAllocate, LinkerAddPointer,
                                   LinkerAddChecksum, LinkerWritePointer>;

LinkerCommandType CommandTypeOf(const LinkerCommand& command);

// Builds a script the way QEMU's bios_linker_loader_*() functions do, but
// returns errors where QEMU asserts. Files are known by name; give
// AddAllocate the blob's size to get QEMU's bounds checks as well.
//
// As in QEMU, ALLOCATE commands are prepended: the script starts with every
// ALLOCATE in reverse order of the AddAllocate calls, followed by the other
// commands in call order.
class BiosLinkerLoader {
 public:
  // `align` must be a power of two, `zone` kAllocZoneHigh or kAllocZoneFseg,
  // and `file` not allocated before. With `file_size`, the blob's length,
  // later commands on `file` are bounds-checked as QEMU asserts.
  absl::Status AddAllocate(absl::string_view file, uint32_t align, uint8_t zone,
                           std::optional<uint32_t> file_size = std::nullopt);

  // Both files must be allocated; `size` is 1, 2, 4 or 8 and the field
  // [dest_offset, dest_offset + size) must lie inside `dest_file`. The caller
  // stores the offset into `src_file` in that field of its blob (see
  // StoreLinkerPointer), as QEMU's bios_linker_loader_add_pointer() does.
  absl::Status AddPointer(absl::string_view dest_file, uint32_t dest_offset,
                          uint8_t size, absl::string_view src_file);

  // `file` must be allocated, [start, start + length) inside it and the
  // checksum byte inside that range. As in QEMU, the caller leaves the
  // checksum byte 0 in its blob.
  absl::Status AddChecksum(absl::string_view file, uint32_t start,
                           uint32_t length, uint32_t checksum_offset);

  // `src_file` must be allocated with `src_offset` inside it; `dest_file` is
  // any fw_cfg file (QEMU checks only its name).
  absl::Status AddWritePointer(absl::string_view dest_file, uint32_t dst_offset,
                               uint8_t size, absl::string_view src_file,
                               uint32_t src_offset);

  // The commands in script order.
  std::vector<LinkerCommand> commands() const;

  std::vector<uint8_t> Encode() const;
  // Zero-pads the script to a multiple of `alignment`, which must be a
  // positive multiple of kLinkerCommandSize. QEMU's acpi_build() rounds
  // etc/table-loader up to 4096 (ACPI_BUILD_ALIGN_SIZE) so that its size does
  // not change across migration.
  absl::StatusOr<std::vector<uint8_t>> EncodePadded(size_t alignment) const;

 private:
  absl::Status CheckAllocated(absl::string_view file, uint64_t end,
                              absl::string_view what) const;

  // Allocated files and their sizes, where known.
  absl::flat_hash_map<std::string, std::optional<uint32_t>> allocated_;
  std::vector<LinkerCommand> allocations_;  // in call order
  std::vector<LinkerCommand> others_;       // in call order
};

// Encodes arbitrary commands (tools, hostile-script tests). Only checks that
// every name is non-empty and fits in its 56-byte field; other fields are
// written as given.
absl::StatusOr<std::vector<uint8_t>> EncodeBiosLinkerLoader(
    absl::Span<const LinkerCommand> commands);

// The byte that makes `bytes` sum to 0 mod 256 when added to them.
uint8_t AcpiChecksum(absl::Span<const uint8_t> bytes);

// Stores `value` as a `size`-byte little-endian field at `offset` in `blob`;
// fails if `size` is not 1, 2, 4 or 8, the field leaves the blob, or the value
// does not fit in it.
absl::Status StoreLinkerPointer(absl::Span<uint8_t> blob, uint64_t offset,
                                uint8_t size, uint64_t value);

}  // namespace acpi_tables

#endif  // ACPI_TABLES_BIOS_LINKER_LOADER_H_
