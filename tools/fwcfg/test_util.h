// Test helpers: a short temporary directory (Unix socket paths are limited
// to 107 bytes), runfiles, child processes started with fork/exec and always
// reaped, and waiting for a socket to be listened on.

#ifndef TOOLS_FWCFG_TEST_UTIL_H_
#define TOOLS_FWCFG_TEST_UTIL_H_

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace fwcfg::testing {

// A fresh directory, removed with its contents on destruction, under
// TEST_TMPDIR. For Unix sockets (paths of at most 107 bytes) it goes under
// /tmp instead when TEST_TMPDIR is too long, as Bazel's usually is.
class TempDir {
 public:
  enum class Use { kSockets, kFiles };
  explicit TempDir(Use use = Use::kSockets);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// The path of a data dependency, e.g. Runfile("vmm/vmm").
std::string Runfile(const std::string& workspace_path);

absl::Status WriteFile(const std::string& path, const std::string& contents);
absl::StatusOr<std::string> ReadFile(const std::string& path);

// Where `name` is found on PATH (/usr/local/bin:/usr/bin:/bin if unset).
std::optional<std::string> FindProgram(const std::string& name);

// A child process, started with fork/exec (no shell). Standard input is
// /dev/null; standard output and error go to the given files (or
// /dev/null). The destructor kills (SIGKILL) and reaps a child still
// running.
class ChildProcess {
 public:
  static absl::StatusOr<ChildProcess> Start(
      const std::vector<std::string>& argv,
      const std::string& stdout_path = "/dev/null",
      const std::string& stderr_path = "/dev/null");

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Waits up to `timeout_ms` for the child to exit; returns its exit code,
  // or 128 + N if signal N killed it. DeadlineExceeded if still running.
  absl::StatusOr<int> Wait(int timeout_ms);
  // Whether it has exited (reaping it if so); its status then in *code.
  bool Exited(int* code);
  // Sends SIGTERM, waits up to `grace_ms`, then SIGKILLs; always reaps.
  void Stop(int grace_ms);

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

// Waits until someone listens on the Unix socket `path` (per
// /proc/net/unix, so a connect cannot race the server's bind/listen).
// Fails early if `child` (optional) exits meanwhile.
absl::Status WaitForListeningSocket(const std::string& path, int timeout_ms,
                                    ChildProcess* child);

// Runs a program to completion: exit code and captured output.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
absl::StatusOr<RunResult> Run(const std::vector<std::string>& argv,
                              int timeout_ms);

// Runs fwcfg's command line in this process (RunFwcfg), capturing its
// standard output and error.
RunResult RunCli(const std::vector<std::string>& args);

// Deterministic test bytes.
std::string PatternBytes(size_t size, uint32_t seed);

}  // namespace fwcfg::testing

#endif  // TOOLS_FWCFG_TEST_UTIL_H_
