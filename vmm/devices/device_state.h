// DeviceState: what a device of the machine saves into a snapshot and takes
// back on restore (vmm/snapshot/). The bytes are the device's own format;
// RestoreState refuses bytes of another size or version with
// InvalidArgument and then changes nothing.

#ifndef VMM_DEVICES_DEVICE_STATE_H_
#define VMM_DEVICES_DEVICE_STATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace vmm {

class DeviceState {
 public:
  virtual ~DeviceState() = default;
  virtual std::vector<uint8_t> SaveState() = 0;
  virtual absl::Status RestoreState(absl::Span<const uint8_t> state) = 0;
};

}  // namespace vmm

#endif  // VMM_DEVICES_DEVICE_STATE_H_
