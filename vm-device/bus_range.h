// BusRange: a non-empty range of bus addresses [base, base + length).
//
// Mirrors rust-vmm's `BusRange`: construction rejects a zero length and a
// range whose last byte would pass 2^64 - 1, and the range is kept as an
// inclusive last address so that a range ending at the very top of the
// address space is representable.

#ifndef VM_DEVICE_BUS_RANGE_H_
#define VM_DEVICE_BUS_RANGE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace vm_device {

class BusRange {
 public:
  static absl::StatusOr<BusRange> Create(uint64_t base, uint64_t length);

  uint64_t base() const { return base_; }
  uint64_t last() const { return last_; }
  // The number of addresses (at most 2^64 - 1, as Create takes a uint64_t).
  uint64_t length() const { return last_ - base_ + 1; }

  bool Contains(uint64_t address) const {
    return address >= base_ && address <= last_;
  }
  bool Overlaps(const BusRange& other) const {
    return base_ <= other.last_ && other.base_ <= last_;
  }

  std::string ToString() const;
  friend bool operator==(const BusRange&, const BusRange&) = default;

 private:
  BusRange(uint64_t base, uint64_t last) : base_(base), last_(last) {}

  uint64_t base_;
  uint64_t last_;
};

}  // namespace vm_device

#endif  // VM_DEVICE_BUS_RANGE_H_
