#include "base/regular_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace {

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

}  // namespace
