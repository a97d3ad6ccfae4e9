// BusDevice: what a device implements to sit on a PioBus or an MmioBus.
//
// Mirrors rust-vmm's `BusDevice` / `MutDeviceMmio` and Cloud Hypervisor's
// `BusDevice`, with the access-size rules of QEMU's MemoryRegionOps, because
// guests are written against what QEMU does with odd-sized accesses.
//
// A device is called with an offset relative to the start of the range it was
// inserted at, and a span in guest byte order (a 4-byte little-endian port
// read of value V is the bytes of V, least significant first). The bus has
// already cut the guest's access to the widths the device declares, so
// `data.size()` is a power of two within [min, max] and, unless the device
// allows unaligned accesses, `offset` is a multiple of it. As in QEMU, the
// bus does not cut an access where the range ends: a device inserted at a
// range shorter than its `max` width (fw_cfg's 2-byte selector port, with
// max 4) may be called with `offset + data.size()` past the range's end, and
// decides itself what such an access means.
//
// A device may be registered at several ranges; it then cannot tell them
// apart. A device with several register blocks that behave differently (as
// fw_cfg's selector/data ports and DMA register do) registers one BusDevice
// per block.
//
// Thread safety: the bus calls devices from any vCPU thread, concurrently and
// without holding any bus lock. A device protects its own state.
//
//   class Scratch : public vm_device::BusDevice {
//    public:
//     void Read(uint64_t offset, absl::Span<uint8_t> data) override {
//       base::MutexLock lock(mu_);
//       std::memcpy(data.data(), bytes_ + offset, data.size());
//     }
//     ...
//   };

#ifndef VM_DEVICE_BUS_DEVICE_H_
#define VM_DEVICE_BUS_DEVICE_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace vm_device {

// The access sizes a device accepts, like QEMU's MemoryRegionOps `valid`
// fields. Sizes are powers of two from 1 to 8.
struct AccessWidths {
  // Pieces narrower than this never reach the device: reads return zeros and
  // writes are dropped (QEMU answers invalid accesses that way).
  uint8_t min = 1;
  // Wider accesses are split into pieces of at most this size, recombined in
  // guest byte order. QEMU's default is 4.
  uint8_t max = 4;
  // When false, pieces are also split at their natural alignment (a 4-byte
  // access at offset 2 becomes two 2-byte pieces), as QEMU does.
  bool unaligned = false;

  // OK if min and max are powers of two with 1 <= min <= max <= 8.
  absl::Status Validate() const;
};

class BusDevice {
 public:
  virtual ~BusDevice() = default;

  // Queried once, when the device is inserted into a bus.
  virtual AccessWidths Widths() const { return AccessWidths{}; }

  // Fills `data` with the device's bytes at `offset`.
  virtual void Read(uint64_t offset, absl::Span<uint8_t> data) = 0;
  // Delivers `data` to the device at `offset`.
  virtual void Write(uint64_t offset, absl::Span<const uint8_t> data) = 0;
};

}  // namespace vm_device

#endif  // VM_DEVICE_BUS_DEVICE_H_
