#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/config/option_lexer.h"
#include "fw_cfg/config/option_parser.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg::config_internal {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::vector<TokenKind> Kinds(const std::vector<Token>& tokens) {
  std::vector<TokenKind> kinds;
  for (const Token& token : tokens) kinds.push_back(token.kind);
  return kinds;
}

TEST(Tokenize, SplitsOnPunctuation) {
  auto tokens = Tokenize("a=b,c:[d]");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  EXPECT_EQ(Kinds(*tokens),
            (std::vector<TokenKind>{
                TokenKind::kText, TokenKind::kEquals, TokenKind::kText,
                TokenKind::kComma, TokenKind::kText, TokenKind::kColon,
                TokenKind::kOpenBracket, TokenKind::kText,
                TokenKind::kCloseBracket, TokenKind::kEnd}));
  EXPECT_EQ((*tokens)[0].text, "a");
  EXPECT_EQ((*tokens)[4].text, "c");
  EXPECT_EQ((*tokens)[4].begin, 4u);
  EXPECT_EQ((*tokens)[9].begin, 9u);  // kEnd sits at the input's end
}

TEST(Tokenize, EmptyInputIsJustEnd) {
  auto tokens = Tokenize("");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(Kinds(*tokens), std::vector<TokenKind>{TokenKind::kEnd});
}

TEST(Tokenize, QuotedTextIsLiteralExceptTwoEscapes) {
  auto tokens = Tokenize(R"("a,b:[c]=d\"e\\f\g")");
  // \g is not an escape: error. Without it the value resolves.
  EXPECT_FALSE(tokens.ok());
  tokens = Tokenize(R"(x="a,b:[c]=d\"e\\f")");
  ASSERT_TRUE(tokens.ok()) << tokens.status();
  ASSERT_EQ(tokens->size(), 4u);
  EXPECT_EQ((*tokens)[2].kind, TokenKind::kQuoted);
  EXPECT_EQ((*tokens)[2].text, R"(a,b:[c]=d"e\f)");
  EXPECT_EQ((*tokens)[2].begin, 2u);
  EXPECT_EQ((*tokens)[2].end, 19u);
}

TEST(Tokenize, BackslashOutsideQuotesIsOrdinary) {
  auto tokens = Tokenize(R"(a\n)");
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ((*tokens)[0].text, R"(a\n)");
}

TEST(Tokenize, UnterminatedQuote) {
  for (const char* input : {R"(a=")", R"(a="xyz)", R"(a="xyz\")", R"(a="x\)"}) {
    SCOPED_TRACE(input);
    auto tokens = Tokenize(input);
    EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(tokens.status().message(),
                HasSubstr("unterminated quote starting at offset 2"));
  }
}

TEST(Tokenize, UnknownEscapeIsNamed) {
  auto tokens = Tokenize(R"(a="x\ty")");
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(tokens.status().message(), HasSubstr(R"(unknown escape "\\t")"));
  EXPECT_THAT(tokens.status().message(), HasSubstr("offset 4"));
}

TEST(QuoteValueIfNeeded, QuotesOnlyWhenNeeded) {
  EXPECT_EQ(QuoteValueIfNeeded("/tmp/a.txt"), "/tmp/a.txt");
  EXPECT_EQ(QuoteValueIfNeeded("a=b"), "a=b");
  EXPECT_EQ(QuoteValueIfNeeded(R"(a\b)"), R"(a\b)");
  EXPECT_EQ(QuoteValueIfNeeded(""), "");
  EXPECT_EQ(QuoteValueIfNeeded("a,b"), R"("a,b")");
  EXPECT_EQ(QuoteValueIfNeeded("a:b"), R"("a:b")");
  EXPECT_EQ(QuoteValueIfNeeded("[x]"), R"("[x]")");
  EXPECT_EQ(QuoteValueIfNeeded(R"(say "hi" \o/)"), R"("say \"hi\" \\o/")");
}

