// QEMU 7.2's x86_load_linux (hw/i386/x86.c), bzImage path, as a pure
// computation. Each step names the QEMU expression it mirrors. Offsets are
// those of Documentation/x86/boot.rst ("The real-mode kernel header").
//
// Checks beyond QEMU's own (QEMU accepts these inputs but the firmware would
// then build an image that cannot start, or silently drop data):
//   - the command line must not exceed the kernel's limit (cmdline_size for
//     protocol >= 2.06, else 255); QEMU passes it on and the kernel truncates;
//   - the real-mode setup must end at or below the command line, the command
//     line at or below 0x9a000 (QEMU's top for low kernels; for high kernels
//     it only matters for absurd lengths);
//   - a low kernel's protected-mode part must end at or below the setup at
//     0x90000, and any kernel must end below RAM - acpi_data_size;
//   - the initrd must not start inside the kernel's protected-mode part.

#include "fw_cfg/linux_boot/x86_direct_boot.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "linux-loader/bootparam.h"

namespace fw_cfg {
namespace {

using linux_loader::kCmdLinePtrOffset;
using linux_loader::kCmdlineSizeOffset;
using linux_loader::kHeaderMagic;
using linux_loader::kHeaderMagicOffset;
using linux_loader::kHeapEndPtrOffset;
using linux_loader::kInitrdAddrMaxOffset;
using linux_loader::kLoadflagsOffset;
using linux_loader::kOldCmdlineMagic;
using linux_loader::kOldCmdlineMagicOffset;
using linux_loader::kOldCmdlineOffsetOffset;
using linux_loader::kRamdiskImageOffset;
using linux_loader::kRamdiskSizeOffset;
using linux_loader::kSectorSize;
using linux_loader::kSetupSectsOffset;
using linux_loader::kTypeOfLoaderOffset;
using linux_loader::kVersionOffset;
using linux_loader::kVidModeOffset;
using linux_loader::kXloadflagsOffset;

// The version word must be inside the file for the header to be read at all.
constexpr uint64_t kMinHeaderBytes = kVersionOffset + 2;

constexpr uint8_t kLoadedHigh = linux_loader::kLoadedHigh;
constexpr uint8_t kCanUseHeap = linux_loader::kCanUseHeap;
constexpr uint16_t kCanBeLoadedAbove4g = linux_loader::kXlfCanBeLoadedAbove4g;
constexpr uint8_t kQemuLoaderType = 0xb0;  // "B" = QEMU, revision 0
constexpr uint64_t kFourGiB = uint64_t{1} << 32;

// QEMU's fixed layout.
constexpr uint32_t kLowRealAddr = 0x90000;
constexpr uint32_t kLowCmdlineTop = 0x9a000;
constexpr uint32_t kLowProtAddr = 0x10000;
constexpr uint32_t kHighRealAddr = 0x10000;
constexpr uint32_t kHighCmdlineAddr = 0x20000;
constexpr uint32_t kHighProtAddr = 0x100000;
constexpr uint32_t kOldInitrdMax = 0x37ffffff;  // protocol < 2.03
constexpr uint32_t kOldCmdlineMax = 255;        // protocol < 2.06

template <typename... Args>
absl::Status Invalid(const absl::FormatSpec<Args...>& format,
                     const Args&... args) {
  return absl::InvalidArgumentError(absl::StrFormat(format, args...));
}

// glibc strtoull(nptr, &end, 0) in the C locale, without errno: returns the
// value (negated in unsigned arithmetic after a '-'), sets `*end` to the
// offset just past the digits (0 when there are none) and `*overflow` when
// the magnitude exceeds 2^64 - 1.
uint64_t StrToUll(std::string_view s, size_t* end, bool* overflow) {
  *end = 0;
  *overflow = false;
  size_t i = 0;
  auto is_space = [](char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');  // \t \n \v \f \r
  };
  while (i < s.size() && is_space(s[i])) ++i;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    negative = s[i] == '-';
    ++i;
  }
  auto digit_value = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 99;
  };
  unsigned base = 10;
  if (i < s.size() && s[i] == '0') {
    if (i + 1 < s.size() && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
      if (i + 2 < s.size() && digit_value(s[i + 2]) < 16) {
        base = 16;
        i += 2;
      } else {
        // "0x" without a hex digit: the "0" is the number, "x" ends it.
        *end = i + 1;
        return 0;
      }
    } else {
      base = 8;  // the leading 0 is itself an octal digit
    }
  }
  const size_t digits_start = i;
  uint64_t value = 0;
  while (i < s.size() && digit_value(s[i]) < static_cast<int>(base)) {
    const uint64_t d = static_cast<uint64_t>(digit_value(s[i]));
    if (value > (UINT64_MAX - d) / base) *overflow = true;
    value = value * base + d;
    ++i;
  }
  if (i == digits_start) return 0;  // no conversion: *end stays 0
  *end = i;
  if (*overflow) return UINT64_MAX;
  return negative ? 0 - value : value;
}

