// The differential conformance suite: every case file, and a number of
// random sequences, run on QEMU 7.2 and on our VMM, replies compared line by
// line. See README.md in this directory.
//
//   conformance_test --ours=path/to/vmm --cases_dir=tests/conformance/cases
//   conformance_test --ours=path/to/vmm --seeds=1000 --first_seed=5000
//
// Without --ours, QEMU runs on both sides (a check of the suite itself).

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/layout.h"
#include "tests/conformance/random_case.h"
#include "tests/conformance/runner.h"

ABSL_FLAG(std::string, ours, "",
          "Path of our VMM. Empty: QEMU runs on both sides.");
ABSL_FLAG(std::string, cases_dir, "",
          "Directory whose *.case files are run (empty: none).");
ABSL_FLAG(std::string, case_filter, "",
          "Run only case files whose name contains this.");
ABSL_FLAG(int, seeds, 0, "How many random sequences to run.");
ABSL_FLAG(uint64_t, first_seed, 1, "The first random seed.");
ABSL_FLAG(int, ops, 250, "Operations per random sequence.");
ABSL_FLAG(std::string, random_layouts, "x86_64,arm-virt",
          "Layouts the random seeds take turns on.");
ABSL_FLAG(bool, print_random_cases, false,
          "Print every generated random case (as a case file).");
ABSL_FLAG(std::string, qemu_x86_64, "qemu-system-x86_64",
          "qemu-system-x86_64 (a name looked up in PATH, or a path).");
ABSL_FLAG(std::string, qemu_aarch64, "qemu-system-aarch64",
          "qemu-system-aarch64 (a name looked up in PATH, or a path).");
ABSL_FLAG(int, reply_timeout_s, 60,
          "Seconds a peer may take to answer before the case fails.");
ABSL_FLAG(int, max_reported, 5, "Mismatches printed per case.");
ABSL_FLAG(bool, compare_traces, false,
          "Also compare the fw_cfg_select/fw_cfg_read trace streams.");

namespace conformance {
namespace {

// `name` if it holds a slash, else the first executable `name` in PATH (and
// the usual system directories, which a test's PATH may lack).
std::string FindProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return access(name.c_str(), X_OK) == 0
               ? std::filesystem::absolute(name).string()
               : "";
  }
  std::string path = getenv("PATH") != nullptr ? getenv("PATH") : "";
  path += ":/usr/bin:/usr/local/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

struct Environment {
  RunnerConfig config;
  std::string missing;  // why nothing can run, or ""
  std::string outputs_dir;
};

Environment* env = nullptr;

std::string MissingQemuMessage(const std::string& which) {
  return absl::StrCat(
      which,
      " was not found. The conformance suite compares our VMM with QEMU 7.2 "
      "and cannot pass without it: install it with\n"
      "    apt-get install qemu-system-x86 qemu-system-arm\n"
      "(or pass --qemu_x86_64=/path --qemu_aarch64=/path).");
}

class CaseFileTest : public testing::Test {
 public:
  explicit CaseFileTest(std::string path) : path_(std::move(path)) {}
  void TestBody() override {
    ASSERT_TRUE(env->missing.empty()) << env->missing;
    absl::StatusOr<CaseSpec> spec = LoadCaseFile(path_);
    ASSERT_TRUE(spec.ok()) << spec.status();
    const CaseResult result = RunCase(*spec, env->config);
    EXPECT_TRUE(result.passed) << "\n" << result.report;
    RecordProperty("commands", result.commands);
  }

 private:
  std::string path_;
};

class RandomTest : public testing::Test {
 public:
  RandomTest(uint64_t seed, Layout layout, int ops)
      : seed_(seed), layout_(layout), ops_(ops) {}
  void TestBody() override {
    ASSERT_TRUE(env->missing.empty()) << env->missing;
    const CaseSpec spec = GenerateRandomCase(seed_, layout_, ops_);
    if (absl::GetFlag(FLAGS_print_random_cases)) {
      std::cout << "# " << spec.path << "\n" << RenderCaseFile(spec) << "\n";
    }
    const CaseResult result = RunCase(spec, env->config);
    if (result.passed) return;
    std::string saved;
    if (!env->outputs_dir.empty()) {
      saved = absl::StrCat(env->outputs_dir, "/random-seed-", seed_, "-",
                           LayoutName(layout_), ".case");
      std::ofstream(saved) << "# " << spec.path << ", --ops=" << ops_ << "\n"
                           << RenderCaseFile(spec);
    }
    ADD_FAILURE() << "\nrandom seed " << seed_ << " (layout "
                  << LayoutName(layout_) << ", --ops=" << ops_
                  << ") fails; rerun it alone with --first_seed=" << seed_
                  << " --seeds=1 --random_layouts=" << LayoutName(layout_)
                  << (saved.empty() ? "" : "; the generated case is saved as ")
                  << saved << "\n(line numbers count lines of that case)\n"
                  << result.report;
  }

