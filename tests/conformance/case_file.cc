#include "tests/conformance/case_file.h"

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "tests/conformance/substitute.h"
#include "tests/conformance/views.h"

namespace conformance {
namespace {

// Names both QEMU and our VMM accept: the characters of our config parser's
// name components, at most 55 bytes. They also stay clear of the placeholder
// syntax (`:`, `|`, `}`).
bool ValidItemName(std::string_view name) {
  if (name.empty() || name.size() > 55) return false;
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '~' &&
        c != '+' && c != '@' && c != '-' && c != '/') {
      return false;
    }
  }
  return true;
}

bool IsHexNumber(std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || text[1] != 'x') return false;
  for (char c : text.substr(2)) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

// Splits "WORD rest" at the first space.
std::pair<std::string_view, std::string_view> SplitWord(std::string_view s) {
  const size_t space = s.find(' ');
  if (space == std::string_view::npos) return {s, {}};
  return {s.substr(0, space), s.substr(space + 1)};
}

absl::Status CheckDirArguments(std::string_view args) {
  if (args.empty()) return absl::OkStatus();
  std::vector<absl::string_view> words =
      absl::StrSplit(AbslView(args), ' ', absl::SkipEmpty());
  if (words.size() == 3 && words[0] == "dma" &&
      IsHexNumber(StdView(words[1])) && IsHexNumber(StdView(words[2]))) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      "check-dir takes no arguments or `dma 0xDESC 0xBUF`");
}

constexpr size_t kMaxGeneratedFile = 64u << 20;

}  // namespace

absl::StatusOr<std::vector<uint8_t>> GenerateFileContent(
    std::string_view source) {
  if (source == "empty") return std::vector<uint8_t>();
  const size_t colon = source.find(':');
  const std::string_view kind = source.substr(0, colon);
  const std::string_view rest = colon == std::string_view::npos
                                    ? std::string_view()
                                    : source.substr(colon + 1);
  if (kind == "bytes") {
    if (rest.empty() || rest.size() % 2 != 0) {
      return absl::InvalidArgumentError(
          "bytes: needs an even, non-zero number of hex digits");
    }
    for (char c : rest) {
      if (!absl::ascii_isxdigit(c)) {
        return absl::InvalidArgumentError("bytes: takes hex digits only");
      }
    }
    const std::string raw = absl::HexStringToBytes(AbslView(rest));
    return std::vector<uint8_t>(raw.begin(), raw.end());
  }
  if (kind == "text") {
    std::string text;
    std::string error;
    if (!absl::CUnescape(AbslView(rest), &text, &error)) {
      return absl::InvalidArgumentError(absl::StrCat("text: ", error));
    }
    return std::vector<uint8_t>(text.begin(), text.end());
  }
  if (kind == "random" || kind == "repeat") {
    std::vector<absl::string_view> fields = absl::StrSplit(AbslView(rest), ':');
    if (fields.size() > 2 || (kind == "repeat" && fields.size() != 2)) {
      return absl::InvalidArgumentError(
          "use random:SIZE[:SEED] or repeat:SIZE:BYTE");
    }
    ASSIGN_OR_RETURN(const uint64_t size, ParseCaseNumber(StdView(fields[0])));
    if (size > kMaxGeneratedFile) {
      return absl::InvalidArgumentError("generated files are at most 64 MiB");
    }
    uint64_t arg = 0;
    if (fields.size() == 2) {
      ASSIGN_OR_RETURN(arg, ParseCaseNumber(StdView(fields[1])));
    }
    std::vector<uint8_t> bytes(size);
    if (kind == "repeat") {
      if (arg > 0xff) return absl::InvalidArgumentError("repeat: BYTE > 0xff");
      std::fill(bytes.begin(), bytes.end(), static_cast<uint8_t>(arg));
    } else {
      SplitMix64 rng(arg);
      for (size_t i = 0; i < size; i += 8) {
        uint8_t word[8];
        base::StoreLe64(word, rng.Next());
        for (size_t j = 0; j < 8 && i + j < size; ++j) bytes[i + j] = word[j];
      }
    }
    return bytes;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown file source '", AbslView(source),
      "' (empty, bytes:HEX, text:TEXT, random:SIZE[:SEED], repeat:SIZE:BYTE)"));
}

