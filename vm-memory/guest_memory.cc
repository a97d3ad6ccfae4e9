#include "vm-memory/guest_memory.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace vm_memory {

absl::StatusOr<std::shared_ptr<const GuestMemory>> GuestMemory::Create(
    std::vector<std::unique_ptr<MemoryRegion>> regions) {
  if (regions.empty()) {
    return absl::InvalidArgumentError("guest memory needs at least one region");
  }
  for (const auto& region : regions) {
    if (region == nullptr) {
      return absl::InvalidArgumentError("null guest memory region");
    }
  }
  std::sort(regions.begin(), regions.end(), [](const auto& a, const auto& b) {
    return a->start() < b->start();
  });
  for (size_t i = 1; i < regions.size(); ++i) {
    const MemoryRegion& previous = *regions[i - 1];
    const MemoryRegion& next = *regions[i];
    if (next.start() <= previous.last()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "guest memory regions [%s, %s] and [%s, %s] overlap",
          previous.start().ToString(), previous.last().ToString(),
          next.start().ToString(), next.last().ToString()));
    }
  }
  return std::shared_ptr<const GuestMemory>(
      new GuestMemory(std::move(regions)));
}

absl::StatusOr<std::shared_ptr<const GuestMemory>> GuestMemory::CreateAnonymous(
    absl::Span<const RegionLayout> layout) {
  std::vector<std::unique_ptr<MemoryRegion>> regions;
  regions.reserve(layout.size());
  for (const RegionLayout& entry : layout) {
    ASSIGN_OR_RETURN(std::unique_ptr<MemoryRegion> region,
                     MemoryRegion::CreateAnonymous(entry.start, entry.size));
    regions.push_back(std::move(region));
  }
  return Create(std::move(regions));
}

const MemoryRegion* GuestMemory::FindRegion(GuestAddress address) const {
  // The first region starting after `address`; the one before it is the only
  // candidate.
  auto after = std::upper_bound(
      regions_.begin(), regions_.end(), address,
      [](GuestAddress a, const auto& region) { return a < region->start(); });
  if (after == regions_.begin()) return nullptr;
  const MemoryRegion* candidate = std::prev(after)->get();
  return candidate->Contains(address) ? candidate : nullptr;
}

absl::Status GuestMemory::CheckRange(GuestAddress address, uint64_t length,
                                     bool for_write) const {
  if (length == 0) return absl::OkStatus();
  if (!address.CheckedAdd(length - 1)) {
    return absl::OutOfRangeError(absl::StrFormat(
        "guest range at %s of 0x%x bytes overflows the 64-bit address space",
        address.ToString(), length));
  }
  // Report the first segment that is not (writable) guest memory.
  absl::Status status;
  VisitRange(address, length,
             [&](GuestAddress start, uint64_t, uint8_t* host, bool read_only) {
               if (!status.ok()) return;
               if (host == nullptr) {
                 status = absl::OutOfRangeError(absl::StrFormat(
                     "guest range at %s of 0x%x bytes is not guest memory: %s "
                     "is unmapped",
                     address.ToString(), length, start.ToString()));
               } else if (for_write && read_only) {
                 status = absl::PermissionDeniedError(absl::StrFormat(
                     "guest range at %s of 0x%x bytes touches read-only "
                     "memory at %s",
                     address.ToString(), length, start.ToString()));
               }
             });
  return status;
}

uint64_t GuestMemory::VisitRange(GuestAddress address, uint64_t length,
                                 SegmentVisitor visit) const {
  if (length == 0) return 0;
  uint64_t cursor = address.raw();
  uint64_t remaining = length;
  uint64_t beyond = 0;
  if (!address.CheckedAdd(length - 1)) {
    // ~cursor is the count of bytes above the cursor, so the space holds
    // ~cursor + 1 bytes from it; that cannot overflow, as cursor > 0 here.
    remaining = ~cursor + 1;
    beyond = length - remaining;
  }
  while (remaining > 0) {
    // The first region that ends at or after the cursor.
    auto region = std::lower_bound(
        regions_.begin(), regions_.end(), cursor,
        [](const auto& r, uint64_t a) { return r->last().raw() < a; });
    uint64_t run;
    if (region == regions_.end() || (*region)->start().raw() > cursor) {
      run = remaining;
      if (region != regions_.end()) {
        run = std::min(run, (*region)->start().raw() - cursor);
      }
      visit(GuestAddress(cursor), run, nullptr, false);
    } else {
      const MemoryRegion& r = **region;
      const uint64_t offset = cursor - r.start().raw();
      run = std::min(remaining, r.size() - offset);
      visit(GuestAddress(cursor), run, r.host_address() + offset,
            r.read_only());
    }
    remaining -= run;
    if (remaining > 0) cursor += run;  // Stays inside the address space.
  }
  return beyond;
}

