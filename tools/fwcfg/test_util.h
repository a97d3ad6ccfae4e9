// Test helpers: a short temporary directory (Unix socket paths are limited
// to 107 bytes), runfiles, running the command line in or out of this
// process, and waiting for a socket to be listened on. Child processes are
// base::Subprocess.

#ifndef TOOLS_FWCFG_TEST_UTIL_H_
#define TOOLS_FWCFG_TEST_UTIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/subprocess.h"

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

// Waits until someone listens on the Unix socket `path` (per
// /proc/net/unix, so a connect cannot race the server's bind/listen).
// Fails early if `server` (optional) exits meanwhile.
absl::Status WaitForListeningSocket(const std::string& path, int timeout_ms,
                                    base::Subprocess* server);

// What a run of the command line printed and returned.
struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs the fwcfg binary at `argv[0]` to completion (base::RunProgram),
// adding a failure and returning exit code -1 when it cannot be run or runs
// past `timeout_ms`.
RunResult RunBinary(const std::vector<std::string>& argv, int timeout_ms);

// Runs fwcfg's command line in this process (RunFwcfg), capturing its
// standard output and error.
RunResult RunCli(const std::vector<std::string>& args);

// Deterministic test bytes.
std::string PatternBytes(size_t size, uint32_t seed);

}  // namespace fwcfg::testing

#endif  // TOOLS_FWCFG_TEST_UTIL_H_
