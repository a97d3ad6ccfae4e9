#include "fw_cfg/config/fw_cfg_config.h"

#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <iostream>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/subprocess.h"
#include "fw_cfg/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {

// Readable failure output for item comparisons.
void PrintTo(const FwCfgItemConfig& item, std::ostream* os) {
  *os << "{name=\"" << item.name << "\", "
      << (item.source == FwCfgItemConfig::Source::kFile ? "file" : "string")
      << "=\"" << item.value << "\"}";
}

namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;
using Source = FwCfgItemConfig::Source;

FwCfgItemConfig File(std::string name, std::string path) {
  return {.name = std::move(name),
          .source = Source::kFile,
          .value = std::move(path)};
}

FwCfgItemConfig String(std::string name, std::string text) {
  return {.name = std::move(name),
          .source = Source::kString,
          .value = std::move(text)};
}

// Whether `text` is rejected with a one-line InvalidArgumentError whose
// message contains every one of `parts`.
AssertionResult Rejected(std::string_view text,
                         std::initializer_list<std::string_view> parts) {
  const absl::StatusOr<FwCfgConfig> config = ParseFwCfgConfig(text);
  if (config.ok()) return AssertionFailure() << "accepted";
  const absl::Status& status = config.status();
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return AssertionFailure() << "wrong code: " << status;
  }
  const std::string message(status.message());
  if (message.find('\n') != std::string::npos) {
    return AssertionFailure() << "message has a newline: " << status;
  }
  for (std::string_view part : parts) {
    if (message.find(part) == std::string::npos) {
      return AssertionFailure() << "message lacks [" << part << "]: " << status;
    }
  }
  return AssertionSuccess() << status;
}

// ---------------------------------------------------------------------------
// Accepted input.

TEST(ParseFwCfgConfig, DocumentedExample) {
  auto config = ParseFwCfgConfig(
      "initramfs=off,items=[name=opt/org.mycorp/setup_info,"
      "file=/tmp/guest_setup.txt]");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->enabled);
  EXPECT_TRUE(config->e820);
  EXPECT_TRUE(config->kernel);
  EXPECT_TRUE(config->cmdline);
  EXPECT_FALSE(config->initramfs);
  EXPECT_TRUE(config->acpi_table);
  EXPECT_THAT(config->items, ElementsAre(File("opt/org.mycorp/setup_info",
                                              "/tmp/guest_setup.txt")));
  EXPECT_THAT(config->warnings, IsEmpty());
}

TEST(ParseFwCfgConfig, EmptyMeansAllDefaults) {
  auto config = ParseFwCfgConfig("");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config, FwCfgConfig{});
  EXPECT_TRUE(config->enabled);
  EXPECT_TRUE(config->e820 && config->kernel && config->cmdline &&
              config->initramfs && config->acpi_table);
  EXPECT_THAT(config->items, IsEmpty());
}

TEST(ParseFwCfgConfig, Disable) {
  auto config = ParseFwCfgConfig("disable");
  ASSERT_TRUE(config.ok()) << config.status();
  FwCfgConfig expected;
  expected.enabled = false;
  EXPECT_EQ(*config, expected);
}

// Not one of the seed's keys: off unless asked for, as QEMU's device.
TEST(ParseFwCfgConfig, VmcoreinfoIsOffByDefault) {
  auto config = ParseFwCfgConfig("");
  ASSERT_TRUE(config.ok());
  EXPECT_FALSE(config->vmcoreinfo);
  config = ParseFwCfgConfig("vmcoreinfo=on,e820=off");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->vmcoreinfo);
  EXPECT_EQ(RenderFwCfgConfig(*config), "e820=off,vmcoreinfo=on");
  EXPECT_EQ(RenderFwCfgConfig(FwCfgConfig{}), "");
  config = ParseFwCfgConfig("vmcoreinfo=yes");
  EXPECT_FALSE(config.ok());
}

