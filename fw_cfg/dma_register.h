// FwCfgDmaRegister: the 8-byte big-endian DMA address register, shared by
// both front ends (x86 ports 0x514-0x51b, MMIO base + 16).
//
// As in QEMU 7.2 (fw_cfg_dma_mem_ops): reads of any width return the bytes
// of the signature "QEMU CFG" at that offset; only three writes do anything:
// 4 bytes at offset 0 (high half), 4 bytes at offset 4 (low half, which
// starts the transfer) and 8 bytes at offset 0 (whole address, starts it).
// Every other write is ignored. Widths: 1 to 8 bytes, aligned.

#ifndef FW_CFG_DMA_REGISTER_H_
#define FW_CFG_DMA_REGISTER_H_

#include <cstdint>
#include <memory>

#include "fw_cfg/fw_cfg.h"
#include "vm-device/bus_device.h"

namespace fw_cfg {

class FwCfgDmaRegister : public vm_device::BusDevice {
 public:
  static constexpr uint64_t kSize = 8;

  explicit FwCfgDmaRegister(std::shared_ptr<FwCfg> device)
      : device_(std::move(device)) {}

  vm_device::AccessWidths Widths() const override { return {1, 8, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::shared_ptr<FwCfg> device_;
};

}  // namespace fw_cfg

#endif  // FW_CFG_DMA_REGISTER_H_
