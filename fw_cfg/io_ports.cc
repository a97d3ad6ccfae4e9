#include "fw_cfg/io_ports.h"

#include <algorithm>

#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/dma_register.h"

namespace fw_cfg {

void FwCfgIoPorts::Read(uint64_t, absl::Span<uint8_t> data) {
  if (data.size() == 1) {
    device_->ReadData(data);
  } else {
    std::fill(data.begin(), data.end(), 0);  // Invalid width: QEMU reads 0.
  }
}

void FwCfgIoPorts::Write(uint64_t, absl::Span<const uint8_t> data) {
  // Byte writes were the data write channel, removed in QEMU 2.4.
  if (data.size() != 2) return;
  device_->Select(order_ == SelectorOrder::kLittleEndian
                      ? base::LoadLe16(data.data())
                      : base::LoadBe16(data.data()));
}

absl::Status AttachX86Mmio(std::shared_ptr<FwCfg> device,
                           vm_device::MmioBus& bus, uint64_t base) {
  RETURN_IF_ERROR(
      bus.Insert(std::make_shared<FwCfgIoPorts>(
                     device, FwCfgIoPorts::SelectorOrder::kBigEndian),
                 base, FwCfgIoPorts::kSize));
  if (device->dma_enabled()) {
    absl::Status status = bus.Insert(std::make_shared<FwCfgDmaRegister>(device),
                                     base + 4, FwCfgDmaRegister::kSize);
    if (!status.ok()) {
      (void)bus.Remove(base);  // Leave the bus as it was.
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status AttachIoPorts(std::shared_ptr<FwCfg> device,
                           vm_device::PioBus& bus, uint16_t base,
                           uint16_t dma_base) {
  RETURN_IF_ERROR(bus.Insert(std::make_shared<FwCfgIoPorts>(device), base,
                             FwCfgIoPorts::kSize));
  if (device->dma_enabled()) {
    absl::Status status = bus.Insert(std::make_shared<FwCfgDmaRegister>(device),
                                     dma_base, FwCfgDmaRegister::kSize);
    if (!status.ok()) {
      (void)bus.Remove(base);  // Leave the bus as it was.
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace fw_cfg