TEST(ParseFwCfgConfig, EachSwitchOnAndOff) {
  const struct {
    const char* key;
    bool FwCfgConfig::*field;
  } switches[] = {
      {"e820", &FwCfgConfig::e820},
      {"kernel", &FwCfgConfig::kernel},
      {"cmdline", &FwCfgConfig::cmdline},
      {"initramfs", &FwCfgConfig::initramfs},
      {"acpi_table", &FwCfgConfig::acpi_table},
  };
  for (const auto& s : switches) {
    SCOPED_TRACE(s.key);
    auto off = ParseFwCfgConfig(absl::StrCat(s.key, "=off"));
    ASSERT_TRUE(off.ok()) << off.status();
    FwCfgConfig expected;
    expected.*(s.field) = false;
    EXPECT_EQ(*off, expected);

    auto on = ParseFwCfgConfig(absl::StrCat(s.key, "=on"));
    ASSERT_TRUE(on.ok()) << on.status();
    EXPECT_EQ(*on, FwCfgConfig{});

    // A value may always be quoted.
    auto quoted = ParseFwCfgConfig(absl::StrCat(s.key, "=\"off\""));
    ASSERT_TRUE(quoted.ok()) << quoted.status();
    EXPECT_EQ(*quoted, expected);
  }
}

TEST(ParseFwCfgConfig, AllSwitchesTogether) {
  auto config = ParseFwCfgConfig(
      "acpi_table=off,e820=off,kernel=on,cmdline=off,initramfs=off");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->e820);
  EXPECT_TRUE(config->kernel);
  EXPECT_FALSE(config->cmdline);
  EXPECT_FALSE(config->initramfs);
  EXPECT_FALSE(config->acpi_table);
}

TEST(ParseFwCfgConfig, SeveralItemsInOrder) {
  auto config = ParseFwCfgConfig(
      "items=[name=opt/b,file=/srv/b.bin:string=hello,name=opt/a:"
      "name=opt/c/d,file=relative/path],kernel=off");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->kernel);
  EXPECT_THAT(config->items,
              ElementsAre(File("opt/b", "/srv/b.bin"), String("opt/a", "hello"),
                          File("opt/c/d", "relative/path")));
}

TEST(ParseFwCfgConfig, PreloadIsAnOnOffKeyOfFileItems) {
  auto config = ParseFwCfgConfig(
      "items=[name=opt/a,file=/a,preload=on:preload=off,name=opt/b,file=/b:"
      "name=opt/c,file=/c]");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_EQ(config->items.size(), 3u);
  EXPECT_TRUE(config->items[0].preload);
  EXPECT_FALSE(config->items[1].preload);
  EXPECT_FALSE(config->items[2].preload);
  EXPECT_THAT(RenderFwCfgConfig(*config),
              HasSubstr("name=opt/a,file=/a,preload=on:name=opt/b,file=/b:"));
  for (const auto& [text, message] :
       std::vector<std::pair<std::string, std::string>>{
           {"items=[name=opt/a,string=x,preload=on]",
            "preload=on is for file= items"},
           {"items=[name=opt/a,file=/a,preload=yes]", "takes on or off"},
           {"items=[name=opt/a,file=/a,preload=on,preload=off]",
            "\"preload\" given more than once"},
           {"items=[name=opt/a,file=/a,preload]", "takes on or off"},
       }) {
    SCOPED_TRACE(text);
    auto bad = ParseFwCfgConfig(text);
    ASSERT_FALSE(bad.ok());
    EXPECT_THAT(bad.status().message(), HasSubstr(message));
  }
}

TEST(ParseFwCfgConfig, EmptyItemList) {
  auto config = ParseFwCfgConfig("items=[]");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config, FwCfgConfig{});
}

TEST(ParseFwCfgConfig, StringItems) {
  auto config = ParseFwCfgConfig(
      R"(items=[name=opt/s,string=hello world :name=opt/eq,string=a=b==c:)"
      R"(name=opt/bs,string=C\Windows\n:name=opt/empty,string=])");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(
      config->items,
      ElementsAre(String("opt/s", "hello world "), String("opt/eq", "a=b==c"),
                  String("opt/bs", R"(C\Windows\n)"), String("opt/empty", "")));
}

