#include "vmm/x86/linux_loader.h"

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "base/byte_order.h"
#include "gtest/gtest.h"
#include "vm-memory/guest_memory.h"
#include "vmm/testdata/bzimage.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;

// A one-segment ELF vmlinux: `code` at physical `paddr`, entered there.
std::string MakeVmlinux(uint64_t paddr, const std::string& code) {
  std::string image(64 + 56, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(image.data());
  bytes[0] = 0x7f, bytes[1] = 'E', bytes[2] = 'L', bytes[3] = 'F';
  bytes[4] = 2, bytes[5] = 1, bytes[6] = 1;
  base::StoreLe16(bytes + 16, 2);   // ET_EXEC
  base::StoreLe16(bytes + 18, 62);  // EM_X86_64
  base::StoreLe64(bytes + 24, paddr);
  base::StoreLe64(bytes + 32, 64);
  base::StoreLe16(bytes + 54, 56);
  base::StoreLe16(bytes + 56, 1);
  uint8_t* ph = bytes + 64;
  base::StoreLe32(ph, 1);  // PT_LOAD
  base::StoreLe64(ph + 8, image.size());
  base::StoreLe64(ph + 16, 0xffffffff81000000);
  base::StoreLe64(ph + 24, paddr);
  base::StoreLe64(ph + 32, code.size());
  base::StoreLe64(ph + 40, code.size() + 0x1000);
  return image + code;
}

class LinuxLoaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    memory_ =
        *vm_memory::GuestMemory::CreateAnonymous({{GuestAddress(0), 64 << 20}});
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = ::testing::TempDir() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  uint32_t Le32At(uint64_t address) {
    uint8_t bytes[4] = {};
    EXPECT_TRUE(memory_->Read(GuestAddress(address), bytes).ok());
    return base::LoadLe32(bytes);
  }
  std::shared_ptr<const vm_memory::GuestMemory> memory_;
};

TEST_F(LinuxLoaderTest, VmlinuxGetsASetupHeaderOfItsOwn) {
  const std::string kernel = Write("vmlinux", MakeVmlinux(0x1000000, "\xf4"));
  const std::string initrd = Write("initrd", std::string(5000, 'i'));
  absl::StatusOr<LinuxEntry> entry =
      LoadLinux(*memory_, {.kernel_path = kernel,
                           .initrd_path = initrd,
                           .cmdline = "console=ttyS0",
                           .e820 = {{0, 64 << 20, linux_loader::kE820Ram}},
                           .rsdp_address = 0xe0000});
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->regs.rip, 0x1000000u);  // e_entry, not load + 0x200
  EXPECT_EQ(entry->regs.rsi, kZeroPageAddress);
  uint8_t first = 0;
  ASSERT_TRUE(memory_->Read(GuestAddress(0x1000000), {&first, 1}).ok());
  EXPECT_EQ(first, 0xf4);
  const uint64_t zp = kZeroPageAddress;
  EXPECT_EQ(Le32At(zp + 0x202), 0x53726448u);       // "HdrS"
  EXPECT_EQ(Le32At(zp + 0x1fc) >> 16, 0xaa55u);     // boot_flag at 0x1fe
  EXPECT_EQ(Le32At(zp + 0x206) & 0xffff, 0x020fu);  // protocol 2.15
  EXPECT_EQ(Le32At(zp + 0x210) & 0xffff, 0x01ffu);  // loader 0xff, LOADED_HIGH
  EXPECT_EQ(Le32At(zp + 0x228), kCmdlineAddress);
  EXPECT_EQ(Le32At(zp + 0x238), 2047u);     // cmdline_size
  EXPECT_EQ(Le32At(zp + 0x070), 0xe0000u);  // acpi_rsdp_addr
  // The initrd sits page-aligned above the kernel's memsz, within its ceiling.
  const uint32_t initrd_at = Le32At(zp + 0x218);
  EXPECT_EQ(Le32At(zp + 0x21c), 5000u);
  EXPECT_EQ(initrd_at % 4096, 0u);
  EXPECT_GE(initrd_at, 0x1001001u);
  EXPECT_LE(initrd_at + 5000u, 64u << 20);
}

TEST_F(LinuxLoaderTest, VmlinuxBelowOneMegabyteIsRefused) {
  // It would be overwritten by the zero page and page tables.
  const std::string kernel = Write("low", MakeVmlinux(0x8000, "\xf4"));
  absl::StatusOr<LinuxEntry> entry =
      LoadLinux(*memory_, {.kernel_path = kernel});
  ASSERT_FALSE(entry.ok());
  EXPECT_NE(entry.status().message().find("below 1 MiB"), std::string::npos);
}

TEST_F(LinuxLoaderTest, VmlinuxCommandLineLimitIs2047Bytes) {
  const std::string kernel = Write("vmlinux", MakeVmlinux(0x1000000, "\xf4"));
  EXPECT_TRUE(LoadLinux(*memory_, {.kernel_path = kernel,
                                   .cmdline = std::string(2047, 'c')})
                  .ok());
  EXPECT_FALSE(LoadLinux(*memory_, {.kernel_path = kernel,
                                    .cmdline = std::string(2048, 'c')})
                   .ok());
}

TEST_F(LinuxLoaderTest, BzImageEntersAtItsSixtyFourBitEntry) {
  const std::string kernel =
      Write("bzImage", testing::MakeBzImage(std::string("\xf4", 1)));
  absl::StatusOr<LinuxEntry> entry =
      LoadLinux(*memory_, {.kernel_path = kernel});
  ASSERT_TRUE(entry.ok()) << entry.status();
  EXPECT_EQ(entry->regs.rip, kKernelAddress + 0x200);
}

TEST_F(LinuxLoaderTest, NeitherFormatIsAClearError) {
  const std::string kernel = Write("junk", std::string(4096, 'j'));
  absl::StatusOr<LinuxEntry> entry =
      LoadLinux(*memory_, {.kernel_path = kernel});
  ASSERT_FALSE(entry.ok());
  EXPECT_NE(entry.status().message().find("nor an ELF vmlinux"),
            std::string::npos)
      << entry.status();
}

}  // namespace
}  // namespace vmm
