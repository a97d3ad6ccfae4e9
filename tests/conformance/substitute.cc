#include "tests/conformance/substitute.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "tests/conformance/views.h"

namespace conformance {
namespace {

absl::StatusOr<uint16_t> EvaluateKey(std::string_view expression,
                                     const KeyMap& keys) {
  uint64_t key = 0;
  for (absl::string_view term : absl::StrSplit(AbslView(expression), '|')) {
    absl::StatusOr<uint64_t> number = ParseCaseNumber(StdView(term));
    if (number.ok()) {
      key |= *number;
      continue;
    }
    auto it = keys.find(StdView(term));
    if (it == keys.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", term, "' is neither a number nor a user item of this case"));
    }
    key |= it->second;
  }
  if (key > 0xffff) {
    return absl::InvalidArgumentError(
        absl::StrCat("key '", AbslView(expression), "' exceeds 16 bits"));
  }
  return static_cast<uint16_t>(key);
}

absl::StatusOr<uint64_t> NumberAtMost(std::string_view text, uint64_t max) {
  ASSIGN_OR_RETURN(const uint64_t value, ParseCaseNumber(text));
  if (value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", AbslView(text), "' is too large here"));
  }
  return value;
}

absl::StatusOr<std::string> Expand(std::string_view body, const KeyMap& keys) {
  const size_t colon = body.find(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("placeholder '${", AbslView(body), "}' has no ':'"));
  }
  const std::string_view function = body.substr(0, colon);
  const std::string_view argument = body.substr(colon + 1);
  if (function == "key" || function == "keyhex" || function == "keybe") {
    ASSIGN_OR_RETURN(const uint16_t key, EvaluateKey(argument, keys));
    if (function == "key") return absl::StrFormat("0x%04x", key);
    if (function == "keyhex") return absl::StrFormat("%04x", key);
    return absl::StrFormat("0x%04x", base::ByteSwap(key));
  }
  if (function == "be16") {
    ASSIGN_OR_RETURN(const uint64_t v, NumberAtMost(argument, 0xffff));
    return absl::StrFormat("0x%04x", base::ByteSwap(static_cast<uint16_t>(v)));
  }
  if (function == "be32") {
    ASSIGN_OR_RETURN(const uint64_t v, NumberAtMost(argument, 0xffffffff));
    return absl::StrFormat("0x%08x", base::ByteSwap(static_cast<uint32_t>(v)));
  }
  if (function == "be64") {
    ASSIGN_OR_RETURN(const uint64_t v, ParseCaseNumber(argument));
    return absl::StrFormat("0x%016x", base::ByteSwap(v));
  }
  if (function == "desc") {
    std::vector<absl::string_view> fields =
        absl::StrSplit(AbslView(argument), ':');
    if (fields.size() != 4) {
      return absl::InvalidArgumentError("use ${desc:KEY:BITS:LENGTH:ADDRESS}");
    }
    ASSIGN_OR_RETURN(const uint16_t key, EvaluateKey(StdView(fields[0]), keys));
    ASSIGN_OR_RETURN(const uint64_t bits,
                     NumberAtMost(StdView(fields[1]), 0xffff));
    ASSIGN_OR_RETURN(const uint64_t length,
                     NumberAtMost(StdView(fields[2]), 0xffffffff));
    ASSIGN_OR_RETURN(const uint64_t address,
                     ParseCaseNumber(StdView(fields[3])));
    return absl::StrFormat("0x%04x%04x%08x%016x", key, bits, length, address);
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown placeholder function '", AbslView(function), "'"));
}

}  // namespace

absl::StatusOr<uint64_t> ParseCaseNumber(std::string_view text) {
  uint64_t value = 0;
  bool ok = false;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    ok = absl::SimpleHexAtoi(AbslView(text.substr(2)), &value);
    // SimpleHexAtoi accepts a sign and a second 0x; case numbers do not.
    for (char c : text.substr(2)) {
      if (!absl::ascii_isxdigit(c)) ok = false;
    }
  } else if (!text.empty()) {
    ok = true;
    for (char c : text) {
      if (!absl::ascii_isdigit(c)) ok = false;
    }
    ok = ok && absl::SimpleAtoi(AbslView(text), &value);
  }
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad number '", AbslView(text), "'"));
  }
  return value;
}

absl::StatusOr<std::string> Substitute(std::string_view line,
                                       const KeyMap& keys) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t start = line.find("${", pos);
    if (start == std::string_view::npos) break;
    const size_t end = line.find('}', start);
    if (end == std::string_view::npos) {
      return absl::InvalidArgumentError("unterminated '${'");
    }
    out.append(line.substr(pos, start - pos));
    ASSIGN_OR_RETURN(std::string expansion,
                     Expand(line.substr(start + 2, end - start - 2), keys));
    out += expansion;
    pos = end + 1;
  }
  out.append(line.substr(pos));
  return out;
}

}  // namespace conformance