TEST(ParseFwCfgConfig, QuotedValuesKeepSpecialCharacters) {
  auto config =
      ParseFwCfgConfig(R"(items=[name=opt/f,file="/tmp/a,b:c]=d[e":)"
                       R"(name="opt/s",string="say \"hi\", C:\\dir\\":)"
                       "name=opt/nl,string=\"line1\nline2\":"
                       R"(name=opt/q,string=""])");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(
      config->items,
      ElementsAre(File("opt/f", "/tmp/a,b:c]=d[e"),
                  String("opt/s", R"(say "hi", C:\dir\)"),
                  String("opt/nl", "line1\nline2"), String("opt/q", "")));
}

TEST(ParseFwCfgConfig, SpacesAreNotTrimmed) {
  auto config = ParseFwCfgConfig("items=[name=opt/x,file= /a ]");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->items, ElementsAre(File("opt/x", " /a ")));
  EXPECT_TRUE(Rejected("e820=on, kernel=off", {R"(" kernel")"}));
  EXPECT_TRUE(Rejected("e820= on", {R"(" on")"}));
}

// ---------------------------------------------------------------------------
// Errors: each names the offending part and stays on one line.

TEST(ParseFwCfgConfig, UnknownKey) {
  EXPECT_TRUE(Rejected("foo=bar", {"unknown", R"("foo")", R"("foo=bar")"}));
  EXPECT_TRUE(Rejected("e820=on,E820=off", {"unknown", R"("E820")"}));
  EXPECT_TRUE(Rejected("foo", {R"("foo")", "key=value"}));
  EXPECT_TRUE(Rejected(R"("e820"=on)", {"key may not be quoted"}));
}

TEST(ParseFwCfgConfig, BadOnOffValue) {
  EXPECT_TRUE(Rejected("e820=yes", {R"("yes")", R"("e820=yes")", "on or off"}));
  EXPECT_TRUE(Rejected("kernel=ON", {R"("ON")", R"("kernel=ON")"}));
  EXPECT_TRUE(Rejected("cmdline=", {R"("")", R"("cmdline=")"}));
  EXPECT_TRUE(Rejected("acpi_table=true", {R"("true")"}));
  EXPECT_TRUE(Rejected("initramfs=[]", {R"("initramfs")", "not a list"}));
}

TEST(ParseFwCfgConfig, RepeatedKey) {
  EXPECT_TRUE(
      Rejected("e820=on,kernel=off,e820=off", {R"("e820")", "more than once"}));
  EXPECT_TRUE(Rejected("items=[],items=[name=opt/a,string=x]",
                       {R"("items")", "more than once"}));
}

TEST(ParseFwCfgConfig, DisableMixedWithAnything) {
  EXPECT_TRUE(Rejected("disable,e820=on", {R"("disable")", "combined"}));
  EXPECT_TRUE(Rejected("e820=off,disable", {R"("disable")", "combined"}));
  EXPECT_TRUE(Rejected("disable,disable", {R"("disable")", "combined"}));
  EXPECT_TRUE(Rejected("disable=on", {R"("disable=on")", "no value"}));
  EXPECT_TRUE(Rejected("disable,", {"empty parameter"}));
}

