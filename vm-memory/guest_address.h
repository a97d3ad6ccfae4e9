// GuestAddress: a guest-physical address as a type of its own.
//
// Mirrors rust-vmm's `GuestAddress`. Arithmetic is checked: there is no
// operator+, and every addition or subtraction returns std::nullopt instead of
// wrapping past 0 or 2^64 - 1, so guest-supplied numbers can never alias a
// different address by overflow.
//
//   GuestAddress base(0x1000);
//   std::optional<GuestAddress> end = base.CheckedAdd(len);
//   if (!end) return absl::OutOfRangeError("address overflow");

#ifndef VM_MEMORY_GUEST_ADDRESS_H_
#define VM_MEMORY_GUEST_ADDRESS_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "absl/strings/str_format.h"

namespace vm_memory {

class GuestAddress {
 public:
  constexpr GuestAddress() = default;
  constexpr explicit GuestAddress(uint64_t raw) : raw_(raw) {}

  constexpr uint64_t raw() const { return raw_; }

  // this + offset, or nullopt if the sum exceeds 2^64 - 1.
  constexpr std::optional<GuestAddress> CheckedAdd(uint64_t offset) const {
    uint64_t sum;
    if (__builtin_add_overflow(raw_, offset, &sum)) return std::nullopt;
    return GuestAddress(sum);
  }

  // this - offset, or nullopt if the difference is below 0.
  constexpr std::optional<GuestAddress> CheckedSub(uint64_t offset) const {
    if (offset > raw_) return std::nullopt;
    return GuestAddress(raw_ - offset);
  }

  // The distance from `base` up to this address, or nullopt if this address
  // lies below `base`.
  constexpr std::optional<uint64_t> CheckedOffsetFrom(GuestAddress base) const {
    if (raw_ < base.raw_) return std::nullopt;
    return raw_ - base.raw_;
  }

  friend constexpr auto operator<=>(GuestAddress, GuestAddress) = default;

  template <typename H>
  friend H AbslHashValue(H h, GuestAddress address) {
    return H::combine(std::move(h), address.raw_);
  }

  std::string ToString() const { return absl::StrFormat("0x%x", raw_); }
  friend std::ostream& operator<<(std::ostream& os, GuestAddress address) {
    return os << address.ToString();
  }

 private:
  uint64_t raw_ = 0;
};

}  // namespace vm_memory

#endif  // VM_MEMORY_GUEST_ADDRESS_H_
