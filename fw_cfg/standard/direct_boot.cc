#include "fw_cfg/standard/direct_boot.h"

#include <memory>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/regular_file.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"

namespace fw_cfg {
absl::Status AddX86DirectBoot(FwCfg& device,
                              const X86DirectBootRequest& request) {
  absl::StatusOr<base::RegularFile> kernel =
      base::ReadRegularFile(request.kernel_path, kX86DirectBootHeadSize);
  RETURN_IF_ERROR(base::WithContext(kernel.status(), "kernel"));

  std::optional<uint64_t> initrd_size;
  if (request.initrd_path) {
    absl::StatusOr<base::RegularFile> initrd =
        base::ReadRegularFile(*request.initrd_path, 0);
    RETURN_IF_ERROR(base::WithContext(initrd.status(), "initramfs"));
    initrd_size = initrd->size;
  }

  absl::StatusOr<X86DirectBoot> plan = PlanX86DirectBoot(
      kernel->bytes, kernel->size, request.cmdline, initrd_size,
      request.ram_below_4g, request.acpi_data_size);
  RETURN_IF_ERROR(base::WithContext(plan.status(), request.kernel_path));

  if (request.publish_kernel) {
    RETURN_IF_ERROR(device.SetLe32(kSetupAddr, plan->setup_addr));
    RETURN_IF_ERROR(device.SetLe32(kSetupSize, plan->setup_size()));
    ASSIGN_OR_RETURN(std::shared_ptr<Item> setup, MakeBytesItem(plan->setup));
    RETURN_IF_ERROR(device.SetItem(kSetupData, std::move(setup)));
    RETURN_IF_ERROR(device.SetLe32(kKernelAddr, plan->kernel_addr));
    RETURN_IF_ERROR(device.SetLe32(kKernelSize, plan->kernel_size));
    absl::StatusOr<std::shared_ptr<Item>> body = MakeFileRangeItem(
        request.kernel_path, plan->kernel_file_offset, plan->kernel_size);
    RETURN_IF_ERROR(base::WithContext(body.status(), "kernel"));
    RETURN_IF_ERROR(device.SetItem(kKernelData, *std::move(body)));
  }
  if (request.publish_initrd && plan->has_initrd) {
    RETURN_IF_ERROR(device.SetLe32(kInitrdAddr, plan->initrd_addr));
    RETURN_IF_ERROR(device.SetLe32(kInitrdSize, plan->initrd_size));
    absl::StatusOr<std::shared_ptr<Item>> data =
        MakeFileRangeItem(*request.initrd_path, 0, plan->initrd_size);
    RETURN_IF_ERROR(base::WithContext(data.status(), "initramfs"));
    RETURN_IF_ERROR(device.SetItem(kInitrdData, *std::move(data)));
  }
  if (request.publish_cmdline) {
    RETURN_IF_ERROR(device.SetLe32(kCmdlineAddr, plan->cmdline_addr));
    RETURN_IF_ERROR(device.SetLe32(kCmdlineSize, plan->cmdline_size()));
    ASSIGN_OR_RETURN(std::shared_ptr<Item> text,
                     MakeStringItem(plan->cmdline_data));  // Holds its NUL.
    RETURN_IF_ERROR(device.SetItem(kCmdlineData, std::move(text)));
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
