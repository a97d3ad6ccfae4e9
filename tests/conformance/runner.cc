#include "tests/conformance/runner.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "tests/conformance/directory.h"
#include "tests/conformance/layout.h"
#include "tests/conformance/qtest_process.h"
#include "tests/conformance/substitute.h"
#include "tests/conformance/trace_stream.h"

namespace conformance {
namespace {

// QEMU option values write a literal comma as `,,`.
std::string QemuEscape(std::string_view value) {
  std::string out;
  for (char c : value) {
    out += c;
    if (c == ',') out += ',';
  }
  return out;
}

// Our --fw-cfg-config syntax: a double-quoted value, `\"` and `\\` escaped.
std::string VmmQuote(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

// A fresh directory under `parent`, removed with everything in it.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create(
      const std::string& parent) {
    std::string pattern = parent + "/case-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError(
          absl::StrCat("mkdtemp in ", parent, " failed"));
    }
    return std::unique_ptr<TempDir>(new TempDir(pattern));
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

absl::Status WriteFile(const std::string& path,
                       const std::vector<uint8_t>& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(content.data()),
            static_cast<std::streamsize>(content.size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// `arg` as a POSIX shell word, so that a reported command line can be
// pasted into a shell (the runner itself never uses one).
std::string ShellQuote(const std::string& arg) {
  if (!arg.empty() &&
      arg.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
                            "WXYZ0123456789_-+=/.,:@%") == std::string::npos) {
    return arg;
  }
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

struct Side {
  std::unique_ptr<QtestProcess> process;
  KeyMap keys;
  const std::string& label() const { return process->label(); }
};

std::string Clip(const std::string& text, size_t max = 200) {
  if (text.size() <= max) return text;
  return absl::StrCat(text.substr(0, max), "... (", text.size(), " chars)");
}

// Two replies that differ, shown around their first difference when long.
std::string DescribeDifference(const std::string& label_a, const std::string& a,
                               const std::string& label_b,
                               const std::string& b) {
  if (a.size() <= 200 && b.size() <= 200) {
    return absl::StrFormat("  reply   (%s): %s\n  reply   (%s): %s\n", label_a,
                           a, label_b, b);
  }
  size_t at = 0;
  while (at < a.size() && at < b.size() && a[at] == b[at]) ++at;
  const size_t from = at > 40 ? at - 40 : 0;
  return absl::StrFormat(
      "  replies differ first at character %u (%s: %u chars, %s: %u chars)\n"
      "  reply   (%s): ...%s...\n  reply   (%s): ...%s...\n",
      at, label_a, a.size(), label_b, b.size(), label_a, a.substr(from, 120),
      label_b, b.substr(from, 120));
}

// Runs one round: `commands[s]` on side s, all sides at once. Returns each
// side's status.
std::vector<absl::Status> Round(
    std::vector<Side>& sides,
    const std::vector<std::vector<std::string>>& commands, int reply_timeout_s,
    std::vector<std::vector<std::string>>* replies) {
  std::vector<Exchange> exchanges(sides.size());
  for (size_t s = 0; s < sides.size(); ++s) {
    exchanges[s].process = sides[s].process.get();
    exchanges[s].commands = commands[s];
  }
  RunExchanges(exchanges, reply_timeout_s);
  replies->assign(sides.size(), {});
  std::vector<absl::Status> statuses;
  for (size_t s = 0; s < sides.size(); ++s) {
    (*replies)[s] = std::move(exchanges[s].replies);
    statuses.push_back(exchanges[s].status);
  }
  return statuses;
}

using DirectoryResult = absl::StatusOr<std::vector<DirectoryEntry>>;

// The two rounds of a directory read: `first` (the same on every side)
// ends with what gives the count; `second(s, count)` fetches the entries
// and ends with whatever `decode(s, count, replies)` needs.
std::vector<DirectoryResult> TwoRoundDirectoryRead(
    std::vector<Side>& sides, const std::vector<std::string>& first,
    const std::function<
        absl::StatusOr<uint32_t>(const std::vector<std::string>&)>& count_of,
    const std::function<std::vector<std::string>(uint32_t)>& second,
    const std::function<
        DirectoryResult(uint32_t, const std::vector<std::string>&)>& decode,
    int reply_timeout_s) {
  std::vector<DirectoryResult> out(sides.size(),
                                   absl::UnknownError("not read"));
  std::vector<bool> failed(sides.size(), false);
  std::vector<std::vector<std::string>> replies;
  std::vector<absl::Status> statuses =
      Round(sides, std::vector<std::vector<std::string>>(sides.size(), first),
            reply_timeout_s, &replies);
  std::vector<uint32_t> counts(sides.size(), 0);
  std::vector<std::vector<std::string>> commands(sides.size());
  for (size_t s = 0; s < sides.size(); ++s) {
    absl::StatusOr<uint32_t> count =
        statuses[s].ok() ? count_of(replies[s])
                         : absl::StatusOr<uint32_t>(statuses[s]);
    if (count.ok() && *count > 0x3fe0) {
      count = absl::OutOfRangeError(
          absl::StrFormat("directory count 0x%x is impossible", *count));
    }
    if (!count.ok()) {
      out[s] = count.status();
      failed[s] = true;
      continue;
    }
    counts[s] = *count;
    commands[s] = second(*count);
  }
  statuses = Round(sides, commands, reply_timeout_s, &replies);
  for (size_t s = 0; s < sides.size(); ++s) {
    if (failed[s]) continue;
    out[s] = statuses[s].ok() ? decode(counts[s], replies[s])
                              : DirectoryResult(statuses[s]);
  }
  return out;
}

// Reads each side's directory through the data register, then selects key
// 0 again (offset 0: the power-on state).
std::vector<DirectoryResult> ReadDirectoryByPort(std::vector<Side>& sides,
                                                 Layout layout,
                                                 int reply_timeout_s) {
  std::vector<std::string> first = {SelectCommand(layout, kDirectoryKey)};
  for (const std::string& c : DataReadCommands(layout, 4)) first.push_back(c);
  return TwoRoundDirectoryRead(
      sides, first,
      [&](const std::vector<std::string>& r) -> absl::StatusOr<uint32_t> {
        ASSIGN_OR_RETURN(
            std::vector<uint8_t> bytes,
            DecodeDataReadReplies(
                layout, std::vector<std::string>(r.begin() + 1, r.end()), 4));
        return base::LoadBe32(bytes.data());
      },
      [&](uint32_t count) {
        std::vector<std::string> c = DataReadCommands(layout, count * 64);
        c.push_back(SelectCommand(layout, 0));
        return c;
      },
      [&](uint32_t count,
          const std::vector<std::string>& r) -> DirectoryResult {
        ASSIGN_OR_RETURN(
            std::vector<uint8_t> bytes,
            DecodeDataReadReplies(
                layout, std::vector<std::string>(r.begin(), r.end() - 1),
                count * 64));
        return ParseDirectoryEntries(bytes, count);
      },
      reply_timeout_s);
}

std::string DescriptorHex(uint32_t control, uint32_t length, uint64_t address) {
  return absl::StrFormat("0x%08x%08x%016x", control, length, address);
}

// Reads each side's directory by DMA (descriptor at `desc`, data to `buf`),
// then selects key 0 through the register.
std::vector<DirectoryResult> ReadDirectoryByDma(std::vector<Side>& sides,
                                                Layout layout, uint64_t desc,
                                                uint64_t buf,
                                                int reply_timeout_s) {
  const std::string read_control = absl::StrFormat("read 0x%x 4", desc);
  std::vector<std::string> first = {absl::StrFormat(
      "write 0x%x 16 %s", desc,
      DescriptorHex(uint32_t{kDirectoryKey} << 16 | 0x0a, 4, buf))};
  for (const std::string& c : DmaStartCommands(layout, desc)) {
    first.push_back(c);
  }
  first.push_back(read_control);
  first.push_back(absl::StrFormat("read 0x%x 4", buf));
  return TwoRoundDirectoryRead(
      sides, first,
      [&](const std::vector<std::string>& r) -> absl::StatusOr<uint32_t> {
        if (r[r.size() - 2] != "OK 0x00000000") {
          return absl::InternalError(
              absl::StrCat("DMA read of the directory count: control word ",
                           r[r.size() - 2]));
        }
        ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                         ParseReadReply(r.back(), 4));
        return base::LoadBe32(bytes.data());
      },
      [&](uint32_t count) {
        std::vector<std::string> c;
        if (count == 0) {  // `read ADDR 0` would abort QEMU
          c.push_back(SelectCommand(layout, 0));
          return c;
        }
        c.push_back(absl::StrFormat("write 0x%x 16 %s", desc,
                                    DescriptorHex(0x02, count * 64, buf + 4)));
        for (const std::string& start : DmaStartCommands(layout, desc)) {
          c.push_back(start);
        }
        c.push_back(read_control);
        c.push_back(absl::StrFormat("read 0x%x %u", buf + 4, count * 64));
        c.push_back(SelectCommand(layout, 0));
        return c;
      },
      [&](uint32_t count,
          const std::vector<std::string>& r) -> DirectoryResult {
        if (count == 0) return std::vector<DirectoryEntry>();
        if (r[r.size() - 3] != "OK 0x00000000") {
          return absl::InternalError(absl::StrCat(
              "DMA read of the directory: control word ", r[r.size() - 3]));
        }
        ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                         ParseReadReply(r[r.size() - 2], count * 64));
        return ParseDirectoryEntries(bytes, count);
      },
      reply_timeout_s);
}

}  // namespace

