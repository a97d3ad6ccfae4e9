// The x86 I/O-port front end of fw_cfg (QEMU's q35 and i440fx layout):
//   base + 0..1 (0x510-0x511): selector and data, one 2-byte range;
//   dma_base + 0..7 (0x514-0x51b): the DMA address register.
//
// As in QEMU 7.2 (fw_cfg_comb_mem_ops): a 1-byte read at either port returns
// the next data byte; a 2-byte write at 0x510 selects (little-endian); all
// other accesses (inw/inl, which read 0, and outb/outl) change nothing.
// Wider reads starting at 0x511 are cut by the bus into the data byte and
// unassigned 0xff bytes beyond, which is what a guest sees on QEMU-KVM.
//
// AttachX86Mmio places the same registers on the MMIO bus (selector +0,
// data +1, DMA +4..+11) with a big-endian selector: what Linux's x86 driver
// assumes for a fw_cfg device whose ACPI resource is memory (its x86
// offsets FW_CFG_CTRL_OFF 0, FW_CFG_DATA_OFF 1, FW_CFG_DMA_OFF 4, and
// iowrite16be for the selector on MMIO). QEMU has no such device; its MMIO
// layout (mmio.h) has other offsets, which Linux's x86 driver reaches only
// through the command line of kernels built with FW_CFG_SYSFS_CMDLINE
// (Debian's are not).

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

  // The selector's byte order: little-endian on ports, big-endian on MMIO.
  enum class SelectorOrder { kLittleEndian, kBigEndian };

  explicit FwCfgIoPorts(std::shared_ptr<FwCfg> device,
                        SelectorOrder order = SelectorOrder::kLittleEndian)
      : device_(std::move(device)), order_(order) {}

  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::shared_ptr<FwCfg> device_;
  const SelectorOrder order_;
};

// Registers the ports on `bus`: selector/data at `base`, and, if the device
// has DMA, the DMA register at `dma_base`.
absl::Status AttachIoPorts(std::shared_ptr<FwCfg> device,
                           vm_device::PioBus& bus, uint16_t base = kIoPortBase,
                           uint16_t dma_base = kIoPortDmaBase);

// The x86 register block on the MMIO bus at `base` (see above): 0x0c bytes,
// the last 8 only with DMA.
inline constexpr uint64_t kX86MmioSize = 0x0c;
absl::Status AttachX86Mmio(std::shared_ptr<FwCfg> device,
                           vm_device::MmioBus& bus, uint64_t base);

}  // namespace fw_cfg

#endif  // FW_CFG_IO_PORTS_H_
