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
#include "base/status_macros.h"

namespace vmm {
namespace {

using vm_memory::GuestAddress;
using vm_memory::MemoryRegion;

constexpr uint64_t kOneMiB = 1 << 20;
constexpr uint64_t kFourGiB = uint64_t{1} << 32;

// A sealed memfd holding `bytes`.
absl::StatusOr<int> SealedCopy(const std::vector<uint8_t>& bytes) {
  const int fd = memfd_create("firmware", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    return absl::InternalError(
        absl::StrFormat("memfd_create: %s", std::strerror(errno)));
  }
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return absl::InternalError(absl::StrFormat(
          "writing the firmware copy: %s", std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  if (fcntl(fd, F_ADD_SEALS,
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
    const int error = errno;
    close(fd);
    return absl::InternalError(
        absl::StrFormat("sealing the firmware copy: %s", std::strerror(error)));
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
  if (!file.ok()) {
    return absl::Status(
        file.status().code(),
        absl::StrFormat("--firmware: %s", file.status().message()));
  }
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
  RETURN_IF_ERROR(add_ram(0, kOneMiB - isa_size));
  RETURN_IF_ERROR(add_ram(kOneMiB, ram[0].size - kOneMiB));
  for (size_t i = 1; i < ram.size(); ++i) {
    RETURN_IF_ERROR(add_ram(ram[i].start.raw(), ram[i].size));
  }

  ASSIGN_OR_RETURN(const int fd, SealedCopy(file->bytes));
  absl::StatusOr<std::unique_ptr<MemoryRegion>> high =
      MemoryRegion::CreateFromFile(GuestAddress(kFourGiB - size), size, fd, 0,
                                   vm_memory::RegionAccess::kReadOnly);
  absl::StatusOr<std::unique_ptr<MemoryRegion>> isa =
      MemoryRegion::CreateFromFile(GuestAddress(kOneMiB - isa_size), isa_size,
                                   fd, size - isa_size,
                                   vm_memory::RegionAccess::kReadOnly);
  close(fd);  // Each mapping holds its own reference.
  if (!high.ok()) return high.status();
  if (!isa.ok()) return isa.status();
  regions.push_back(*std::move(high));
  regions.push_back(*std::move(isa));
  return vm_memory::GuestMemory::Create(std::move(regions));
}

}  // namespace vmm
