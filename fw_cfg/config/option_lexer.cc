#include "fw_cfg/config/option_lexer.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace fw_cfg::config_internal {
namespace {

// The characters that end an unquoted run of text.
constexpr std::string_view kSpecial = ",:[]=\"";

bool IsSpecial(char c) { return kSpecial.find(c) != std::string_view::npos; }

TokenKind PunctuationKind(char c) {
  switch (c) {
    case '=':
      return TokenKind::kEquals;
    case ',':
      return TokenKind::kComma;
    case ':':
      return TokenKind::kColon;
    case '[':
      return TokenKind::kOpenBracket;
    default:
      return TokenKind::kCloseBracket;
  }
}

// Reads the quoted value whose opening quote is at input[begin].
absl::StatusOr<Token> ReadQuoted(std::string_view input, size_t begin) {
  Token token{.kind = TokenKind::kQuoted, .begin = begin};
  size_t i = begin + 1;
  while (i < input.size()) {
    const char c = input[i];
    if (c == '"') {
      token.end = i + 1;
      return token;
    }
    if (c == '\\') {
      if (i + 1 >= input.size()) break;  // unterminated
      const char escaped = input[i + 1];
      if (escaped != '"' && escaped != '\\') {
        return absl::InvalidArgumentError(absl::StrFormat(
            "invalid fw_cfg config %s: unknown escape %s at offset %d inside "
            "quotes (only \\\" and \\\\ are allowed)",
            QuoteForMessage(input), QuoteForMessage(input.substr(i, 2)), i));
      }
      token.text.push_back(escaped);
      i += 2;
      continue;
    }
    token.text.push_back(c);
    ++i;
  }
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid fw_cfg config %s: unterminated quote starting "
                      "at offset %d",
                      QuoteForMessage(input), begin));
}

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view input) {
  std::vector<Token> tokens;
  size_t i = 0;
  while (i < input.size()) {
    const char c = input[i];
    if (c == '"') {
      absl::StatusOr<Token> quoted = ReadQuoted(input, i);
      if (!quoted.ok()) return quoted.status();
      i = quoted->end;
      tokens.push_back(*std::move(quoted));
    } else if (IsSpecial(c)) {
      tokens.push_back({.kind = PunctuationKind(c), .begin = i, .end = i + 1});
      ++i;
    } else {
      size_t end = i;
      while (end < input.size() && !IsSpecial(input[end])) ++end;
      tokens.push_back({.kind = TokenKind::kText,
                        .text = std::string(input.substr(i, end - i)),
                        .begin = i,
                        .end = end});
      i = end;
    }
  }
  tokens.push_back(
      {.kind = TokenKind::kEnd, .begin = input.size(), .end = input.size()});
  return tokens;
}

std::string DescribeToken(const Token& token) {
  switch (token.kind) {
    case TokenKind::kText:
      return absl::StrCat("text ", QuoteForMessage(token.text));
    case TokenKind::kQuoted:
      return "quoted value";
    case TokenKind::kEquals:
      return "\"=\"";
    case TokenKind::kComma:
      return "\",\"";
    case TokenKind::kColon:
      return "\":\"";
    case TokenKind::kOpenBracket:
      return "\"[\"";
    case TokenKind::kCloseBracket:
      return "\"]\"";
    case TokenKind::kEnd:
      return "end of input";
  }
  return "token";
}

std::string QuoteValueIfNeeded(std::string_view value) {
  // `=` reads back unchanged inside a value (only the first `=` of a
  // parameter separates), so only the other special characters need quotes.
  if (value.find_first_of(",:[]\"") == std::string_view::npos) {
    return std::string(value);
  }
  std::string quoted = "\"";
  for (const char c : value) {
    if (c == '"' || c == '\\') quoted.push_back('\\');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

std::string QuoteForMessage(std::string_view text) {
  // Debian's abseil has its own absl::string_view, distinct from std's.
  return absl::StrCat(
      "\"", absl::CHexEscape(absl::string_view(text.data(), text.size())),
      "\"");
}

}  // namespace fw_cfg::config_internal
