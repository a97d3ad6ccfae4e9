#include "tests/conformance/layout.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "base/byte_order.h"
#include "tests/conformance/views.h"

namespace conformance {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

absl::StatusOr<Layout> ParseLayout(std::string_view name) {
  if (name == "x86_64") return Layout::kX86_64;
  if (name == "arm-virt") return Layout::kArmVirt;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown layout '", AbslView(name), "' (expected x86_64 or arm-virt)"));
}

std::string LayoutName(Layout layout) {
  return layout == Layout::kX86_64 ? "x86_64" : "arm-virt";
}

uint64_t RamBase(Layout layout) {
  return layout == Layout::kX86_64 ? 0 : kArmVirtRamBase;
}

absl::StatusOr<uint64_t> ParseMemorySize(std::string_view text) {
  std::string_view digits = text;
  uint64_t scale = 1ull << 20;
  if (!digits.empty() && !absl::ascii_isdigit(digits.back())) {
    switch (absl::ascii_toupper(digits.back())) {
      case 'K':
        scale = 1ull << 10;
        break;
      case 'M':
        scale = 1ull << 20;
        break;
      case 'G':
        scale = 1ull << 30;
        break;
      case 'T':
        scale = 1ull << 40;
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("bad memory size '", AbslView(text), "'"));
    }
    digits.remove_suffix(1);
  }
  uint64_t value = 0;
  if (digits.empty() || !absl::SimpleAtoi(AbslView(digits), &value) ||
      value == 0 || value > (~uint64_t{0} / scale)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad memory size '", AbslView(text), "'"));
  }
  return value * scale;
}

std::string SelectCommand(Layout layout, uint16_t key) {
  if (layout == Layout::kX86_64) {
    return absl::StrFormat("outw 0x%x 0x%04x", kX86SelectorPort, key);
  }
  return absl::StrFormat("writew 0x%x 0x%04x", kArmVirtFwCfgBase + 8,
                         base::ByteSwap(key));
}

namespace {

// The widths of the data-register reads that fetch `count` bytes: x86 reads
// bytes; arm reads 8 at a time, then 4, 2 and 1 for the rest (a wider read
// would consume bytes past `count`).
std::vector<int> DataReadWidths(Layout layout, uint32_t count) {
  std::vector<int> widths;
  if (layout == Layout::kX86_64) {
    widths.assign(count, 1);
    return widths;
  }
  uint32_t left = count;
  for (int width : {8, 4, 2, 1}) {
    while (left >= static_cast<uint32_t>(width)) {
      widths.push_back(width);
      left -= static_cast<uint32_t>(width);
    }
  }
  return widths;
}

}  // namespace

std::vector<std::string> DataReadCommands(Layout layout, uint32_t count) {
  std::vector<std::string> commands;
  for (int width : DataReadWidths(layout, count)) {
    if (layout == Layout::kX86_64) {
      commands.push_back(absl::StrFormat("inb 0x%x", kX86DataPort));
    } else {
      const char* verb = width == 8   ? "readq"
                         : width == 4 ? "readl"
                         : width == 2 ? "readw"
                                      : "readb";
      commands.push_back(absl::StrFormat("%s 0x%x", verb, kArmVirtFwCfgBase));
    }
  }
  return commands;
}

absl::StatusOr<std::vector<uint8_t>> DecodeDataReadReplies(
    Layout layout, const std::vector<std::string>& replies, uint32_t count) {
  const std::vector<int> widths = DataReadWidths(layout, count);
  if (replies.size() != widths.size()) {
    return absl::InternalError("wrong number of data register replies");
  }
  std::vector<uint8_t> bytes;
  bytes.reserve(count);
  for (size_t i = 0; i < replies.size(); ++i) {
    absl::StatusOr<uint64_t> value = ParseValueReply(replies[i]);
    if (!value.ok()) return value.status();
    // Data reads are string-preserving: the value's little-endian bytes are
    // the item's bytes in order.
    for (int j = 0; j < widths[i]; ++j) {
      bytes.push_back(static_cast<uint8_t>(*value >> (8 * j)));
    }
  }
  return bytes;
}

std::vector<std::string> DmaStartCommands(Layout layout, uint64_t address) {
  const uint32_t high = static_cast<uint32_t>(address >> 32);
  const uint32_t low = static_cast<uint32_t>(address);
  if (layout == Layout::kX86_64) {
    return {
        absl::StrFormat("outl 0x%x 0x%08x", kX86DmaPort, base::ByteSwap(high)),
        absl::StrFormat("outl 0x%x 0x%08x", kX86DmaPort + 4,
                        base::ByteSwap(low))};
  }
  return {absl::StrFormat("writel 0x%x 0x%08x", kArmVirtFwCfgBase + 16,
                          base::ByteSwap(high)),
          absl::StrFormat("writel 0x%x 0x%08x", kArmVirtFwCfgBase + 20,
                          base::ByteSwap(low))};
}

absl::StatusOr<uint64_t> ParseValueReply(std::string_view reply) {
  if (!absl::StartsWith(AbslView(reply), "OK 0x") || reply.size() <= 5 ||
      reply.size() > 5 + 16) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a value reply: '", AbslView(reply), "'"));
  }
  uint64_t value = 0;
  for (char c : reply.substr(5)) {
    const int digit = HexDigit(c);
    if (digit < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("not a value reply: '", AbslView(reply), "'"));
    }
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  return value;
}

absl::StatusOr<std::vector<uint8_t>> ParseReadReply(std::string_view reply,
                                                    size_t length) {
  if (!absl::StartsWith(AbslView(reply), "OK 0x") ||
      reply.size() != 5 + 2 * length) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a reply to a ", length, "-byte read: '",
                     AbslView(reply.substr(0, 80)), "'"));
  }
  std::vector<uint8_t> bytes(length);
  for (size_t i = 0; i < length; ++i) {
    const int high = HexDigit(reply[5 + 2 * i]);
    const int low = HexDigit(reply[6 + 2 * i]);
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError("bad hex digit in a read reply");
    }
    bytes[i] = static_cast<uint8_t>(high << 4 | low);
  }
  return bytes;
}

}  // namespace conformance
