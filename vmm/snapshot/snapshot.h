// A VM snapshot on disk: what `vm.snapshot` writes and `vmm --restore` reads.
//
// The directory holds
//   config.json   format name and version, the machine's arguments
//                 (VmmOptions::machine_args), the vCPU count (0: a --qtest
//                 VM) and where each RAM region lies in memory.bin;
//   memory.bin    the writable RAM regions one after another; pages that are
//                 all zero are left as holes (a sparse file), and a restore
//                 reads only the data extents (SEEK_DATA);
//   devices.bin   Machine::SaveDeviceState (fw_cfg's state, items by
//                 content, and the small devices');
//   cpu.bin       the KVM state (vCPUs, irqchip, PIT, clock), for a VM
//                 with vCPUs (kvm_state.h).
// docs/snapshot.md describes the formats for users.

#ifndef VMM_SNAPSHOT_SNAPSHOT_H_
#define VMM_SNAPSHOT_SNAPSHOT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

struct SnapshotContents {
  std::vector<std::string> machine_args;
  uint32_t vcpus = 0;
  std::vector<uint8_t> devices;
  std::optional<std::vector<uint8_t>> cpu;  // absent for a --qtest VM
};

// What writing took, for the API's answer and the benchmark.
struct SnapshotReport {
  double seconds = 0;
  uint64_t memory_bytes = 0;       // RAM covered
  uint64_t memory_data_bytes = 0;  // of which written (not all-zero pages)
  uint64_t disk_bytes = 0;         // blocks the directory's files take
};

// Writes `contents` and the writable regions of `memory` into `dir`, which is
// created (mode 0700) if missing and must otherwise be empty. Errors name
// the path: PermissionDenied, NotFound, FailedPrecondition (not empty), ...
absl::StatusOr<SnapshotReport> WriteSnapshot(
    const std::string& dir, const SnapshotContents& contents,
    const vm_memory::GuestMemory& memory);

// Reads config.json, devices.bin and cpu.bin of `dir`.
absl::StatusOr<SnapshotContents> ReadSnapshot(const std::string& dir);

// Fills the writable regions of `memory` (a machine built from the
// snapshot's arguments, so with the same layout) from `dir`'s memory.bin.
absl::Status RestoreMemory(const std::string& dir,
                           const vm_memory::GuestMemory& memory);

}  // namespace vmm

#endif  // VMM_SNAPSHOT_SNAPSHOT_H_
