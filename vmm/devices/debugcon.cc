#include "vmm/devices/debugcon.h"

namespace vmm {

void DebugConsole::Read(uint64_t, absl::Span<uint8_t> data) {
  for (uint8_t& byte : data) byte = kReadback;
}

void DebugConsole::Write(uint64_t, absl::Span<const uint8_t> data) {
  for (uint8_t byte : data) output_(byte);
}

}  // namespace vmm
