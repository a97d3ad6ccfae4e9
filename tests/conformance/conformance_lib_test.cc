// The conformance runner's own pieces, checked without QEMU: case-file
// parsing, placeholders, command lines, directory checks and the random
// generator's determinism and safety rules, trace stream normalisation.

#include <cstdint>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/directory.h"
#include "tests/conformance/layout.h"
#include "tests/conformance/random_case.h"
#include "tests/conformance/runner.h"
#include "tests/conformance/substitute.h"
#include "tests/conformance/trace_stream.h"

namespace conformance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CaseFile, ParsesMachineAndSteps) {
  absl::StatusOr<CaseSpec> spec = ParseCaseFile(
      "# comment\n"
      "layout arm-virt\n"
      "memory 128M\n"
      "item opt/a string  a,b \\\"c\\\" \n"
      "item opt/e file empty\n"
      "item opt/b file bytes:00ff\n"
      "\n"
      "  readb 0x9020000  \n"
      "expect OK 0x0000000000000051\n"
      "check-dir\n"
      "check-dir dma 0x40001000 0x40100000\n",
      "t.case");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->layout, Layout::kArmVirt);
  EXPECT_EQ(spec->memory, "128M");
  EXPECT_EQ(spec->memory_size, 128u << 20);
  ASSERT_EQ(spec->items.size(), 3u);
  EXPECT_EQ(spec->items[0].source, " a,b \"c\" ");
  EXPECT_FALSE(spec->items[0].is_file);
  EXPECT_TRUE(spec->items[1].is_file);
  EXPECT_TRUE(spec->items[1].content.empty());
  EXPECT_THAT(spec->items[2].content, ElementsAre(0x00, 0xff));
  ASSERT_EQ(spec->steps.size(), 4u);
  EXPECT_EQ(spec->steps[0].text, "readb 0x9020000");
  EXPECT_EQ(spec->steps[0].line, 8);
  EXPECT_EQ(spec->steps[1].kind, Step::Kind::kExpect);
  EXPECT_EQ(spec->steps[1].text, "OK 0x0000000000000051");
  EXPECT_EQ(spec->steps[2].kind, Step::Kind::kCheckDir);
  EXPECT_EQ(spec->steps[3].text, "dma 0x40001000 0x40100000");
}

TEST(CaseFile, RejectsMistakes) {
  for (const char* text : {
           "inb 0x511\n",                                  // no layout
           "layout x86_64\ninb 0x511\nitem a string x\n",  // item too late
           "layout x86_64\nexpect OK\n",          // nothing to expect of
           "layout x86_64\nitem opt/a string\n",  // QEMU refuses ""
           "layout x86_64\nitem opt/a string x\nitem opt/a string y\n",
           "layout x86_64\nitem opt/a,b string x\n",  // bad name
           "layout x86_64\nitem opt/a file random:zz\n",
           "layout x86_64\ncheck-dir dma 1\n", "layout sparc\n",
           "layout x86_64\nmemory 4G\n",
           "layout x86_64\nmemory 256\n",  // units differ: QEMU MiB, ours B
       }) {
    EXPECT_FALSE(ParseCaseFile(text, "t.case").ok()) << text;
  }
  // A name of exactly 55 bytes is fine; 56 is not.
  EXPECT_TRUE(ParseCaseFile("layout x86_64\nitem opt/" + std::string(51, 'n') +
                                " string x\n",
                            "t")
                  .ok());
  EXPECT_FALSE(ParseCaseFile("layout x86_64\nitem opt/" + std::string(52, 'n') +
                                 " string x\n",
                             "t")
                   .ok());
}

TEST(CaseFile, FileSources) {
  EXPECT_THAT(*GenerateFileContent("bytes:0102ff"), ElementsAre(1, 2, 0xff));
  EXPECT_THAT(*GenerateFileContent("repeat:3:0x41"),
              ElementsAre(0x41, 0x41, 0x41));
  EXPECT_THAT(*GenerateFileContent("text:a\\000b"), ElementsAre('a', 0, 'b'));
  const std::vector<uint8_t> a = *GenerateFileContent("random:1048576:7");
  EXPECT_EQ(a.size(), 1048576u);
  EXPECT_EQ(a, *GenerateFileContent("random:0x100000:7"));
  EXPECT_NE(a, *GenerateFileContent("random:1048576:8"));
  // The first bytes are SplitMix64(7)'s first output, little-endian: a
  // fixed point, so that a seed means the same file forever.
  SplitMix64 rng(7);
  const uint64_t first = rng.Next();
  for (int i = 0; i < 8; ++i) {
    EXPECT_EQ(a[i], static_cast<uint8_t>(first >> (8 * i)));
  }
  EXPECT_FALSE(GenerateFileContent("bytes:1").ok());
  EXPECT_FALSE(GenerateFileContent("nope").ok());
}

