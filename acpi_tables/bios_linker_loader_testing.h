// The other side of the BIOS linker/loader, for tests and fuzzers: decoding
// a script and running it as firmware would (see bios_linker_loader.h for
// the format).

#ifndef ACPI_TABLES_BIOS_LINKER_LOADER_TESTING_H_
#define ACPI_TABLES_BIOS_LINKER_LOADER_TESTING_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader.h"

namespace acpi_tables {

// Decodes a script. Fails on a size that is not a multiple of 128, a name
// that is empty or has no NUL in its 56 bytes, or an unknown command word.
// Whatever it decodes, EncodeBiosLinkerLoader encodes back. (SeaBIOS and OVMF
// skip unknown commands for forward compatibility; QEMU emits none, so this
// decoder treats one as a corrupt script.) Padding commands are dropped.
absl::StatusOr<std::vector<LinkerCommand>> DecodeBiosLinkerLoader(
    absl::Span<const uint8_t> bytes);

// A model of the firmware.

// Chooses the guest address of an allocated file of `size` bytes (> 0). The
// executor checks that it honours the alignment and does not overlap another
// allocation.
using LinkerAllocator = std::function<absl::StatusOr<uint64_t>(
    const LinkerAllocate& command, uint64_t size)>;

// Where BumpLinkerAllocator places each zone: [start, end).
struct LinkerMemoryLayout {
  uint64_t high_start = 0x100000;
  uint64_t high_end = 0x100000000;
  uint64_t fseg_start = 0xf0000;
  uint64_t fseg_end = 0x100000;
};

// Hands out addresses upward from each zone's start, aligned to the command's
// alignment but at least 16 bytes (SeaBIOS's MALLOC_MIN_ALIGN); fails with
// kResourceExhausted when a zone is full.
LinkerAllocator BumpLinkerAllocator(LinkerMemoryLayout layout = {});

// A WRITE_POINTER as firmware performed it.
struct LinkerWrittenPointer {
  std::string dest_file;
  uint32_t dst_offset = 0;
  uint8_t size = 0;
  uint64_t value = 0;
  friend bool operator==(const LinkerWrittenPointer&,
                         const LinkerWrittenPointer&) = default;
};

struct LinkerExecution {
  absl::flat_hash_map<std::string, uint64_t> addresses;  // allocated files
  std::vector<LinkerWrittenPointer> written_pointers;    // in script order
};

using LinkerFiles = absl::flat_hash_map<std::string, std::vector<uint8_t>>;

// Runs `commands` as SeaBIOS and OVMF do, over `files` (the fw_cfg files by
// name; allocated blobs stand for their guest copies and are patched in
// place, WRITE_POINTER targets receive the written bytes). Where the two
// firmwares differ, the stricter check applies, and any out-of-bounds,
// overflowing or dangling reference is an error rather than a skipped
// command. On error, `files` may be partly patched.
absl::StatusOr<LinkerExecution> ExecuteBiosLinkerLoader(
    absl::Span<const LinkerCommand> commands, LinkerFiles* files,
    const LinkerAllocator& allocator);

}  // namespace acpi_tables

#endif  // ACPI_TABLES_BIOS_LINKER_LOADER_TESTING_H_