// QEMU's "vga=" handling: the first "vga=" anywhere in the command line (even
// inside another word) sets vid_mode at 0x1fa. "normal", "ext" and "ask" are
// matched as prefixes (strncmp); anything else goes through
// qemu_strtoui(vmode, &end, 0, &video_mode), which fails on no digits, on
// ERANGE, or when (long long)strtoull() is above UINT_MAX or below INT_MIN;
// the number must then be followed by the end of the line or a space. The
// result is stored with stw_le_p, so only its low 16 bits survive.
absl::StatusOr<std::optional<uint16_t>> VgaMode(std::string_view cmdline) {
  const size_t at = cmdline.find("vga=");
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view vmode = cmdline.substr(at + 4);
  if (vmode.starts_with("normal")) return uint16_t{0xffff};
  if (vmode.starts_with("ext")) return uint16_t{0xfffe};
  if (vmode.starts_with("ask")) return uint16_t{0xfffd};
  size_t end = 0;
  bool overflow = false;
  const uint64_t parsed = StrToUll(vmode, &end, &overflow);
  const auto as_long_long = static_cast<long long>(parsed);
  const bool terminated = end == vmode.size() || vmode[end] == ' ';
  if (overflow || end == 0 || as_long_long > UINT_MAX ||
      as_long_long < INT_MIN || !terminated) {
    return Invalid("invalid 'vga=' kernel parameter in the command line");
  }
  return static_cast<uint16_t>(static_cast<unsigned int>(as_long_long));
}

}  // namespace