TEST(ParseFwCfgConfig, SyntaxErrors) {
  EXPECT_TRUE(Rejected("items=[name=opt/a,string=x",
                       {"unbalanced brackets", "offset 6"}));
  EXPECT_TRUE(Rejected("e820=on]", {"unbalanced brackets", "offset 7"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,string=x]]", {"unbalanced"}));
  EXPECT_TRUE(Rejected(R"(items=[name=opt/a,file="/tmp/x])",
                       {"unterminated quote", "offset 23"}));
  EXPECT_TRUE(Rejected(R"(items=[name=opt/a,string="a\nb"])",
                       {"unknown escape", R"("\\n")"}));
  EXPECT_TRUE(Rejected("e820=on,,kernel=off", {"empty parameter", "offset 8"}));
  EXPECT_TRUE(Rejected("e820=on,", {"empty parameter"}));
  EXPECT_TRUE(Rejected(",e820=on", {"empty parameter"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,file=/x:/y]",
                       {R"(got "/y")", "must be quoted"}));
  EXPECT_TRUE(Rejected("e820=o:n", {"\":\"", "outside brackets"}));
  EXPECT_TRUE(
      Rejected(R"(items=[name=opt/a,file=/tmp/a"b"])", {"unexpected quote"}));
  EXPECT_TRUE(Rejected(R"(items=[name=opt/a,file="/tmp/a"b])",
                       {R"(unexpected text "b")"}));
  EXPECT_TRUE(Rejected("items=[name=[opt/a]]", {"do not nest"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,string=x:]", {"empty item"}));
  EXPECT_TRUE(Rejected("items=[:name=opt/a,string=x]", {"empty item"}));
}

TEST(ParseFwCfgConfig, ItemsNeedABracketedList) {
  EXPECT_TRUE(
      Rejected("items=name=opt/a", {R"("items=name=opt/a")", "bracketed"}));
  EXPECT_TRUE(Rejected("items=", {"bracketed"}));
}

TEST(ParseFwCfgConfig, ItemKeyErrors) {
  EXPECT_TRUE(Rejected("items=[file=/x]", {R"("file=/x")", "no name="}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,file=/x,string=y]",
                       {R"("name=opt/a,file=/x,string=y")", "both"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a]", {R"("name=opt/a")", "neither"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,data=x]",
                       {"unknown key", R"("data")", R"("name=opt/a,data=x")"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,name=opt/b,string=x]",
                       {R"("name")", "more than once"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,file=/x,file=/y]",
                       {R"("file")", "more than once"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,bare]", {R"("bare")", "key=value"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a,file=]", {"empty file= path"}));
  EXPECT_TRUE(Rejected(R"(items=[name=opt/a,file=""])", {"empty file= path"}));
}

TEST(ParseFwCfgConfig, MessagesStayOnOneLine) {
  // User text with newlines is C-escaped in the message.
  EXPECT_TRUE(Rejected("items=[name=opt/a,oops=\"x\ny\"]", {R"(x\ny)"}));
  EXPECT_TRUE(Rejected("e820=\"a\nb\"", {R"("a\nb")"}));
  EXPECT_TRUE(Rejected("ab\ncd=1", {R"("ab\ncd")"}));
}

TEST(ParseFwCfgConfig, ItemNameErrors) {
  EXPECT_TRUE(
      Rejected("items=[name=,string=x]", {R"("name=,string=x")", "empty"}));
  EXPECT_TRUE(Rejected(R"(items=[name="",string=x])", {"empty"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a b,string=x]",
                       {R"("opt/a b")", "invalid fw_cfg item name"}));
  EXPECT_TRUE(Rejected("items=[name=opt/a*,string=x]", {R"("opt/a*")"}));
  EXPECT_TRUE(
      Rejected("items=[name=opt/\xc3\xa9,string=x]", {R"("opt/\xc3\xa9")"}));
  EXPECT_TRUE(Rejected(R"(items=[name="opt/a,b",string=x])", {R"("opt/a,b")"}));
}

TEST(ParseFwCfgConfig, DuplicatedNames) {
  EXPECT_TRUE(
      Rejected("items=[name=opt/a,string=x:name=opt/b,string=y:"
               "name=opt/a,file=/z]",
               {"duplicated", R"("opt/a")"}));
  // Compared on the whole name, and case-sensitively.
  const std::string long_a = "opt/" + std::string(50, 'x') + "a";
  const std::string long_b = "opt/" + std::string(50, 'x') + "b";
  auto config = ParseFwCfgConfig(
      absl::StrCat("items=[name=", long_a, ",string=1:name=", long_b,
                   ",string=2:name=opt/A,string=3:name=opt/a,string=4]"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->items, SizeIs(4));
}

TEST(ParseFwCfgConfig, NameLengthLimit) {
  static_assert(kMaxFileNameLength == 55);
  const std::string name55 = "opt/" + std::string(51, 'n');
  const std::string name56 = "opt/" + std::string(52, 'n');
  ASSERT_EQ(name55.size(), 55u);
  auto config =
      ParseFwCfgConfig(absl::StrCat("items=[name=", name55, ",string=x]"));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->items[0].name, name55);
  EXPECT_TRUE(
      Rejected(absl::StrCat("items=[name=", name56, ",string=x]"),
               {absl::StrCat("\"", name56, "\""), "56 bytes", "limit is 55"}));
}

