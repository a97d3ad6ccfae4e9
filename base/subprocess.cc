#include "base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace base {
namespace {

// absl::ErrnoToStatus adds ": " and strerror's text.
absl::Status ErrnoError(int error, absl::string_view what) {
  return absl::ErrnoToStatus(error, what);
}

// A pipe; [0] reads, [1] writes. Both ends close on exec: the child's copy
// made by dup2 does not.
absl::Status MakePipe(UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return ErrnoError(errno, "pipe2");
  read_end.reset(fds[0]);
  write_end.reset(fds[1]);
  return absl::OkStatus();
}

absl::StatusOr<UniqueFd> OpenFor(const std::string& path, bool output) {
  const int flags = output ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
  UniqueFd fd(open(path.c_str(), flags | O_CLOEXEC, 0644));
  if (!fd.valid()) return ErrnoError(errno, absl::StrCat("open ", path));
  return fd;
}

void SetNonBlocking(int fd) {
  if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// In the child: makes `fd` its descriptor `target`, open across exec.
bool Install(int fd, int target) {
  if (fd == target) {
    return fcntl(fd, F_SETFD, 0) == 0;  // dup2 would leave FD_CLOEXEC set
  }
  return dup2(fd, target) == target;
}

// In the child: a fixed message on stderr, then exit 127 as a shell does
// for a command it could not run. Async-signal-safe.
[[noreturn]] void ChildFail(const char* what) {
  static const char kPrefix[] = "subprocess: ";
  (void)!write(STDERR_FILENO, kPrefix, sizeof(kPrefix) - 1);
  (void)!write(STDERR_FILENO, what, strlen(what));
  (void)!write(STDERR_FILENO, "\n", 1);
  _exit(127);
}

ExitStatus FromWaitStatus(int status) {
  ExitStatus how;
  if (WIFSIGNALED(status)) {
    how.signal = WTERMSIG(status);
  } else {
    how.code = WEXITSTATUS(status);
  }
  return how;
}

}  // namespace

std::string ExitStatus::ToString() const {
  if (signal == 0) return absl::StrCat("exited with status ", code);
  return absl::StrCat("was killed by signal ", signal, " (", strsignal(signal),
                      ")");
}

absl::StatusOr<Subprocess> Subprocess::Start(
    const std::vector<std::string>& argv, const SubprocessOptions& options) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  // The child's ends ([0] for stdin, [1] for stdout and stderr) and ours.
  UniqueFd child_in, child_out, child_err, our_in, our_out, our_err;
  if (options.pipe_stdin) {
    if (absl::Status s = MakePipe(child_in, our_in); !s.ok()) return s;
  } else {
    absl::StatusOr<UniqueFd> fd = OpenFor(options.stdin_path, false);
    if (!fd.ok()) return fd.status();
    child_in = *std::move(fd);
  }
  if (options.pipe_stdout) {
    if (absl::Status s = MakePipe(our_out, child_out); !s.ok()) return s;
  } else {
    absl::StatusOr<UniqueFd> fd = OpenFor(options.stdout_path, true);
    if (!fd.ok()) return fd.status();
    child_out = *std::move(fd);
  }
  if (options.stderr_to_stdout) {
    // Installed from descriptor 1 in the child.
  } else if (options.pipe_stderr) {
    if (absl::Status s = MakePipe(our_err, child_err); !s.ok()) return s;
  } else {
    absl::StatusOr<UniqueFd> fd = OpenFor(options.stderr_path, true);
    if (!fd.ok()) return fd.status();
    child_err = *std::move(fd);
  }

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  const char* dir =
      options.working_dir.empty() ? nullptr : options.working_dir.c_str();
  const pid_t parent = getpid();

  const pid_t pid = fork();
  if (pid < 0) return ErrnoError(errno, "fork");
  if (pid == 0) {
    if (options.kill_with_parent) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);  // it died before prctl
    }
    if (!Install(child_in.get(), STDIN_FILENO) ||
        !Install(child_out.get(), STDOUT_FILENO) ||
        !Install(options.stderr_to_stdout ? STDOUT_FILENO : child_err.get(),
                 STDERR_FILENO)) {
      ChildFail("cannot set up standard streams");
    }
    signal(SIGPIPE, SIG_DFL);
    if (dir != nullptr && chdir(dir) != 0) ChildFail("chdir failed");
    execve(args[0], args.data(), environ);
    ChildFail("execve failed");
  }
  SetNonBlocking(our_in.get());
  SetNonBlocking(our_out.get());
  SetNonBlocking(our_err.get());
  return Subprocess(pid, std::move(our_in), std::move(our_out),
                    std::move(our_err));
}

