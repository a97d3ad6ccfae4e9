// FwCfg::SaveState / RestoreState and the run-time changes (ReplaceFile,
// AddFileAtEnd): what a guest sees across them, and every refusal leaving
// the target as it was.

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "base/byte_order.h"
#include "base/crc32.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::HasSubstr;
using testing::KeyOf;
using testing::ReadKey;
using testing::X86Machine;

std::shared_ptr<Item> Text(const std::string& text) {
  return *MakeStringItem(text);
}

std::string Read(FwCfg& device, size_t n) {
  std::vector<uint8_t> bytes(n);
  device.ReadData(absl::MakeSpan(bytes));
  return std::string(bytes.begin(), bytes.end());
}

std::string ReadFile(FwCfg& device, const std::string& name, size_t n) {
  device.Select(KeyOf(device, name));
  return Read(device, n);
}

// Re-seals a state after a test changed its bytes, so that the parser gets
// past the checksum to the part under test.
void Reseal(std::vector<uint8_t>& state) {
  base::StoreLe32(
      state.data() + state.size() - 4,
      base::Crc32(absl::MakeConstSpan(state).first(state.size() - 4)));
}

class DeviceStateTest : public ::testing::Test {
 protected:
  std::string TempFile(const std::string& contents) {
    std::string path = ::testing::TempDir() + "/state_item_XXXXXX";
    const int fd = mkstemp(path.data());
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, contents.data(), contents.size()),
              static_cast<ssize_t>(contents.size()));
    close(fd);
    return path;
  }
};

TEST_F(DeviceStateTest, RestoredDeviceReadsOnWhereTheGuestWas) {
  X86Machine source;
  // A file item larger than kFileSnapshotMax stays a host file; the state
  // carries its bytes, so the restore needs no copy of the file.
  std::string big(100000, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  const std::string path = TempFile(big);
  ASSERT_TRUE(source.device().AddFile("opt/big", *MakeFileItem(path)).ok());
  ASSERT_TRUE(source.device().AddFile("opt/a", Text("alpha")).ok());
  ASSERT_TRUE(source.device().SetLe32(kX86Irq0Override, 1).ok());
  std::vector<uint8_t> guest_wrote;
  ASSERT_TRUE(source.device()
                  .AddFile("etc/rw", *MakeWritableItem(std::vector<uint8_t>(4)))
                  .ok());
  // The guest writes the writable item by DMA, then reads 1000 bytes of
  // opt/big and latches half a DMA address.
  source.WriteRam(0x2000, {1, 2, 3, 4});
  source.WriteDescriptor(
      0x1000, KeyOf(source.device(), "etc/rw") << 16 | kDmaSelect | kDmaWrite,
      4, 0x2000);
  source.StartDma(0x1000);
  ASSERT_EQ(source.DescriptorControl(0x1000), 0u);
  const std::string first = ReadFile(source.device(), "opt/big", 1000);
  ASSERT_EQ(first, big.substr(0, 1000));
  source.outl(0x514, 0);  // the high half: 0

  absl::StatusOr<std::vector<uint8_t>> state = source.device().SaveState();
  ASSERT_TRUE(state.ok()) << state.status();
  ASSERT_EQ(unlink(path.c_str()), 0);

  // The destination is built without the user's items.
  X86Machine target;
  ASSERT_TRUE(target.device().RestoreState(*state).ok());
  // Saving the restored device gives the same state.
  EXPECT_EQ(*target.device().SaveState(), *state);
  EXPECT_EQ(Read(target.device(), 1000), big.substr(1000, 1000));
  EXPECT_EQ(ReadFile(target.device(), "opt/big", big.size()), big);
  EXPECT_EQ(ReadFile(target.device(), "opt/a", 5), "alpha");
  EXPECT_EQ(ReadFile(target.device(), "etc/rw", 4), std::string("\1\2\3\4"));
  EXPECT_EQ(ReadKey(target.device(), kX86Irq0Override, 4),
            (std::vector<uint8_t>{1, 0, 0, 0}));
  // The directory: same names, keys and sizes; the writable item stays
  // writable.
  std::vector<FileInfo> before = source.device().ListFiles();
  std::vector<FileInfo> after = target.device().ListFiles();
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].name, before[i].name);
    EXPECT_EQ(after[i].key, before[i].key);
    EXPECT_EQ(after[i].size, before[i].size);
    EXPECT_EQ(after[i].kind, before[i].kind);
  }
}

