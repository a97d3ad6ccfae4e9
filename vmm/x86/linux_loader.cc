#include "vmm/x86/linux_loader.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "linux-loader/bootparam.h"
#include "linux-loader/e820.h"
#include "vmm/x86/elf_kernel.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;

using linux_loader::kAcpiRsdpAddrOffset;
using linux_loader::kBootFlag;
using linux_loader::kBootFlagOffset;
using linux_loader::kCmdLinePtrOffset;
using linux_loader::kCmdlineSizeOffset;
using linux_loader::kE820EntriesOffset;
using linux_loader::kE820MaxEntries;
using linux_loader::kE820TableOffset;
using linux_loader::kHeaderMagic;
using linux_loader::kHeaderMagicOffset;
using linux_loader::kInitrdAddrMaxOffset;
using linux_loader::kKernelAlignmentOffset;
using linux_loader::kLoaderTypeUndefined;
using linux_loader::kLoadflagsOffset;
using linux_loader::kRamdiskImageOffset;
using linux_loader::kRamdiskSizeOffset;
using linux_loader::kSetupSectsOffset;
using linux_loader::kTypeOfLoaderOffset;
using linux_loader::kVersionOffset;
using linux_loader::kXlfKernel64;
using linux_loader::kXloadflagsOffset;
using linux_loader::kZeroPageSize;

constexpr uint16_t kMinProtocol = 0x020c;  // 2.12: XLF_KERNEL_64
// The setup header written for an ELF vmlinux, which has none: protocol 2.15,
// x86's COMMAND_LINE_SIZE (2048, with the NUL) and the traditional initrd
// ceiling.
constexpr uint16_t kElfProtocol = 0x020f;
constexpr uint32_t kElfCmdlineLimit = 2047;
constexpr uint32_t kElfInitrdAddrMax = 0x37ffffff;

// The whole of a regular file; errors say which input it is.
absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path,
                                              const char* what) {
  ASSIGN_OR_RETURN(base::RegularFile file,
                   base::WithContext(base::ReadRegularFile(path), what));
  return std::move(file.bytes);
}

absl::Status WriteGuest(const vm_memory::GuestMemory& memory, uint64_t address,
                        absl::Span<const uint8_t> bytes, const char* what) {
  absl::Status status = memory.Write(GuestAddress(address), bytes);
  if (!status.ok()) {
    return absl::ResourceExhaustedError(absl::StrFormat(
        "the %s (%d bytes at 0x%x) does not fit in guest RAM: %s", what,
        bytes.size(), address, status.message()));
  }
  return absl::OkStatus();
}

// Identity map of the first 1 GiB with 2 MiB pages.
absl::Status WritePageTables(const vm_memory::GuestMemory& memory) {
  std::vector<uint8_t> tables(3 * 4096, 0);
  const uint64_t pdpt = kPml4Address + 0x1000;
  const uint64_t pd = kPml4Address + 0x2000;
  base::StoreLe64(tables.data(), pdpt | 0x03);  // present, writable
  base::StoreLe64(tables.data() + 0x1000, pd | 0x03);
  for (uint64_t i = 0; i < 512; ++i) {
    base::StoreLe64(tables.data() + 0x2000 + 8 * i, (i << 21) | 0x83);  // + PS
  }
  return WriteGuest(memory, kPml4Address, tables, "page tables");
}

absl::Status WriteGdt(const vm_memory::GuestMemory& memory) {
  uint8_t gdt[3 * 8] = {};
  base::StoreLe64(gdt + 8, 0x00af9b000000ffffULL);   // 0x08: 64-bit code
  base::StoreLe64(gdt + 16, 0x00cf93000000ffffULL);  // 0x10: data
  return WriteGuest(memory, kGdtAddress, gdt, "GDT");
}

}  // namespace

void ApplyLongModeSregs(kvm_sregs& sregs) {
  kvm_segment code{};
  code.base = 0;
  code.limit = 0xffffffff;
  code.selector = 0x08;
  code.type = 0x0b;  // execute/read, accessed
  code.present = 1;
  code.s = 1;
  code.l = 1;
  code.g = 1;
  kvm_segment data = code;
  data.selector = 0x10;
  data.type = 0x03;  // read/write, accessed
  data.l = 0;
  data.db = 1;
  sregs.cs = code;
  sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
  sregs.gdt.base = kGdtAddress;
  sregs.gdt.limit = 3 * 8 - 1;
  sregs.cr3 = kPml4Address;
  sregs.cr4 |= 0x20;  // PAE
  // PG | PE, and caches on: the reset value has CD and NW set.
  sregs.cr0 = (sregs.cr0 | 0x80000001) & ~uint64_t{0x60000000};
  sregs.efer |= 0x500;  // LME | LMA
}

