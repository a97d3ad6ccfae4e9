#include "fw_cfg/file_item.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::HasSubstr;

class FileItemTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/file_item_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)system(("rm -rf " + dir_).c_str()); }

  std::string MakeFile(const std::string& name, const std::string& contents) {
    const std::string path = dir_ + "/" + name;
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, contents.data(), contents.size()),
              static_cast<ssize_t>(contents.size()));
    close(fd);
    return path;
  }

  static std::string Read(Item& item, uint32_t offset, size_t length) {
    std::string out(length, '?');
    absl::Status status = item.Read(
        offset, absl::MakeSpan(reinterpret_cast<uint8_t*>(out.data()), length));
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  std::string dir_;
};

TEST_F(FileItemTest, ReadsTheFileAtAccessTime) {
  const std::string path = MakeFile("a", "hello world");
  auto item = MakeFileItem(path);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ((*item)->size(), 11u);
  EXPECT_EQ(Read(**item, 6, 5), "world");
  EXPECT_EQ(Read(**item, 0, 1), "h");
}

TEST_F(FileItemTest, RangeOfAFile) {
  const std::string path = MakeFile("kernel", "SETUPkernel-body");
  auto item = MakeFileRangeItem(path, 5, 11);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ((*item)->size(), 11u);
  EXPECT_EQ(Read(**item, 0, 11), "kernel-body");
  EXPECT_FALSE(MakeFileRangeItem(path, 5, 12).ok());
  EXPECT_FALSE(MakeFileRangeItem(path, ~uint64_t{0}, 2).ok());
}

TEST_F(FileItemTest, ShrunkFileReadsZerosPastItsNewEnd) {
  const std::string path = MakeFile("shrink", std::string(10000, 'x'));
  auto item = MakeFileItem(path);
  ASSERT_TRUE(item.ok());
  ASSERT_EQ(truncate(path.c_str(), 3), 0);
  EXPECT_EQ((*item)->size(), 10000u);  // The announced size stays.
  // Small reads (through the cached window) and large ones (direct).
  EXPECT_EQ(Read(**item, 0, 5), std::string("xxx\0\0", 5));
  EXPECT_EQ(Read(**item, 9000, 8), std::string(8, '\0'));
  EXPECT_EQ(Read(**item, 0, 10000),
            std::string("xxx") + std::string(9997, '\0'));
}

TEST_F(FileItemTest, GrownReplacedOrDeletedFile) {
  const std::string path = MakeFile("grow", "abc");
  auto item = MakeFileItem(path);
  ASSERT_TRUE(item.ok());
  // Grows: still 3 bytes, the new ones are never seen.
  const int fd = open(path.c_str(), O_WRONLY | O_APPEND);
  ASSERT_EQ(write(fd, "def", 3), 3);
  close(fd);
  EXPECT_EQ((*item)->size(), 3u);
  EXPECT_EQ(Read(**item, 0, 3), "abc");
  // Replaced by rename and then deleted: the opened file is still read.
  const std::string other = MakeFile("other", "XYZ");
  ASSERT_EQ(rename(other.c_str(), path.c_str()), 0);
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_EQ(Read(**item, 0, 3), "abc");
}