TEST_F(DeviceStateTest, HalfLatchedDmaAddressSurvives) {
  X86Machine source;
  ASSERT_TRUE(source.device().AddFile("opt/a", Text("alpha")).ok());
  source.WriteDescriptor(
      0x1000, KeyOf(source.device(), "opt/a") << 16 | kDmaSelect | kDmaRead, 5,
      0x3000);
  // High half latched (0) before the snapshot, low half after the restore.
  source.outl(0x514, 0);
  auto state = source.device().SaveState();
  ASSERT_TRUE(state.ok());
  X86Machine target;
  ASSERT_TRUE(target.device().RestoreState(*state).ok());
  target.WriteDescriptor(
      0x1000, KeyOf(target.device(), "opt/a") << 16 | kDmaSelect | kDmaRead, 5,
      0x3000);
  target.outl(0x518, __builtin_bswap32(0x1000));
  EXPECT_EQ(target.DescriptorControl(0x1000), 0u);
  EXPECT_EQ(target.ReadRam(0x3000, 5),
            (std::vector<uint8_t>{'a', 'l', 'p', 'h', 'a'}));
}

TEST_F(DeviceStateTest, BehaviourItemsKeepTheirCallbacksAndTakeTheBytes) {
  X86Machine source;
  int generated = 0;
  ASSERT_TRUE(
      source.device()
          .AddFile("etc/gen", *MakeGeneratedItem(2,
                                                 [&](absl::Span<uint8_t> b) {
                                                   b[0] = 'g';
                                                   b[1] = '0' + generated++;
                                                 }))
          .ok());
  ASSERT_TRUE(source.device()
                  .AddFile("etc/rw", *MakeWritableItem({'o', 'l', 'd'}))
                  .ok());
  EXPECT_EQ(ReadFile(source.device(), "etc/gen", 2), "g0");
  auto state = source.device().SaveState();
  ASSERT_TRUE(state.ok());

  X86Machine target;
  int target_generated = 5;
  std::string written;
  ASSERT_TRUE(target.device()
                  .AddFile("etc/gen",
                           *MakeGeneratedItem(2,
                                              [&](absl::Span<uint8_t> b) {
                                                b[0] = 'G';
                                                b[1] = '0' + target_generated++;
                                              }))
                  .ok());
  ASSERT_TRUE(
      target.device()
          .AddFile("etc/rw",
                   *MakeWritableItem({0, 0, 0},
                                     [&](uint32_t, uint32_t,
                                         absl::Span<const uint8_t> contents) {
                                       written.assign(contents.begin(),
                                                      contents.end());
                                     }))
          .ok());
  ASSERT_TRUE(target.device().RestoreState(*state).ok());
  // Without a new select, the generated item holds the saved contents...
  target.device().Select(KeyOf(target.device(), "etc/rw"));
  EXPECT_EQ(Read(target.device(), 3), "old");
  // ... and the target's generator runs on the next select.
  EXPECT_EQ(ReadFile(target.device(), "etc/gen", 2), "G5");
  // The target's write callback sees guest writes after the restore.
  target.WriteRam(0x2000, {'n', 'e', 'w'});
  target.WriteDescriptor(
      0x1000, KeyOf(target.device(), "etc/rw") << 16 | kDmaSelect | kDmaWrite,
      3, 0x2000);
  target.StartDma(0x1000);
  EXPECT_EQ(written, "new");
}