TEST(ParseFwCfgConfig, NameComponents) {
  for (const char* bad : {".", "..", "opt/.", "opt/..", "opt/./a", "opt/../a",
                          "../opt/a", "./a"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Rejected(absl::StrCat("items=[name=", bad, ",string=x]"),
                         {absl::StrCat("\"", bad, "\""), "component"}));
  }
  for (const char* bad : {"opt//a", "/opt/a", "opt/a/", "/", "//"}) {
    SCOPED_TRACE(bad);
    EXPECT_TRUE(Rejected(absl::StrCat("items=[name=", bad, ",string=x]"),
                         {absl::StrCat("\"", bad, "\""), "components"}));
  }
  // Dots are fine inside a component, and a component of three dots is an
  // ordinary directory name.
  for (const char* good : {"opt/.hidden", "opt/a..b", "opt/...", "opt/a.",
                           "opt/x_y-z~1+2@3", "opt/A.B/c.d/E", "opt"}) {
    SCOPED_TRACE(good);
    EXPECT_TRUE(ValidateFwCfgItemName(good).ok());
  }
}

TEST(ValidateFwCfgItemName, Codes) {
  EXPECT_TRUE(ValidateFwCfgItemName("opt/org.mycorp/setup_info").ok());
  EXPECT_EQ(ValidateFwCfgItemName("").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateFwCfgItemName("opt/../x").code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Warnings.

TEST(ParseFwCfgConfig, WarnsAboutNamesWithoutOptPrefix) {
  auto config = ParseFwCfgConfig(
      "items=[name=opt/ok,string=1:name=etc/mine,string=2:name=opt,string=3:"
      "name=optx/y,string=4]");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_THAT(config->warnings, SizeIs(3));
  EXPECT_THAT(config->warnings[0], HasSubstr(R"("etc/mine")"));
  EXPECT_THAT(config->warnings[1], HasSubstr(R"("opt")"));
  EXPECT_THAT(config->warnings[2], HasSubstr(R"("optx/y")"));
  for (const std::string& warning : config->warnings) {
    EXPECT_THAT(warning,
                HasSubstr("externally provided fw_cfg item names should be "
                          "prefixed with \"opt/\""));
    EXPECT_THAT(warning, Not(HasSubstr("\n")));
  }
}

TEST(ParseFwCfgConfig, NoWarningsForOptNames) {
  auto config = ParseFwCfgConfig(
      "items=[name=opt/a,string=1:name=opt/b/c,"
      "file=/x]");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_THAT(config->warnings, IsEmpty());
}

// ---------------------------------------------------------------------------
// Rendering.

FwCfgConfig WithoutWarnings(FwCfgConfig config) {
  config.warnings.clear();
  return config;
}

TEST(RenderFwCfgConfig, Canonical) {
  EXPECT_EQ(RenderFwCfgConfig(FwCfgConfig{}), "");
  FwCfgConfig disabled;
  disabled.enabled = false;
  EXPECT_EQ(RenderFwCfgConfig(disabled), "disable");

  FwCfgConfig example;
  example.initramfs = false;
  example.items = {File("opt/org.mycorp/setup_info", "/tmp/guest_setup.txt")};
  EXPECT_EQ(RenderFwCfgConfig(example),
            "initramfs=off,items=[name=opt/org.mycorp/setup_info,"
            "file=/tmp/guest_setup.txt]");

  FwCfgConfig quoted;
  quoted.e820 = false;
  quoted.acpi_table = false;
  quoted.items = {String("opt/a", "a=b"), File("opt/b", "/tmp/x,y"),
                  String("opt/c", R"(say "hi" \o/)")};
  EXPECT_EQ(
      RenderFwCfgConfig(quoted),
      R"(e820=off,acpi_table=off,items=[name=opt/a,string=a=b:)"
      R"(name=opt/b,file="/tmp/x,y":name=opt/c,string="say \"hi\" \\o/"])");
}

TEST(RenderFwCfgConfig, RoundTripsThroughParse) {
  const std::vector<std::string> awkward = {
      "",
      "plain",
      "a=b",
      "==",
      ",",
      ":",
      "[",
      "]",
      "[]",
      "\"",
      "\\",
      "\\\"",
      "\"\\",
      "a\\",
      "\\\\",
      "\"quoted\"",
      " pad ",
      "a,b:c[d]e=f",
      "x\ny\n",
      "tab\there",
      "\xff\xfe",
      std::string("nul\0byte", 8),
      "/tmp/a,b:c]",
      "C:\\dir\\",
      "\\\"\\\"\"",
  };
  std::vector<FwCfgConfig> configs;
  configs.push_back(FwCfgConfig{});
  {
    FwCfgConfig c;
    c.enabled = false;
    configs.push_back(c);
  }
  {
    FwCfgConfig c;
    c.e820 = c.kernel = c.cmdline = c.initramfs = c.acpi_table = false;
    configs.push_back(c);
  }
  {
    FwCfgConfig c;
    c.kernel = false;
    for (size_t i = 0; i < awkward.size(); ++i) {
      c.items.push_back(String(absl::StrCat("opt/s", i), awkward[i]));
      if (!awkward[i].empty()) {
        c.items.push_back(File(absl::StrCat("opt/f", i), awkward[i]));
      }
    }
    configs.push_back(c);
  }
  for (const std::string& value : awkward) {
    FwCfgConfig c;
    c.cmdline = false;
    c.items.push_back(String("etc/no-opt-prefix", value));
    configs.push_back(c);
  }
  for (const FwCfgConfig& config : configs) {
    const std::string text = RenderFwCfgConfig(config);
    SCOPED_TRACE(text);
    auto parsed = ParseFwCfgConfig(text);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(WithoutWarnings(*parsed), config);
    // Rendering is canonical: a second trip gives the same text.
    EXPECT_EQ(RenderFwCfgConfig(*parsed), text);
  }
}

TEST(RenderFwCfgConfig, ParsedInputRoundTrips) {
  for (const char* text :
       {"", "disable", "e820=on,kernel=off", "items=[]",
        R"(items=[name=opt/a,file="/x,y":name=etc/b,string=a\b=c])",
        "items=[name=opt/p,file=/srv/p.bin,preload=on]",
        "acpi_table=off,items=[name=opt/q,string=\"\\\"\\\\\"],e820=off"}) {
    SCOPED_TRACE(text);
    auto first = ParseFwCfgConfig(text);
    ASSERT_TRUE(first.ok()) << first.status();
    auto second = ParseFwCfgConfig(RenderFwCfgConfig(*first));
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(*second, *first);  // warnings included: they follow the names
  }
}

// ---------------------------------------------------------------------------
// CheckFwCfgItemFiles.

class CheckFwCfgItemFilesTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = testing::TempDir() + "fw_cfg_config_test.XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string WriteFile(const std::string& name, std::string_view contents) {
    const std::string path = dir_ + "/" + name;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    EXPECT_EQ(write(fd, contents.data(), contents.size()),
              static_cast<ssize_t>(contents.size()));
    close(fd);
    return path;
  }

  static FwCfgConfig WithFile(const std::string& path) {
    FwCfgConfig config;
    config.items = {File("opt/item", path)};
    return config;
  }

  std::string dir_;
};