TEST(CaseFile, RenderReadsBack) {
  CaseSpec spec;
  spec.layout = Layout::kX86_64;
  ItemSpec s;
  s.name = "opt/s";
  s.source = " \\\"x,y:[z]\"\x7f ";
  s.content.assign(s.source.begin(), s.source.end());
  spec.items.push_back(s);
  ItemSpec f;
  f.name = "zzz";
  f.is_file = true;
  f.source = "random:5:3";
  f.content = *GenerateFileContent(f.source);
  spec.items.push_back(f);
  spec.steps.push_back({Step::Kind::kCommand, "inb 0x511", 0});
  spec.steps.push_back({Step::Kind::kExpect, "OK 0x0051", 0});
  spec.steps.push_back({Step::Kind::kCheckDir, "", 0});
  absl::StatusOr<CaseSpec> back = ParseCaseFile(RenderCaseFile(spec), "r");
  ASSERT_TRUE(back.ok()) << back.status() << "\n" << RenderCaseFile(spec);
  ASSERT_EQ(back->items.size(), 2u);
  EXPECT_EQ(back->items[0].content, s.content);
  EXPECT_EQ(back->items[1].content, f.content);
  ASSERT_EQ(back->steps.size(), 3u);
  EXPECT_EQ(back->steps[1].text, "OK 0x0051");
  EXPECT_EQ(back->steps[2].kind, Step::Kind::kCheckDir);
}

TEST(Substitute, Placeholders) {
  const KeyMap keys = {{"opt/a", 0x0021}, {"zzz", 0x0030}};
  EXPECT_EQ(*Substitute("outw 0x510 ${key:opt/a}", keys), "outw 0x510 0x0021");
  EXPECT_EQ(*Substitute("${key:opt/a|0x4000}", keys), "0x4021");
  EXPECT_EQ(*Substitute("0x${keyhex:zzz}000a", keys), "0x0030000a");
  EXPECT_EQ(*Substitute("writew 0x9020008 ${keybe:opt/a}", keys),
            "writew 0x9020008 0x2100");
  EXPECT_EQ(*Substitute("${be16:0x19} ${be32:0x1000} ${be64:0x40001000}", keys),
            "0x1900 0x00100000 0x0010004000000000");
  EXPECT_EQ(*Substitute("write 0x1000 16 ${desc:zzz:0x0a:4:0x2000}", keys),
            "write 0x1000 16 0x0030000a000000040000000000002000");
  EXPECT_EQ(*Substitute("${desc:0:0x02:0xffffffff:0xfffffffffffffff0}", keys),
            "0x00000002ffffffff"
            "fffffffffffffff0");
  EXPECT_EQ(*Substitute("inb 0x511", keys), "inb 0x511");
  EXPECT_FALSE(Substitute("${key:opt/nope}", keys).ok());
  EXPECT_FALSE(Substitute("${key:opt/a|0x10000}", keys).ok());
  EXPECT_FALSE(Substitute("${be32:0x100000000}", keys).ok());
  EXPECT_FALSE(Substitute("${key:opt/a", keys).ok());
  EXPECT_FALSE(Substitute("${what:1}", keys).ok());
}

TEST(Layout, Commands) {
  EXPECT_EQ(SelectCommand(Layout::kX86_64, 0x19), "outw 0x510 0x0019");
  EXPECT_EQ(SelectCommand(Layout::kArmVirt, 0x19), "writew 0x9020008 0x1900");
  EXPECT_THAT(DmaStartCommands(Layout::kX86_64, 0x1000),
              ElementsAre("outl 0x514 0x00000000", "outl 0x518 0x00100000"));
  EXPECT_THAT(DmaStartCommands(Layout::kArmVirt, 0x40001000),
              ElementsAre("writel 0x9020010 0x00000000",
                          "writel 0x9020014 0x00100040"));
  EXPECT_THAT(DataReadCommands(Layout::kArmVirt, 15),
              ElementsAre("readq 0x9020000", "readl 0x9020000",
                          "readw 0x9020000", "readb 0x9020000"));
  EXPECT_THAT(*DecodeDataReadReplies(
                  Layout::kArmVirt,
                  {"OK 0x00000000554d4551", "OK 0x0000000000000003"}, 12),
              ElementsAre('Q', 'E', 'M', 'U', 0, 0, 0, 0, 3, 0, 0, 0));
  EXPECT_THAT(
      *DecodeDataReadReplies(Layout::kX86_64, {"OK 0x0051", "OK 0x0045"}, 2),
      ElementsAre('Q', 'E'));
  EXPECT_FALSE(DecodeDataReadReplies(Layout::kX86_64, {"FAIL"}, 1).ok());
  EXPECT_THAT(*ParseReadReply("OK 0x01ff", 2), ElementsAre(1, 0xff));
  EXPECT_FALSE(ParseReadReply("OK 0x01ff", 3).ok());
  EXPECT_EQ(*ParseMemorySize("256M"), 256u << 20);
  EXPECT_EQ(*ParseMemorySize("256"), 256u << 20);
  EXPECT_EQ(*ParseMemorySize("1G"), 1u << 30);
  EXPECT_FALSE(ParseMemorySize("12X").ok());
}

