#include "vm-device/bus_range.h"

#include "absl/status/status.h"
#include "absl/strings/str_format.h"

namespace vm_device {

absl::StatusOr<BusRange> BusRange::Create(uint64_t base, uint64_t length) {
  if (length == 0) {
    return absl::InvalidArgumentError(
        absl::StrFormat("bus range at 0x%x has zero length", base));
  }
  uint64_t last;
  if (__builtin_add_overflow(base, length - 1, &last)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "bus range at 0x%x of 0x%x bytes wraps around the address space", base,
        length));
  }
  return BusRange(base, last);
}

std::string BusRange::ToString() const {
  return absl::StrFormat("[0x%x, 0x%x]", base_, last_);
}

}  // namespace vm_device
