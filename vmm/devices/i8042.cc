#include "vmm/devices/i8042.h"

#include <algorithm>

namespace vmm {

void I8042::Read(uint64_t, absl::Span<uint8_t> data) {
  // Data: nothing buffered. Status: output and input buffers empty, so a
  // probing guest finds no keyboard and never waits on us.
  std::fill(data.begin(), data.end(), 0);
}

void I8042::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (offset == kCommandPort - kDataPort && data[0] == 0xfe && on_reset_) {
    on_reset_();  // "Pulse the reset line".
  }
}

}  // namespace vmm