TEST(Runner, CommandLines) {
  CaseSpec spec;
  spec.layout = Layout::kArmVirt;
  spec.items.push_back({"opt/s", false, "a,b\"c\\", {}});
  spec.items.push_back({"opt/f", true, "empty", {}});
  const std::vector<std::string> files = {"", "/t/x,y"};
  EXPECT_THAT(
      QemuArgv("/q", spec, files),
      ElementsAre("/q", "-M", "virt", "-S", "-accel", "tcg", "-qtest", "stdio",
                  "-qtest-log", "/dev/null", "-display", "none", "-nodefaults",
                  "-m", "256M", "-fw_cfg", "name=opt/s,string=a,,b\"c\\",
                  "-fw_cfg", "name=opt/f,file=/t/x,,y"));
  EXPECT_THAT(VmmArgv("/v", spec, files),
              ElementsAre("/v", "--qtest", "stdio", "--layout", "arm-virt",
                          "--memory", "size=256M", "--fw-cfg-config",
                          "items=[name=\"opt/s\",string=\"a,b\\\"c\\\\\":"
                          "name=\"opt/f\",file=\"/t/x,y\"]"));
  spec.items.clear();
  EXPECT_EQ(VmmArgv("/v", spec, {}).size(), 7u);  // no --fw-cfg-config
}

std::vector<uint8_t> Entry(uint32_t size, uint16_t key,
                           const std::string& name) {
  std::vector<uint8_t> e(64, 0);
  e[0] = static_cast<uint8_t>(size >> 24);
  e[1] = static_cast<uint8_t>(size >> 16);
  e[2] = static_cast<uint8_t>(size >> 8);
  e[3] = static_cast<uint8_t>(size);
  e[4] = static_cast<uint8_t>(key >> 8);
  e[5] = static_cast<uint8_t>(key);
  std::copy(name.begin(), name.end(), e.begin() + 8);
  return e;
}

TEST(Directory, ChecksUserItemsAndOrder) {
  std::vector<uint8_t> bytes;
  for (const auto& e : {Entry(1, 0x20, "a"), Entry(0, 0x21, "bootorder"),
                        Entry(3, 0x22, "opt/x")}) {
    bytes.insert(bytes.end(), e.begin(), e.end());
  }
  absl::StatusOr<std::vector<DirectoryEntry>> dir =
      ParseDirectoryEntries(bytes, 3);
  ASSERT_TRUE(dir.ok());
  std::vector<ItemSpec> items = {{"opt/x", false, "abc", {'a', 'b', 'c'}},
                                 {"a", false, "z", {'z'}}};
  EXPECT_THAT(CheckDirectory(*dir, items), ::testing::IsEmpty());
  EXPECT_EQ(UserKeys(*dir, items)->at("opt/x"), 0x22);
  items[0].content.push_back('d');
  EXPECT_THAT(CheckDirectory(*dir, items),
              ElementsAre(HasSubstr("'opt/x' has size 3, expected 4")));
  items.push_back({"opt/missing", false, "q", {'q'}});
  EXPECT_FALSE(UserKeys(*dir, items).ok());
  // Out of order: keys must follow names.
  (*dir)[0].key = 0x23;
  EXPECT_THAT(CheckDirectory(*dir, {{"a", false, "z", {'z'}},
                                    {"opt/x", false, "abc", {'a', 'b', 'c'}}}),
              ::testing::Contains(HasSubstr("out of name order")));
  (*dir)[0].key = 0x20;
  (*dir)[0].padding_clean = false;
  EXPECT_THAT(CheckDirectory(*dir, {{"a", false, "z", {'z'}}}),
              ElementsAre(HasSubstr("zero-padded")));
}

