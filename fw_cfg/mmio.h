// The MMIO front end of fw_cfg (QEMU's arm `virt` layout, 0x18 bytes):
//   base + 0..7:   data, 1/2/4/8-byte reads at offset 0 only;
//   base + 8..9:   selector, one aligned 2-byte big-endian write;
//   base + 16..23: the DMA address register (big-endian).
// base + 10..15 belong to no register and read as unassigned.
//
// As in QEMU 7.2 (fw_cfg_data_mem_ops widened to 8 bytes, fw_cfg_ctl_mem_ops):
// a data read of N bytes returns the next N bytes of the item in memory order
// ("string-preserving"), zero-padded past the end; data reads at offsets 1-7
// return 0 and do not advance; data writes are ignored; the selector reads 0
// and ignores writes of any other width (`writel base+8` selects nothing).

#ifndef FW_CFG_MMIO_H_
#define FW_CFG_MMIO_H_

#include <cstdint>
#include <memory>

#include "absl/status/status.h"
#include "fw_cfg/fw_cfg.h"
#include "vm-device/bus.h"
#include "vm-device/bus_device.h"

namespace fw_cfg {

class FwCfgMmioData : public vm_device::BusDevice {
 public:
  static constexpr uint64_t kSize = 8;

  explicit FwCfgMmioData(std::shared_ptr<FwCfg> device)
      : device_(std::move(device)) {}

  vm_device::AccessWidths Widths() const override { return {1, 8, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t, absl::Span<const uint8_t>) override {}

 private:
  const std::shared_ptr<FwCfg> device_;
};

class FwCfgMmioSelector : public vm_device::BusDevice {
 public:
  static constexpr uint64_t kSize = 2;

  explicit FwCfgMmioSelector(std::shared_ptr<FwCfg> device)
      : device_(std::move(device)) {}

  void Read(uint64_t, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::shared_ptr<FwCfg> device_;
};

// The register block's offsets and extent.
inline constexpr uint64_t kMmioDataOffset = 0;
inline constexpr uint64_t kMmioSelectorOffset = 8;
inline constexpr uint64_t kMmioDmaOffset = 16;
inline constexpr uint64_t kMmioSize = 0x18;

// Registers the three MMIO registers on `bus` at `base` (DMA only if the
// device has it).
absl::Status AttachMmio(std::shared_ptr<FwCfg> device, vm_device::MmioBus& bus,
                        uint64_t base);

}  // namespace fw_cfg

#endif  // FW_CFG_MMIO_H_
