// A qtest peer (QEMU or our VMM) as a child process on pipes, and the
// pipelined exchange of command lines for reply lines with several peers at
// once.
//
// The child is a base::Subprocess on pipes (it gets SIGKILL if the runner
// dies: QEMU does not exit when its stdin closes) and writes its stderr to a
// file whose tail goes into error messages. Every wait has a deadline.

#ifndef TESTS_CONFORMANCE_QTEST_PROCESS_H_
#define TESTS_CONFORMANCE_QTEST_PROCESS_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/subprocess.h"

namespace conformance {

struct Exchange;
void RunExchanges(std::vector<Exchange>& exchanges, int reply_timeout_s);

struct ProcessOptions {
  std::string label;              // "qemu" or "ours", for messages
  std::vector<std::string> argv;  // argv[0] is the program's path
  std::string stderr_path;        // created or truncated
  // QEMU keeps running after its stdin closes: kill it when done. Our VMM
  // must exit by itself once its stdin closes.
  bool kill_when_done = true;
};

class QtestProcess {
 public:
  static absl::StatusOr<std::unique_ptr<QtestProcess>> Start(
      ProcessOptions options);
  ~QtestProcess();

  QtestProcess(const QtestProcess&) = delete;
  QtestProcess& operator=(const QtestProcess&) = delete;

  const std::string& label() const { return options_.label; }
  const ProcessOptions& options() const { return options_; }

  // Ends the process. With kill_when_done, SIGKILL and reap. Otherwise close
  // its stdin and give it `exit_timeout_s` to exit with status 0 and no
  // further output; anything else is an error (and it is killed).
  absl::Status Finish(int exit_timeout_s);

  // The last `max_bytes` of what the child wrote to stderr.
  std::string StderrTail(size_t max_bytes) const;

 private:
  friend void RunExchanges(std::vector<Exchange>& exchanges,
                           int reply_timeout_s);

  explicit QtestProcess(ProcessOptions options)
      : options_(std::move(options)) {}
  // How the child ended ("exited with status 0"), or "" while it runs.
  std::string HowItEnded();

  ProcessOptions options_;
  std::optional<base::Subprocess> child_;
  std::string output_;  // read from stdout, not yet split into replies
};

// One peer's share of a round: the commands to send and, when the round is
// over, one reply per command (fewer if `status` is an error).
struct Exchange {
  QtestProcess* process = nullptr;
  std::vector<std::string> commands;
  std::vector<std::string> replies;
  absl::Status status;
};

// Sends every exchange's commands to its process (all written at once,
// without waiting for replies) and collects one reply line per command, all
// processes in parallel. A process that goes `reply_timeout_s` seconds
// without answering, or whose output ends, gets an error status naming the
// command it was at; the others carry on.
void RunExchanges(std::vector<Exchange>& exchanges, int reply_timeout_s);

}  // namespace conformance

#endif  // TESTS_CONFORMANCE_QTEST_PROCESS_H_
