// SystemAddressSpace: what a CPU (or QEMU's qtest) sees at a physical address:
// guest RAM where there is RAM, and the MMIO bus everywhere else.
//
// QEMU's qtest `read`/`write`/`readq`/... go through the first CPU's address
// space, so they reach both RAM and device registers (`readq 0x9020010` reads
// fw_cfg's DMA signature on arm `virt`). This does the same over our
// GuestMemory and MmioBus. Writes to read-only RAM (ROM) are dropped.

#ifndef VMM_QTEST_ADDRESS_SPACE_H_
#define VMM_QTEST_ADDRESS_SPACE_H_

#include <cstdint>

#include "absl/types/span.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

class SystemAddressSpace {
 public:
  SystemAddressSpace(const vm_memory::GuestMemory& memory,
                     const vm_device::MmioBus& mmio)
      : memory_(memory), mmio_(mmio) {}

  void Read(uint64_t address, absl::Span<uint8_t> data) const;
  void Write(uint64_t address, absl::Span<const uint8_t> data) const;
  // Sets `length` bytes to `value` without a buffer of that size.
  void Fill(uint64_t address, uint64_t length, uint8_t value) const;

 private:
  const vm_memory::GuestMemory& memory_;
  const vm_device::MmioBus& mmio_;
};

}  // namespace vmm

#endif  // VMM_QTEST_ADDRESS_SPACE_H_