TEST_F(DeviceStateTest, DifferentConfigurationIsRefusedAndChangesNothing) {
  X86Machine source;
  ASSERT_TRUE(source.device().AddFile("opt/a", Text("alpha")).ok());
  auto state = source.device().SaveState();
  ASSERT_TRUE(state.ok());

  X86Machine no_dma(FwCfgOptions{.dma = false});
  absl::Status status = no_dma.device().RestoreState(*state);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("DMA on"));

  X86Machine more_slots(FwCfgOptions{.file_slots = 0x40});
  EXPECT_EQ(more_slots.device().RestoreState(*state).code(),
            absl::StatusCode::kFailedPrecondition);

  // A target whose writable item the state lacks: refused, and the
  // target's files and selection are as before.
  X86Machine with_rw;
  ASSERT_TRUE(with_rw.device()
                  .AddFile("etc/vmcoreinfo",
                           *MakeWritableItem(std::vector<uint8_t>(16)))
                  .ok());
  ASSERT_TRUE(with_rw.device().AddFile("opt/b", Text("beta")).ok());
  with_rw.device().Select(KeyOf(with_rw.device(), "opt/b"));
  Read(with_rw.device(), 2);
  status = with_rw.device().RestoreState(*state);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("etc/vmcoreinfo"));
  EXPECT_EQ(Read(with_rw.device(), 2), "ta");
  ASSERT_EQ(with_rw.device().ListFiles().size(), 2u);
  EXPECT_EQ(with_rw.device().ListFiles()[1].name, "opt/b");

  // The same name with another kind or size: refused too.
  X86Machine source_rw;
  ASSERT_TRUE(
      source_rw.device()
          .AddFile("etc/vmcoreinfo", *MakeWritableItem(std::vector<uint8_t>(8)))
          .ok());
  auto rw_state = source_rw.device().SaveState();
  ASSERT_TRUE(rw_state.ok());
  status = with_rw.device().RestoreState(*rw_state);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("8 bytes"));
}

TEST_F(DeviceStateTest, CorruptInputIsRefusedAndChangesNothing) {
  X86Machine source;
  ASSERT_TRUE(source.device().AddFile("opt/a", Text("alpha")).ok());
  ASSERT_TRUE(source.device().AddFile("opt/b", Text("beta")).ok());
  const std::vector<uint8_t> state = *source.device().SaveState();

  X86Machine target;
  ASSERT_TRUE(target.device().AddFile("opt/mine", Text("mine")).ok());
  auto expect_refused = [&](std::vector<uint8_t> bad, absl::StatusCode code,
                            const std::string& message) {
    absl::Status status = target.device().RestoreState(bad);
    EXPECT_EQ(status.code(), code) << status;
    EXPECT_THAT(status.message(), HasSubstr(message));
    ASSERT_EQ(target.device().ListFiles().size(), 1u);
    EXPECT_EQ(ReadFile(target.device(), "opt/mine", 4), "mine");
  };

  expect_refused({}, absl::StatusCode::kInvalidArgument, "magic");
  std::vector<uint8_t> bad = state;
  bad[0] = 'X';
  expect_refused(bad, absl::StatusCode::kInvalidArgument, "magic");
  bad = state;
  bad[8] = 2;  // version 2
  expect_refused(bad, absl::StatusCode::kFailedPrecondition, "version 2");
  // Every truncation fails the checksum (or the magic).
  for (size_t length = 0; length < state.size(); ++length) {
    std::vector<uint8_t> cut(state.begin(), state.begin() + length);
    EXPECT_FALSE(target.device().RestoreState(cut).ok()) << length;
  }
  // A flipped content byte.
  bad = state;
  bad[bad.size() - 6] ^= 1;
  expect_refused(bad, absl::StatusCode::kDataLoss, "checksum");
  // Well sealed, but malformed: an unknown flag, a file size past the end,
  // files out of order, bytes after the end.
  bad = state;
  bad[12] |= 2;
  Reseal(bad);
  expect_refused(bad, absl::StatusCode::kDataLoss, "flags");
  bad = state;
  const size_t first_file = 36 + 4 + 4;  // header, no numbered items, count
  ASSERT_EQ(bad[first_file], 5);         // "opt/a"
  base::StoreLe32(bad.data() + first_file + 1 + 5 + 2, 0xffffffff);
  Reseal(bad);
  expect_refused(bad, absl::StatusCode::kDataLoss, "truncated");
  bad = state;
  bad[first_file + 1 + 4] = 'z';  // "opt/z" before "opt/b"
  Reseal(bad);
  expect_refused(bad, absl::StatusCode::kDataLoss, "out of order");
  bad = state;
  bad.insert(bad.end() - 4, 0);
  Reseal(bad);
  expect_refused(bad, absl::StatusCode::kDataLoss, "unexpected bytes");
}