TEST(QuoteForMessage, StaysOnOneLine) {
  EXPECT_EQ(QuoteForMessage("a\nb\"c"), R"("a\nb\"c")");
}

TEST(ParseOptions, ParamsValuesAndLists) {
  auto params =
      ParseOptions(R"(disable,a=1,b=x=y,c="q,:",d=[k=v,l=w:m=n],e=,f=[])");
  ASSERT_TRUE(params.ok()) << params.status();
  ASSERT_EQ(params->size(), 7u);
  const auto& p = *params;
  EXPECT_EQ(p[0].kind, OptionParam::Kind::kBare);
  EXPECT_EQ(p[0].key, "disable");
  EXPECT_EQ(p[1].kind, OptionParam::Kind::kValue);
  EXPECT_EQ(p[1].value, "1");
  EXPECT_EQ(p[2].value, "x=y");
  EXPECT_EQ(p[2].source, "b=x=y");
  EXPECT_EQ(p[3].value, "q,:");
  EXPECT_EQ(p[3].source, R"(c="q,:")");
  ASSERT_EQ(p[4].kind, OptionParam::Kind::kList);
  ASSERT_EQ(p[4].list.size(), 2u);
  EXPECT_EQ(p[4].list[0].source, "k=v,l=w");
  ASSERT_EQ(p[4].list[0].params.size(), 2u);
  EXPECT_EQ(p[4].list[0].params[1].key, "l");
  EXPECT_EQ(p[4].list[0].params[1].value, "w");
  EXPECT_EQ(p[4].list[1].source, "m=n");
  EXPECT_EQ(p[5].kind, OptionParam::Kind::kValue);
  EXPECT_EQ(p[5].value, "");
  EXPECT_EQ(p[6].kind, OptionParam::Kind::kList);
  EXPECT_TRUE(p[6].list.empty());
}

TEST(ParseOptions, EmptyInputHasNoParams) {
  auto params = ParseOptions("");
  ASSERT_TRUE(params.ok());
  EXPECT_TRUE(params->empty());
}

TEST(ParseOptions, SyntaxErrors) {
  struct Case {
    const char* input;
    const char* expected;
  };
  const Case cases[] = {
      {"a=1,,b=2", "empty parameter at offset 4"},
      {",a=1", "empty parameter at offset 0"},
      {"a=1,", "empty parameter at offset 4"},
      {"=1", "missing key before \"=\" at offset 0"},
      {R"("a"=1)", "a key may not be quoted"},
      {"a=[k=v", "unbalanced brackets: \"[\" at offset 2 is never closed"},
      {"a=[k=v,", "unbalanced brackets: \"[\" at offset 2 is never closed"},
      {"a=[k=v:", "unbalanced brackets: \"[\" at offset 2 is never closed"},
      {"a=[", "unbalanced brackets: \"[\" at offset 2 is never closed"},
      {"a=1]", "unbalanced brackets: \"]\" at offset 3 closes nothing"},
      {"a=[k=v]]", "unbalanced brackets: \"]\" at offset 7 closes nothing"},
      {"a=[k=[v]]", "lists do not nest"},
      {"a=x[y", "unexpected \"[\" at offset 3"},
      {"a=1:2", "unexpected \":\" at offset 3 outside brackets"},
      {R"(a=x"y")", "unexpected quote at offset 3"},
      {R"(a="x"y)", "unexpected text \"y\" at offset 5"},
      {"a=[k=v]x", "unexpected text \"x\" at offset 7"},
      {"a=[k=v:]", "empty item at offset 7"},
      {"a=[:k=v]", "empty item at offset 3"},
      {"a=[k=v,,l=w]", "empty item parameter at offset 7"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.input);
    auto params = ParseOptions(c.input);
    ASSERT_FALSE(params.ok());
    EXPECT_EQ(params.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(params.status().message(), HasSubstr(c.expected));
    EXPECT_THAT(params.status().message(), Not(HasSubstr("\n")));
  }
}

}  // namespace
}  // namespace fw_cfg::config_internal
