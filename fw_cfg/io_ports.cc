#include "fw_cfg/io_ports.h"

#include <algorithm>
#include <utility>

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

namespace {

// The selector/data pair at `base` and, with DMA, the DMA register at
// `dma_base`; on failure the bus is left as it was.
absl::Status AttachRegisters(std::shared_ptr<FwCfg> device,
                             FwCfgIoPorts::SelectorOrder order,
                             vm_device::Bus& bus, uint64_t base,
                             uint64_t dma_base) {
  RETURN_IF_ERROR(bus.Insert(std::make_shared<FwCfgIoPorts>(device, order),
                             base, FwCfgIoPorts::kSize));
  if (device->dma_enabled()) {
    absl::Status status = bus.Insert(std::make_shared<FwCfgDmaRegister>(device),
                                     dma_base, FwCfgDmaRegister::kSize);
    if (!status.ok()) {
      (void)bus.Remove(base);
      return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status AttachIoPorts(std::shared_ptr<FwCfg> device,
                           vm_device::PioBus& bus, uint16_t base,
                           uint16_t dma_base) {
  return AttachRegisters(std::move(device),
                         FwCfgIoPorts::SelectorOrder::kLittleEndian, bus, base,
                         dma_base);
}

absl::Status AttachX86Mmio(std::shared_ptr<FwCfg> device,
                           vm_device::MmioBus& bus, uint64_t base) {
  return AttachRegisters(std::move(device),
                         FwCfgIoPorts::SelectorOrder::kBigEndian, bus, base,
                         base + 4);
}

}  // namespace fw_cfg
