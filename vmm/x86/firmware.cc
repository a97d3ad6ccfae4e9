#include "vmm/x86/firmware.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;
using vm_memory::MemoryRegion;

constexpr uint64_t kOneMiB = 1 << 20;
constexpr uint64_t kFourGiB = uint64_t{1} << 32;

// A sealed memfd holding `bytes`.
absl::StatusOr<base::UniqueFd> SealedCopy(const std::vector<uint8_t>& bytes) {
  base::UniqueFd fd(memfd_create("firmware", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return absl::ErrnoToStatus(errno, "memfd_create");
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "writing the firmware copy");
    if (n == 0)
      return absl::InternalError("writing the firmware copy: no progress");
    done += static_cast<size_t>(n);
  }
  if (fcntl(fd.get(), F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    return absl::ErrnoToStatus(errno, "sealing the firmware copy");
  }
  return fd;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const vm_memory::GuestMemory>>
CreateMemoryWithFirmware(absl::Span<const vm_memory::RegionLayout> ram,
                         const std::string& path) {
  // Reads no more than an image may hold, whatever the file's size.
  absl::StatusOr<base::RegularFile> file =
      base::ReadRegularFile(path, kMaxFirmwareSize);
  if (!file.ok()) return base::WithContext(file.status(), "--firmware");
  const uint64_t size = file->size;
  if (size == 0 || size % kFirmwareGranule != 0 || size > kMaxFirmwareSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "--firmware %s: %d bytes; a firmware image must be a non-zero "
        "multiple of 64 KiB and at most 16 MiB",
        path, size));
  }
  if (ram.empty() || ram[0].start.raw() != 0 || ram[0].size < kOneMiB) {
    return absl::InvalidArgumentError(
        "--firmware needs low RAM from 0 to at least 1 MiB");
  }
  const uint64_t isa_size = std::min(size, kIsaBiosMaxSize);

  std::vector<std::unique_ptr<MemoryRegion>> regions;
  auto add_ram = [&regions](uint64_t start, uint64_t length) -> absl::Status {
    if (length == 0) return absl::OkStatus();
    ASSIGN_OR_RETURN(
        std::unique_ptr<MemoryRegion> region,
        MemoryRegion::CreateAnonymous(GuestAddress(start), length));
    regions.push_back(std::move(region));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(add_ram(0, ram[0].size));
  for (size_t i = 1; i < ram.size(); ++i) {
    RETURN_IF_ERROR(add_ram(ram[i].start.raw(), ram[i].size));
  }

  // Each mapping holds its own reference to the copy; `fd` closes on return.
  // The image ends at 4 GiB, read-only (a sealed copy: the guest keeps the
  // image it was started with whatever happens to the file).
  ASSIGN_OR_RETURN(const base::UniqueFd fd, SealedCopy(file->bytes));
  ASSIGN_OR_RETURN(std::unique_ptr<MemoryRegion> high,
                   MemoryRegion::CreateFromFile(
                       GuestAddress(kFourGiB - size), size, fd.get(), 0,
                       vm_memory::RegionAccess::kReadOnly));
  regions.push_back(std::move(high));
  ASSIGN_OR_RETURN(std::shared_ptr<const vm_memory::GuestMemory> memory,
                   vm_memory::GuestMemory::Create(std::move(regions)));
  // Its last 128 KiB are also below 1 MiB, as a copy in RAM that the
  // firmware may write: SeaBIOS keeps its data in the F segment and the
  // ACPI linker/loader puts the RSDP there. QEMU's machines without PCI
  // (isapc, microvm) map that area as RAM; q35 and i440fx start with it
  // read-only and unlock it through the host bridge's PAM registers, which a
  // machine without PCI does not have.
  RETURN_IF_ERROR(memory->Write(
      GuestAddress(kOneMiB - isa_size),
      absl::MakeConstSpan(file->bytes).subspan(size - isa_size, isa_size)));
  return memory;
}

}  // namespace vmm
