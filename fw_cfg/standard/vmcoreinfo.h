// etc/vmcoreinfo, as QEMU's `-device vmcoreinfo` (hw/misc/vmcoreinfo.c): a
// 16-byte writable file where the guest's kernel tells the host where its
// VMCOREINFO ELF note lies, so that a dump of the guest's memory taken from
// outside (QEMU's dump-guest-memory) can be read by `crash` and makedumpfile.
//
// The file (little-endian, QEMU's struct fw_cfg_vmcoreinfo):
//   u16 host_format    formats the host reads: 1 (ELF) from the start
//   u16 guest_format   what the guest wrote: 0 none, 1 ELF
//   u32 size           the note's size in bytes
//   u64 paddr          the note's guest-physical address
// Linux writes it once, by DMA, when its qemu_fw_cfg driver finds the file
// (and the device offers DMA); it also starts at 0 after a reset.
//
//   ASSIGN_OR_RETURN(auto vmcoreinfo, Vmcoreinfo::Add(*device, on_publish));
//   ...
//   ASSIGN_OR_RETURN(VmcoreinfoNote note, vmcoreinfo->ReadNote(*memory));

#ifndef FW_CFG_STANDARD_VMCOREINFO_H_
#define FW_CFG_STANDARD_VMCOREINFO_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/mutex.h"
#include "fw_cfg/fw_cfg.h"
#include "vm-memory/guest_memory.h"

namespace fw_cfg {

inline constexpr char kVmcoreinfoFile[] = "etc/vmcoreinfo";
inline constexpr uint16_t kVmcoreinfoFormatNone = 0;
inline constexpr uint16_t kVmcoreinfoFormatElf = 1;

// What the guest wrote into etc/vmcoreinfo.
struct VmcoreinfoLocation {
  uint16_t guest_format = kVmcoreinfoFormatNone;
  uint32_t size = 0;
  uint64_t paddr = 0;
};

// The guest's note, read from its RAM.
struct VmcoreinfoNote {
  VmcoreinfoLocation location;
  std::vector<uint8_t> bytes;  // the whole note: header, name, description
  std::string name;            // "VMCOREINFO" (without the NUL)
  uint32_t type = 0;
  std::string description;  // "OSRELEASE=...\nPAGESIZE=4096\n..."
};

// Reads the note at `location` from `memory` with QEMU's checks before a
// dump (dump.c): the format is ELF, the size holds at least an ELF note
// header and at most 1 MiB, and the note found there (Elf64_Nhdr,
// little-endian) fits in that size. `bytes` is that note.
absl::StatusOr<VmcoreinfoNote> ReadVmcoreinfoNote(
    const vm_memory::GuestMemory& memory, const VmcoreinfoLocation& location);

class Vmcoreinfo {
 public:
  // Called when the guest publishes a location QEMU accepts (see
  // location()) that differs from the one it holds, with the device's lock
  // held: it must not call the device.
  using PublishCallback = std::function<void(const VmcoreinfoLocation&)>;

  // Adds etc/vmcoreinfo to `device`, which keeps the object alive.
  static absl::StatusOr<std::shared_ptr<Vmcoreinfo>> Add(
      FwCfg& device, PublishCallback on_publish = nullptr);

  // The location the guest last published, when QEMU would take it: the
  // write covered all 16 bytes from offset 0 and guest_format is not 0
  // (hw/misc/vmcoreinfo.c). Any other write withdraws it.
  std::optional<VmcoreinfoLocation> location() const;

  // ReadVmcoreinfoNote at the published location; NotFound if there is
  // none.
  absl::StatusOr<VmcoreinfoNote> ReadNote(
      const vm_memory::GuestMemory& memory) const;

 private:
  explicit Vmcoreinfo(PublishCallback on_publish)
      : on_publish_(std::move(on_publish)) {}
  void OnWrite(uint32_t offset, uint32_t length,
               absl::Span<const uint8_t> contents);

  const PublishCallback on_publish_;
  mutable base::Mutex mu_;
  std::optional<VmcoreinfoLocation> location_ ABSL_GUARDED_BY(mu_);
};

}  // namespace fw_cfg

#endif  // FW_CFG_STANDARD_VMCOREINFO_H_
