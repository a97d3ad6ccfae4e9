#include "base/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

namespace base {

// zlib's crc32 is the same CRC-32 and several times faster than a byte-wise
// table (snapshots checksum every item's bytes).
uint32_t Crc32(absl::Span<const uint8_t> data, uint32_t crc) {
  uLong value = crc;
  while (!data.empty()) {
    const size_t chunk =
        std::min<size_t>(data.size(), std::numeric_limits<uInt>::max());
    value = crc32(value, data.data(), static_cast<uInt>(chunk));
    data.remove_prefix(chunk);
  }
  return static_cast<uint32_t>(value);
}

}  // namespace base
