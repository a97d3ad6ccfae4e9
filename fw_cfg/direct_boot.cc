#include "fw_cfg/direct_boot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {
namespace {

// The size of a regular file, and its first `head_size` bytes (or all of it).
struct FileHead {
  uint64_t size = 0;
  std::vector<uint8_t> head;
};

absl::StatusOr<FileHead> ReadHead(const std::string& path, size_t head_size) {
  // O_NONBLOCK: a FIFO given by mistake must not hang start-up.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return absl::NotFoundError(
        absl::StrFormat("cannot open %s: %s", path, std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(
        absl::StrFormat("%s is not a regular file", path));
  }
  FileHead result;
  result.size = static_cast<uint64_t>(st.st_size);
  result.head.resize(std::min<uint64_t>(result.size, head_size));
  size_t done = 0;
  while (done < result.head.size()) {
    const ssize_t n =
        pread(fd, result.head.data() + done, result.head.size() - done,
              static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : 0;
      close(fd);
      return absl::DataLossError(
          absl::StrFormat("reading %s: %s", path,
                          error ? std::strerror(error) : "file shrank"));
    }
    done += static_cast<size_t>(n);
  }
  close(fd);
  return result;
}

absl::Status WithContext(const absl::Status& status, const std::string& what) {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrFormat("%s: %s", what, status.message()));
}

}  // namespace

absl::Status AddX86DirectBoot(FwCfg& device,
                              const X86DirectBootRequest& request) {
  absl::StatusOr<FileHead> kernel =
      ReadHead(request.kernel_path, kX86DirectBootHeadSize);
  RETURN_IF_ERROR(WithContext(kernel.status(), "kernel"));

  std::optional<uint64_t> initrd_size;
  if (request.initrd_path) {
    absl::StatusOr<FileHead> initrd = ReadHead(*request.initrd_path, 0);
    RETURN_IF_ERROR(WithContext(initrd.status(), "initramfs"));
    initrd_size = initrd->size;
  }

  absl::StatusOr<X86DirectBoot> plan = PlanX86DirectBoot(
      kernel->head, kernel->size, request.cmdline, initrd_size,
      request.ram_below_4g, request.acpi_data_size);
  RETURN_IF_ERROR(WithContext(plan.status(), request.kernel_path));

  if (request.publish_kernel) {
    RETURN_IF_ERROR(device.SetItem(kSetupAddr, MakeLe32Item(plan->setup_addr)));
    RETURN_IF_ERROR(
        device.SetItem(kSetupSize, MakeLe32Item(plan->setup_size())));
    ASSIGN_OR_RETURN(std::shared_ptr<Item> setup, MakeBytesItem(plan->setup));
    RETURN_IF_ERROR(device.SetItem(kSetupData, std::move(setup)));
    RETURN_IF_ERROR(
        device.SetItem(kKernelAddr, MakeLe32Item(plan->kernel_addr)));
    RETURN_IF_ERROR(
        device.SetItem(kKernelSize, MakeLe32Item(plan->kernel_size)));
    absl::StatusOr<std::shared_ptr<Item>> body = MakeFileRangeItem(
        request.kernel_path, plan->kernel_file_offset, plan->kernel_size);
    RETURN_IF_ERROR(WithContext(body.status(), "kernel"));
    RETURN_IF_ERROR(device.SetItem(kKernelData, *std::move(body)));
  }
  if (request.publish_initrd && plan->has_initrd) {
    RETURN_IF_ERROR(
        device.SetItem(kInitrdAddr, MakeLe32Item(plan->initrd_addr)));
    RETURN_IF_ERROR(
        device.SetItem(kInitrdSize, MakeLe32Item(plan->initrd_size)));
    absl::StatusOr<std::shared_ptr<Item>> data =
        MakeFileRangeItem(*request.initrd_path, 0, plan->initrd_size);
    RETURN_IF_ERROR(WithContext(data.status(), "initramfs"));
    RETURN_IF_ERROR(device.SetItem(kInitrdData, *std::move(data)));
  }
  if (request.publish_cmdline) {
    RETURN_IF_ERROR(
        device.SetItem(kCmdlineAddr, MakeLe32Item(plan->cmdline_addr)));
    RETURN_IF_ERROR(
        device.SetItem(kCmdlineSize, MakeLe32Item(plan->cmdline_size())));
    ASSIGN_OR_RETURN(std::shared_ptr<Item> text,
                     MakeStringItem(plan->cmdline_data));  // Holds its NUL.
    RETURN_IF_ERROR(device.SetItem(kCmdlineData, std::move(text)));
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
