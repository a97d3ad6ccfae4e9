#include "vm-device/bus_device.h"

#include <bit>

#include "absl/strings/str_format.h"

namespace vm_device {

absl::Status AccessWidths::Validate() const {
  if (!std::has_single_bit(min) || !std::has_single_bit(max) || min > max ||
      max > 8) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid access widths min=%d max=%d: need powers of two with "
        "1 <= min <= max <= 8",
        min, max));
  }
  return absl::OkStatus();
}

}  // namespace vm_device
