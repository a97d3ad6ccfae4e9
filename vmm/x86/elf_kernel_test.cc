#include "vmm/x86/elf_kernel.h"

#include <cstdint>
#include <vector>

#include "base/byte_order.h"
#include "gtest/gtest.h"
#include "vm-memory/guest_memory.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;

struct TestSegment {
  uint32_t type = 1;  // PT_LOAD
  uint64_t vaddr, paddr;
  std::vector<uint8_t> bytes;
  uint64_t memsz;
};

// An ELF64 x86-64 executable with the given segments, data after the headers.
std::vector<uint8_t> MakeElf(uint64_t entry,
                             const std::vector<TestSegment>& segments) {
  const size_t phoff = 64;
  size_t data = phoff + 56 * segments.size();
  std::vector<uint8_t> image(data);
  image[0] = 0x7f, image[1] = 'E', image[2] = 'L', image[3] = 'F';
  image[4] = 2, image[5] = 1, image[6] = 1;
  base::StoreLe16(&image[16], 2);   // ET_EXEC
  base::StoreLe16(&image[18], 62);  // EM_X86_64
  base::StoreLe64(&image[24], entry);
  base::StoreLe64(&image[32], phoff);
  base::StoreLe16(&image[54], 56);
  base::StoreLe16(&image[56], static_cast<uint16_t>(segments.size()));
  for (size_t i = 0; i < segments.size(); ++i) {
    const TestSegment& s = segments[i];
    const size_t offset = image.size();
    image.insert(image.end(), s.bytes.begin(), s.bytes.end());
    uint8_t* ph = &image[phoff + 56 * i];
    base::StoreLe32(ph, s.type);
    base::StoreLe64(ph + 8, offset);
    base::StoreLe64(ph + 16, s.vaddr);
    base::StoreLe64(ph + 24, s.paddr);
    base::StoreLe64(ph + 32, s.bytes.size());
    base::StoreLe64(ph + 40, s.memsz);
  }
  return image;
}

class ElfKernelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ =
        *vm_memory::GuestMemory::CreateAnonymous({{GuestAddress(0), 32 << 20}});
    // Poison where .bss goes, to see it zeroed.
    ASSERT_TRUE(memory_->Fill(GuestAddress(0x1000000), 0x3000, 0xee).ok());
  }
  std::shared_ptr<const vm_memory::GuestMemory> memory_;
};

TEST_F(ElfKernelTest, LoadsSegmentsAtPaddrAndZeroesTheRest) {
  const std::vector<uint8_t> image =
      MakeElf(0x1000000, {{.vaddr = 0xffffffff81000000,
                           .paddr = 0x1000000,
                           .bytes = {1, 2, 3, 4},
                           .memsz = 0x2000},
                          {.type = 4,  // PT_NOTE: not loaded
                           .vaddr = 0,
                           .paddr = 0x1800000,
                           .bytes = {9},
                           .memsz = 1}});
  absl::StatusOr<ElfKernel> kernel = LoadElfKernel(*memory_, image);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  EXPECT_EQ(kernel->entry, 0x1000000u);
  EXPECT_EQ(kernel->start, 0x1000000u);
  EXPECT_EQ(kernel->end, 0x1002000u);
  uint8_t got[6];
  ASSERT_TRUE(memory_->Read(GuestAddress(0x1000000), got).ok());
  EXPECT_EQ(std::vector<uint8_t>(got, got + 6),
            (std::vector<uint8_t>{1, 2, 3, 4, 0, 0}));
  uint8_t last = 0xff, after = 0;
  ASSERT_TRUE(memory_->Read(GuestAddress(0x1001fff), {&last, 1}).ok());
  ASSERT_TRUE(memory_->Read(GuestAddress(0x1002000), {&after, 1}).ok());
  EXPECT_EQ(last, 0);
  EXPECT_EQ(after, 0xee);
  uint8_t note = 0xff;
  ASSERT_TRUE(memory_->Read(GuestAddress(0x1800000), {&note, 1}).ok());
  EXPECT_EQ(note, 0);
}

TEST_F(ElfKernelTest, VirtualEntryIsMappedThroughItsSegment) {
  const std::vector<uint8_t> image =
      MakeElf(0xffffffff81000040, {{.vaddr = 0xffffffff81000000,
                                    .paddr = 0x1000000,
                                    .bytes = {0x90},
                                    .memsz = 0x100}});
  absl::StatusOr<ElfKernel> kernel = LoadElfKernel(*memory_, image);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  EXPECT_EQ(kernel->entry, 0x1000040u);
}

TEST_F(ElfKernelTest, HostileHeadersAreErrors) {
  const TestSegment ok{
      .vaddr = 0, .paddr = 0x1000000, .bytes = {1}, .memsz = 1};
  // Entry outside every segment.
  EXPECT_FALSE(LoadElfKernel(*memory_, MakeElf(0x5000000, {ok})).ok());
  // A segment beyond guest RAM, and one whose end wraps past 2^64.
  TestSegment high = ok;
  high.paddr = 0x1fff000;
  high.memsz = 0x2000;
  EXPECT_EQ(LoadElfKernel(*memory_, MakeElf(0x1fff000, {high})).status().code(),
            absl::StatusCode::kResourceExhausted);
  TestSegment wrap = ok;
  wrap.paddr = UINT64_MAX - 1;
  wrap.memsz = 4;
  EXPECT_FALSE(LoadElfKernel(*memory_, MakeElf(0x1000000, {wrap})).ok());
  // filesz past the end of the file.
  std::vector<uint8_t> image = MakeElf(0x1000000, {ok});
  base::StoreLe64(&image[64 + 32], 1 << 20);
  base::StoreLe64(&image[64 + 40], 1 << 20);
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  // Program headers past the end of the file; absurd counts.
  image = MakeElf(0x1000000, {ok});
  base::StoreLe64(&image[32], image.size());
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  image = MakeElf(0x1000000, {ok});
  base::StoreLe16(&image[56], 0xffff);
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  // Wrong class, machine, type; truncated; no PT_LOAD.
  image = MakeElf(0x1000000, {ok});
  image[4] = 1;
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  image = MakeElf(0x1000000, {ok});
  base::StoreLe16(&image[18], 3);
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  image = MakeElf(0x1000000, {ok});
  base::StoreLe16(&image[16], 3);  // ET_DYN
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  image = MakeElf(0x1000000, {ok});
  image.resize(40);
  EXPECT_FALSE(LoadElfKernel(*memory_, image).ok());
  TestSegment note = ok;
  note.type = 4;
  EXPECT_FALSE(LoadElfKernel(*memory_, MakeElf(0x1000000, {note})).ok());
}

}  // namespace
}  // namespace vmm
