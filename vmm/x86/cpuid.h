// The CPUID a vCPU of our x86 machine reports.
//
// Starts from what KVM can virtualize (KVM_GET_SUPPORTED_CPUID) and, as
// QEMU, Cloud Hypervisor and Firecracker do:
//   - sets the initial APIC ID (leaf 1 EBX[31:24], leaf 0xb EDX) to the
//     vCPU's index, which the MADT lists;
//   - sets the "hypervisor present" bit (leaf 1 ECX[31]) and keeps KVM's
//     leaves at 0x40000000 (signature "KVMKVMKVM", the highest KVM leaf)
//     and 0x40000001 (the paravirtual features KVM offers: kvmclock, PV EOI,
//     ...), adding them if the list lacks them. Without the bit Linux never
//     looks at those leaves: it boots "on bare hardware", cannot learn the
//     TSC frequency, marks the TSC unstable and keeps time with jiffies;
//   - with `tsc_deadline_timer` (KVM_CAP_TSC_DEADLINE_TIMER, in-kernel local
//     APICs), sets leaf 1 ECX[24]: KVM emulates the local APIC timer's
//     TSC-deadline mode but leaves the bit out of its supported list, and
//     QEMU, Firecracker and Cloud Hypervisor add it. Without it Linux has to
//     run the APIC timer in one-shot mode, counting down from a calibrated
//     rate.

#ifndef VMM_X86_CPUID_H_
#define VMM_X86_CPUID_H_

#include <linux/kvm.h>

#include <cstdint>
#include <vector>

namespace vmm {

inline constexpr uint32_t kKvmCpuidSignature = 0x40000000;
inline constexpr uint32_t kKvmCpuidFeatures = 0x40000001;
inline constexpr uint32_t kCpuidHypervisorBit = 1u << 31;        // leaf 1 ECX
inline constexpr uint32_t kCpuidTscDeadlineTimerBit = 1u << 24;  // leaf 1 ECX

std::vector<kvm_cpuid_entry2> CpuidFor(
    const std::vector<kvm_cpuid_entry2>& supported, uint32_t vcpu_id,
    bool tsc_deadline_timer);

}  // namespace vmm

#endif  // VMM_X86_CPUID_H_