absl::StatusOr<X86DirectBoot> PlanX86DirectBoot(
    absl::Span<const uint8_t> kernel_head, uint64_t kernel_file_size,
    std::string_view cmdline, std::optional<uint64_t> initrd_size,
    uint64_t ram_below_4g, uint64_t acpi_data_size) {
  // ---- Arguments.
  if (kernel_head.size() > kernel_file_size) {
    return Invalid("kernel_head has %u bytes but the kernel file only %u",
                   kernel_head.size(), kernel_file_size);
  }
  const uint64_t head_needed =
      std::min<uint64_t>(kernel_file_size, kX86DirectBootHeadSize);
  if (kernel_head.size() < head_needed) {
    return Invalid(
        "kernel_head has %u bytes; pass the first %u bytes of the kernel file",
        kernel_head.size(), head_needed);
  }
  if (ram_below_4g > kFourGiB) {
    return Invalid("ram_below_4g 0x%x is above 4 GiB", ram_below_4g);
  }
  if (ram_below_4g <= acpi_data_size) {
    return Invalid("ram_below_4g 0x%x leaves no room above acpi_data_size 0x%x",
                   ram_below_4g, acpi_data_size);
  }
  if (cmdline.find('\0') != std::string_view::npos) {
    return Invalid("the kernel command line contains a NUL byte");
  }
  // Usable RAM top: QEMU's below_4g_mem_size - acpi_data_size (<= 4 GiB).
  const uint64_t ram_top = ram_below_4g - acpi_data_size;

  // ---- Header. QEMU: ldl_le_p(header + 0x202) == 0x53726448 ("HdrS") then
  // protocol = lduw_le_p(header + 0x206); otherwise multiboot, PVH or
  // protocol 0 (a raw pre-2.00 zImage).
  if (kernel_file_size < kMinHeaderBytes) {
    return Invalid(
        "kernel file of %u bytes is too short for an x86 boot header "
        "(needs %u)",
        kernel_file_size, kMinHeaderBytes);
  }
  const uint8_t* head = kernel_head.data();
  if (base::LoadLe32(head + kHeaderMagicOffset) != kHeaderMagic) {
    return Invalid(
        "kernel is not a bzImage (no \"HdrS\" at 0x202); QEMU would try it as "
        "a multiboot or PVH ELF kernel, which is not supported here");
  }
  const uint16_t protocol = base::LoadLe16(head + kVersionOffset);

  // QEMU: setup_size = header[0x1f1]; 0 means 4; setup_size = (n + 1) * 512;
  // "invalid kernel header" if setup_size > kernel_size.
  const uint64_t setup_size = linux_loader::SetupBytes(head[kSetupSectsOffset]);
  if (setup_size > kernel_file_size) {
    return Invalid(
        "invalid kernel header: setup_sects %u means %u bytes of real-mode "
        "setup but the file has %u",
        head[kSetupSectsOffset], setup_size, kernel_file_size);
  }
  // From here on the whole setup, and with it every header field, is inside
  // the file and inside kernel_head (setup_size <= kX86DirectBootHeadSize).
  const uint64_t kernel_size = kernel_file_size - setup_size;
  if (kernel_size > UINT32_MAX) {
    return Invalid("protected-mode kernel of %u bytes does not fit in 32 bits",
                   kernel_size);
  }

  // QEMU: the three layouts.
  //   protocol < 0x200 || !(header[0x211] & 0x01): 0x90000, 0x9a000 - cmdline
  //       size, 0x10000 ("Low kernel");
  //   protocol < 0x202: 0x90000, 0x9a000 - cmdline size, 0x100000;
  //   else: 0x10000, 0x20000, 0x100000.
  // with cmdline_size = (strlen(kernel_cmdline) + 16) & ~15.
  const uint8_t loadflags = head[kLoadflagsOffset];
  const uint64_t cmdline_room = (uint64_t{cmdline.size()} + 16) & ~uint64_t{15};
  const bool low = protocol < 0x200 || (loadflags & kLoadedHigh) == 0;
  uint32_t real_addr;
  uint32_t prot_addr;
  uint64_t cmdline_addr;
  if (protocol >= 0x202 && !low) {
    real_addr = kHighRealAddr;
    cmdline_addr = kHighCmdlineAddr;
    prot_addr = kHighProtAddr;
  } else {
    real_addr = kLowRealAddr;
    prot_addr = low ? kLowProtAddr : kHighProtAddr;
    if (cmdline_room > kLowCmdlineTop - kLowRealAddr) {
      return Invalid(
          "command line of %u bytes does not fit between the setup at 0x%x "
          "and 0x%x",
          cmdline.size(), kLowRealAddr, kLowCmdlineTop);
    }
    cmdline_addr = kLowCmdlineTop - cmdline_room;
  }

  // The kernel's own limit (boot.rst: cmdline_size, without the NUL, since
  // 2.06; 255 before). Not checked by QEMU.
  const uint32_t cmdline_max = protocol >= 0x206
                                   ? base::LoadLe32(head + kCmdlineSizeOffset)
                                   : kOldCmdlineMax;
  if (cmdline.size() > cmdline_max) {
    return Invalid(
        "command line of %u bytes is longer than the kernel's limit of %u",
        cmdline.size(), cmdline_max);
  }
  if (cmdline_addr + cmdline_room > kLowCmdlineTop) {
    return Invalid("command line of %u bytes at 0x%x runs past 0x%x",
                   cmdline.size(), cmdline_addr, kLowCmdlineTop);
  }
  if (real_addr + setup_size > cmdline_addr) {
    return Invalid(
        "real-mode setup of %u bytes at 0x%x overlaps the command line at 0x%x",
        setup_size, real_addr, cmdline_addr);
  }
  const uint64_t kernel_end = uint64_t{prot_addr} + kernel_size;
  if (low && kernel_end > real_addr) {
    return Invalid(
        "low-loaded kernel of %u bytes at 0x%x overlaps the setup at 0x%x",
        kernel_size, prot_addr, real_addr);
  }
  if (kernel_end > ram_top) {
    return Invalid(
        "kernel of %u bytes at 0x%x does not fit below the RAM top 0x%x",
        kernel_size, prot_addr, ram_top);
  }

  // QEMU: initrd_max = UINT32_MAX if protocol >= 0x20c and
  // lduw_le_p(header + 0x236) & XLF_CAN_BE_LOADED_ABOVE_4G; else
  // ldl_le_p(header + 0x22c) if protocol >= 0x203; else 0x37ffffff. Then
  // if (initrd_max >= below_4g_mem_size - acpi_data_size)
  //     initrd_max = below_4g_mem_size - acpi_data_size - 1;
  uint32_t initrd_max;
  if (protocol >= 0x20c &&
      (base::LoadLe16(head + kXloadflagsOffset) & kCanBeLoadedAbove4g) != 0) {
    initrd_max = UINT32_MAX;
  } else if (protocol >= 0x203) {
    initrd_max = base::LoadLe32(head + kInitrdAddrMaxOffset);
  } else {
    initrd_max = kOldInitrdMax;
  }
  if (initrd_max >= ram_top) initrd_max = static_cast<uint32_t>(ram_top - 1);

  X86DirectBoot plan;
  plan.protocol = protocol;
  plan.setup_addr = real_addr;
  plan.kernel_addr = prot_addr;
  plan.kernel_file_offset = setup_size;
  plan.kernel_size = static_cast<uint32_t>(kernel_size);
  plan.cmdline_addr = static_cast<uint32_t>(cmdline_addr);
  // fw_cfg_add_i32(CMDLINE_SIZE, strlen + 1); fw_cfg_add_string(CMDLINE_DATA).
  plan.cmdline_data.reserve(cmdline.size() + 1);
  plan.cmdline_data.assign(cmdline);
  plan.cmdline_data.push_back('\0');

  // QEMU parses "vga=" before it looks at the initrd.
  ASSIGN_OR_RETURN(const std::optional<uint16_t> vga_mode, VgaMode(cmdline));

  // QEMU: if initrd: "linux kernel too old to load a ram disk" below 0x200;
  // "initrd is too large" if initrd_size >= initrd_max;
  // initrd_addr = (initrd_max - initrd_size) & ~4095.
  if (initrd_size.has_value()) {
    if (protocol < 0x200) {
      return Invalid(
          "kernel boot protocol %x.%02x is too old to load an initrd "
          "(needs 2.00)",
          protocol >> 8, protocol & 0xff);
    }
    if (*initrd_size >= initrd_max) {
      return Invalid(
          "initrd of %u bytes is too large: it must be smaller than "
          "initrd_max 0x%x",
          *initrd_size, initrd_max);
    }
    const uint64_t initrd_addr = (initrd_max - *initrd_size) & ~uint64_t{4095};
    if (initrd_addr < kernel_end) {
      return Invalid(
          "initrd of %u bytes at 0x%x would overlap the kernel ending at 0x%x",
          *initrd_size, initrd_addr, kernel_end);
    }
    plan.has_initrd = true;
    plan.initrd_addr = static_cast<uint32_t>(initrd_addr);
    plan.initrd_size = static_cast<uint32_t>(*initrd_size);
  }

  // The patched copy: setup = the first setup_size bytes of the file, with
  // QEMU's header patches (all of them below 0x260, well inside the setup).
  plan.setup.assign(head, head + setup_size);
  uint8_t* setup = plan.setup.data();
  // QEMU: if (protocol >= 0x202) stl_le_p(header + 0x228, cmdline_addr);
  // else { stw_le_p(header + 0x20, 0xA33F);
  //        stw_le_p(header + 0x22, cmdline_addr - real_addr); }
  if (protocol >= 0x202) {
    base::StoreLe32(setup + kCmdLinePtrOffset, plan.cmdline_addr);
  } else {
    base::StoreLe16(setup + kOldCmdlineMagicOffset, kOldCmdlineMagic);
    base::StoreLe16(setup + kOldCmdlineOffsetOffset,
                    static_cast<uint16_t>(plan.cmdline_addr - real_addr));
  }
  // QEMU: stw_le_p(header + 0x1fa, video_mode) when "vga=" is present.
  if (vga_mode.has_value()) {
    base::StoreLe16(setup + kVidModeOffset, *vga_mode);
  }
  // QEMU: if (protocol >= 0x200) header[0x210] = 0xB0;
  if (protocol >= 0x200) setup[kTypeOfLoaderOffset] = kQemuLoaderType;
  // QEMU: if (protocol >= 0x201) { header[0x211] |= 0x80;
  //   stw_le_p(header + 0x224, cmdline_addr - real_addr - 0x200); }
  if (protocol >= 0x201) {
    setup[kLoadflagsOffset] |= kCanUseHeap;
    base::StoreLe16(
        setup + kHeapEndPtrOffset,
        static_cast<uint16_t>(plan.cmdline_addr - real_addr - 0x200));
  }
  // QEMU: stl_le_p(header + 0x218, initrd_addr);
  //       stl_le_p(header + 0x21c, initrd_size);
  if (plan.has_initrd) {
    base::StoreLe32(setup + kRamdiskImageOffset, plan.initrd_addr);
    base::StoreLe32(setup + kRamdiskSizeOffset, plan.initrd_size);
  }
  return plan;
}

}  // namespace fw_cfg