TEST_F(FileItemTest, RejectsWhatCannotWork) {
  EXPECT_EQ(MakeFileItem(dir_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(MakeFileItem(dir_ + "/missing").status().message()),
              HasSubstr("No such file"));
  EXPECT_EQ(MakeFileItem(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);  // A directory.
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // Must return at once, not wait for a writer.
  EXPECT_EQ(MakeFileItem(fifo).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeFileRangeItem(fifo, 0, 1).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FileItemTest, RetriesInterruptedAndShortReads) {
  const std::string path = MakeFile("eintr", "0123456789");
  int calls = 0;
  auto item = MakeFileRangeItemWithReader(
      path, 0, 10, [&](int fd, void* buffer, size_t count, off_t offset) {
        ++calls;
        if (calls == 1) {
          errno = EINTR;
          return ssize_t{-1};
        }
        // One byte at a time.
        return pread(fd, buffer, count > 0 ? 1 : 0, offset);
      });
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(Read(**item, 0, 10), "0123456789");
  EXPECT_GT(calls, 10);
}

TEST_F(FileItemTest, IoErrorsFailTheRead) {
  const std::string path = MakeFile("eio", "0123456789");
  bool fail = true;
  auto item = MakeFileRangeItemWithReader(
      path, 0, 10, [&](int fd, void* buffer, size_t count, off_t offset) {
        if (fail) {
          errno = EIO;
          return ssize_t{-1};
        }
        return pread(fd, buffer, count, offset);
      });
  ASSERT_TRUE(item.ok());
  uint8_t out[4];
  absl::Status status = (*item)->Read(2, absl::MakeSpan(out));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("Input/output error"));
  // A later read after the error clears is served correctly (the failed
  // read did not poison the cache).
  fail = false;
  EXPECT_EQ(Read(**item, 2, 4), "2345");
}

TEST_F(FileItemTest, SmallReadsShareOneHostRead) {
  const std::string path = MakeFile("window", std::string(10000, 'w'));
  int calls = 0;
  auto item = MakeFileRangeItemWithReader(
      path, 0, 10000, [&](int fd, void* buffer, size_t count, off_t offset) {
        ++calls;
        return pread(fd, buffer, count, offset);
      });
  ASSERT_TRUE(item.ok());
  for (uint32_t i = 0; i < 4096; ++i) Read(**item, i, 1);
  EXPECT_EQ(calls, 1);  // One window fill served 4096 byte reads.
  Read(**item, 9999, 1);
  EXPECT_EQ(calls, 2);
}

TEST_F(FileItemTest, SmallFilesAreReadWhenTheItemIsMade) {
  const std::string path = MakeFile("small", "before");
  auto item = MakeFileOrSnapshotItem(path);
  ASSERT_TRUE(item.ok()) << item.status();
  MakeFile("small", "AFTER, longer");  // Rewritten in place.
  EXPECT_EQ((*item)->size(), 6u);
  EXPECT_EQ(Read(**item, 0, 6), "before");
  unlink(path.c_str());
  EXPECT_EQ(Read(**item, 0, 6), "before");
}

TEST_F(FileItemTest, LargerFilesAreReadAtAccessTime) {
  const std::string path =
      MakeFile("large", std::string(kFileSnapshotMax + 1, 'a'));
  auto item = MakeFileOrSnapshotItem(path);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ((*item)->size(), kFileSnapshotMax + 1);
  MakeFile("large", std::string(kFileSnapshotMax + 1, 'b'));
  EXPECT_EQ(Read(**item, kFileSnapshotMax, 1), "b");
  // Exactly the snapshot size is still a snapshot.
  const std::string edge = MakeFile("edge", std::string(kFileSnapshotMax, 'c'));
  auto snapshot = MakeFileOrSnapshotItem(edge);
  ASSERT_TRUE(snapshot.ok());
  MakeFile("edge", std::string(kFileSnapshotMax, 'd'));
  EXPECT_EQ(Read(**snapshot, 0, 1), "c");
}

TEST_F(FileItemTest, SnapshotsRejectWhatCannotWork) {
  EXPECT_EQ(MakeFileOrSnapshotItem(dir_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(MakeFileOrSnapshotItem(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(MakeFileOrSnapshotItem(fifo).status().code(),
            absl::StatusCode::kInvalidArgument);  // At once, no writer needed.
}

TEST_F(FileItemTest, PreloadedFilesAreReadWholeWhenTheItemIsMade) {
  // Larger than a huge page, with a pattern that shows any misplaced byte.
  std::string contents((2 << 20) + 12345, '\0');
  for (size_t i = 0; i < contents.size(); ++i) {
    contents[i] = static_cast<char>(i * 7 + i / 4096);
  }
  const std::string path = MakeFile("big", contents);
  auto item = MakePreloadedFileItem(path);
  ASSERT_TRUE(item.ok()) << item.status();
  EXPECT_EQ((*item)->size(), contents.size());
  // Later changes and removal are not seen, as with QEMU's -fw_cfg file=.
  MakeFile("big", "short now");
  unlink(path.c_str());
  EXPECT_EQ(Read(**item, 0, contents.size()), contents);
  EXPECT_EQ(Read(**item, (2 << 20) - 3, 10),
            contents.substr((2 << 20) - 3, 10));
  EXPECT_EQ((*item)->kind(), ItemKind::kData);

  auto empty = MakePreloadedFileItem(MakeFile("empty", ""));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->size(), 0u);
  EXPECT_EQ(Read(**empty, 0, 0), "");
}

TEST_F(FileItemTest, PreloadRejectsWhatCannotWork) {
  EXPECT_EQ(MakePreloadedFileItem(dir_ + "/missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(MakePreloadedFileItem(dir_ + "/missing").status().message(),
              HasSubstr("missing"));
  EXPECT_EQ(MakePreloadedFileItem(dir_).status().code(),
            absl::StatusCode::kInvalidArgument);
  const std::string fifo = dir_ + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(MakePreloadedFileItem(fifo).status().code(),
            absl::StatusCode::kInvalidArgument);
  // 4 GiB: past the directory's 32-bit size field (a sparse file).
  const std::string huge = MakeFile("huge", "");
  ASSERT_EQ(truncate(huge.c_str(), int64_t{1} << 32), 0);
  EXPECT_EQ(MakePreloadedFileItem(huge).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fw_cfg
