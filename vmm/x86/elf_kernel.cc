#include "vmm/x86/elf_kernel.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace vmm {
namespace {

// ELF64 header and program header fields (System V gABI).
constexpr size_t kElfHeaderSize = 64;
constexpr size_t kEiClass = 4;
constexpr size_t kEiData = 5;
constexpr uint8_t kElfClass64 = 2;
constexpr uint8_t kElfDataLittle = 1;
constexpr size_t kEType = 16;
constexpr size_t kEMachine = 18;
constexpr size_t kEEntry = 24;
constexpr size_t kEPhoff = 32;
constexpr size_t kEPhentsize = 54;
constexpr size_t kEPhnum = 56;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEmX86_64 = 62;
constexpr size_t kPhdrSize = 56;
constexpr uint32_t kPtLoad = 1;
// A kernel has a handful of segments; more is a malformed file.
constexpr uint16_t kMaxSegments = 64;

absl::Status Bad(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrFormat("ELF kernel: %s", why));
}

struct Segment {
  uint64_t offset, vaddr, paddr, filesz, memsz;
};

}  // namespace

bool IsElf(absl::Span<const uint8_t> image) {
  return image.size() >= 4 && image[0] == 0x7f && image[1] == 'E' &&
         image[2] == 'L' && image[3] == 'F';
}

absl::StatusOr<ElfKernel> LoadElfKernel(const vm_memory::GuestMemory& memory,
                                        uint64_t image_size,
                                        ElfReadAt read_at) {
  uint8_t header[kElfHeaderSize];
  if (image_size < kElfHeaderSize) return Bad("not an ELF file");
  RETURN_IF_ERROR(read_at(0, absl::MakeSpan(header)));
  if (!IsElf(header)) return Bad("not an ELF file");
  if (header[kEiClass] != kElfClass64 || header[kEiData] != kElfDataLittle ||
      base::LoadLe16(&header[kEMachine]) != kEmX86_64) {
    return Bad("not a 64-bit little-endian x86-64 file");
  }
  if (base::LoadLe16(&header[kEType]) != kEtExec) {
    return Bad("not an executable (ET_EXEC)");
  }
  const uint64_t phoff = base::LoadLe64(&header[kEPhoff]);
  const uint16_t phentsize = base::LoadLe16(&header[kEPhentsize]);
  const uint16_t phnum = base::LoadLe16(&header[kEPhnum]);
  if (phentsize != kPhdrSize || phnum == 0 || phnum > kMaxSegments ||
      phoff > image_size || image_size - phoff < uint64_t{phnum} * kPhdrSize) {
    return Bad("malformed program header table");
  }
  std::vector<uint8_t> table(uint64_t{phnum} * kPhdrSize);
  RETURN_IF_ERROR(read_at(phoff, absl::MakeSpan(table)));

  std::vector<Segment> loads;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint8_t* ph = &table[uint64_t{i} * kPhdrSize];
    if (base::LoadLe32(ph) != kPtLoad) continue;
    const Segment s{base::LoadLe64(ph + 8), base::LoadLe64(ph + 16),
                    base::LoadLe64(ph + 24), base::LoadLe64(ph + 32),
                    base::LoadLe64(ph + 40)};
    if (s.filesz > s.memsz || s.offset > image_size ||
        image_size - s.offset < s.filesz || s.paddr + s.memsz < s.paddr) {
      return Bad(absl::StrFormat("segment %d lies outside the file", i));
    }
    loads.push_back(s);
  }
  if (loads.empty()) return Bad("no PT_LOAD segment");

  ElfKernel kernel;
  kernel.start = UINT64_MAX;
  for (const Segment& s : loads) {
    // The whole segment inside one RAM region, read straight into it.
    absl::StatusOr<absl::Span<uint8_t>> target =
        memory.GetSlice(vm_memory::GuestAddress(s.paddr), s.memsz,
                        /*for_write=*/true);
    if (!target.ok()) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "ELF kernel: segment at 0x%x (%d bytes) does not fit in guest RAM",
          s.paddr, s.memsz));
    }
    RETURN_IF_ERROR(read_at(s.offset, target->subspan(0, s.filesz)));
    std::fill(target->begin() + s.filesz, target->end(), 0);
    kernel.start = std::min(kernel.start, s.paddr);
    kernel.end = std::max(kernel.end, s.paddr + s.memsz);
  }

  // e_entry is physical in a vmlinux; accept a virtual one too by mapping it
  // through the segment that holds it.
  const uint64_t entry = base::LoadLe64(&header[kEEntry]);
  for (const Segment& s : loads) {
    if (entry - s.paddr < s.memsz) {
      kernel.entry = entry;
      return kernel;
    }
  }
  for (const Segment& s : loads) {
    if (entry - s.vaddr < s.memsz) {
      kernel.entry = s.paddr + (entry - s.vaddr);
      return kernel;
    }
  }
  return Bad(
      absl::StrFormat("entry point 0x%x is in no loaded segment", entry));
}

absl::StatusOr<ElfKernel> LoadElfKernel(const vm_memory::GuestMemory& memory,
                                        absl::Span<const uint8_t> image) {
  return LoadElfKernel(
      memory, image.size(), [image](uint64_t offset, absl::Span<uint8_t> out) {
        // LoadElfKernel asks only for ranges inside the image.
        std::copy_n(image.begin() + offset, out.size(), out.begin());
        return absl::OkStatus();
      });
}

}  // namespace vmm
