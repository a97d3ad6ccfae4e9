// Bus, PioBus, MmioBus: address spaces that route guest accesses to devices.
//
// Mirrors rust-vmm's `vm-device` bus and Cloud Hypervisor's `Bus`, and
// dispatches the way QEMU's memory core (flatview_read/write_continue) does,
// because guest drivers are written against QEMU:
//   - An access is cut into pieces, front to back. The range holding a
//     piece's first byte decides its size: at most the device's maximum
//     width, cut to the offset's natural alignment unless the device takes
//     unaligned accesses, rounded down to a power of two. Each piece goes to
//     the device in guest byte order, so a wide access is recombined
//     little-endian from narrower device accesses.
//   - As in QEMU, a piece is not cut where the device's range ends: a range
//     shorter than the device's widest access receives the whole piece
//     (`outl 0x510` reaches fw_cfg's 2-byte selector as one 4-byte write,
//     which it ignores, rather than a 2-byte write that would select).
//   - Bytes no device covers read as the bus's "unassigned" value (0xff on
//     the PIO bus, 0x00 on the MMIO bus, as on QEMU 7.2 q35 and arm `virt`)
//     and writes to them are dropped; such pieces are cut like those of a
//     device with widths {1, 4, aligned}, QEMU's unassigned ops.
//   - Nothing wraps past the top of the bus's address space: bytes beyond it
//     are unassigned.
//   - Read and Write report whether any byte reached a device.
//
// Threading: Read and Write may run concurrently from any number of vCPU
// threads, and Insert/Remove may run at the same time. The range table is
// behind a reader-writer lock taken only to find a device; the device is
// called after the lock is released (a device removed meanwhile stays alive
// until its in-flight call returns), so vCPUs never wait on each other's
// device calls.
//
//   vm_device::PioBus pio;
//   RETURN_IF_ERROR(pio.Insert(uart, 0x3f8, 8));
//   uint8_t value[1];
//   pio.Read(0x3fd, absl::MakeSpan(value));   // calls uart->Read(5, ...)

#ifndef VM_DEVICE_BUS_H_
#define VM_DEVICE_BUS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/types/span.h"
#include "base/mutex.h"
#include "vm-device/bus_device.h"
#include "vm-device/bus_range.h"

namespace vm_device {

class Bus {
 public:
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;
  virtual ~Bus() = default;

  // Places `device` at [base, base + length). Fails if the range is empty,
  // wraps, lies outside the bus's address space, overlaps a range already
  // present, or the device declares invalid AccessWidths.
  absl::Status Insert(std::shared_ptr<BusDevice> device, uint64_t base,
                      uint64_t length);

  // Removes the range that starts at `base`. Calls already dispatched to its
  // device complete normally.
  absl::Status Remove(uint64_t base);

  // The range containing `address` and its device, if any. O(log n).
  struct Mapping {
    BusRange range;
    std::shared_ptr<BusDevice> device;
  };
  std::optional<Mapping> Find(uint64_t address) const;

  // Dispatches a guest read of `data.size()` bytes at `address` and returns
  // whether any byte came from a device. Bytes past the top of the bus's
  // address space read as unassigned.
  bool Read(uint64_t address, absl::Span<uint8_t> data) const;
  // Dispatches a guest write; returns whether any byte reached a device.
  bool Write(uint64_t address, absl::Span<const uint8_t> data) const;

  const std::string& name() const { return name_; }
  uint64_t last_address() const { return last_address_; }
  uint8_t unassigned_byte() const { return unassigned_byte_; }

 protected:
  Bus(std::string name, uint64_t last_address, uint8_t unassigned_byte)
      : name_(std::move(name)),
        last_address_(last_address),
        unassigned_byte_(unassigned_byte) {}

 private:
  struct Entry {
    uint64_t last;
    AccessWidths widths;
    std::shared_ptr<BusDevice> device;
  };

  // The entry covering an address, if `found`, and the base of its range.
  struct Lookup {
    uint64_t base = 0;
    Entry entry;
    bool found = false;
  };
  Lookup LookUp(uint64_t address) const;

  // Shared by Read and Write: `read` selects the direction, and exactly one
  // of the spans is used.
  bool Dispatch(uint64_t address, bool read, absl::Span<uint8_t> in,
                absl::Span<const uint8_t> out) const;

  const std::string name_;
  const uint64_t last_address_;
  const uint8_t unassigned_byte_;

  mutable base::SharedMutex mu_;
  // Keyed by base address. Ranges never overlap, so the entry at or before an
  // address is the only one that can contain it.
  std::map<uint64_t, Entry> entries_ ABSL_GUARDED_BY(mu_);
};

// The x86 I/O port space: ports 0 to 0xffff; unassigned ports read 0xff.
class PioBus final : public Bus {
 public:
  PioBus() : Bus("pio", 0xffff, 0xff) {}
};

// The 64-bit MMIO space; unassigned addresses read 0.
class MmioBus final : public Bus {
 public:
  MmioBus() : Bus("mmio", ~uint64_t{0}, 0x00) {}
};

}  // namespace vm_device

#endif  // VM_DEVICE_BUS_H_