std::vector<std::string> QemuArgv(const std::string& binary,
                                  const CaseSpec& spec,
                                  const std::vector<std::string>& files) {
  std::vector<std::string> argv = {
      binary,
      "-M",
      spec.layout == Layout::kX86_64 ? "q35" : "virt",
      "-S",
      "-accel",
      "tcg",
      "-qtest",
      "stdio",
      "-qtest-log",
      "/dev/null",
      "-display",
      "none",
      "-nodefaults",
      "-m",
      spec.memory};
  for (size_t i = 0; i < spec.items.size(); ++i) {
    const ItemSpec& item = spec.items[i];
    argv.push_back("-fw_cfg");
    argv.push_back(absl::StrCat(
        "name=", QemuEscape(item.name), item.is_file ? ",file=" : ",string=",
        QemuEscape(item.is_file ? files[i] : item.source)));
  }
  return argv;
}

std::vector<std::string> VmmArgv(const std::string& binary,
                                 const CaseSpec& spec,
                                 const std::vector<std::string>& files) {
  std::vector<std::string> argv = {binary,
                                   "--qtest",
                                   "stdio",
                                   "--layout",
                                   LayoutName(spec.layout),
                                   "--memory",
                                   absl::StrCat("size=", spec.memory)};
  if (!spec.items.empty()) {
    std::vector<std::string> items;
    for (size_t i = 0; i < spec.items.size(); ++i) {
      const ItemSpec& item = spec.items[i];
      items.push_back(absl::StrCat(
          "name=", VmmQuote(item.name), item.is_file ? ",file=" : ",string=",
          VmmQuote(item.is_file ? files[i] : item.source)));
    }
    argv.push_back("--fw-cfg-config");
    argv.push_back(absl::StrCat("items=[", absl::StrJoin(items, ":"), "]"));
  }
  return argv;
}

