// Trace events of the fw_cfg device, named and formatted as QEMU 7.2's
// (hw/nvram/trace-events), so that a VMM embedding the device can route
// them into its own tracing and a trace of ours lines up with QEMU's
// `-trace fw_cfg_select`.
//
//   class Printer : public fw_cfg::TraceSink {
//     void Select(const void* device, uint16_t key, bool valid) override {
//       std::fputs(fw_cfg::FormatSelectEvent(device, key, valid).c_str(), f);
//     }
//   };
//   FwCfg::Create(memory, {.trace = std::make_shared<Printer>()});

#ifndef FW_CFG_TRACE_H_
#define FW_CFG_TRACE_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace fw_cfg {

// Receives the device's events. Called with the device's lock held, like
// item callbacks (item.h): it must not call back into the device.
class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // fw_cfg_select: `key` was selected through the selector register or a
  // DMA descriptor. `valid` is QEMU's `ret`: whether the key lies below the
  // last file slot (QEMU then selects "no item").
  virtual void Select(const void* device, uint16_t key, bool valid) = 0;
  // fw_cfg_read: a data-register read returned `value` (the bytes read,
  // first byte most significant, as QEMU composes it); after each DMA
  // transfer QEMU reports a read of 0, and so do we. A sink that only wants
  // selects need not override it.
  virtual void Read(const void* /*device*/, uint64_t /*value*/) {}
};

// The name QEMU's trace gives a key: the well-known numbered keys
// ("signature", "file_dir", "irq0_override", ...; QEMU's spelling, typo
// "initdr_size" included), "unknown" for the others and for every file.
std::string_view TraceKeyName(uint16_t key);

// "fw_cfg_select 0x55d0c1a0 key 0x0019 'file_dir', ret: 1\n", QEMU's line.
std::string FormatSelectEvent(const void* device, uint16_t key, bool valid);

// "fw_cfg_read 0x55d0c1a0 = 0x51\n", QEMU's line.
std::string FormatReadEvent(const void* device, uint64_t value);

}  // namespace fw_cfg

#endif  // FW_CFG_TRACE_H_
