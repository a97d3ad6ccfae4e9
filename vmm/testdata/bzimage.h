// Test support: wraps raw 64-bit machine code in the smallest bzImage our
// Linux loader accepts (boot protocol 2.15, XLF_KERNEL_64, one setup sector
// after the boot sector), so that the code runs at the kernel's 64-bit entry
// point (load address + 0x200). Header offsets from Linux's
// Documentation/x86/boot.rst.

#ifndef VMM_TESTDATA_BZIMAGE_H_
#define VMM_TESTDATA_BZIMAGE_H_

#include <cstdint>
#include <string>

namespace vmm::testing {

inline std::string MakeBzImage(const std::string& code) {
  std::string image(1024 + 0x200, '\0');
  auto put = [&image](size_t at, uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i)
      image[at + i] = static_cast<char>(value >> (8 * i));
  };
  image[0x1f1] = 1;           // setup_sects
  put(0x1fe, 0xaa55, 2);      // boot_flag
  image[0x201] = 0x6a;        // the header runs to 0x202 + 0x6a
  put(0x202, 0x53726448, 4);  // "HdrS"
  put(0x206, 0x020f, 2);      // protocol 2.15
  put(0x22c, 0x7fffffff, 4);  // initrd_addr_max
  put(0x236, 0x0001, 2);      // xloadflags: XLF_KERNEL_64
  put(0x238, 2048, 4);        // cmdline_size
  return image + code;
}

}  // namespace vmm::testing

#endif  // VMM_TESTDATA_BZIMAGE_H_
