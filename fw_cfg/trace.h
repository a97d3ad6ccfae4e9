// Trace events of the fw_cfg device, named and formatted as QEMU 7.2's
// (hw/nvram/trace-events), so that a VMM embedding the device can route
// them into its own tracing and a trace of ours lines up with QEMU's
// `-trace 'fw_cfg*'`. One event is ours: fw_cfg_dma_transfer (QEMU traces
// no DMA transfer).
//
//   // Every event, as QEMU's lines, to stderr:
//   auto printer = std::make_shared<fw_cfg::TracePrinter>(
//       fw_cfg::TraceEventNames(),
//       [](std::string_view line) { std::fwrite(line.data(), 1, line.size(),
//                                               stderr); });
//   FwCfg::Create(memory, {.trace = printer});
//
// Or derive from TraceSink and take the events as values.

#ifndef FW_CFG_TRACE_H_
#define FW_CFG_TRACE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fw_cfg {

// Which architecture's names the architecture-local keys (0x8000-0x801f)
// get: QEMU names x86's (acpi_tables, ..., hpet) and no other's.
enum class TraceArch { kX86, kOther };

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

  // fw_cfg_add_bytes: an item of `size` bytes was put at numbered key `key`
  // (the device's own signature, ID and directory included, at creation).
  virtual void AddBytes(const void* /*device*/, uint16_t /*key*/,
                        uint64_t /*size*/) {}
  // fw_cfg_add_i16 / _i32 / _i64 (`bits` 16, 32, 64) and fw_cfg_add_string:
  // FwCfg::SetLe16 and friends report the value, then AddBytes, as QEMU.
  virtual void AddInteger(const void* /*device*/, uint16_t /*key*/,
                          int /*bits*/, uint64_t /*value*/) {}
  virtual void AddString(const void* /*device*/, uint16_t /*key*/,
                         std::string_view /*value*/) {}
  // fw_cfg_add_file: file `name` went in at position `index` of the sorted
  // directory (its key then is 0x20 + index; later names may shift it).
  virtual void AddFile(const void* /*device*/, uint32_t /*index*/,
                       std::string_view /*name*/, uint64_t /*size*/) {}
  // fw_cfg_dma_transfer (ours): one DMA request, after it ran.
  struct DmaTransfer {
    uint64_t descriptor;   // guest-physical address of the descriptor
    bool descriptor_read;  // false: unreadable, nothing else was looked at
    uint32_t control;      // as the guest wrote them
    uint32_t length;
    uint64_t address;
    bool error;  // the status the device wrote back
  };
  virtual void Dma(const void* /*device*/, const DmaTransfer& /*transfer*/) {}
};

// Every event name, sorted: "fw_cfg_add_bytes", ..., "fw_cfg_select".
std::vector<std::string> TraceEventNames();

// A sink that formats the `enabled` events (names from TraceEventNames())
// as QEMU's lines for a machine of `arch`, newline included, and hands each
// line to `output`.
class TracePrinter : public TraceSink {
 public:
  TracePrinter(const std::vector<std::string>& enabled,
               std::function<void(std::string_view line)> output,
               TraceArch arch = TraceArch::kX86);

  void Select(const void* device, uint16_t key, bool valid) override;
  void Read(const void* device, uint64_t value) override;
  void AddBytes(const void* device, uint16_t key, uint64_t size) override;
  void AddInteger(const void* device, uint16_t key, int bits,
                  uint64_t value) override;
  void AddString(const void* device, uint16_t key,
                 std::string_view value) override;
  void AddFile(const void* device, uint32_t index, std::string_view name,
               uint64_t size) override;
  void Dma(const void* device, const DmaTransfer& transfer) override;

 private:
  // Bit i is the i-th name of trace.cc's kEventNames.
  enum Event : uint32_t {
    kSelect = 1 << 0,
    kRead = 1 << 1,
    kAddBytes = 1 << 2,
    kAddI16 = 1 << 3,
    kAddI32 = 1 << 4,
    kAddI64 = 1 << 5,
    kAddString = 1 << 6,
    kAddFile = 1 << 7,
    kDma = 1 << 8,
  };
  uint32_t enabled_ = 0;
  const std::function<void(std::string_view)> output_;
  const TraceArch arch_;
};

// The name QEMU's trace gives a key: the well-known numbered keys
// ("signature", "file_dir", "irq0_override", ...; QEMU's spelling, typo
// "initdr_size" included), "unknown" for the others and for every file.
std::string_view TraceKeyName(uint16_t key, TraceArch arch = TraceArch::kX86);

// "fw_cfg_select 0x55d0c1a0 key 0x0019 'file_dir', ret: 1\n", QEMU's line.
std::string FormatSelectEvent(const void* device, uint16_t key, bool valid,
                              TraceArch arch = TraceArch::kX86);

// "fw_cfg_read 0x55d0c1a0 = 0x51\n", QEMU's line.
std::string FormatReadEvent(const void* device, uint64_t value);

// QEMU's lines for the add events:
//   fw_cfg_add_bytes key 0x0000 'signature', 4 bytes
//   fw_cfg_add_i16 key 0x0004 'nographic', value 0x0
//   fw_cfg_add_string key 0x0009 'kernel_cmdline', value 'quiet'
//   fw_cfg_add_file 0x55d0c1a0 #2: etc/e820 (40 bytes)
std::string FormatAddBytesEvent(uint16_t key, uint64_t size,
                                TraceArch arch = TraceArch::kX86);
std::string FormatAddIntegerEvent(uint16_t key, int bits, uint64_t value,
                                  TraceArch arch = TraceArch::kX86);
std::string FormatAddStringEvent(uint16_t key, std::string_view value,
                                 TraceArch arch = TraceArch::kX86);
std::string FormatAddFileEvent(const void* device, uint32_t index,
                               std::string_view name, uint64_t size);

// Ours, in QEMU's style:
//   fw_cfg_dma_transfer 0x55d0c1a0 descriptor 0x1000 control 0x19000a
//       length 2052 address 0x2000: ok
//   fw_cfg_dma_transfer 0x55d0c1a0 descriptor 0x1000: unreadable, error
std::string FormatDmaEvent(const void* device,
                           const TraceSink::DmaTransfer& transfer);

}  // namespace fw_cfg

#endif  // FW_CFG_TRACE_H_
