#include "fw_cfg/config/user_items.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using ::fw_cfg::testing::KeyOf;
using ::fw_cfg::testing::ReadKey;

std::shared_ptr<FwCfg> Device() { return testing::DeviceWithoutMemory(); }

TEST(UserItems, UserItemsFromTheOption) {
  const std::string path = ::testing::TempDir() + "/standard_items_setup.txt";
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "setup!", 6), 6);
  close(fd);
  auto config = ParseFwCfgConfig(
      "initramfs=off,items=[name=opt/org.mycorp/setup_info,file=" + path +
      ":name=opt/s,string=abc]");
  ASSERT_TRUE(config.ok()) << config.status();
  auto device = Device();
  ASSERT_TRUE(AddUserItems(*device, *config).ok());
  EXPECT_THAT(ReadKey(*device, KeyOf(*device, "opt/org.mycorp/setup_info"), 7),
              ElementsAre('s', 'e', 't', 'u', 'p', '!', 0));
  // QEMU's string= has no NUL: `opt/s` is 3 bytes, as `-fw_cfg
  // name=opt/s,string=abc` lists it.
  EXPECT_EQ(device->ListFiles()[1].name, "opt/s");
  EXPECT_EQ(device->ListFiles()[1].size, 3u);
  unlink(path.c_str());
}

TEST(UserItems, UserItemErrorsNameTheItem) {
  auto config = ParseFwCfgConfig("items=[name=opt/gone,file=/nonexistent/x]");
  ASSERT_TRUE(config.ok());
  absl::Status status = AddUserItems(*Device(), *config);
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(status.message()), HasSubstr("opt/gone"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("/nonexistent/x"));
}

// Thousands of file items under a small descriptor limit: small files are
// read at start-up and hold no descriptor; large ones each hold one, and
// running out is a clear error when the items are made, never later.
TEST(UserItems, ThousandsOfFileItemsUnderUlimit256) {
  const std::string dir = ::testing::TempDir() + "/many_items";
  ASSERT_EQ(system(("rm -rf " + dir + " && mkdir -p " + dir).c_str()), 0);
  std::string small_items, large_items;
  for (int i = 0; i < 5000; ++i) {
    const std::string path = dir + "/s" + std::to_string(i);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(write(fd, "x", 1), 1);
    close(fd);
    small_items += (i ? ":" : "") + std::string("name=opt/s") +
                   std::to_string(i) + ",file=" + path;
  }
  for (int i = 0; i < 300; ++i) {
    const std::string path = dir + "/l" + std::to_string(i);
    const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(ftruncate(fd, kFileSnapshotMax + 1), 0);  // Sparse.
    close(fd);
    large_items += (i ? ":" : "") + std::string("name=opt/l") +
                   std::to_string(i) + ",file=" + path;
  }
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);

  auto small = ParseFwCfgConfig("items=[" + small_items + "]");
  ASSERT_TRUE(small.ok()) << small.status();
  auto device =
      *FwCfg::Create(nullptr, FwCfgOptions{.file_slots = 0x3fe0, .dma = false});
  const absl::Status small_status = AddUserItems(*device, *small);
  const size_t files = device->ListFiles().size();

  auto large = ParseFwCfgConfig("items=[" + large_items + "]");
  ASSERT_TRUE(large.ok()) << large.status();
  const absl::Status large_status = AddUserItems(
      **FwCfg::Create(nullptr,
                      FwCfgOptions{.file_slots = 0x3fe0, .dma = false}),
      *large);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);

  EXPECT_TRUE(small_status.ok()) << small_status;
  EXPECT_EQ(files, 5000u);
  EXPECT_EQ(large_status.code(), absl::StatusCode::kResourceExhausted)
      << large_status;
  EXPECT_THAT(std::string(large_status.message()), HasSubstr("ulimit -n"));
  (void)system(("rm -rf " + dir).c_str());
}

}  // namespace
}  // namespace fw_cfg
