#include "vmm/snapshot/snapshot.h"

#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vm-memory/guest_memory.h"

namespace vmm {
namespace {

using ::testing::HasSubstr;
using vm_memory::GuestAddress;
using vm_memory::GuestMemory;

std::shared_ptr<const GuestMemory> Memory() {
  return *GuestMemory::CreateAnonymous(
      {{GuestAddress(0), 1 << 20}, {GuestAddress(1 << 30), 256 << 10}});
}

std::string Dir(const std::string& name) {
  return ::testing::TempDir() + "/" + name;
}

TEST(Snapshot, RoundTripKeepsDataAndLeavesZeroPagesAsHoles) {
  auto memory = Memory();
  ASSERT_TRUE(memory->Write(GuestAddress(0x5000), {1, 2, 3}).ok());
  ASSERT_TRUE(
      memory->Fill(GuestAddress((1 << 30) + 0x10000), 3 * 4096, 7).ok());
  const std::string dir = Dir("round_trip");
  SnapshotContents contents{.machine_args = {"--memory=size=1M"},
                            .vcpus = 2,
                            .devices = {9, 8, 7},
                            .cpu = std::vector<uint8_t>{1, 2}};
  absl::StatusOr<SnapshotReport> report = WriteSnapshot(dir, contents, *memory);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->memory_bytes, (1u << 20) + (256u << 10));
  EXPECT_EQ(report->memory_data_bytes, 4u * 4096);
  // Sparse: the file is as long as RAM, its blocks far fewer.
  struct stat st;
  ASSERT_EQ(stat((dir + "/memory.bin").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), report->memory_bytes);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 256u << 10);

  absl::StatusOr<SnapshotContents> read = ReadSnapshot(dir);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->machine_args, contents.machine_args);
  EXPECT_EQ(read->vcpus, 2u);
  EXPECT_EQ(read->devices, contents.devices);
  EXPECT_EQ(read->cpu, contents.cpu);

  auto restored = Memory();
  ASSERT_TRUE(RestoreMemory(dir, *restored).ok());
  std::vector<uint8_t> bytes(3);
  ASSERT_TRUE(restored->Read(GuestAddress(0x5000), absl::MakeSpan(bytes)).ok());
  EXPECT_EQ(bytes, (std::vector<uint8_t>{1, 2, 3}));
  std::vector<uint8_t> high(3 * 4096 + 2);
  ASSERT_TRUE(
      restored
          ->Read(GuestAddress((1 << 30) + 0x10000 - 1), absl::MakeSpan(high))
          .ok());
  EXPECT_EQ(high.front(), 0);
  EXPECT_EQ(high[1], 7);
  EXPECT_EQ(high[3 * 4096], 7);
  EXPECT_EQ(high.back(), 0);
}

TEST(Snapshot, RefusesWhatItCannotUse) {
  auto memory = Memory();
  // A directory that is not empty.
  const std::string full = Dir("full");
  ASSERT_EQ(mkdir(full.c_str(), 0700), 0);
  std::ofstream(full + "/x") << "x";
  absl::StatusOr<SnapshotReport> report = WriteSnapshot(full, {}, *memory);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(report.status().message(), HasSubstr("is not empty"));

  // Another machine's RAM layout.
  const std::string dir = Dir("layout");
  ASSERT_TRUE(WriteSnapshot(dir, {}, *memory).ok());
  auto other = *GuestMemory::CreateAnonymous({{GuestAddress(0), 2 << 20}});
  EXPECT_EQ(RestoreMemory(dir, *other).code(),
            absl::StatusCode::kFailedPrecondition);

  // A config of another format or version; no config at all.
  std::ofstream(dir + "/config.json", std::ios::trunc) << "{\"format\": 1}";
  EXPECT_EQ(ReadSnapshot(dir).status().code(), absl::StatusCode::kDataLoss);
  std::ofstream(dir + "/config.json", std::ios::trunc)
      << R"({"format": "fwcfg-vmm-snapshot", "version": 2})";
  absl::StatusOr<SnapshotContents> newer = ReadSnapshot(dir);
  EXPECT_EQ(newer.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(newer.status().message(), HasSubstr("version 2"));
  EXPECT_EQ(ReadSnapshot(Dir("absent")).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace vmm
