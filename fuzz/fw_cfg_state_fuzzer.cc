// Fuzzes FwCfg::RestoreState, the parser of device snapshots that a VMM reads
// from disk (vmm --restore) and so must treat as untrusted.
//
// The first input byte chooses whether the rest is taken as is, or resealed
// (its last four bytes replaced by the right CRC-32) so that the fuzzer gets
// past the checksum to the structure behind it.
//
// The target device has what a VMM's device has besides the snapshot's items:
// a writable item (etc/vmcoreinfo) and a generated one (etc/gen), the kinds a
// restore must match. Invariants:
//  (a) a refused restore leaves the device exactly as it was (its own saved
//      state is unchanged);
//  (b) an accepted state is a fixed point: saving the restored device and
//      restoring that into a fresh target gives the same bytes again;
//  (c) after an accepted restore every register access works: reading the
//      directory and every file it lists, and a DMA read.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/byte_order.h"
#include "base/crc32.h"
#include "fuzz/fuzz_check.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "vm-memory/guest_memory.h"

namespace {

using fw_cfg::FwCfg;

std::shared_ptr<const vm_memory::GuestMemory> Memory() {
  static auto memory = *vm_memory::GuestMemory::CreateAnonymous(
      {{vm_memory::GuestAddress(0), 0x10000}});
  return memory;
}

std::shared_ptr<FwCfg> Target() {
  std::shared_ptr<FwCfg> device = *FwCfg::Create(Memory());
  FUZZ_CHECK(device
                 ->AddFile("etc/vmcoreinfo",
                           *fw_cfg::MakeWritableItem(std::vector<uint8_t>(16)))
                 .ok(),
             "setup");
  FUZZ_CHECK(device
                 ->AddFile("etc/gen", *fw_cfg::MakeGeneratedItem(
                                          8,
                                          [](absl::Span<uint8_t> bytes) {
                                            for (uint8_t& b : bytes) ++b;
                                          }))
                 .ok(),
             "setup");
  return device;
}

std::vector<uint8_t> Save(FwCfg& device) {
  absl::StatusOr<std::vector<uint8_t>> state = device.SaveState();
  FUZZ_CHECK(state.ok(), "SaveState of in-memory items failed: %s",
             std::string(state.status().message()).c_str());
  return *state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint8_t> state(data + 1, data + size);
  if ((data[0] & 1) != 0 && state.size() >= 4) {
    base::StoreLe32(
        state.data() + state.size() - 4,
        base::Crc32(absl::MakeConstSpan(state).first(state.size() - 4)));
  }

  std::shared_ptr<FwCfg> device = Target();
  const std::vector<uint8_t> before = Save(*device);
  absl::Status status = device->RestoreState(state);
  if (!status.ok()) {
    FUZZ_CHECK(Save(*device) == before, "a refused restore (%s) changed it",
               std::string(status.message()).c_str());
    return 0;
  }

  const std::vector<uint8_t> saved = Save(*device);
  std::shared_ptr<FwCfg> again = Target();
  status = again->RestoreState(saved);
  FUZZ_CHECK(status.ok(), "its own state refused: %s",
             std::string(status.message()).c_str());
  FUZZ_CHECK(Save(*again) == saved, "save/restore is not a fixed point");

  // Every access still works: a partial read where the guest was, the
  // directory, each file, and a DMA read of the directory.
  uint8_t bytes[64];
  device->ReadData(absl::MakeSpan(bytes, 7));
  for (const fw_cfg::FileInfo& file : device->ListFiles()) {
    device->Select(file.key);
    for (uint32_t offset = 0; offset < file.size && offset < 4096;
         offset += sizeof(bytes)) {
      device->ReadData(absl::MakeSpan(bytes));
    }
  }
  uint8_t descriptor[16];
  base::StoreBe32(descriptor, fw_cfg::kFileDir << 16 | fw_cfg::kDmaSelect |
                                  fw_cfg::kDmaRead);
  base::StoreBe32(descriptor + 4, 0x1000);
  base::StoreBe64(descriptor + 8, 0x2000);
  FUZZ_CHECK(Memory()->Write(vm_memory::GuestAddress(0x100), descriptor).ok(),
             "descriptor");
  device->WriteDmaAddress(0x100);
  FUZZ_CHECK(*Memory()->ReadBe32(vm_memory::GuestAddress(0x100)) == 0,
             "DMA read of the directory failed after a restore");
  return 0;
}