namespace {

// What the zero page and the entry need from the kernel image.
struct LoadedKernel {
  std::vector<uint8_t> zero_page;  // the setup header filled in
  uint64_t entry = 0;
  uint64_t end = 0;  // one past the kernel's last byte in guest RAM
  uint32_t cmdline_limit = 0;
  uint64_t initrd_addr_max = 0;
};

// A bzImage: the protected-mode kernel at 1 MiB, entered at its 64-bit entry
// (+0x200); the zero page starts as the image's setup header.
absl::StatusOr<LoadedKernel> LoadBzImage(const vm_memory::GuestMemory& memory,
                                         absl::Span<const uint8_t> image,
                                         const std::string& path) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrFormat("kernel %s: %s", path, why));
  };
  if (image.size() < 0x250 ||
      base::LoadLe32(image.data() + kHeaderMagicOffset) != kHeaderMagic ||
      base::LoadLe16(image.data() + kBootFlagOffset) != 0xaa55) {
    return bad("neither a bzImage (no HdrS boot header) nor an ELF vmlinux");
  }
  const uint16_t version = base::LoadLe16(image.data() + kVersionOffset);
  if (version < kMinProtocol ||
      (base::LoadLe16(image.data() + kXloadflagsOffset) & kXlfKernel64) == 0) {
    return bad(absl::StrFormat(
        "boot protocol %d.%02d without a 64-bit entry point (needs 2.12+ "
        "with XLF_KERNEL_64)",
        version >> 8, version & 0xff));
  }
  const uint64_t setup_size =
      linux_loader::SetupBytes(image[kSetupSectsOffset]);
  if (setup_size >= image.size()) return bad("setup is larger than the file");

  RETURN_IF_ERROR(
      WriteGuest(memory, kKernelAddress, image.subspan(setup_size), "kernel"));
  LoadedKernel kernel;
  kernel.zero_page.assign(kZeroPageSize, 0);
  const size_t header_end = std::min<size_t>(
      0x202 + image[0x201], std::min<size_t>(image.size(), kZeroPageSize));
  std::memcpy(kernel.zero_page.data() + kSetupSectsOffset,
              image.data() + kSetupSectsOffset, header_end - kSetupSectsOffset);
  kernel.entry = kKernelAddress + 0x200;  // startup_64
  kernel.end = kKernelAddress + (image.size() - setup_size);
  kernel.cmdline_limit = base::LoadLe32(image.data() + kCmdlineSizeOffset);
  kernel.initrd_addr_max = base::LoadLe32(image.data() + kInitrdAddrMaxOffset);
  return kernel;
}

// An ELF vmlinux: its segments where it asks, read from the file straight
// into guest RAM, and a setup header of our own, as Firecracker writes one.
absl::StatusOr<LoadedKernel> LoadVmlinux(const vm_memory::GuestMemory& memory,
                                         const base::OpenedRegularFile& file,
                                         const std::string& path) {
  absl::StatusOr<ElfKernel> elf = LoadElfKernel(
      memory, file.size, [&](uint64_t offset, absl::Span<uint8_t> out) {
        return base::PreadFully(file.fd.get(), offset, out, path);
      });
  if (!elf.ok()) {
    return base::WithContext(elf.status(), absl::StrCat("kernel ", path));
  }
  if (elf->start < kKernelAddress) {
    // Below 1 MiB lie the zero page, page tables, command line and ACPI.
    return absl::InvalidArgumentError(absl::StrFormat(
        "kernel %s: a segment starts at 0x%x, below 1 MiB", path, elf->start));
  }
  LoadedKernel kernel;
  kernel.zero_page.assign(kZeroPageSize, 0);
  base::StoreLe16(kernel.zero_page.data() + kBootFlagOffset, kBootFlag);
  base::StoreLe32(kernel.zero_page.data() + kHeaderMagicOffset, kHeaderMagic);
  base::StoreLe16(kernel.zero_page.data() + kVersionOffset, kElfProtocol);
  base::StoreLe32(kernel.zero_page.data() + kKernelAlignmentOffset, 0x1000000);
  kernel.entry = elf->entry;
  kernel.end = elf->end;
  kernel.cmdline_limit = kElfCmdlineLimit;
  kernel.initrd_addr_max = kElfInitrdAddrMax;
  base::StoreLe32(kernel.zero_page.data() + kCmdlineSizeOffset,
                  kElfCmdlineLimit);
  base::StoreLe32(kernel.zero_page.data() + kInitrdAddrMaxOffset,
                  kElfInitrdAddrMax);
  return kernel;
}