TEST_F(CheckFwCfgItemFilesTest, GoodFilesAndStringItemsPass) {
  FwCfgConfig config;
  config.items = {File("opt/a", WriteFile("a", "hello")),
                  File("opt/empty", WriteFile("empty", "")),
                  String("opt/s", dir_ + "/does-not-exist")};
  EXPECT_TRUE(CheckFwCfgItemFiles(config).ok());
  EXPECT_TRUE(CheckFwCfgItemFiles(FwCfgConfig{}).ok());
}

TEST_F(CheckFwCfgItemFilesTest, MissingFile) {
  const std::string path = dir_ + "/missing";
  const absl::Status status = CheckFwCfgItemFiles(WithFile(path));
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(R"("opt/item")"));
  EXPECT_THAT(status.message(), HasSubstr("\"" + path + "\""));
  EXPECT_THAT(status.message(), HasSubstr(std::strerror(ENOENT)));
  EXPECT_THAT(status.message(), Not(HasSubstr("\n")));
}

TEST_F(CheckFwCfgItemFilesTest, ReportsTheFirstBadItem) {
  FwCfgConfig config;
  config.items = {File("opt/good", WriteFile("good", "x")),
                  File("opt/bad", dir_ + "/missing"),
                  File("opt/also-bad", dir_)};
  const absl::Status status = CheckFwCfgItemFiles(config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr(R"("opt/bad")"));
}