// Every address a generated case writes to or starts a transfer from, and
// every `read` length, follows the rules in random_case.h.
TEST(RandomCase, DeterministicAndSafe) {
  for (Layout layout : {Layout::kX86_64, Layout::kArmVirt}) {
    for (uint64_t seed = 1; seed <= 60; ++seed) {
      const CaseSpec a = GenerateRandomCase(seed, layout, 300);
      const CaseSpec b = GenerateRandomCase(seed, layout, 300);
      ASSERT_EQ(RenderCaseFile(a), RenderCaseFile(b));
      absl::StatusOr<CaseSpec> back = ParseCaseFile(RenderCaseFile(a), "r");
      ASSERT_TRUE(back.ok()) << back.status();
      ASSERT_EQ(back->steps.size(), a.steps.size());
      for (size_t i = 0; i < a.steps.size(); ++i) {
        ASSERT_EQ(back->steps[i].text, a.steps[i].text);
        ASSERT_EQ(back->steps[i].line, a.steps[i].line);
      }
      KeyMap keys;
      for (const ItemSpec& item : a.items) keys[item.name] = 0x2a;
      const uint64_t ram = RamBase(layout);
      for (const Step& step : a.steps) {
        if (step.kind != Step::Kind::kCommand) continue;
        absl::StatusOr<std::string> line = Substitute(step.text, keys);
        ASSERT_TRUE(line.ok()) << step.text;
        std::vector<std::string> words = absl::StrSplit(*line, ' ');
        if (words[0] == "read" || words[0] == "b64read" ||
            words[0] == "write") {
          uint64_t address = 0;
          uint64_t length = 0;
          ASSERT_TRUE(absl::SimpleHexAtoi(words[1], &address));
          ASSERT_TRUE(absl::SimpleAtoi(words[2], &length));
          ASSERT_GT(length, 0u) << *line;
          const bool low =
              layout == Layout::kX86_64 && address + length <= 0x800;
          const bool descriptors =
              address >= ram + 0x10000 && address + length <= ram + 0x12000;
          const bool buffers = address >= ram + 0x100000 &&
                               address + length <= ram + (256u << 20);
          EXPECT_TRUE(low || descriptors || buffers) << *line;
          if (words[0] == "write" && descriptors) {
            EXPECT_EQ(length, 16u) << *line;
          }
        }
      }
    }
  }
}

// The runner's spans are cut, pointers masked, user keys named (bit 14 and
// 15 kept), other events and stray lines dropped.
TEST(TraceStream, NormalisesEachSide) {
  const std::string path = ::testing::TempDir() + "/trace";
  const std::string discovery =
      "fw_cfg_select 0x55aa key 0x0019 'file_dir', ret: 1\n"
      "fw_cfg_read 0x55aa = 0x0\n";
  const std::string text =
      "fw_cfg_select 0x55aa key 0x0000 'signature', ret: 1\n" + discovery +
      "fw_cfg_add_file 0x55aa #0: opt/a (3 bytes)\n"
      "qemu-system-x86_64: a warning\n"
      "fw_cfg_select 0x55aa key 0x4027 'unknown', ret: 1\n"
      "fw_cfg_select 0x55aa key 0x0028 'unknown', ret: 1\n"
      "fw_cfg_read 0x55aa = 0x61\n";
  std::ofstream(path) << text;
  const uint64_t begin = text.find("fw_cfg_select 0x55aa key 0x0019");
  absl::StatusOr<std::vector<std::string>> lines = ReadTraceLines(
      path, {{begin, begin + discovery.size()}}, KeyMap{{"opt/a", 0x27}});
  ASSERT_TRUE(lines.ok()) << lines.status();
  EXPECT_THAT(*lines,
              ElementsAre("fw_cfg_select PTR key 0x0000 'signature', ret: 1",
                          "fw_cfg_select PTR key {opt/a}|0x4000 'unknown', "
                          "ret: 1",
                          "fw_cfg_select PTR key 0x0028 'unknown', ret: 1",
                          "fw_cfg_read PTR = 0x61"));
  EXPECT_FALSE(ReadTraceLines(path + ".missing", {}, {}).ok());
}

TEST(TraceStream, ReportsTheFirstDifference) {
  const std::vector<std::string> a = {"fw_cfg_read PTR = 0x1",
                                      "fw_cfg_read PTR = 0x2"};
  EXPECT_EQ(CompareTraceLines("qemu", a, "ours", a), "");
  const std::string report = CompareTraceLines(
      "qemu", a, "ours", {"fw_cfg_read PTR = 0x1", "fw_cfg_read PTR = 0x3"});
  EXPECT_THAT(report, HasSubstr("TRACE MISMATCH at event 2"));
  EXPECT_THAT(report, HasSubstr(">      2 fw_cfg_read PTR = 0x3"));
  EXPECT_THAT(CompareTraceLines("qemu", a, "ours", {a[0]}),
              HasSubstr("qemu has 2 events, ours has 1"));
}

TEST(TraceStream, PeerArguments) {
  EXPECT_THAT(
      QemuTraceArgs(Layout::kArmVirt, "/t"),
      ElementsAre("-trace", "fw_cfg_select", "-trace", "fw_cfg_read", "-D",
                  "/t", "-global", "fw_cfg_mem.x-file-slots=0x3fe0"));
  EXPECT_THAT(VmmTraceArgs("/t"),
              ElementsAre("--trace", "fw_cfg_select", "--trace", "fw_cfg_read",
                          "--trace-file", "/t"));
}

}  // namespace
}  // namespace conformance
