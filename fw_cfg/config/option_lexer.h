// The lexical layer of the `--fw-cfg-config` syntax: splits an option string
// into tokens and resolves double-quoted values.
//
// Six characters are special outside quotes: `,` `:` `[` `]` `=` and `"`.
// Every maximal run of other characters is one kText token, as written (a
// backslash outside quotes is an ordinary character). A double-quoted run is
// one kQuoted token whose text has its escapes resolved: inside quotes every
// character stands for itself except `\"` (a quote) and `\\` (a backslash);
// any other backslash sequence is an error, so that new escapes can be given
// a meaning later without changing what existing options mean.
//
//   Tokenize(R"(file="/a,b\"c",x)")
//     -> kText "file", kEquals, kQuoted `/a,b"c`, kComma, kText "x", kEnd
//
// Internal to //fw_cfg/config; see fw_cfg_config.h for the grammar.

#ifndef FW_CFG_CONFIG_OPTION_LEXER_H_
#define FW_CFG_CONFIG_OPTION_LEXER_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace fw_cfg::config_internal {

enum class TokenKind {
  kText,          // unquoted characters, as written
  kQuoted,        // a double-quoted value, escapes resolved
  kEquals,        // =
  kComma,         // ,
  kColon,         // :
  kOpenBracket,   // [
  kCloseBracket,  // ]
  kEnd,           // end of input; always the last token
};

struct Token {
  TokenKind kind;
  std::string text;  // kText and kQuoted only
  // Byte offsets of the token in the input, for error messages: [begin, end).
  size_t begin = 0;
  size_t end = 0;
};

// Splits `input` into tokens ending with one kEnd token. Fails with
// InvalidArgumentError on an unterminated quote or an unknown escape.
absl::StatusOr<std::vector<Token>> Tokenize(std::string_view input);

// How a token kind reads in an error message, e.g. `":"` or `end of input`.
std::string DescribeToken(const Token& token);

// `value` as a value in option syntax: unchanged when that reads back as the
// same text, otherwise double-quoted with `"` and `\` escaped.
std::string QuoteValueIfNeeded(std::string_view value);

// `text` in double quotes with C escapes (absl::CHexEscape), so that an
// error message quoting user input stays on one line.
std::string QuoteForMessage(std::string_view text);

}  // namespace fw_cfg::config_internal

#endif  // FW_CFG_CONFIG_OPTION_LEXER_H_
