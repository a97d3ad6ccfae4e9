// Guest memory for an x86 machine that boots firmware, mapped as QEMU's
// `-bios` does (hw/i386/x86.c, x86_bios_rom_init): the raw image, a multiple
// of 64 KiB and at most 16 MiB, read-only so that it ends at 4 GiB (the reset
// vector is its last 16 bytes), and its last min(size, 128 KiB) copied into
// the RAM just below 1 MiB (the "isa-bios" window, 0xE0000-0xFFFFF for
// images of 128 KiB or more), where the firmware may write, vCPU and DMA
// alike: QEMU maps that window as RAM on machines without PCI (microvm,
// isapc), and SeaBIOS needs it writable (its data, the RSDP).
//
// The image is copied into a sealed memfd when the VM is built: changing or
// truncating the file afterwards cannot reach the guest.

#ifndef VMM_X86_FIRMWARE_H_
#define VMM_X86_FIRMWARE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

inline constexpr uint64_t kFirmwareGranule = 64 << 10;
inline constexpr uint64_t kMaxFirmwareSize = 16 << 20;
inline constexpr uint64_t kIsaBiosMaxSize = 128 << 10;

// RAM as `ram` lays it out (low RAM must start at 0 and reach 1 MiB), with
// the image's tail copied below 1 MiB, plus the read-only image at 4 GiB.
absl::StatusOr<std::shared_ptr<const vm_memory::GuestMemory>>
CreateMemoryWithFirmware(absl::Span<const vm_memory::RegionLayout> ram,
                         const std::string& path);

}  // namespace vmm

#endif  // VMM_X86_FIRMWARE_H_
