// The KVM part of a snapshot: the in-kernel devices (both 8259 PICs, the
// I/O APIC, the PIT, the KVM clock) and every vCPU's registers, special
// registers, extended (XSAVE) state, XCRs, debug registers, local APIC, MP
// state, pending events and MSRs (those KVM_GET_MSR_INDEX_LIST names).
//
// The structures are the kernel's, stored as KVM returns them: a snapshot
// restores on a host whose KVM has the same ABI and CPU features (as
// Cloud Hypervisor's and Firecracker's). The record is
//   "KVMSTAT\0", u32 version, u32 vCPU count, VM sections, then per vCPU
//   its sections; a section is u32 tag, u32 size, the bytes.

#ifndef VMM_KVM_KVM_STATE_H_
#define VMM_KVM_KVM_STATE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "vmm/kvm/kvm.h"

namespace vmm {

// While no vCPU runs (each out of KVM_RUN with its pending I/O completed).
absl::StatusOr<std::vector<uint8_t>> SaveKvmState(
    const Kvm& kvm, const KvmVm& vm, absl::Span<KvmVcpu* const> vcpus);

// Into a VM made the same way (irqchip created, vCPUs with CPUID set) that
// has not run. MSRs KVM refuses are skipped and counted in `warnings`.
absl::Status RestoreKvmState(const KvmVm& vm, absl::Span<KvmVcpu* const> vcpus,
                             absl::Span<const uint8_t> state,
                             std::vector<std::string>& warnings);

}  // namespace vmm

#endif  // VMM_KVM_KVM_STATE_H_
