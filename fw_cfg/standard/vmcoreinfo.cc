#include "fw_cfg/standard/vmcoreinfo.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "fw_cfg/item.h"

namespace fw_cfg {

namespace {

constexpr uint32_t kFileSize = 16;
// QEMU's MAX_GUEST_NOTE_SIZE (dump.c).
constexpr uint64_t kMaxNoteSize = 1 << 20;
// Elf64_Nhdr: u32 namesz, u32 descsz, u32 type.
constexpr uint64_t kNoteHeaderSize = 12;

uint64_t RoundUp4(uint64_t n) { return (n + 3) & ~uint64_t{3}; }

}  // namespace

absl::StatusOr<std::shared_ptr<Vmcoreinfo>> Vmcoreinfo::Add(
    FwCfg& device, PublishCallback on_publish) {
  std::shared_ptr<Vmcoreinfo> vmcoreinfo(new Vmcoreinfo(std::move(on_publish)));
  // QEMU's reset state: the host reads ELF notes, the guest said nothing.
  std::vector<uint8_t> initial(kFileSize, 0);
  base::StoreLe16(initial.data(), kVmcoreinfoFormatElf);
  // The item's callback owns the object: it lives as long as the device.
  ASSIGN_OR_RETURN(
      std::shared_ptr<Item> item,
      MakeWritableItem(std::move(initial),
                       [vmcoreinfo](uint32_t offset, uint32_t length,
                                    absl::Span<const uint8_t> contents) {
                         vmcoreinfo->OnWrite(offset, length, contents);
                       }));
  RETURN_IF_ERROR(device.AddFile(kVmcoreinfoFile, std::move(item)));
  return vmcoreinfo;
}

void Vmcoreinfo::OnWrite(uint32_t offset, uint32_t length,
                         absl::Span<const uint8_t> contents) {
  VmcoreinfoLocation location;
  location.guest_format = base::LoadLe16(contents.data() + 2);
  location.size = base::LoadLe32(contents.data() + 4);
  location.paddr = base::LoadLe64(contents.data() + 8);
  // QEMU's fw_cfg_vmci_write: only a whole write from offset 0 with a
  // format counts; anything else leaves no usable location.
  const bool usable = offset == 0 && length == kFileSize &&
                      location.guest_format != kVmcoreinfoFormatNone;
  bool changed;
  {
    base::MutexLock lock(mu_);
    changed = usable && !(location_.has_value() &&
                          location_->guest_format == location.guest_format &&
                          location_->size == location.size &&
                          location_->paddr == location.paddr);
    if (usable) {
      location_ = location;
    } else {
      location_.reset();
    }
  }
  // Only news: a guest that writes the same location again and again
  // cannot flood the VMM's log.
  if (changed && on_publish_) on_publish_(location);
}

std::optional<VmcoreinfoLocation> Vmcoreinfo::location() const {
  base::MutexLock lock(mu_);
  return location_;
}

absl::StatusOr<VmcoreinfoNote> Vmcoreinfo::ReadNote(
    const vm_memory::GuestMemory& memory) const {
  const std::optional<VmcoreinfoLocation> location = this->location();
  if (!location.has_value()) {
    return absl::NotFoundError("the guest has not published a vmcoreinfo note");
  }
  return ReadVmcoreinfoNote(memory, *location);
}

absl::StatusOr<VmcoreinfoNote> ReadVmcoreinfoNote(
    const vm_memory::GuestMemory& memory, const VmcoreinfoLocation& location) {
  if (location.size < kNoteHeaderSize || location.size > kMaxNoteSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the guest's vmcoreinfo note size is invalid: %d", location.size));
  }
  if (location.guest_format != kVmcoreinfoFormatElf) {
    return absl::InvalidArgumentError(
        absl::StrFormat("the guest's vmcoreinfo note format is unsupported: %d",
                        location.guest_format));
  }
  VmcoreinfoNote note;
  note.location = location;
  note.bytes.resize(location.size);
  RETURN_IF_ERROR(base::WithContext(
      memory.Read(vm_memory::GuestAddress(location.paddr),
                  absl::MakeSpan(note.bytes)),
      absl::StrFormat("the guest's vmcoreinfo note at 0x%x (%d bytes)",
                      location.paddr, location.size)));
  const uint64_t name_size = base::LoadLe32(note.bytes.data());
  const uint64_t desc_size = base::LoadLe32(note.bytes.data() + 4);
  note.type = base::LoadLe32(note.bytes.data() + 8);
  const uint64_t note_size =
      kNoteHeaderSize + RoundUp4(name_size) + RoundUp4(desc_size);
  if (name_size > kMaxNoteSize || desc_size > kMaxNoteSize ||
      note_size > location.size) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the guest's vmcoreinfo note header is invalid (name %d bytes, "
        "description %d bytes, in %d bytes)",
        name_size, desc_size, location.size));
  }
  note.bytes.resize(note_size);
  const uint8_t* name = note.bytes.data() + kNoteHeaderSize;
  note.name.assign(reinterpret_cast<const char*>(name), name_size);
  // The name's size counts its NUL.
  if (!note.name.empty() && note.name.back() == '\0') note.name.pop_back();
  const uint8_t* desc = name + RoundUp4(name_size);
  note.description.assign(reinterpret_cast<const char*>(desc), desc_size);
  return note;
}

}  // namespace fw_cfg
