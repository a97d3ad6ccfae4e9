#include "base/subprocess.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace base {
namespace {

using ::testing::HasSubstr;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RunProgramTest, CapturesBothStreamsAndTheExitCode) {
  absl::StatusOr<RunOutput> run = RunProgram(
      {"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, "out\n");
  EXPECT_EQ(run->err, "err\n");
  EXPECT_TRUE(run->status.exited());
  EXPECT_EQ(run->status.code, 3);
  EXPECT_FALSE(run->status.success());
  EXPECT_EQ(run->status.ToString(), "exited with status 3");
}

TEST(RunProgramTest, MergesStderrIntoStdoutWhenAsked) {
  absl::StatusOr<RunOutput> run =
      RunProgram({"/bin/sh", "-c", "echo one; echo two >&2; echo three"},
                 absl::Seconds(30), {.stderr_to_stdout = true});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, "one\ntwo\nthree\n");
  EXPECT_EQ(run->err, "");
}

TEST(RunProgramTest, OutputLargerThanAPipeBufferIsNotLost) {
  // 1 MiB on each stream: a reader that drained one stream at a time would
  // deadlock with the child blocked on the other.
  absl::StatusOr<RunOutput> run =
      RunProgram({"/bin/sh", "-c",
                  "head -c 1048576 /dev/zero; head -c 1048576 /dev/zero >&2"},
                 absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out.size(), 1u << 20);
  EXPECT_EQ(run->err.size(), 1u << 20);
  EXPECT_TRUE(run->status.success());
}

TEST(RunProgramTest, ReportsTheSignalThatKilledTheChild) {
  absl::StatusOr<RunOutput> run =
      RunProgram({"/bin/sh", "-c", "kill -9 $$"}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_FALSE(run->status.exited());
  EXPECT_EQ(run->status.signal, SIGKILL);
  EXPECT_EQ(run->status.shell_code(), 137);
  EXPECT_THAT(run->status.ToString(), HasSubstr("killed by signal 9"));
}

TEST(RunProgramTest, KillsAChildThatRunsPastTheTimeout) {
  const absl::Time start = absl::Now();
  absl::StatusOr<RunOutput> run =
      RunProgram({"/bin/sleep", "30"}, absl::Milliseconds(200));
  EXPECT_EQ(run.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(run.status().message(), HasSubstr("/bin/sleep"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(20));
}

TEST(RunProgramTest, AProgramThatCannotBeRunExits127WithAMessage) {
  absl::StatusOr<RunOutput> run =
      RunProgram({"/nonexistent/program"}, absl::Seconds(30));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->status.code, 127);
  EXPECT_THAT(run->err, HasSubstr("execve failed"));
}

TEST(RunProgramTest, RunsInTheWorkingDirectoryGiven) {
  absl::StatusOr<RunOutput> run =
      RunProgram({"/bin/pwd"}, absl::Seconds(30), {.working_dir = "/"});
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->out, "/\n");
}

TEST(RunProgramTest, EmptyArgvIsRefused) {
  EXPECT_EQ(RunProgram({}, absl::Seconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SubprocessTest, StandardStreamsFromAndToFiles) {
  const std::string dir = ::testing::TempDir();
  std::ofstream(dir + "/in") << "hello\n";
  absl::StatusOr<Subprocess> cat = Subprocess::Start(
      {"/bin/cat"}, {.stdin_path = dir + "/in", .stdout_path = dir + "/out"});
  ASSERT_TRUE(cat.ok()) << cat.status();
  absl::StatusOr<ExitStatus> how = cat->Wait(absl::Seconds(30));
  ASSERT_TRUE(how.ok()) << how.status();
  EXPECT_TRUE(how->success());
  EXPECT_EQ(Slurp(dir + "/out"), "hello\n");
}

TEST(SubprocessTest, AnUnopenableRedirectionFailsStart) {
  absl::StatusOr<Subprocess> child =
      Subprocess::Start({"/bin/true"}, {.stdout_path = "/nonexistent/dir/out"});
  EXPECT_EQ(child.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(child.status().message(), HasSubstr("/nonexistent/dir/out"));
}

TEST(SubprocessTest, PipesBothWays) {
  absl::StatusOr<Subprocess> cat = Subprocess::Start(
      {"/bin/cat"}, {.pipe_stdin = true, .pipe_stdout = true});
  ASSERT_TRUE(cat.ok()) << cat.status();
  ASSERT_EQ(write(cat->stdin_fd(), "ping\n", 5), 5);
  cat->CloseStdin();  // cat sees end of file and exits
  ASSERT_TRUE(cat->Wait(absl::Seconds(30)).ok());
  char buffer[16] = {};
  EXPECT_EQ(read(cat->stdout_fd(), buffer, sizeof(buffer)), 5);
  EXPECT_EQ(std::string(buffer), "ping\n");
}

TEST(SubprocessTest, PollIsEmptyWhileTheChildRuns) {
  absl::StatusOr<Subprocess> sleeper = Subprocess::Start({"/bin/sleep", "30"});
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  EXPECT_FALSE(sleeper->Poll().has_value());
  EXPECT_EQ(sleeper->Wait(absl::Milliseconds(20)).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  const ExitStatus how = sleeper->Stop(absl::Seconds(10));
  EXPECT_EQ(how.signal, SIGTERM);
  ASSERT_TRUE(sleeper->Poll().has_value());
  EXPECT_EQ(sleeper->Poll()->signal, SIGTERM);
}

TEST(SubprocessTest, DestroyingASubprocessKillsAndReapsItsChild) {
  pid_t pid;
  {
    absl::StatusOr<Subprocess> sleeper =
        Subprocess::Start({"/bin/sleep", "30"});
    ASSERT_TRUE(sleeper.ok()) << sleeper.status();
    pid = sleeper->pid();
    ASSERT_EQ(kill(pid, 0), 0);
  }
  // Reaped: the pid no longer names a process (not even a zombie).
  EXPECT_EQ(kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
}

TEST(SubprocessTest, AMovedFromSubprocessOwnsNothing) {
  absl::StatusOr<Subprocess> first = Subprocess::Start({"/bin/sleep", "30"});
  ASSERT_TRUE(first.ok()) << first.status();
  const pid_t pid = first->pid();
  Subprocess second = *std::move(first);
  EXPECT_EQ(second.pid(), pid);
  EXPECT_EQ(kill(pid, 0), 0);  // the move did not kill it
  EXPECT_EQ(second.Kill().signal, SIGKILL);
}

TEST(SubprocessTest, ForkRunsTheBodyAndExitsWithItsResult) {
  absl::StatusOr<Subprocess> child = Subprocess::Fork([] { return 7; });
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<ExitStatus> how = child->Wait(absl::Seconds(30));
  ASSERT_TRUE(how.ok()) << how.status();
  EXPECT_EQ(how->code, 7);
}

}  // namespace
}  // namespace base
