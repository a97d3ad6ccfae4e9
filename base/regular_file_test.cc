#include "base/regular_file.h"

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "base/subprocess.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace {

using ::testing::HasSubstr;

TEST(ReadRegularFile, ReadsAllOrTheStart) {
  const std::string path = ::testing::TempDir() + "/regular_file_test.bin";
  std::ofstream(path, std::ios::binary) << "0123456789";
  auto all = base::ReadRegularFile(path);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size, 10u);
  EXPECT_EQ(std::string(all->bytes.begin(), all->bytes.end()), "0123456789");
  auto head = base::ReadRegularFile(path, 4);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->size, 10u);
  EXPECT_EQ(std::string(head->bytes.begin(), head->bytes.end()), "0123");
  unlink(path.c_str());
}

TEST(ReadRegularFile, RefusesWhatIsNotARegularFile) {
  EXPECT_EQ(base::ReadRegularFile("/nonexistent/x").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(base::ReadRegularFile(::testing::TempDir()).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string fifo = ::testing::TempDir() + "/regular_file_test.fifo";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Returns at once: no writer is waited for.
  EXPECT_EQ(base::ReadRegularFile(fifo).status().code(),
            absl::StatusCode::kInvalidArgument);
  unlink(fifo.c_str());
}

TEST(OpenRegularFile, ErrnoMapsAsAbslDoesAndMessagesNameThePath) {
  const absl::Status missing = base::OpenRegularFile("/nonexistent/x").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(),
              HasSubstr("cannot open \"/nonexistent/x\": No such file"));
  const absl::Status directory =
      base::OpenRegularFile(::testing::TempDir()).status();
  EXPECT_THAT(directory.message(), HasSubstr("is a directory"));
  // A newline in the path is escaped: messages stay on one line.
  EXPECT_EQ(base::OpenRegularFile("/nonexistent/a\nb").status().message(),
            "cannot open \"/nonexistent/a\\nb\": No such file or directory");

  // EACCES is PermissionDenied, not NotFound. Root reads any file, so check
  // as uid 65534 in a child process.
  const std::string path = ::testing::TempDir() + "/regular_file_test.secret";
  std::ofstream(path) << "x";
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  absl::StatusOr<base::Subprocess> child = base::Subprocess::Fork([&] {
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setgid(65534) != 0 ||
                           setuid(65534) != 0)) {
      return 2;
    }
    const absl::Status status = base::OpenRegularFile(path).status();
    return status.code() == absl::StatusCode::kPermissionDenied ? 0 : 1;
  });
  ASSERT_TRUE(child.ok()) << child.status();
  absl::StatusOr<base::ExitStatus> how = child->Wait(absl::Seconds(60));
  ASSERT_TRUE(how.ok()) << how.status();
  unlink(path.c_str());
  if (how->code == 2) GTEST_SKIP() << "cannot switch to uid 65534";
  EXPECT_TRUE(how->success()) << how->ToString();
}

TEST(OpenRegularFile, TheFileClosesWithItsOwner) {
  const std::string path = ::testing::TempDir() + "/regular_file_test.own";
  std::ofstream(path) << "0123";
  int fd = -1;
  {
    absl::StatusOr<base::OpenedRegularFile> file = base::OpenRegularFile(path);
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->size, 4u);
    fd = file->fd.get();
    EXPECT_GE(fcntl(fd, F_GETFD), 0);
  }
  EXPECT_EQ(fcntl(fd, F_GETFD), -1);  // Closed.
  unlink(path.c_str());
}

}  // namespace
