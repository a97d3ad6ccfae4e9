#include "vmm/x86/cpuid.h"

#include <algorithm>
#include <cstring>

namespace vmm {
namespace {

bool HasLeaf(const std::vector<kvm_cpuid_entry2>& cpuid, uint32_t function) {
  return std::any_of(cpuid.begin(), cpuid.end(),
                     [&](const kvm_cpuid_entry2& entry) {
                       return entry.function == function;
                     });
}

}  // namespace

std::vector<kvm_cpuid_entry2> CpuidFor(
    const std::vector<kvm_cpuid_entry2>& supported, uint32_t vcpu_id,
    bool tsc_deadline_timer) {
  std::vector<kvm_cpuid_entry2> cpuid = supported;
  for (kvm_cpuid_entry2& entry : cpuid) {
    if (entry.function == 1) {
      // Initial APIC ID in EBX[31:24]; it must match the MADT.
      entry.ebx = (entry.ebx & 0x00ffffff) | (vcpu_id << 24);
      entry.ecx |= kCpuidHypervisorBit;
      if (tsc_deadline_timer) entry.ecx |= kCpuidTscDeadlineTimerBit;
    } else if (entry.function == 0xb) {
      entry.edx = vcpu_id;  // x2APIC ID
    }
  }
  // Every KVM since 2.6.x lists both leaves; a list without them still gets
  // the signature, with no paravirtual features.
  if (!HasLeaf(cpuid, kKvmCpuidSignature)) {
    kvm_cpuid_entry2 signature{};
    signature.function = kKvmCpuidSignature;
    signature.eax = kKvmCpuidFeatures;
    std::memcpy(&signature.ebx, "KVMK", 4);
    std::memcpy(&signature.ecx, "VMKV", 4);
    std::memcpy(&signature.edx, "M\0\0\0", 4);
    cpuid.push_back(signature);
  }
  if (!HasLeaf(cpuid, kKvmCpuidFeatures)) {
    kvm_cpuid_entry2 features{};
    features.function = kKvmCpuidFeatures;
    cpuid.push_back(features);
  }
  return cpuid;
}

}  // namespace vmm
