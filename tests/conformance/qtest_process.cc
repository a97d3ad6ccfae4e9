#include "tests/conformance/qtest_process.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "base/subprocess.h"

namespace conformance {
namespace {

int64_t NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

std::string ErrnoText(int error) { return std::strerror(error); }

// Shortens a command for a message (a `write` of 1 MiB is a 2 MiB line).
std::string Clip(const std::string& text) {
  if (text.size() <= 120) return text;
  return absl::StrCat(text.substr(0, 120), "... (", text.size(), " chars)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<QtestProcess>> QtestProcess::Start(
    ProcessOptions options) {
  std::unique_ptr<QtestProcess> process(new QtestProcess(std::move(options)));
  const ProcessOptions& opts = process->options_;
  absl::StatusOr<base::Subprocess> child =
      base::Subprocess::Start(opts.argv, {.stderr_path = opts.stderr_path,
                                          .pipe_stdin = true,
                                          .pipe_stdout = true});
  if (!child.ok()) return child.status();
  process->child_.emplace(*std::move(child));
  return process;
}

QtestProcess::~QtestProcess() = default;  // the Subprocess kills and reaps

std::string QtestProcess::HowItEnded() {
  std::optional<base::ExitStatus> how = child_->Poll();
  return how ? how->ToString() : "";
}

absl::Status QtestProcess::Finish(int exit_timeout_s) {
  if (child_->Poll()) {
    child_->CloseStdin();
    const std::string how = HowItEnded();
    if (options_.kill_when_done || how == "exited with status 0") {
      return absl::OkStatus();
    }
    return absl::InternalError(absl::StrCat(options_.label, " ", how));
  }
  if (options_.kill_when_done) {
    child_->Kill();
    child_->CloseStdin();
    return absl::OkStatus();
  }
  child_->CloseStdin();
  // Drain stdout until EOF: anything there is output nobody asked for.
  std::string extra = output_;
  output_.clear();
  const int64_t deadline = NowMs() + int64_t{exit_timeout_s} * 1000;
  bool eof = false;
  while (!eof && NowMs() < deadline) {
    struct pollfd pfd = {child_->stdout_fd(), POLLIN, 0};
    const int ready = poll(&pfd, 1,
                           static_cast<int>(std::max<int64_t>(
                               1, std::min<int64_t>(deadline - NowMs(), 100))));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    char buffer[4096];
    const ssize_t n = read(child_->stdout_fd(), buffer, sizeof(buffer));
    if (n > 0) {
      if (extra.size() < 4096) extra.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
      eof = true;
    }
  }
  std::string how;
  while ((how = HowItEnded()).empty() && NowMs() < deadline) {
    usleep(2000);
  }
  std::vector<std::string> problems;
  if (how.empty()) {
    child_->Kill();
    problems.push_back(absl::StrCat("did not exit within ", exit_timeout_s,
                                    "s after its stdin closed (killed)"));
  } else if (how != "exited with status 0") {
    problems.push_back(absl::StrCat(how, " after its stdin closed"));
  }
  if (!extra.empty()) {
    problems.push_back(
        absl::StrCat("wrote output after its last reply: '", Clip(extra), "'"));
  }
  if (problems.empty()) return absl::OkStatus();
  std::string message = options_.label;
  for (const std::string& problem : problems) {
    absl::StrAppend(&message, " ", problem, ";");
  }
  message.pop_back();
  return absl::InternalError(message);
}

std::string QtestProcess::StderrTail(size_t max_bytes) const {
  const int fd = open(options_.stderr_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  struct stat st;
  std::string text;
  if (fstat(fd, &st) == 0) {
    const off_t start = st.st_size > static_cast<off_t>(max_bytes)
                            ? st.st_size - static_cast<off_t>(max_bytes)
                            : 0;
    text.resize(static_cast<size_t>(st.st_size - start));
    const ssize_t n = pread(fd, text.data(), text.size(), start);
    text.resize(n > 0 ? static_cast<size_t>(n) : 0);
  }
  close(fd);
  return text;
}

void RunExchanges(std::vector<Exchange>& exchanges, int reply_timeout_s) {
  struct State {
    std::string input;  // all commands, newline-terminated
    size_t written = 0;
    size_t scanned = 0;  // of process->output_, known to hold no newline
    int64_t last_progress = 0;
    bool done = false;
  };
  std::vector<State> states(exchanges.size());
  const int64_t start = NowMs();
  for (size_t i = 0; i < exchanges.size(); ++i) {
    Exchange& ex = exchanges[i];
    ex.replies.clear();
    ex.status = absl::OkStatus();
    size_t total = 0;
    for (const std::string& command : ex.commands) total += command.size() + 1;
    states[i].input.reserve(total);
    for (const std::string& command : ex.commands) {
      states[i].input += command;
      states[i].input += '\n';
    }
    states[i].last_progress = start;
    if (ex.commands.empty()) states[i].done = true;
    if (ex.process->child_->stdin_fd() < 0 && !ex.commands.empty()) {
      ex.status = absl::FailedPreconditionError(
          absl::StrCat(ex.process->label(), " is not running"));
      states[i].done = true;
    }
  }
  auto fail = [&](size_t i, absl::StatusCode code, const std::string& what) {
    Exchange& ex = exchanges[i];
    const size_t at = ex.replies.size();
    std::string message = absl::StrCat(ex.process->label(), " ", what);
    if (at < ex.commands.size()) {
      absl::StrAppend(&message, " while answering command ", at + 1, " of ",
                      ex.commands.size(), " of this round: '",
                      Clip(ex.commands[at]), "'");
    }
    const std::string how = ex.process->HowItEnded();
    if (!how.empty()) absl::StrAppend(&message, "; it ", how);
    const std::string stderr_tail = ex.process->StderrTail(2000);
    if (!stderr_tail.empty()) {
      absl::StrAppend(&message, "; its stderr ends:\n", stderr_tail);
    }
    ex.status = absl::Status(code, message);
    states[i].done = true;
  };

  // Moves complete lines from the process's output into replies.
  auto split_replies = [&](size_t i) {
    Exchange& ex = exchanges[i];
    State& st = states[i];
    std::string& output = ex.process->output_;
    size_t begin = 0;
    size_t newline;
    while (ex.replies.size() < ex.commands.size() &&
           (newline = output.find('\n', std::max(begin, st.scanned))) !=
               std::string::npos) {
      std::string line = output.substr(begin, newline - begin);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      ex.replies.push_back(std::move(line));
      begin = newline + 1;
    }
    output.erase(0, begin);
    st.scanned = output.size();
    if (ex.replies.size() == ex.commands.size()) st.done = true;
  };
  for (size_t i = 0; i < exchanges.size(); ++i) {
    if (!states[i].done) split_replies(i);
  }

  while (true) {
    std::vector<struct pollfd> fds;
    std::vector<std::pair<size_t, bool>> owners;  // exchange, is_stdin
    int64_t next_deadline = -1;
    for (size_t i = 0; i < exchanges.size(); ++i) {
      if (states[i].done) continue;
      QtestProcess* p = exchanges[i].process;
      if (states[i].written < states[i].input.size()) {
        fds.push_back({p->child_->stdin_fd(), POLLOUT, 0});
        owners.push_back({i, true});
      }
      fds.push_back({p->child_->stdout_fd(), POLLIN, 0});
      owners.push_back({i, false});
      const int64_t deadline =
          states[i].last_progress + int64_t{reply_timeout_s} * 1000;
      if (next_deadline < 0 || deadline < next_deadline) {
        next_deadline = deadline;
      }
    }
    if (fds.empty()) break;
    const int64_t wait_ms = std::max<int64_t>(0, next_deadline - NowMs());
    const int ready = poll(fds.data(), fds.size(),
                           static_cast<int>(std::min<int64_t>(wait_ms, 1000)));
    if (ready < 0 && errno != EINTR) {
      for (size_t i = 0; i < exchanges.size(); ++i) {
        if (!states[i].done) {
          fail(i, absl::StatusCode::kInternal,
               absl::StrCat("poll failed: ", ErrnoText(errno)));
        }
      }
      break;
    }
    const int64_t now = NowMs();
    for (size_t k = 0; k < fds.size(); ++k) {
      const auto [i, is_stdin] = owners[k];
      if (states[i].done || fds[k].revents == 0) continue;
      Exchange& ex = exchanges[i];
      State& st = states[i];
      QtestProcess* p = ex.process;
      if (is_stdin) {
        const ssize_t n =
            write(p->child_->stdin_fd(), st.input.data() + st.written,
                  st.input.size() - st.written);
        if (n > 0) {
          st.written += static_cast<size_t>(n);
          st.last_progress = now;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
          fail(i, absl::StatusCode::kUnavailable,
               absl::StrCat("stopped reading its stdin (", ErrnoText(errno),
                            ")"));
        }
        continue;
      }
      char buffer[1 << 16];
      const ssize_t n = read(p->child_->stdout_fd(), buffer, sizeof(buffer));
      if (n < 0) {
        if (errno != EAGAIN && errno != EINTR) {
          fail(i, absl::StatusCode::kInternal,
               absl::StrCat("stdout read failed: ", ErrnoText(errno)));
        }
        continue;
      }
      if (n == 0) {
        // Give a dying process a moment so its exit status is known.
        for (int tries = 0; tries < 50 && p->HowItEnded().empty(); ++tries) {
          usleep(2000);
        }
        fail(i, absl::StatusCode::kUnavailable, "closed its stdout");
        continue;
      }
      st.last_progress = now;
      p->output_.append(buffer, static_cast<size_t>(n));
      split_replies(i);
    }
    for (size_t i = 0; i < exchanges.size(); ++i) {
      if (!states[i].done &&
          NowMs() - states[i].last_progress > int64_t{reply_timeout_s} * 1000) {
        fail(i, absl::StatusCode::kDeadlineExceeded,
             absl::StrCat("sent nothing for ", reply_timeout_s, "s"));
      }
    }
  }
}

}  // namespace conformance