TEST_F(CheckFwCfgItemFilesTest, DisabledConfigIsNotChecked) {
  FwCfgConfig config = WithFile(dir_ + "/missing");
  config.enabled = false;
  EXPECT_TRUE(CheckFwCfgItemFiles(config).ok());
}

TEST_F(CheckFwCfgItemFilesTest, Directory) {
  const absl::Status status = CheckFwCfgItemFiles(WithFile(dir_));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr(R"("opt/item")"));
  EXPECT_THAT(status.message(), HasSubstr("\"" + dir_ + "\""));
  EXPECT_THAT(status.message(), HasSubstr("a directory"));
}

TEST_F(CheckFwCfgItemFilesTest, FifoFailsPromptly) {
  const std::string path = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(path.c_str(), 0600), 0) << std::strerror(errno);
  // A blocking open would wait for a writer forever; fail loudly instead.
  alarm(20);
  const auto start = std::chrono::steady_clock::now();
  const absl::Status status = CheckFwCfgItemFiles(WithFile(path));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  alarm(0);
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("a FIFO"));
  EXPECT_THAT(status.message(), HasSubstr("\"" + path + "\""));
}

TEST_F(CheckFwCfgItemFilesTest, UnreadableFile) {
  const std::string path = WriteFile("secret", "x");
  ASSERT_EQ(chmod(path.c_str(), 0), 0) << std::strerror(errno);
  const FwCfgConfig config = WithFile(path);
  const auto as_expected = [&](const absl::Status& status) {
    const std::string message(status.message());
    return status.code() == absl::StatusCode::kPermissionDenied &&
           message.find("\"opt/item\"") != std::string::npos &&
           message.find(path) != std::string::npos &&
           message.find(std::strerror(EACCES)) != std::string::npos;
  };
  if (geteuid() != 0) {
    const absl::Status status = CheckFwCfgItemFiles(config);
    EXPECT_TRUE(as_expected(status)) << status;
    return;
  }
  // Root reads files whatever their mode, so check as an unprivileged user
  // in a child process. (The directory may be closed to that user as well;
  // open then fails with EACCES too.)
  absl::StatusOr<base::Subprocess> child = base::Subprocess::Fork([&] {
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 ||
        setuid(65534) != 0) {
      return 2;
    }
    const absl::Status status = CheckFwCfgItemFiles(config);
    std::cerr << "as uid 65534: " << status << std::endl;
    return as_expected(status) ? 0 : 1;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<base::ExitStatus> how = child->Wait(absl::Seconds(60));
  ASSERT_TRUE(how.ok()) << how.status();
  ASSERT_TRUE(how->exited()) << how->ToString();
  if (how->code == 2) {
    GTEST_SKIP() << "running as root and cannot switch to uid 65534, so an "
                    "unreadable file cannot be tested";
  }
  EXPECT_EQ(how->code, 0);
}

TEST_F(CheckFwCfgItemFilesTest, SizeLimitIs32Bits) {
  const std::string path = WriteFile("big", "");
  // Sparse files: no disk space is used, but not every file system has them.
  if (truncate(path.c_str(), int64_t{0xffffffff}) != 0) {
    GTEST_SKIP() << "cannot make a 4 GiB sparse file: " << std::strerror(errno);
  }
  EXPECT_TRUE(CheckFwCfgItemFiles(WithFile(path)).ok());
  if (truncate(path.c_str(), int64_t{0x100000000}) != 0) {
    GTEST_SKIP() << "cannot make a 4 GiB sparse file: " << std::strerror(errno);
  }
  const absl::Status status = CheckFwCfgItemFiles(WithFile(path));
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("4294967296 bytes"));
  EXPECT_THAT(status.message(), HasSubstr(R"("opt/item")"));
}

}  // namespace
}  // namespace fw_cfg
