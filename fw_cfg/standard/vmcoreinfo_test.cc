#include "fw_cfg/standard/vmcoreinfo.h"

#include <cstdint>
#include <string>
#include <vector>

#include "fw_cfg/test_support.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fw_cfg {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::X86Machine;

constexpr uint64_t kDescriptor = 0x1000;
constexpr uint64_t kBuffer = 0x2000;
constexpr uint64_t kNote = 0x10000;

std::vector<uint8_t> Le(uint64_t value, int bytes) {
  std::vector<uint8_t> out;
  for (int i = 0; i < bytes; ++i) out.push_back(value >> (8 * i));
  return out;
}

// The 16 bytes Linux's fw_cfg_write_vmcoreinfo writes: host_format 0 (it
// does not read the host's), guest_format, size, paddr.
std::vector<uint8_t> LocationBytes(uint16_t format, uint32_t size,
                                   uint64_t paddr) {
  std::vector<uint8_t> bytes = Le(0, 2);
  for (const auto& part : {Le(format, 2), Le(size, 4), Le(paddr, 8)}) {
    bytes.insert(bytes.end(), part.begin(), part.end());
  }
  return bytes;
}

// An ELF note as Linux lays out its VMCOREINFO (Elf64_Nhdr, name padded to
// 4 bytes, then the text), followed by the empty note that ends it.
std::vector<uint8_t> NoteBytes(const std::string& name,
                               const std::string& desc) {
  std::vector<uint8_t> bytes;
  for (const auto& part :
       {Le(name.size() + 1, 4), Le(desc.size(), 4), Le(0, 4)}) {
    bytes.insert(bytes.end(), part.begin(), part.end());
  }
  bytes.insert(bytes.end(), name.begin(), name.end());
  bytes.resize((bytes.size() + 1 + 3) & ~size_t{3}, 0);
  bytes.insert(bytes.end(), desc.begin(), desc.end());
  bytes.resize((bytes.size() + 3) & ~size_t{3}, 0);
  bytes.resize(bytes.size() + 12, 0);
  return bytes;
}

class VmcoreinfoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto added = Vmcoreinfo::Add(m_.device(),
                                 [this](const VmcoreinfoLocation& location) {
                                   published_.push_back(location.paddr);
                                 });
    ASSERT_TRUE(added.ok()) << added.status();
    vmcoreinfo_ = *added;
    key_ = testing::KeyOf(m_.device(), kVmcoreinfoFile);
  }

  // A DMA request that selects etc/vmcoreinfo; returns the status word.
  uint32_t Dma(uint32_t operation, const std::vector<uint8_t>& bytes,
               uint32_t length) {
    m_.WriteRam(kBuffer, bytes);
    m_.WriteDescriptor(kDescriptor, uint32_t{key_} << 16 | 0x08 | operation,
                       length, kBuffer);
    m_.StartDma(kDescriptor);
    return m_.DescriptorControl(kDescriptor);
  }
  uint32_t Write(const std::vector<uint8_t>& bytes) {
    return Dma(0x10, bytes, static_cast<uint32_t>(bytes.size()));
  }

  X86Machine m_;
  std::shared_ptr<Vmcoreinfo> vmcoreinfo_;
  uint16_t key_ = 0;
  std::vector<uint64_t> published_;
};

