// Placeholders in case-file commands, expanded per side because QEMU and our
// VMM give a user item different select keys (QEMU's own files come first).
//
//   ${key:K}      0x%04x of K               outw 0x510 ${key:opt/a}
//   ${keyhex:K}   %04x of K, no 0x          (inside a longer hex number)
//   ${keybe:K}    0x%04x of K byte-swapped  writew 0x9020008 ${keybe:opt/a}
//   ${be16:N} ${be32:N} ${be64:N}
//                 0x + N byte-swapped at that width (DMA register values)
//   ${desc:K:BITS:LEN:ADDR}
//                 a 16-byte FWCfgDmaAccess as `write`'s hex argument:
//                 control = K << 16 | BITS, length LEN, address ADDR, all
//                 big-endian: write 0x1000 16 ${desc:opt/a:0x0a:4:0x2000}
//
// K is one or more terms joined by `|` (OR'ed), each a number (decimal or
// 0x hex) or a user item's name: ${key:opt/a|0x4000}.

#ifndef TESTS_CONFORMANCE_SUBSTITUTE_H_
#define TESTS_CONFORMANCE_SUBSTITUTE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace conformance {

// A side's select key for each user item.
using KeyMap = std::map<std::string, uint16_t, std::less<>>;

absl::StatusOr<std::string> Substitute(std::string_view line,
                                       const KeyMap& keys);

// Parses a number as case files write them: decimal or 0x hex.
absl::StatusOr<uint64_t> ParseCaseNumber(std::string_view text);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_SUBSTITUTE_H_
