// Where guest RAM and the devices sit in each machine layout.
//
//   x86_64    as QEMU's q35: RAM from 0; once the machine has 0xb0000000
//             bytes or more, only 2 GiB stay below 4 GiB and the rest is
//             mapped from 4 GiB.
//   arm-virt  as QEMU's arm `virt`: RAM from 0x40000000 (no vCPU: for
//             --qtest), fw_cfg MMIO at 0x09020000.

#ifndef VMM_LAYOUT_H_
#define VMM_LAYOUT_H_

#include <cstdint>
#include <vector>

#include "vm-memory/guest_memory.h"

namespace vmm {

enum class Layout {
  kX86_64,   // QEMU q35
  kArmVirt,  // QEMU arm `virt`
};

inline constexpr uint64_t kArmVirtRamBase = 0x40000000;

// Guest RAM of `size` bytes below 4 GiB on the x86 layout.
uint64_t RamBelowFourGiB(uint64_t size);

// Guest RAM regions for a layout and size.
std::vector<vm_memory::RegionLayout> RamLayout(Layout layout, uint64_t size);

}  // namespace vmm

#endif  // VMM_LAYOUT_H_
