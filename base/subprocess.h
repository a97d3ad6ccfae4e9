// Child processes for tests, tools' tests and benchmarks: one fork/exec
// helper instead of one per test.
//
//   ASSIGN_OR_RETURN(base::RunOutput run,
//                    base::RunProgram({"/usr/bin/iasl", "-p", "out", "in.dsl"},
//                              absl::Seconds(30)));
//   // run.status.code, run.out, run.err
//
//   ASSIGN_OR_RETURN(base::Subprocess vmm,
//                    base::Subprocess::Start(argv, {.stderr_path = log}));
//   ... vmm.Signal(SIGTERM); ASSIGN_OR_RETURN(base::ExitStatus how,
//                                             vmm.Wait(absl::Seconds(5)));
//
// The child is started with fork and execv, never a shell. Everything it
// needs is prepared before the fork, so the child itself only makes
// async-signal-safe calls. A Subprocess always reaps its child: destroying
// one that still runs SIGKILLs it first. By default the child also gets
// SIGKILL when the thread that started it dies (PR_SET_PDEATHSIG), since
// QEMU does not exit when its standard input closes.

#ifndef BASE_SUBPROCESS_H_
#define BASE_SUBPROCESS_H_

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/unique_fd.h"

namespace base {

// How a child ended.
struct ExitStatus {
  int code = 0;    // its exit code, when it exited
  int signal = 0;  // the signal that killed it, or 0 if it exited

  bool exited() const { return signal == 0; }
  bool success() const { return signal == 0 && code == 0; }
  // What a shell reports: the exit code, or 128 + the signal's number.
  int shell_code() const { return signal != 0 ? 128 + signal : code; }
  // "exited with status 3" or "was killed by signal 9 (Killed)".
  std::string ToString() const;
};

struct SubprocessOptions {
  // Where the child's standard streams come from and go to. Output files
  // are created or truncated.
  std::string stdin_path = "/dev/null";
  std::string stdout_path = "/dev/null";
  std::string stderr_path = "/dev/null";
  // A pipe instead of the file: the parent writes stdin_fd() and reads
  // stdout_fd() / stderr_fd(). The parent's ends are non-blocking.
  bool pipe_stdin = false;
  bool pipe_stdout = false;
  bool pipe_stderr = false;
  // Standard error goes wherever standard output goes.
  bool stderr_to_stdout = false;
  // The child's working directory; empty keeps ours.
  std::string working_dir;
  // SIGKILL the child when the thread that started it exits.
  bool kill_with_parent = true;
};

class Subprocess {
 public:
  // Starts argv[0] (a path; PATH is not searched) with `argv`.
  static absl::StatusOr<Subprocess> Start(
      const std::vector<std::string>& argv,
      const SubprocessOptions& options = {});
  // Runs `body` in a forked copy of this process and exits with what it
  // returns: for a check that needs other credentials (setuid) than the
  // test's. Only for single-threaded callers, since the copy may run any
  // code; its standard streams are ours.
  static absl::StatusOr<Subprocess> Fork(const std::function<int()>& body);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  // SIGKILLs and reaps a child still running.
  ~Subprocess();

  pid_t pid() const { return pid_; }
  // The parent's ends of the pipes asked for, or -1.
  int stdin_fd() const { return stdin_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }
  // Closes our end of its standard input: the child reads end of file.
  void CloseStdin() { stdin_.reset(); }

  // How the child ended, reaping it if it just did; nullopt while it runs.
  std::optional<ExitStatus> Poll();
  // Waits up to `timeout` for the child to end. DeadlineExceeded (the child
  // left running) if it does not.
  absl::StatusOr<ExitStatus> Wait(absl::Duration timeout);
  // Sends `signal` to a child that has not been reaped.
  void Signal(int signal);
  // SIGKILL, then waits for it: how it ended (by SIGKILL, or by itself
  // if it had already exited).
  ExitStatus Kill();
  // SIGTERM, up to `grace` for it to exit, then Kill().
  ExitStatus Stop(absl::Duration grace);

 private:
  Subprocess(pid_t pid, UniqueFd in, UniqueFd out, UniqueFd err)
      : pid_(pid),
        stdin_(std::move(in)),
        stdout_(std::move(out)),
        stderr_(std::move(err)) {}
  // Reaps the child: blocking, or not (then false while it runs).
  bool Reap(bool block);

  pid_t pid_ = -1;
  std::optional<ExitStatus> ended_;
  UniqueFd stdin_;
  UniqueFd stdout_;
  UniqueFd stderr_;
};

// What Run saw.
struct RunOutput {
  ExitStatus status;
  std::string out;  // standard output (and error, with stderr_to_stdout)
  std::string err;  // standard error
};

// Runs argv to completion, capturing its standard output and error (the
// pipe_* and *_path output settings of `options` are replaced by pipes).
// DeadlineExceeded, with the child killed, if it runs past `timeout`.
absl::StatusOr<RunOutput> RunProgram(const std::vector<std::string>& argv,
                                     absl::Duration timeout,
                                     SubprocessOptions options = {});

}  // namespace base

#endif  // BASE_SUBPROCESS_H_