absl::StatusOr<Subprocess> Subprocess::Fork(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid < 0) return ErrnoError(errno, "fork");
  if (pid == 0) _exit(body());
  return Subprocess(pid, UniqueFd(), UniqueFd(), UniqueFd());
}

Subprocess::Subprocess(Subprocess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      ended_(other.ended_),
      stdin_(std::move(other.stdin_)),
      stdout_(std::move(other.stdout_)),
      stderr_(std::move(other.stderr_)) {}

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !ended_) Kill();
    pid_ = std::exchange(other.pid_, -1);
    ended_ = other.ended_;
    stdin_ = std::move(other.stdin_);
    stdout_ = std::move(other.stdout_);
    stderr_ = std::move(other.stderr_);
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !ended_) Kill();
}

bool Subprocess::Reap(bool block) {
  if (ended_) return true;
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t done;
  do {
    done = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (done < 0 && errno == EINTR);
  if (done != pid_) return false;
  ended_ = FromWaitStatus(status);
  return true;
}

std::optional<ExitStatus> Subprocess::Poll() {
  Reap(/*block=*/false);
  return ended_;
}

absl::StatusOr<ExitStatus> Subprocess::Wait(absl::Duration timeout) {
  if (pid_ <= 0) return absl::FailedPreconditionError("no child process");
  const absl::Time deadline = absl::Now() + timeout;
  absl::Duration nap = absl::Milliseconds(1);
  while (!Reap(/*block=*/false)) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("pid ", pid_, " still running after ",
                       absl::FormatDuration(timeout)));
    }
    absl::SleepFor(std::min(nap, deadline - now));
    nap = std::min(nap * 2, absl::Milliseconds(10));
  }
  return *ended_;
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && !ended_) kill(pid_, signal);
}

ExitStatus Subprocess::Kill() {
  Signal(SIGKILL);
  Reap(/*block=*/true);
  return ended_.value_or(ExitStatus{.signal = SIGKILL});
}

ExitStatus Subprocess::Stop(absl::Duration grace) {
  Signal(SIGTERM);
  absl::StatusOr<ExitStatus> how = Wait(grace);
  return how.ok() ? *how : Kill();
}

absl::StatusOr<RunOutput> RunProgram(const std::vector<std::string>& argv,
                                     absl::Duration timeout,
                                     SubprocessOptions options) {
  options.pipe_stdout = true;
  options.pipe_stderr = !options.stderr_to_stdout;
  absl::StatusOr<Subprocess> child = Subprocess::Start(argv, options);
  if (!child.ok()) return child.status();
  const absl::Time deadline = absl::Now() + timeout;
  RunOutput run;
  struct Stream {
    int fd;
    std::string* text;
  };
  std::vector<Stream> open_streams = {{child->stdout_fd(), &run.out}};
  if (child->stderr_fd() >= 0) {
    open_streams.push_back({child->stderr_fd(), &run.err});
  }
  while (!open_streams.empty()) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) break;
    std::vector<pollfd> fds;
    for (const Stream& stream : open_streams) {
      fds.push_back({.fd = stream.fd, .events = POLLIN, .revents = 0});
    }
    const int ready = poll(fds.data(), fds.size(),
                           static_cast<int>(std::min<int64_t>(
                               absl::ToInt64Milliseconds(left) + 1, 1000)));
    if (ready < 0 && errno != EINTR) return ErrnoError(errno, "poll");
    for (size_t i = fds.size(); i-- > 0;) {
      if (fds[i].revents == 0) continue;
      char buffer[65536];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        open_streams[i].text->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        open_streams.erase(open_streams.begin() + static_cast<ptrdiff_t>(i));
      }
    }
  }
  absl::StatusOr<ExitStatus> how =
      child->Wait(std::max(deadline - absl::Now(), absl::ZeroDuration()));
  if (!how.ok()) {
    child->Kill();
    return absl::DeadlineExceededError(
        absl::StrCat(argv[0], " ran past ", absl::FormatDuration(timeout),
                     " and was killed"));
  }
  run.status = *how;
  return run;
}

}  // namespace base
