#include "fw_cfg/mmio.h"

#include <algorithm>

#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/dma_register.h"

namespace fw_cfg {

void FwCfgMmioData::Read(uint64_t offset, absl::Span<uint8_t> data) {
  if (offset == 0) {
    device_->ReadData(data);
  } else {
    std::fill(data.begin(), data.end(), 0);  // QEMU: only offset 0 is valid.
  }
}

void FwCfgMmioSelector::Read(uint64_t, absl::Span<uint8_t> data) {
  std::fill(data.begin(), data.end(), 0);
}

void FwCfgMmioSelector::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  if (offset == 0 && data.size() == 2) {
    device_->Select(base::LoadBe16(data.data()));
  }
}

absl::Status AttachMmio(std::shared_ptr<FwCfg> device, vm_device::MmioBus& bus,
                        uint64_t base) {
  uint64_t last;
  if (__builtin_add_overflow(base, kMmioSize - 1, &last)) {
    return absl::InvalidArgumentError("fw_cfg MMIO base too close to 2^64");
  }
  RETURN_IF_ERROR(bus.Insert(std::make_shared<FwCfgMmioData>(device),
                             base + kMmioDataOffset, FwCfgMmioData::kSize));
  absl::Status status =
      bus.Insert(std::make_shared<FwCfgMmioSelector>(device),
                 base + kMmioSelectorOffset, FwCfgMmioSelector::kSize);
  if (status.ok() && device->dma_enabled()) {
    status = bus.Insert(std::make_shared<FwCfgDmaRegister>(device),
                        base + kMmioDmaOffset, FwCfgDmaRegister::kSize);
    if (!status.ok()) (void)bus.Remove(base + kMmioSelectorOffset);
  }
  if (!status.ok()) (void)bus.Remove(base + kMmioDataOffset);
  return status;
}

}  // namespace fw_cfg
