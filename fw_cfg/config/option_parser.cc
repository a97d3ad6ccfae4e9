#include "fw_cfg/config/option_parser.h"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "fw_cfg/config/option_lexer.h"

namespace fw_cfg::config_internal {
namespace {

// A recursive-descent parser over the token list. The grammar nests at most
// one level (lists hold items, items hold plain parameters).
class Parser {
 public:
  Parser(std::string_view input, std::vector<Token> tokens)
      : input_(input), tokens_(std::move(tokens)) {}

  absl::StatusOr<std::vector<OptionParam>> ParseAll() {
    std::vector<OptionParam> params;
    if (Peek().kind == TokenKind::kEnd) return params;  // "": all defaults
    while (true) {
      ASSIGN_OR_RETURN(OptionParam param, ParseParam(/*in_list=*/false));
      params.push_back(std::move(param));
      if (Peek().kind == TokenKind::kComma) {
        Next();
        continue;
      }
      if (Peek().kind == TokenKind::kEnd) return params;
      return Unexpected(Peek());
    }
  }

 private:
  const Token& Peek() const { return tokens_[pos_]; }

  // Never moves past the kEnd token.
  const Token& Next() {
    const Token& token = tokens_[pos_];
    if (token.kind != TokenKind::kEnd) ++pos_;
    return token;
  }

  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrFormat(
        "invalid fw_cfg config %s: %s", QuoteForMessage(input_), what));
  }

  // The error for a token that the grammar does not allow where it stands.
  absl::Status Unexpected(const Token& token) const {
    switch (token.kind) {
      case TokenKind::kEnd:
        if (open_bracket_) {
          return Error(absl::StrFormat(
              "unbalanced brackets: \"[\" at offset %d is never closed",
              *open_bracket_));
        }
        break;
      case TokenKind::kCloseBracket:
        if (!open_bracket_) {
          return Error(absl::StrFormat(
              "unbalanced brackets: \"]\" at offset %d closes nothing",
              token.begin));
        }
        break;
      case TokenKind::kOpenBracket:
        return Error(absl::StrFormat(
            "unexpected \"[\" at offset %d (a list may only be a whole "
            "top-level value, and a value containing \"[\" must be quoted)",
            token.begin));
      case TokenKind::kColon:
        if (!open_bracket_) {
          return Error(absl::StrFormat(
              "unexpected \":\" at offset %d outside brackets (a value "
              "containing \":\" must be quoted)",
              token.begin));
        }
        break;
      case TokenKind::kQuoted:
        return Error(absl::StrFormat(
            "unexpected quote at offset %d (quotes must enclose a whole "
            "value; an unquoted value may not contain '\"')",
            token.begin));
      default:
        break;
    }
    return Error(absl::StrFormat("unexpected %s at offset %d",
                                 DescribeToken(token), token.begin));
  }

  static bool EndsParam(TokenKind kind) {
    return kind == TokenKind::kComma || kind == TokenKind::kColon ||
           kind == TokenKind::kCloseBracket || kind == TokenKind::kEnd;
  }

  absl::StatusOr<OptionParam> ParseParam(bool in_list) {
    const Token& first = Peek();
    const size_t begin = first.begin;
    if (first.kind != TokenKind::kText) {
      if (first.kind == TokenKind::kEnd && open_bracket_) {
        return Unexpected(first);
      }
      if (EndsParam(first.kind)) {
        return Error(absl::StrFormat("empty %s at offset %d",
                                     in_list ? "item parameter" : "parameter",
                                     begin));
      }
      if (first.kind == TokenKind::kQuoted) {
        return Error(absl::StrFormat(
            "a key may not be quoted (quoted text at offset %d)", begin));
      }
      if (first.kind == TokenKind::kEquals) {
        return Error(
            absl::StrFormat("missing key before \"=\" at offset %d", begin));
      }
      return Unexpected(first);
    }
    OptionParam param;
    param.key = Next().text;
    if (Peek().kind == TokenKind::kEquals) {
      Next();
      if (Peek().kind == TokenKind::kOpenBracket) {
        if (in_list) {
          return Error(absl::StrFormat(
              "lists do not nest: unexpected \"[\" at offset %d (quote a "
              "value that contains \"[\")",
              Peek().begin));
        }
        open_bracket_ = Next().begin;
        ASSIGN_OR_RETURN(param.list, ParseList());
        open_bracket_.reset();
        param.kind = OptionParam::Kind::kList;
      } else {
        ASSIGN_OR_RETURN(param.value, ParseValue());
        param.kind = OptionParam::Kind::kValue;
      }
    }
    if (!EndsParam(Peek().kind)) return Unexpected(Peek());
    param.source = input_.substr(begin, Peek().begin - begin);
    return param;
  }

  // A scalar value: one quoted token, or unquoted text and `=` signs.
  absl::StatusOr<std::string> ParseValue() {
    if (Peek().kind == TokenKind::kQuoted) return Next().text;
    std::string value;
    while (true) {
      const Token& token = Peek();
      if (token.kind == TokenKind::kText) {
        value += token.text;
      } else if (token.kind == TokenKind::kEquals) {
        value += '=';
      } else {
        return value;
      }
      Next();
    }
  }

  // The items after an opening bracket, through the closing bracket.
  absl::StatusOr<std::vector<OptionItem>> ParseList() {
    std::vector<OptionItem> items;
    if (Peek().kind == TokenKind::kCloseBracket) {
      Next();
      return items;  // items=[]
    }
    while (true) {
      const size_t begin = Peek().begin;
      if (Peek().kind == TokenKind::kColon ||
          Peek().kind == TokenKind::kCloseBracket) {
        return Error(absl::StrFormat("empty item at offset %d", begin));
      }
      OptionItem item;
      while (true) {
        ASSIGN_OR_RETURN(OptionParam param, ParseParam(/*in_list=*/true));
        item.params.push_back(std::move(param));
        if (Peek().kind != TokenKind::kComma) break;
        Next();
      }
      item.source = input_.substr(begin, Peek().begin - begin);
      items.push_back(std::move(item));
      if (Peek().kind == TokenKind::kColon) {
        Next();
      } else if (Peek().kind == TokenKind::kCloseBracket) {
        Next();
        return items;
      } else {
        return Unexpected(Peek());
      }
    }
  }

  std::string_view input_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  std::optional<size_t> open_bracket_;  // offset of the `[` being parsed
};

}  // namespace

absl::StatusOr<std::vector<OptionParam>> ParseOptions(std::string_view input) {
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(input));
  return Parser(input, std::move(tokens)).ParseAll();
}

}  // namespace fw_cfg::config_internal