// QEMU's reset state: host_format 1 (ELF), the rest 0.
TEST_F(VmcoreinfoTest, StartsWithTheHostFormat) {
  EXPECT_THAT(testing::ReadKey(m_.device(), key_, 16),
              ElementsAre(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_FALSE(vmcoreinfo_->location().has_value());
  EXPECT_THAT(vmcoreinfo_->ReadNote(m_.memory()).status().message(),
              HasSubstr("not published"));
}

TEST_F(VmcoreinfoTest, LinuxsWriteIsPublishedAndTheNoteRead) {
  const std::vector<uint8_t> note =
      NoteBytes("VMCOREINFO", "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\n");
  m_.WriteRam(kNote, note);
  ASSERT_EQ(Write(LocationBytes(1, 4096, kNote)), 0u);
  EXPECT_THAT(published_, ElementsAre(kNote));
  ASSERT_TRUE(vmcoreinfo_->location().has_value());
  EXPECT_EQ(vmcoreinfo_->location()->size, 4096u);
  // The guest reads back what it wrote.
  EXPECT_EQ(testing::ReadKey(m_.device(), key_, 16),
            LocationBytes(1, 4096, kNote));

  absl::StatusOr<VmcoreinfoNote> read = vmcoreinfo_->ReadNote(m_.memory());
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->name, "VMCOREINFO");
  EXPECT_EQ(read->type, 0u);
  EXPECT_EQ(read->description, "OSRELEASE=6.1.0-56-amd64\nPAGESIZE=4096\n");
  // The first note only, without the terminating empty one.
  EXPECT_EQ(read->bytes, std::vector<uint8_t>(note.begin(), note.end() - 12));
}

// The same location written again is not news.
TEST_F(VmcoreinfoTest, RepeatedWritesPublishOnce) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Write(LocationBytes(1, 4096, kNote)), 0u);
  }
  ASSERT_EQ(Write(LocationBytes(1, 4096, kNote + 0x1000)), 0u);
  EXPECT_THAT(published_, ElementsAre(kNote, kNote + 0x1000));
}

// QEMU keeps a location only from a whole write at offset 0 with a format.
TEST_F(VmcoreinfoTest, OtherWritesWithdrawTheLocation) {
  ASSERT_EQ(Write(LocationBytes(1, 4096, kNote)), 0u);
  ASSERT_TRUE(vmcoreinfo_->location().has_value());
  // Format 0 (none).
  ASSERT_EQ(Write(LocationBytes(0, 4096, kNote)), 0u);
  EXPECT_FALSE(vmcoreinfo_->location().has_value());
  ASSERT_EQ(Write(LocationBytes(1, 4096, kNote)), 0u);
  // Eight bytes only.
  ASSERT_EQ(Write(Le(0x0001000000000000, 8)), 0u);
  EXPECT_FALSE(vmcoreinfo_->location().has_value());
  ASSERT_EQ(Write(LocationBytes(1, 4096, kNote)), 0u);
  // A write that would run past the 16 bytes fails and changes nothing.
  std::vector<uint8_t> long_write = LocationBytes(1, 64, 0x5000);
  long_write.push_back(0);
  EXPECT_EQ(Write(long_write), 1u);  // the error bit
  ASSERT_TRUE(vmcoreinfo_->location().has_value());
  EXPECT_EQ(vmcoreinfo_->location()->paddr, kNote);
  EXPECT_THAT(published_, ElementsAre(kNote, kNote, kNote));
}

// QEMU's checks before it dumps the note, each with its message.
TEST_F(VmcoreinfoTest, ReadNoteChecksWhatTheGuestSaid) {
  const std::vector<uint8_t> note = NoteBytes("VMCOREINFO", "PAGESIZE=4096\n");
  m_.WriteRam(kNote, note);
  const struct {
    std::vector<uint8_t> location;
    const char* error;
  } cases[] = {
      {LocationBytes(1, 11, kNote), "size is invalid: 11"},
      {LocationBytes(1, (1 << 20) + 1, kNote), "size is invalid: 1048577"},
      {LocationBytes(2, 4096, kNote), "format is unsupported: 2"},
      {LocationBytes(1, 4096, X86Machine::kRamSize - 8), "0xfffff8"},
      // The note says it is longer than the size the guest gave.
      {LocationBytes(1, 24, kNote), "header is invalid"},
  };
  for (const auto& c : cases) {
    ASSERT_EQ(Write(c.location), 0u);
    EXPECT_THAT(vmcoreinfo_->ReadNote(m_.memory()).status().message(),
                HasSubstr(c.error));
  }
  ASSERT_EQ(Write(LocationBytes(1, note.size() - 12, kNote)), 0u);
  EXPECT_TRUE(vmcoreinfo_->ReadNote(m_.memory()).ok());
}

}  // namespace
}  // namespace fw_cfg
