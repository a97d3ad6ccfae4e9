#include "vmm/layout.h"

namespace vmm {
namespace {

constexpr uint64_t kFourGiB = uint64_t{1} << 32;
// QEMU q35 (pc_q35_init): with this much RAM or more, only 2 GiB stay low.
constexpr uint64_t kQ35LowMemLimit = 0xb0000000;
constexpr uint64_t kQ35LowMemSplit = 0x80000000;

}  // namespace

uint64_t RamBelowFourGiB(uint64_t size) {
  return size >= kQ35LowMemLimit ? kQ35LowMemSplit : size;
}

std::vector<vm_memory::RegionLayout> RamLayout(Layout layout, uint64_t size) {
  if (layout == Layout::kArmVirt) {
    return {{vm_memory::GuestAddress(kArmVirtRamBase), size}};
  }
  const uint64_t low = RamBelowFourGiB(size);
  std::vector<vm_memory::RegionLayout> regions = {
      {vm_memory::GuestAddress(0), low}};
  if (size > low)
    regions.push_back({vm_memory::GuestAddress(kFourGiB), size - low});
  return regions;
}

}  // namespace vmm