// The kernel, an ELF vmlinux or a bzImage, into guest RAM.
absl::StatusOr<LoadedKernel> LoadKernel(const vm_memory::GuestMemory& memory,
                                        const std::string& path) {
  ASSIGN_OR_RETURN(base::OpenedRegularFile file,
                   base::WithContext(base::OpenRegularFile(path), "kernel"));
  uint8_t magic[4] = {};
  const bool elf =
      file.size >= sizeof(magic) &&
      base::PreadFully(file.fd.get(), 0, absl::MakeSpan(magic), path).ok() &&
      IsElf(magic);
  if (elf) return LoadVmlinux(memory, file, path);
  const uint64_t size = file.size;
  ASSIGN_OR_RETURN(
      base::RegularFile image,
      base::WithContext(
          base::ReadOpenedRegularFile(path, std::move(file), size), "kernel"));
  return LoadBzImage(memory, image.bytes, path);
}

}  // namespace

absl::StatusOr<LinuxEntry> LoadLinux(const vm_memory::GuestMemory& memory,
                                     const LinuxBootRequest& request) {
  auto bad = [&](const std::string& why) {
    return absl::InvalidArgumentError(
        absl::StrFormat("kernel %s: %s", request.kernel_path, why));
  };
  ASSIGN_OR_RETURN(LoadedKernel kernel,
                   LoadKernel(memory, request.kernel_path));
  std::vector<uint8_t>& zero_page = kernel.zero_page;
  zero_page[kTypeOfLoaderOffset] = kLoaderTypeUndefined;
  zero_page[kLoadflagsOffset] |= 0x01;  // LOADED_HIGH

  // Command line (with its NUL), within the kernel's limit.
  const uint32_t cmdline_limit = kernel.cmdline_limit;
  if (request.cmdline.size() > cmdline_limit ||
      request.cmdline.size() >= kCmdlineMax) {
    return bad(
        absl::StrFormat("command line of %d bytes exceeds its limit of %d",
                        request.cmdline.size(), cmdline_limit));
  }
  std::vector<uint8_t> cmdline(request.cmdline.begin(), request.cmdline.end());
  cmdline.push_back(0);
  RETURN_IF_ERROR(WriteGuest(memory, kCmdlineAddress, cmdline, "command line"));
  base::StoreLe32(zero_page.data() + kCmdLinePtrOffset, kCmdlineAddress);

  // Initramfs: as high as the kernel allows, below the end of low RAM.
  if (request.initrd_path) {
    ASSIGN_OR_RETURN(std::vector<uint8_t> initrd,
                     ReadFile(*request.initrd_path, "initramfs"));
    uint64_t top = kernel.initrd_addr_max + 1;
    const vm_memory::MemoryRegion& low = *memory.regions().front();
    top = std::min(top, low.last().raw() + 1);
    const uint64_t kernel_end = kernel.end;
    if (initrd.size() > top ||
        ((top - initrd.size()) & ~uint64_t{0xfff}) < kernel_end) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "initramfs %s (%d bytes) does not fit in low guest RAM",
          *request.initrd_path, initrd.size()));
    }
    const uint64_t address = (top - initrd.size()) & ~uint64_t{0xfff};
    RETURN_IF_ERROR(WriteGuest(memory, address, initrd, "initramfs"));
    base::StoreLe32(zero_page.data() + kRamdiskImageOffset,
                    static_cast<uint32_t>(address));
    base::StoreLe32(zero_page.data() + kRamdiskSizeOffset,
                    static_cast<uint32_t>(initrd.size()));
  }

  if (request.e820.size() > kE820MaxEntries)
    return bad("too many E820 entries");
  zero_page[kE820EntriesOffset] = static_cast<uint8_t>(request.e820.size());
  const std::vector<uint8_t> e820 = linux_loader::EncodeE820(request.e820);
  std::memcpy(zero_page.data() + kE820TableOffset, e820.data(), e820.size());
  base::StoreLe64(zero_page.data() + kAcpiRsdpAddrOffset, request.rsdp_address);
  RETURN_IF_ERROR(WriteGuest(memory, kZeroPageAddress, zero_page, "zero page"));

  RETURN_IF_ERROR(WritePageTables(memory));
  RETURN_IF_ERROR(WriteGdt(memory));

  LinuxEntry entry{};
  entry.regs.rip = kernel.entry;
  entry.regs.rsi = kZeroPageAddress;
  entry.regs.rflags = 0x2;
  entry.regs.rsp = entry.regs.rbp = 0x8ff0;
  return entry;
}

}  // namespace vmm
