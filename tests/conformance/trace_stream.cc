#include "tests/conformance/trace_stream.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace conformance {

namespace {

// The events compared: what a guest's accesses cause, not configuration.
constexpr const char* kEvents[] = {"fw_cfg_select", "fw_cfg_read"};

// "fw_cfg_read 0x55d0c1a0 = 0x51" -> "fw_cfg_read PTR = 0x51"; "" for a
// line that is not one of kEvents.
std::string MaskPointer(absl::string_view line) {
  for (const char* event : kEvents) {
    const std::string prefix = absl::StrCat(event, " 0x");
    if (!absl::StartsWith(line, prefix)) continue;
    size_t end = prefix.size();
    while (end < line.size() && absl::ascii_isxdigit(line[end])) ++end;
    return absl::StrCat(event, " PTR", line.substr(end));
  }
  return "";
}

// "fw_cfg_select PTR key 0x4027 ..." -> "fw_cfg_select PTR key {opt/a}|0x4000
// ..." when 0x27 is the user item opt/a's key on this side.
std::string NameUserKey(std::string line, const KeyMap& names) {
  constexpr absl::string_view kPrefix = "fw_cfg_select PTR key 0x";
  constexpr size_t kDigits = 4;
  if (!absl::StartsWith(line, kPrefix) ||
      line.size() < kPrefix.size() + kDigits) {
    return line;
  }
  const uint16_t key = static_cast<uint16_t>(
      std::stoul(line.substr(kPrefix.size(), kDigits), nullptr, 16));
  for (const auto& [name, user_key] : names) {
    if ((key & 0x3fff) != user_key) continue;
    return absl::StrCat(kPrefix.substr(0, kPrefix.size() - 2), "{", name, "}|",
                        absl::StrFormat("0x%04x", key & ~0x3fff),
                        line.substr(kPrefix.size() + kDigits));
  }
  return line;
}

}  // namespace

std::vector<std::string> QemuTraceArgs(Layout layout, const std::string& path) {
  return {"-trace",
          "fw_cfg_select",
          "-trace",
          "fw_cfg_read",
          "-D",
          path,
          "-global",
          layout == Layout::kX86_64 ? "fw_cfg_io.x-file-slots=0x3fe0"
                                    : "fw_cfg_mem.x-file-slots=0x3fe0"};
}

std::vector<std::string> VmmTraceArgs(const std::string& path) {
  return {"--trace",     "fw_cfg_select", "--trace",
          "fw_cfg_read", "--trace-file",  path};
}

uint64_t TraceFileLength(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

absl::StatusOr<std::vector<std::string>> ReadTraceLines(
    const std::string& path,
    const std::vector<std::pair<uint64_t, uint64_t>>& cut, const KeyMap& keys) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("no trace file ", path));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  // Cut from the back, so that earlier offsets stay valid.
  for (auto it = cut.rbegin(); it != cut.rend(); ++it) {
    const uint64_t begin = std::min<uint64_t>(it->first, text.size());
    const uint64_t end = std::min<uint64_t>(it->second, text.size());
    if (begin < end) text.erase(begin, end - begin);
  }
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::string masked = MaskPointer(line);
    if (!masked.empty()) lines.push_back(NameUserKey(std::move(masked), keys));
  }
  return lines;
}

std::string CompareTraceLines(const std::string& ref_label,
                              const std::vector<std::string>& ref,
                              const std::string& cand_label,
                              const std::vector<std::string>& cand) {
  size_t i = 0;
  while (i < ref.size() && i < cand.size() && ref[i] == cand[i]) ++i;
  if (i == ref.size() && i == cand.size()) return "";
  std::string report = absl::StrFormat(
      "TRACE MISMATCH at event %d (%s has %d events, %s has %d)\n", i + 1,
      ref_label, ref.size(), cand_label, cand.size());
  const size_t from = i >= 3 ? i - 3 : 0;
  for (const auto& [label, lines] :
       {std::pair{&ref_label, &ref}, std::pair{&cand_label, &cand}}) {
    absl::StrAppendFormat(&report, "  %s:\n", *label);
    for (size_t k = from; k < std::min(lines->size(), i + 3); ++k) {
      absl::StrAppendFormat(&report, "  %s %6d %s\n", k == i ? ">" : " ", k + 1,
                            (*lines)[k]);
    }
  }
  return report;
}

}  // namespace conformance