CaseResult RunCase(const CaseSpec& spec, const RunnerConfig& config) {
  CaseResult result;
  std::string& report = result.report;
  auto finish = [&]() -> CaseResult {
    result.passed = report.empty();
    return result;
  };

  absl::StatusOr<std::unique_ptr<TempDir>> dir =
      TempDir::Create(config.work_dir);
  if (!dir.ok()) {
    report = std::string(dir.status().message());
    return finish();
  }
  std::vector<std::string> files(spec.items.size());
  for (size_t i = 0; i < spec.items.size(); ++i) {
    if (!spec.items[i].is_file) continue;
    files[i] = absl::StrCat((*dir)->path(), "/item-", i);
    absl::Status written = WriteFile(files[i], spec.items[i].content);
    if (!written.ok()) {
      report = std::string(written.message());
      return finish();
    }
  }

  const std::string& qemu =
      spec.layout == Layout::kX86_64 ? config.qemu_x86_64 : config.qemu_aarch64;
  std::vector<ProcessOptions> options(2);
  options[0] = {"qemu", QemuArgv(qemu, spec, files),
                (*dir)->path() + "/qemu.stderr", true};
  if (config.vmm.empty()) {
    options[1] = {"qemu#2", QemuArgv(qemu, spec, files),
                  (*dir)->path() + "/qemu2.stderr", true};
  } else {
    options[1] = {"ours", VmmArgv(config.vmm, spec, files),
                  (*dir)->path() + "/ours.stderr", false};
  }
  // With compare_traces: each side's trace file, and the spans of it that
  // the runner's own directory reads wrote.
  std::vector<std::string> traces(2);
  std::vector<std::vector<std::pair<uint64_t, uint64_t>>> cuts(2);
  if (config.compare_traces) {
    for (size_t s = 0; s < 2; ++s) {
      traces[s] = absl::StrCat((*dir)->path(), "/trace-", s);
      const bool is_qemu = s == 0 || config.vmm.empty();
      for (std::string& arg : is_qemu ? QemuTraceArgs(spec.layout, traces[s])
                                      : VmmTraceArgs(traces[s])) {
        options[s].argv.push_back(std::move(arg));
      }
    }
  }
  auto cut_begin = [&] {
    for (size_t s = 0; s < 2 && config.compare_traces; ++s) {
      const uint64_t at = TraceFileLength(traces[s]);
      cuts[s].push_back({at, at});
    }
  };
  auto cut_end = [&] {
    for (size_t s = 0; s < 2 && config.compare_traces; ++s) {
      cuts[s].back().second = TraceFileLength(traces[s]);
    }
  };
  std::vector<Side> sides(2);
  for (size_t s = 0; s < 2; ++s) {
    absl::StatusOr<std::unique_ptr<QtestProcess>> process =
        QtestProcess::Start(options[s]);
    if (!process.ok()) {
      report = absl::StrCat("cannot start ", options[s].label, ": ",
                            process.status().message());
      return finish();
    }
    sides[s].process = *std::move(process);
  }
  const std::string& ref = sides[0].label();
  const std::string& cand = sides[1].label();
  auto describe_argv = [&](size_t s) {
    std::vector<std::string> quoted;
    for (const std::string& arg : sides[s].process->options().argv) {
      quoted.push_back(ShellQuote(arg));
    }
    return absl::StrCat("  ", sides[s].label(),
                        " was started as: ", absl::StrJoin(quoted, " "), "\n");
  };

  // Discover each side's keys for the user items.
  {
    if (config.compare_traces) {
      // A first round trip: each side has started and written its reset's
      // select before the lengths are taken.
      const std::string ram =
          absl::StrFormat("readb 0x%x", RamBase(spec.layout));
      std::vector<std::vector<std::string>> replies;
      for (const absl::Status& status :
           Round(sides, {{ram}, {ram}}, config.reply_timeout_s, &replies)) {
        if (!status.ok()) absl::StrAppend(&report, status.message(), "\n");
      }
      if (!report.empty()) return finish();
    }
    cut_begin();
    auto directories =
        ReadDirectoryByPort(sides, spec.layout, config.reply_timeout_s);
    cut_end();
    for (size_t s = 0; s < 2; ++s) {
      absl::StatusOr<KeyMap> keys =
          directories[s].ok() ? UserKeys(*directories[s], spec.items)
                              : absl::StatusOr<KeyMap>(directories[s].status());
      if (!keys.ok()) {
        absl::StrAppend(&report, "reading the directory of ", sides[s].label(),
                        " failed: ", keys.status().message(), "\n",
                        describe_argv(s));
      } else {
        sides[s].keys = *std::move(keys);
      }
    }
    if (!report.empty()) return finish();
  }

  int mismatches = 0;
  size_t i = 0;
  bool aborted = false;
  while (i < spec.steps.size() && !aborted) {
    const Step& step = spec.steps[i];
    if (step.kind == Step::Kind::kCheckDir) {
      ++i;
      std::vector<DirectoryResult> directories;
      cut_begin();
      if (step.text.empty()) {
        directories =
            ReadDirectoryByPort(sides, spec.layout, config.reply_timeout_s);
      } else {
        const std::vector<std::string> words =
            absl::StrSplit(step.text, ' ', absl::SkipEmpty());
        const uint64_t desc = *ParseCaseNumber(words[1]);
        const uint64_t buf = *ParseCaseNumber(words[2]);
        directories = ReadDirectoryByDma(sides, spec.layout, desc, buf,
                                         config.reply_timeout_s);
      }
      cut_end();
      for (size_t s = 0; s < 2; ++s) {
        if (!directories[s].ok()) {
          absl::StrAppendFormat(&report, "CHECK-DIR %s:%d: %s: %s\n", spec.path,
                                step.line, sides[s].label(),
                                directories[s].status().message());
          aborted = true;
          continue;
        }
        for (const std::string& problem :
             CheckDirectory(*directories[s], spec.items)) {
          absl::StrAppendFormat(&report, "CHECK-DIR %s:%d: %s: %s\n", spec.path,
                                step.line, sides[s].label(), problem);
        }
      }
      continue;
    }
    // A round: every command up to the next check-dir.
    std::vector<const Step*> round;
    std::vector<std::vector<const Step*>> expects;
    while (i < spec.steps.size() &&
           spec.steps[i].kind != Step::Kind::kCheckDir) {
      if (spec.steps[i].kind == Step::Kind::kCommand) {
        round.push_back(&spec.steps[i]);
        expects.emplace_back();
      } else {
        expects.back().push_back(&spec.steps[i]);
      }
      ++i;
    }
    std::vector<std::vector<std::string>> commands(2);
    for (size_t s = 0; s < 2; ++s) {
      for (const Step* c : round) {
        absl::StatusOr<std::string> line = Substitute(c->text, sides[s].keys);
        if (!line.ok()) {
          absl::StrAppendFormat(&report, "CASE ERROR %s:%d: %s\n", spec.path,
                                c->line, line.status().message());
          return finish();
        }
        commands[s].push_back(*std::move(line));
      }
    }
    std::vector<std::vector<std::string>> replies;
    const std::vector<absl::Status> statuses =
        Round(sides, commands, config.reply_timeout_s, &replies);
    const size_t answered = std::min(replies[0].size(), replies[1].size());
    for (size_t k = 0; k < answered; ++k) {
      const std::string& a = replies[0][k];
      const std::string& b = replies[1][k];
      ++result.commands;
      for (const Step* e : expects[k]) {
        if (a != e->text) {
          absl::StrAppendFormat(
              &report,
              "EXPECTATION FAILED %s:%d (the case is wrong, or QEMU changed)\n"
              "  command (%s): %s\n  expected:       %s\n  reply   (%s): %s\n",
              spec.path, e->line, ref, Clip(commands[0][k]), Clip(e->text), ref,
              Clip(a));
        }
      }
      if (a == b) continue;
      if (++mismatches > config.max_reported) continue;
      absl::StrAppendFormat(&report, "MISMATCH %s:%d\n", spec.path,
                            round[k]->line);
      absl::StrAppendFormat(&report, "  command (%s): %s\n", ref,
                            Clip(commands[0][k]));
      absl::StrAppendFormat(&report, "  command (%s): %s\n", cand,
                            Clip(commands[1][k]));
      report += DescribeDifference(ref, a, cand, b);
    }
    for (size_t s = 0; s < 2; ++s) {
      if (statuses[s].ok()) continue;
      absl::StrAppendFormat(
          &report, "PEER FAILURE %s (round of lines %d-%d): %s\n", spec.path,
          round.front()->line, round.back()->line, statuses[s].message());
      aborted = true;
    }
  }
  if (mismatches > config.max_reported) {
    absl::StrAppendFormat(&report,
                          "... %d mismatches in all (first %d shown)\n",
                          mismatches, config.max_reported);
  }
  const absl::Status ref_end = sides[0].process->Finish(config.exit_timeout_s);
  const absl::Status cand_end = sides[1].process->Finish(config.exit_timeout_s);
  if (!aborted && !cand_end.ok()) {
    absl::StrAppendFormat(&report, "EXIT %s: %s\n", spec.path,
                          cand_end.message());
  }
  (void)ref_end;
  if (!aborted && mismatches == 0 && config.compare_traces) {
    std::vector<std::vector<std::string>> lines(2);
    for (size_t s = 0; s < 2; ++s) {
      absl::StatusOr<std::vector<std::string>> read =
          ReadTraceLines(traces[s], cuts[s], sides[s].keys);
      if (!read.ok()) {
        absl::StrAppend(&report, "TRACE ", spec.path, ": ", sides[s].label(),
                        ": ", read.status().message(), "\n");
      } else {
        lines[s] = *std::move(read);
      }
    }
    if (report.empty()) {
      const std::string difference =
          CompareTraceLines(ref, lines[0], cand, lines[1]);
      if (!difference.empty()) {
        absl::StrAppend(&report, spec.path, ": ", difference);
      }
    }
  }
  if (!report.empty()) {
    for (size_t s = 0; s < 2; ++s) report += describe_argv(s);
  }
  return finish();
}

}  // namespace conformance