bool GuestMemory::IsRangeMapped(GuestAddress address, uint64_t length) const {
  return CheckRange(address, length, /*for_write=*/false).ok();
}

absl::Status GuestMemory::Read(GuestAddress address,
                               absl::Span<uint8_t> destination) const {
  RETURN_IF_ERROR(CheckRange(address, destination.size(), false));
  uint8_t* out = destination.data();
  VisitRange(address, destination.size(),
             [&](GuestAddress, uint64_t n, uint8_t* host, bool) {
               std::memcpy(out, host, n);
               out += n;
             });
  return absl::OkStatus();
}

absl::Status GuestMemory::Write(GuestAddress address,
                                absl::Span<const uint8_t> source) const {
  RETURN_IF_ERROR(CheckRange(address, source.size(), true));
  const uint8_t* in = source.data();
  VisitRange(address, source.size(),
             [&](GuestAddress, uint64_t n, uint8_t* host, bool) {
               std::memcpy(host, in, n);
               in += n;
             });
  return absl::OkStatus();
}

absl::Status GuestMemory::Fill(GuestAddress address, uint64_t length,
                               uint8_t value) const {
  RETURN_IF_ERROR(CheckRange(address, length, true));
  VisitRange(address, length,
             [&](GuestAddress, uint64_t n, uint8_t* host, bool) {
               std::memset(host, value, n);
             });
  return absl::OkStatus();
}

absl::StatusOr<absl::Span<uint8_t>> GuestMemory::GetSlice(
    GuestAddress address, uint64_t length, bool for_write) const {
  RETURN_IF_ERROR(CheckRange(address, length, for_write));
  if (length == 0) return absl::Span<uint8_t>();
  const MemoryRegion* region = FindRegion(address);
  const uint64_t offset = address.raw() - region->start().raw();
  if (length > region->size() - offset) {
    return absl::OutOfRangeError(absl::StrFormat(
        "guest range at %s of 0x%x bytes spans several memory regions",
        address.ToString(), length));
  }
  return absl::Span<uint8_t>(region->host_address() + offset, length);
}

template <typename T, std::endian order>
absl::StatusOr<T> GuestMemory::ReadInt(GuestAddress address) const {
  uint8_t bytes[sizeof(T)];
  RETURN_IF_ERROR(Read(address, absl::MakeSpan(bytes)));
  return base::Load<T, order>(bytes);
}

template <typename T, std::endian order>
absl::Status GuestMemory::WriteInt(GuestAddress address, T value) const {
  uint8_t bytes[sizeof(T)];
  base::Store<T, order>(bytes, value);
  return Write(address, absl::MakeConstSpan(bytes));
}

// clang-format off
absl::StatusOr<uint8_t> GuestMemory::ReadU8(GuestAddress a) const { return ReadInt<uint8_t, std::endian::little>(a); }
absl::StatusOr<uint16_t> GuestMemory::ReadLe16(GuestAddress a) const { return ReadInt<uint16_t, std::endian::little>(a); }
absl::StatusOr<uint32_t> GuestMemory::ReadLe32(GuestAddress a) const { return ReadInt<uint32_t, std::endian::little>(a); }
absl::StatusOr<uint64_t> GuestMemory::ReadLe64(GuestAddress a) const { return ReadInt<uint64_t, std::endian::little>(a); }
absl::StatusOr<uint16_t> GuestMemory::ReadBe16(GuestAddress a) const { return ReadInt<uint16_t, std::endian::big>(a); }
absl::StatusOr<uint32_t> GuestMemory::ReadBe32(GuestAddress a) const { return ReadInt<uint32_t, std::endian::big>(a); }
absl::StatusOr<uint64_t> GuestMemory::ReadBe64(GuestAddress a) const { return ReadInt<uint64_t, std::endian::big>(a); }
absl::Status GuestMemory::WriteU8(GuestAddress a, uint8_t v) const { return WriteInt<uint8_t, std::endian::little>(a, v); }
absl::Status GuestMemory::WriteLe16(GuestAddress a, uint16_t v) const { return WriteInt<uint16_t, std::endian::little>(a, v); }
absl::Status GuestMemory::WriteLe32(GuestAddress a, uint32_t v) const { return WriteInt<uint32_t, std::endian::little>(a, v); }
absl::Status GuestMemory::WriteLe64(GuestAddress a, uint64_t v) const { return WriteInt<uint64_t, std::endian::little>(a, v); }
absl::Status GuestMemory::WriteBe16(GuestAddress a, uint16_t v) const { return WriteInt<uint16_t, std::endian::big>(a, v); }
absl::Status GuestMemory::WriteBe32(GuestAddress a, uint32_t v) const { return WriteInt<uint32_t, std::endian::big>(a, v); }
absl::Status GuestMemory::WriteBe64(GuestAddress a, uint64_t v) const { return WriteInt<uint64_t, std::endian::big>(a, v); }
// clang-format on

}  // namespace vm_memory
