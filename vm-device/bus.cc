#include "vm-device/bus.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <iterator>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"

namespace vm_device {
namespace {

// The size of the next piece of an access of `remaining` bytes at `offset`
// into a device, following QEMU's memory_access_size(): at most
// `widths.max`, cut to the offset's natural alignment unless the device takes
// unaligned accesses, rounded down to a power of two.
uint64_t PieceSize(const AccessWidths& widths, uint64_t offset,
                   uint64_t remaining) {
  uint64_t limit = widths.max;
  if (!widths.unaligned) {
    const uint64_t alignment = offset & (~offset + 1);  // Lowest set bit.
    if (alignment != 0 && alignment < limit) limit = alignment;
  }
  return std::bit_floor(std::min(remaining, limit));
}

// How QEMU cuts accesses to addresses no device claims.
constexpr AccessWidths kUnassignedWidths{1, 4, false};

}  // namespace

absl::Status Bus::Insert(std::shared_ptr<BusDevice> device, uint64_t base,
                         uint64_t length) {
  if (device == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s bus: null device at 0x%x", name_, base));
  }
  ASSIGN_OR_RETURN(BusRange range, BusRange::Create(base, length));
  if (range.last() > last_address_) {
    return absl::OutOfRangeError(
        absl::StrFormat("%s bus: range %s lies outside the bus (last address "
                        "0x%x)",
                        name_, range.ToString(), last_address_));
  }
  const AccessWidths widths = device->Widths();
  if (absl::Status status = widths.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s bus: device at %s: %s", name_, range.ToString(), status.message()));
  }

  base::MutexLock lock(writer_mu_);
  const Table& current = *table_.ReadForUpdate();
  const std::vector<Entry>& entries = current.entries;
  // Only the neighbours can overlap: the first range at or after `base`, and
  // the last one before it.
  auto next = current.FirstAtOrAfter(base);
  if (next != entries.end() && next->base <= range.last()) {
    return absl::AlreadyExistsError(
        absl::StrFormat("%s bus: range %s overlaps [0x%x, 0x%x]", name_,
                        range.ToString(), next->base, next->last));
  }
  if (next != entries.begin()) {
    auto previous = std::prev(next);
    if (previous->last >= base) {
      return absl::AlreadyExistsError(
          absl::StrFormat("%s bus: range %s overlaps [0x%x, 0x%x]", name_,
                          range.ToString(), previous->base, previous->last));
    }
  }
  auto table = std::make_unique<Table>();
  table->entries.reserve(entries.size() + 1);
  table->entries.assign(entries.begin(), next);
  BusDevice* raw = device.get();
  table->entries.push_back(
      Entry{base, range.last(), widths, raw, std::move(device)});
  table->entries.insert(table->entries.end(), next, entries.end());
  table_.Publish(std::move(table));
  return absl::OkStatus();
}

absl::Status Bus::Remove(uint64_t base) {
  base::MutexLock lock(writer_mu_);
  const Table& current = *table_.ReadForUpdate();
  const std::vector<Entry>& entries = current.entries;
  auto it = current.FirstAtOrAfter(base);
  if (it == entries.end() || it->base != base) {
    return absl::NotFoundError(
        absl::StrFormat("%s bus: no range starts at 0x%x", name_, base));
  }
  auto table = std::make_unique<Table>();
  table->entries.reserve(entries.size() - 1);
  table->entries.assign(entries.begin(), it);
  table->entries.insert(table->entries.end(), std::next(it), entries.end());
  table_.Publish(std::move(table));
  return absl::OkStatus();
}

std::vector<Bus::Entry>::const_iterator Bus::Table::FirstAtOrAfter(
    uint64_t base) const {
  return std::lower_bound(
      entries.begin(), entries.end(), base,
      [](const Entry& entry, uint64_t b) { return entry.base < b; });
}

const Bus::Entry* Bus::Table::Find(uint64_t address) const {
  auto next = std::upper_bound(
      entries.begin(), entries.end(), address,
      [](uint64_t a, const Entry& entry) { return a < entry.base; });
  if (next == entries.begin()) return nullptr;
  const Entry& candidate = *std::prev(next);
  return address <= candidate.last ? &candidate : nullptr;
}

std::optional<Bus::Mapping> Bus::Find(uint64_t address) const {
  base::RcuReadLock lock;
  const Entry* entry = table_.Read()->Find(address);
  if (entry == nullptr) return std::nullopt;
  return Mapping{*BusRange::Create(entry->base, entry->last - entry->base + 1),
                 entry->owner};
}

bool Bus::Dispatch(uint64_t address, bool read, absl::Span<uint8_t> in,
                   absl::Span<const uint8_t> out) const {
  const uint64_t size = read ? in.size() : out.size();
  // One table for the whole access; it and its devices stay alive until the
  // read section ends, even if a range is removed meanwhile.
  base::RcuReadLock lock;
  const Table& table = *table_.Read();
  bool hit = false;
  uint64_t done = 0;
  while (done < size) {
    uint64_t cursor;
    if (__builtin_add_overflow(address, done, &cursor) ||
        cursor > last_address_) {
      // The rest lies past the top of the address space: never wrap to 0.
      if (read) std::memset(in.data() + done, unassigned_byte_, size - done);
      break;
    }
    // What is left of the access, cut at the top of the address space.
    // (Compare before adding 1: last - cursor + 1 overflows at 2^64 - 1.)
    uint64_t remaining = size - done;
    if (last_address_ - cursor < remaining) {
      remaining = last_address_ - cursor + 1;
    }

    // As in QEMU's flatview_read/write_continue, the region holding the
    // first byte decides the size of the next piece, and the piece is not
    // cut where that region ends.
    const Entry* entry = table.Find(cursor);
    if (entry == nullptr) {
      // QEMU's unassigned-access ops: at most 4 bytes, naturally aligned
      // (offsets are absolute: the unassigned region spans the whole bus).
      const uint64_t piece = PieceSize(kUnassignedWidths, cursor, remaining);
      if (read) std::memset(in.data() + done, unassigned_byte_, piece);
      done += piece;
      continue;
    }
    hit = true;
    const uint64_t offset = cursor - entry->base;
    const uint64_t piece = PieceSize(entry->widths, offset, remaining);
    if (piece < entry->widths.min) {
      // Too narrow for the device: QEMU answers 0 and drops writes.
      if (read) std::memset(in.data() + done, 0, piece);
    } else if (read) {
      entry->device->Read(offset, in.subspan(done, piece));
    } else {
      entry->device->Write(offset, out.subspan(done, piece));
    }
    done += piece;
  }
  return hit;
}

bool Bus::Read(uint64_t address, absl::Span<uint8_t> data) const {
  return Dispatch(address, /*read=*/true, data, {});
}

bool Bus::Write(uint64_t address, absl::Span<const uint8_t> data) const {
  return Dispatch(address, /*read=*/false, {}, data);
}

}  // namespace vm_device
