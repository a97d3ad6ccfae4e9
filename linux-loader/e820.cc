#include "linux-loader/e820.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace linux_loader {
namespace {

// Field offsets inside one packed entry.
constexpr size_t kAddressOffset = 0;
constexpr size_t kLengthOffset = 8;
constexpr size_t kTypeOffset = 16;

}  // namespace

std::vector<uint8_t> EncodeE820(absl::Span<const E820Entry> entries) {
  std::vector<uint8_t> bytes(entries.size() * kE820EntrySize);
  uint8_t* out = bytes.data();
  for (const E820Entry& entry : entries) {
    base::StoreLe64(out + kAddressOffset, entry.address);
    base::StoreLe64(out + kLengthOffset, entry.length);
    base::StoreLe32(out + kTypeOffset, entry.type);
    out += kE820EntrySize;
  }
  return bytes;
}

absl::StatusOr<std::vector<E820Entry>> DecodeE820(
    absl::Span<const uint8_t> bytes) {
  if (bytes.size() % kE820EntrySize != 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("etc/e820 size %u is not a multiple of %u",
                        bytes.size(), kE820EntrySize));
  }
  std::vector<E820Entry> entries;
  entries.reserve(bytes.size() / kE820EntrySize);
  for (size_t at = 0; at < bytes.size(); at += kE820EntrySize) {
    const uint8_t* in = bytes.data() + at;
    entries.push_back({.address = base::LoadLe64(in + kAddressOffset),
                       .length = base::LoadLe64(in + kLengthOffset),
                       .type = base::LoadLe32(in + kTypeOffset)});
  }
  return entries;
}

absl::Status ValidateE820Entry(const E820Entry& entry) {
  if (entry.type == 0) {
    return absl::InvalidArgumentError("E820 entry type 0 is not a type");
  }
  if (entry.length == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("E820 entry at 0x%x has zero length", entry.address));
  }
  // The last byte, address + length - 1, must not pass 2^64 - 1.
  if (entry.length - 1 > std::numeric_limits<uint64_t>::max() - entry.address) {
    return absl::InvalidArgumentError(
        absl::StrFormat("E820 entry [0x%x, +0x%x) wraps past 2^64",
                        entry.address, entry.length));
  }
  return absl::OkStatus();
}

absl::Status E820MapBuilder::Add(uint64_t address, uint64_t length,
                                 uint32_t type) {
  return Add(E820Entry{.address = address, .length = length, .type = type});
}

absl::Status E820MapBuilder::Add(const E820Entry& entry) {
  RETURN_IF_ERROR(ValidateE820Entry(entry));
  entries_.push_back(entry);
  return absl::OkStatus();
}

}  // namespace linux_loader
