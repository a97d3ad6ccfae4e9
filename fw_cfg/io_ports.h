// The x86 I/O-port front end of fw_cfg (QEMU's q35 and i440fx layout):
//   base + 0..1 (0x510-0x511): selector and data, one 2-byte range;
//   dma_base + 0..7 (0x514-0x51b): the DMA address register.
//
// As in QEMU 7.2 (fw_cfg_comb_mem_ops): a 1-byte read at either port returns
// the next data byte; a 2-byte write at 0x510 selects (little-endian); all
// other accesses (inw/inl, which read 0, and outb/outl) change nothing.
// Wider reads starting at 0x511 are cut by the bus into the data byte and
// unassigned 0xff bytes beyond, which is what a guest sees on QEMU-KVM.

#ifndef FW_CFG_IO_PORTS_H_
#define FW_CFG_IO_PORTS_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/keys.h"
#include "vm-device/bus.h"
#include "vm-device/bus_device.h"

namespace fw_cfg {

// The selector/data port pair.
class FwCfgIoPorts : public vm_device::BusDevice {
 public:
  static constexpr uint64_t kSize = 2;

  explicit FwCfgIoPorts(std::shared_ptr<FwCfg> device)
      : device_(std::move(device)) {}

  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::shared_ptr<FwCfg> device_;
};

// Registers the ports on `bus`: selector/data at `base`, and, if the device
// has DMA, the DMA register at `dma_base`.
absl::Status AttachIoPorts(std::shared_ptr<FwCfg> device,
                           vm_device::PioBus& bus, uint16_t base = kIoPortBase,
                           uint16_t dma_base = kIoPortDmaBase);

}  // namespace fw_cfg

#endif  // FW_CFG_IO_PORTS_H_