absl::StatusOr<CaseSpec> ParseCaseFile(std::string_view text,
                                       std::string_view path) {
  CaseSpec spec;
  spec.path = std::string(path);
  bool have_layout = false;
  bool have_memory = false;
  int line_number = 0;
  for (absl::string_view raw_line : absl::StrSplit(AbslView(text), '\n')) {
    ++line_number;
    auto error = [&](absl::string_view message) {
      return absl::InvalidArgumentError(
          absl::StrCat(AbslView(path), ":", line_number, ": ", message, ": '",
                       raw_line.substr(0, 120), "'"));
    };
    std::string_view line = StdView(raw_line);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::string_view trimmed =
        StdView(absl::StripAsciiWhitespace(AbslView(line)));
    if (trimmed.empty() || trimmed[0] == '#') continue;
    auto [word, rest] = SplitWord(trimmed);
    const bool in_header = spec.steps.empty();
    if (word == "layout" || word == "memory" || word == "item") {
      if (!in_header) return error("machine lines must precede commands");
      if (word == "layout") {
        if (have_layout) return error("second layout");
        absl::StatusOr<Layout> layout = ParseLayout(rest);
        if (!layout.ok()) return error(layout.status().message());
        spec.layout = *layout;
        have_layout = true;
      } else if (word == "memory") {
        if (have_memory) return error("second memory");
        // QEMU reads `-m 256` as MiB, our --memory size=256 as bytes: a
        // unit keeps both sides the same.
        if (rest.empty() || !absl::ascii_isalpha(rest.back())) {
          return error("give memory with a unit: K, M or G");
        }
        absl::StatusOr<uint64_t> size = ParseMemorySize(rest);
        if (!size.ok()) return error(size.status().message());
        if (*size > (2ull << 30)) {
          return error("memory above 2G splits q35's RAM: not supported");
        }
        spec.memory = std::string(rest);
        spec.memory_size = *size;
        have_memory = true;
      } else {
        // `item NAME string TEXT` or `item NAME file SOURCE`. TEXT is the
        // rest of the raw line after one space (C escapes allowed).
        const std::string_view left =
            StdView(absl::StripLeadingAsciiWhitespace(AbslView(line)));
        const std::string_view after_item = SplitWord(left).second;
        auto [name, after_name] = SplitWord(after_item);
        auto [type, value] = SplitWord(after_name);
        ItemSpec item;
        item.name = std::string(name);
        if (!ValidItemName(name)) {
          return error("item names are 1-55 of A-Z a-z 0-9 . _ ~ + @ - /");
        }
        for (const ItemSpec& other : spec.items) {
          if (other.name == item.name) return error("duplicate item name");
        }
        if (type == "string") {
          std::string unescaped;
          std::string unescape_error;
          if (!absl::CUnescape(AbslView(value), &unescaped, &unescape_error)) {
            return error(unescape_error);
          }
          if (unescaped.empty()) {
            return error("QEMU refuses empty strings: use `file empty`");
          }
          if (unescaped.find('\0') != std::string::npos) {
            return error("a string cannot hold NUL: use a file");
          }
          item.source = unescaped;
          item.content.assign(unescaped.begin(), unescaped.end());
        } else if (type == "file") {
          item.is_file = true;
          item.source =
              std::string(StdView(absl::StripAsciiWhitespace(AbslView(value))));
          absl::StatusOr<std::vector<uint8_t>> content =
              GenerateFileContent(item.source);
          if (!content.ok()) return error(content.status().message());
          item.content = *std::move(content);
        } else {
          return error("expected `item NAME string TEXT|file SOURCE`");
        }
        spec.items.push_back(std::move(item));
      }
      continue;
    }
    if (!have_layout) return error("the first line must be `layout ...`");
    Step step;
    step.line = line_number;
    if (word == "expect") {
      if (spec.steps.empty() ||
          spec.steps.back().kind != Step::Kind::kCommand) {
        return error("expect must follow a command");
      }
      step.kind = Step::Kind::kExpect;
      step.text = std::string(rest);
    } else if (word == "check-dir") {
      step.kind = Step::Kind::kCheckDir;
      step.text = std::string(rest);
      absl::Status args = CheckDirArguments(rest);
      if (!args.ok()) return error(args.message());
    } else {
      step.kind = Step::Kind::kCommand;
      step.text = std::string(trimmed);
    }
    spec.steps.push_back(std::move(step));
  }
  if (!have_layout) {
    return absl::InvalidArgumentError(
        absl::StrCat(AbslView(path), ": no layout line"));
  }
  return spec;
}

absl::StatusOr<CaseSpec> LoadCaseFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseCaseFile(buffer.str(), path);
}

std::string RenderCaseFile(const CaseSpec& spec) {
  std::string out = absl::StrCat("layout ", LayoutName(spec.layout), "\n");
  if (spec.memory != "256M")
    absl::StrAppend(&out, "memory ", spec.memory, "\n");
  for (const ItemSpec& item : spec.items) {
    if (item.is_file) {
      absl::StrAppend(&out, "item ", item.name, " file ", item.source, "\n");
    } else {
      // Spaces at either end become \040, which editors do not strip.
      std::string text = absl::CEscape(item.source);
      size_t lead = 0;
      while (lead < text.size() && text[lead] == ' ') ++lead;
      size_t trail = 0;
      while (trail < text.size() - lead &&
             text[text.size() - 1 - trail] == ' ') {
        ++trail;
      }
      std::string middle = text.substr(lead, text.size() - lead - trail);
      std::string escaped;
      for (size_t i = 0; i < lead; ++i) escaped += "\\040";
      escaped += middle;
      for (size_t i = 0; i < trail; ++i) escaped += "\\040";
      absl::StrAppend(&out, "item ", item.name, " string ", escaped, "\n");
    }
  }
  for (const Step& step : spec.steps) {
    switch (step.kind) {
      case Step::Kind::kCommand:
        absl::StrAppend(&out, step.text, "\n");
        break;
      case Step::Kind::kExpect:
        absl::StrAppend(&out, "expect ", step.text, "\n");
        break;
      case Step::Kind::kCheckDir:
        absl::StrAppend(&out, step.text.empty() ? "check-dir" : "check-dir ",
                        step.text, "\n");
        break;
    }
  }
  return out;
}

}  // namespace conformance