TEST_F(DeviceStateTest, ReplaceFileKeepsKeyAndOffsetAsQemu) {
  X86Machine machine;
  ASSERT_TRUE(machine.device().AddFile("opt/a", Text("aaaaaaaa")).ok());
  ASSERT_TRUE(machine.device().AddFile("opt/b", Text("bb")).ok());
  const uint16_t key = KeyOf(machine.device(), "opt/a");
  machine.device().Select(key);
  EXPECT_EQ(Read(machine.device(), 3), "aaa");
  // Mid-read, the item changes: the guest reads on at offset 3 of the new
  // contents, as after QEMU's fw_cfg_modify_file.
  ASSERT_TRUE(machine.device().ReplaceFile("opt/a", Text("0123456789")).ok());
  EXPECT_EQ(Read(machine.device(), 4), "3456");
  EXPECT_EQ(KeyOf(machine.device(), "opt/a"), key);
  EXPECT_EQ(machine.device().ListFiles()[0].size, 10u);
  // The directory item announces the new size.
  std::vector<uint8_t> dir = ReadKey(machine.device(), kFileDir, 4 + 64);
  EXPECT_EQ(base::LoadBe32(dir.data() + 4), 10u);
  // Shrinking: past the new end, zeros.
  machine.device().Select(key);
  Read(machine.device(), 8);
  ASSERT_TRUE(machine.device().ReplaceFile("opt/a", Text("xy")).ok());
  EXPECT_EQ(Read(machine.device(), 2), std::string(2, '\0'));

  EXPECT_EQ(machine.device().ReplaceFile("opt/none", Text("x")).code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(machine.device()
                  .AddFile("etc/vmcoreinfo",
                           *MakeWritableItem(std::vector<uint8_t>(16)))
                  .ok());
  EXPECT_EQ(machine.device().ReplaceFile("etc/vmcoreinfo", Text("x")).code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(DeviceStateTest, AddFileAtEndNeverRenumbers) {
  X86Machine machine;
  ASSERT_TRUE(machine.device().AddFile("opt/b", Text("b")).ok());
  ASSERT_TRUE(machine.device().AddFile("opt/d", Text("d")).ok());
  absl::Status status = machine.device().AddFileAtEnd("opt/c", Text("c"));
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("would move \"opt/d\" from key 0x0021 to 0x0022"));
  EXPECT_EQ(machine.device().AddFileAtEnd("opt/d", Text("d")).code(),
            absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(machine.device().AddFileAtEnd("opt/e", Text("e")).ok());
  ASSERT_EQ(machine.device().ListFiles().size(), 3u);
  EXPECT_EQ(KeyOf(machine.device(), "opt/b"), 0x20);
  EXPECT_EQ(KeyOf(machine.device(), "opt/d"), 0x21);
  EXPECT_EQ(KeyOf(machine.device(), "opt/e"), 0x22);
  EXPECT_EQ(ReadFile(machine.device(), "opt/e", 1), "e");
  // The directory the guest reads again has it.
  std::vector<uint8_t> dir = ReadKey(machine.device(), kFileDir, 4);
  EXPECT_EQ(base::LoadBe32(dir.data()), 3u);
}

}  // namespace
}  // namespace fw_cfg
