#include "tools/fwcfg/test_util.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/cli.h"

namespace fwcfg::testing {
namespace {

// Longest directory we accept: room for "/" and a socket name of 20 bytes.
constexpr size_t kMaxDirLength = 107 - 21;

void RemoveTree(const std::string& path) {
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) return;
  if (S_ISDIR(info.st_mode)) {
    if (DIR* dir = opendir(path.c_str())) {
      while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") continue;
        RemoveTree(path + "/" + name);
      }
      closedir(dir);
    }
    rmdir(path.c_str());
  } else {
    unlink(path.c_str());
  }
}

std::string MakeTemp(const std::string& parent) {
  std::string pattern = parent + "/fwcfg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return "";
  return pattern;
}

}  // namespace

TempDir::TempDir(Use use) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  if (tmp != nullptr &&
      (use == Use::kFiles || std::strlen(tmp) + 14 <= kMaxDirLength)) {
    path_ = MakeTemp(tmp);
  }
  if (path_.empty()) path_ = MakeTemp("/tmp");
  if (path_.empty()) std::abort();  // Nothing a test could do without it.
}

TempDir::~TempDir() { RemoveTree(path_); }

std::string Runfile(const std::string& workspace_path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr) return workspace_path;  // Relative to the cwd.
  return absl::StrFormat("%s/%s/%s", srcdir,
                         workspace != nullptr ? workspace : "fwcfg_vmm",
                         workspace_path);
}

absl::Status WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  file.close();
  if (!file) {
    return absl::UnavailableError(absl::StrFormat("cannot write %s", path));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(absl::StrFormat("cannot read %s", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

std::optional<std::string> FindProgram(const std::string& name) {
  const char* env = std::getenv("PATH");
  const std::string path =
      env != nullptr ? env : "/usr/local/bin:/usr/bin:/bin";
  for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
    const std::string candidate = absl::StrFormat("%s/%s", dir, name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

absl::Status WaitForListeningSocket(const std::string& path, int timeout_ms,
                                    base::Subprocess* server) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    if (server != nullptr) {
      if (std::optional<base::ExitStatus> how = server->Poll()) {
        return absl::FailedPreconditionError(absl::StrFormat(
            "the server %s before listening on %s", how->ToString(), path));
      }
    }
    std::ifstream table("/proc/net/unix");
    if (table) {
      // "Num RefCount Protocol Flags Type St Inode Path": a listening socket
      // has __SO_ACCEPTCON (00010000) in Flags.
      std::string line;
      while (std::getline(table, line)) {
        const std::vector<std::string> fields =
            absl::StrSplit(line, ' ', absl::SkipEmpty());
        if (fields.size() >= 8 && fields[3] == "00010000" &&
            fields[7] == path) {
          return absl::OkStatus();
        }
      }
    } else {
      struct stat info;
      if (stat(path.c_str(), &info) == 0 && S_ISSOCK(info.st_mode)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        return absl::OkStatus();
      }
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(absl::StrFormat(
          "nothing listened on %s within %d ms", path, timeout_ms));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

RunResult RunBinary(const std::vector<std::string>& argv, int timeout_ms) {
  absl::StatusOr<base::RunOutput> run =
      base::RunProgram(argv, absl::Milliseconds(timeout_ms));
  if (!run.ok()) {
    ADD_FAILURE() << run.status();
    return RunResult{};
  }
  return RunResult{.exit_code = run->status.shell_code(),
                   .out = std::move(run->out),
                   .err = std::move(run->err)};
}

RunResult RunCli(const std::vector<std::string>& args) {
  std::FILE* out = std::tmpfile();
  std::FILE* err = std::tmpfile();
  if (out == nullptr || err == nullptr) std::abort();
  RunResult result;
  result.exit_code = RunFwcfg(args, out, err);
  for (auto [file, text] : {std::pair{out, &result.out}, {err, &result.err}}) {
    std::fflush(file);
    std::rewind(file);
    char chunk[65536];
    while (size_t n = std::fread(chunk, 1, sizeof(chunk), file)) {
      text->append(chunk, n);
    }
    std::fclose(file);
  }
  return result;
}

std::string PatternBytes(size_t size, uint32_t seed) {
  std::string bytes(size, '\0');
  uint32_t state = seed * 2654435761u + 1;
  for (size_t i = 0; i < size; ++i) {
    state = state * 1664525u + 1013904223u;  // Numerical Recipes LCG
    bytes[i] = static_cast<char>(state >> 24);
  }
  return bytes;
}

}  // namespace fwcfg::testing
