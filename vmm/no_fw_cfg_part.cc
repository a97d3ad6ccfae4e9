// The VMM built without the fw_cfg device (--//vmm:fw_cfg=false): nothing of
// //fw_cfg is linked. See fw_cfg_part.h.

#include "absl/status/status.h"
#include "vmm/fw_cfg_part.h"

namespace vmm {

struct FwCfgOption {};

bool FwCfgBuiltIn() { return false; }

std::vector<std::string> FwCfgTraceEvents() { return {}; }

absl::StatusOr<std::shared_ptr<const FwCfgOption>> ParseFwCfgOption(
    std::string_view) {
  return absl::InvalidArgumentError(
      "this vmm was built without fw_cfg (--//vmm:fw_cfg=false)");
}

bool FwCfgVmcoreinfoEnabled(const FwCfgOption&) { return false; }

std::vector<std::string> FwCfgOptionWarnings(const FwCfgOption&) { return {}; }

struct FwCfgDevice {};

absl::StatusOr<std::shared_ptr<FwCfgDevice>> AttachFwCfg(
    const FwCfgMachine&, const std::shared_ptr<const vm_memory::GuestMemory>&,
    vm_device::PioBus&, vm_device::MmioBus&, std::vector<std::string>&) {
  return nullptr;
}

// No FwCfgDevice ever exists here, so none of these is reached.
std::vector<FwCfgFileEntry> FwCfgListFiles(FwCfgDevice&) { return {}; }

absl::Status FwCfgAddFile(FwCfgDevice&, std::string_view,
                          const FwCfgItemSource&) {
  return absl::UnimplementedError("built without fw_cfg");
}

absl::Status FwCfgModifyFile(FwCfgDevice&, std::string_view,
                             const FwCfgItemSource&) {
  return absl::UnimplementedError("built without fw_cfg");
}

std::optional<FwCfgVmcoreinfo> FwCfgLastVmcoreinfo(FwCfgDevice&) {
  return std::nullopt;
}

absl::StatusOr<std::vector<uint8_t>> FwCfgSaveState(FwCfgDevice&) {
  return absl::UnimplementedError("built without fw_cfg");
}

absl::Status FwCfgRestoreState(FwCfgDevice&, absl::Span<const uint8_t>) {
  return absl::UnimplementedError("built without fw_cfg");
}

}  // namespace vmm
