// CRC-32 (IEEE 802.3, as zlib, gzip and PNG compute it; zlib does the
// work), for checking that a snapshot file arrived as it was written.

#ifndef BASE_CRC32_H_
#define BASE_CRC32_H_

#include <cstdint>

#include "absl/types/span.h"

namespace base {

// The CRC-32 of `data`; pass a previous result as `crc` to continue it.
// Crc32("123456789") == 0xcbf43926.
uint32_t Crc32(absl::Span<const uint8_t> data, uint32_t crc = 0);

}  // namespace base

#endif  // BASE_CRC32_H_