 private:
  uint64_t seed_;
  Layout layout_;
  int ops_;
};

}  // namespace
}  // namespace conformance

int main(int argc, char** argv) {
  using conformance::env;
  testing::InitGoogleTest(&argc, argv);
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);  // a peer that dies must not take us along

  env = new conformance::Environment();
  conformance::RunnerConfig& config = env->config;
  config.reply_timeout_s = absl::GetFlag(FLAGS_reply_timeout_s);
  config.max_reported = absl::GetFlag(FLAGS_max_reported);
  config.compare_traces = absl::GetFlag(FLAGS_compare_traces);
  config.qemu_x86_64 =
      conformance::FindProgram(absl::GetFlag(FLAGS_qemu_x86_64));
  config.qemu_aarch64 =
      conformance::FindProgram(absl::GetFlag(FLAGS_qemu_aarch64));
  if (config.qemu_x86_64.empty()) {
    env->missing =
        conformance::MissingQemuMessage(absl::GetFlag(FLAGS_qemu_x86_64));
  } else if (config.qemu_aarch64.empty()) {
    env->missing =
        conformance::MissingQemuMessage(absl::GetFlag(FLAGS_qemu_aarch64));
  }
  const std::string ours = absl::GetFlag(FLAGS_ours);
  if (!ours.empty()) {
    config.vmm = conformance::FindProgram(
        ours.find('/') == std::string::npos ? "./" + ours : ours);
    if (config.vmm.empty()) {
      env->missing = absl::StrCat("--ours=", ours, " is not an executable");
    }
  } else {
    std::cerr << "conformance: no --ours given: running QEMU against itself\n";
  }
  const char* tmp = getenv("TEST_TMPDIR");
  std::string work =
      absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/conformance-XXXXXX");
  if (mkdtemp(work.data()) == nullptr) {
    std::cerr << "conformance: cannot create a directory like " << work << "\n";
    return 1;
  }
  config.work_dir = work;
  if (const char* outputs = getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    env->outputs_dir = outputs;
  }

  int registered = 0;
  const std::string cases_dir = absl::GetFlag(FLAGS_cases_dir);
  if (!cases_dir.empty()) {
    std::vector<std::string> paths;
    std::error_code error;
    for (const auto& entry :
         std::filesystem::directory_iterator(cases_dir, error)) {
      const std::string name = entry.path().filename().string();
      if (entry.path().extension() == ".case" &&
          name.find(absl::GetFlag(FLAGS_case_filter)) != std::string::npos) {
        paths.push_back(entry.path().string());
      }
    }
    if (error) {
      std::cerr << "conformance: cannot list " << cases_dir << ": "
                << error.message() << "\n";
      return 1;
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& path : paths) {
      const std::string name = std::filesystem::path(path).stem().string();
      testing::RegisterTest("Cases", name.c_str(), nullptr, nullptr, __FILE__,
                            __LINE__, [path]() -> testing::Test* {
                              return new conformance::CaseFileTest(path);
                            });
      ++registered;
    }
    if (paths.empty()) {
      std::cerr << "conformance: no .case files in " << cases_dir << "\n";
      return 1;
    }
  }

  const int seeds = absl::GetFlag(FLAGS_seeds);
  if (seeds > 0) {
    std::vector<conformance::Layout> layouts;
    for (absl::string_view name : absl::StrSplit(
             absl::GetFlag(FLAGS_random_layouts), ',', absl::SkipEmpty())) {
      absl::StatusOr<conformance::Layout> layout =
          conformance::ParseLayout(std::string_view(name.data(), name.size()));
      if (!layout.ok()) {
        std::cerr << "conformance: --random_layouts: " << layout.status()
                  << "\n";
        return 1;
      }
      layouts.push_back(*layout);
    }
    if (layouts.empty()) {
      std::cerr << "conformance: --random_layouts is empty\n";
      return 1;
    }
    const uint64_t first = absl::GetFlag(FLAGS_first_seed);
    const int ops = absl::GetFlag(FLAGS_ops);
    for (int i = 0; i < seeds; ++i) {
      const uint64_t seed = first + static_cast<uint64_t>(i);
      const conformance::Layout layout = layouts[seed % layouts.size()];
      const std::string name =
          absl::StrCat("seed_", seed, "_", conformance::LayoutName(layout));
      testing::RegisterTest("Random", name.c_str(), nullptr, nullptr, __FILE__,
                            __LINE__, [seed, layout, ops]() -> testing::Test* {
                              return new conformance::RandomTest(seed, layout,
                                                                 ops);
                            });
      ++registered;
    }
  }
  if (registered == 0) {
    std::cerr << "conformance: nothing to run: give --cases_dir or --seeds\n";
    return 1;
  }
  const int status = RUN_ALL_TESTS();
  std::error_code ignored;
  std::filesystem::remove_all(work, ignored);
  return status;
}
