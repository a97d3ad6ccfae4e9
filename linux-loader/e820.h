// The E820 memory map: the x86 guest's RAM and reserved ranges, as the boot
// protocol hands them to Linux (boot_params.e820_table, bootparam.h) and as
// QEMU publishes them to firmware in the `etc/e820` fw_cfg file.
//
// Both carry packed little-endian `struct e820_entry { u64 address; u64
// length; u32 type; }` records, 20 bytes each (QEMU's
// hw/i386/e820_memory_layout.c). The fw_cfg file has no count and no
// padding: its size alone gives the number of entries, and SeaBIOS
// (src/fw/paravirt.c) and OVMF read it that way; boot_params counts them in
// e820_entries.
//
//   E820MapBuilder map;
//   RETURN_IF_ERROR(map.Add(0, 0x9fc00, kE820Ram));
//   RETURN_IF_ERROR(map.Add(0x100000, ram_size - 0x100000, kE820Ram));
//   fw_cfg.AddFile("etc/e820", map.Encode());

#ifndef LINUX_LOADER_E820_H_
#define LINUX_LOADER_E820_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace linux_loader {

// E820 range types (ACPI "Address Range Types"; QEMU's E820_* constants).
inline constexpr uint32_t kE820Ram = 1;
inline constexpr uint32_t kE820Reserved = 2;
inline constexpr uint32_t kE820Acpi = 3;
inline constexpr uint32_t kE820Nvs = 4;
inline constexpr uint32_t kE820Unusable = 5;

// Wire size of one entry: u64 address, u64 length, u32 type.
inline constexpr size_t kE820EntrySize = 20;

struct E820Entry {
  uint64_t address = 0;
  uint64_t length = 0;
  uint32_t type = 0;

  friend bool operator==(const E820Entry&, const E820Entry&) = default;
};

// Encodes entries as they are (no validation, no sorting), like QEMU.
std::vector<uint8_t> EncodeE820(absl::Span<const E820Entry> entries);

// Decodes a whole `etc/e820` file. Fails if its size is not a multiple of
// kE820EntrySize. Field values are returned unchecked.
absl::StatusOr<std::vector<E820Entry>> DecodeE820(
    absl::Span<const uint8_t> bytes);

// Checks one entry: a non-zero type, a non-zero length and a range whose last
// byte is at most 2^64 - 1 (a range may end exactly at 2^64).
absl::Status ValidateE820Entry(const E820Entry& entry);

// Collects validated entries in the order they are added (QEMU keeps its
// table in insertion order too; the guest sorts it).
class E820MapBuilder {
 public:
  absl::Status Add(uint64_t address, uint64_t length, uint32_t type);
  absl::Status Add(const E820Entry& entry);

  const std::vector<E820Entry>& entries() const { return entries_; }
  std::vector<uint8_t> Encode() const { return EncodeE820(entries_); }

 private:
  std::vector<E820Entry> entries_;
};

}  // namespace linux_loader

#endif  // LINUX_LOADER_E820_H_
