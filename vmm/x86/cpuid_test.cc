#include "vmm/x86/cpuid.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace vmm {
namespace {

kvm_cpuid_entry2 Leaf(uint32_t function, uint32_t eax, uint32_t ebx,
                      uint32_t ecx, uint32_t edx) {
  kvm_cpuid_entry2 entry{};
  entry.function = function;
  entry.eax = eax;
  entry.ebx = ebx;
  entry.ecx = ecx;
  entry.edx = edx;
  return entry;
}

const kvm_cpuid_entry2* Find(const std::vector<kvm_cpuid_entry2>& cpuid,
                             uint32_t function) {
  for (const kvm_cpuid_entry2& entry : cpuid) {
    if (entry.function == function) return &entry;
  }
  return nullptr;
}

std::string Signature(const kvm_cpuid_entry2& entry) {
  char text[12];
  std::memcpy(text, &entry.ebx, 4);
  std::memcpy(text + 4, &entry.ecx, 4);
  std::memcpy(text + 8, &entry.edx, 4);
  return std::string(text, strnlen(text, sizeof(text)));
}

TEST(Cpuid, HypervisorBitApicIdsAndKvmLeavesKept) {
  // Leaf 1 as a host reports it (ECX bit 31 clear, some APIC ID), and KVM's
  // own leaves as KVM_GET_SUPPORTED_CPUID lists them.
  const std::vector<kvm_cpuid_entry2> supported = {
      Leaf(0, 0xd, 0x68747541, 0x444d4163, 0x69746e65),
      Leaf(1, 0x00800f12, 0x07020800, 0x7ed8320b, 0x178bfbff),
      Leaf(0xb, 0, 1, 0x100, 7),
      Leaf(0x40000000, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x0000004d),
      Leaf(0x40000001, 0x01007efb, 0, 0, 0)};
  const std::vector<kvm_cpuid_entry2> cpuid =
      CpuidFor(supported, 3, /*tsc_deadline_timer=*/false);
  ASSERT_EQ(cpuid.size(), supported.size());
  const kvm_cpuid_entry2* leaf1 = Find(cpuid, 1);
  ASSERT_NE(leaf1, nullptr);
  EXPECT_EQ(leaf1->ecx, 0x7ed8320bu | 0x80000000u);  // hypervisor present
  EXPECT_EQ(leaf1->ebx, 0x03020800u);  // APIC ID 3, the rest untouched
  EXPECT_EQ(leaf1->eax, 0x00800f12u);
  EXPECT_EQ(leaf1->edx, 0x178bfbffu);
  EXPECT_EQ(Find(cpuid, 0xb)->edx, 3u);
  EXPECT_EQ(Signature(*Find(cpuid, 0x40000000)), "KVMKVMKVM");
  EXPECT_EQ(Find(cpuid, 0x40000000)->eax, 0x40000001u);
  EXPECT_EQ(Find(cpuid, 0x40000001)->eax, 0x01007efbu);  // KVM's features
}

TEST(Cpuid, KvmSignatureAddedWhenMissing) {
  const std::vector<kvm_cpuid_entry2> cpuid =
      CpuidFor({Leaf(1, 0, 0xff000000, 0, 0)}, 0, /*tsc_deadline_timer=*/false);
  ASSERT_EQ(cpuid.size(), 3u);
  EXPECT_EQ(Find(cpuid, 1)->ebx, 0u);
  EXPECT_EQ(Find(cpuid, 1)->ecx, 0x80000000u);
  ASSERT_NE(Find(cpuid, 0x40000000), nullptr);
  EXPECT_EQ(Signature(*Find(cpuid, 0x40000000)), "KVMKVMKVM");
  EXPECT_EQ(Find(cpuid, 0x40000000)->eax, 0x40000001u);
  ASSERT_NE(Find(cpuid, 0x40000001), nullptr);
  EXPECT_EQ(Find(cpuid, 0x40000001)->eax, 0u);  // no paravirtual features
}

TEST(Cpuid, TscDeadlineTimerWhenKvmEmulatesIt) {
  const std::vector<kvm_cpuid_entry2> supported = {Leaf(1, 0, 0, 0x1, 0)};
  EXPECT_EQ(Find(CpuidFor(supported, 0, true), 1)->ecx,
            0x1u | 0x80000000u | 0x01000000u);
  EXPECT_EQ(Find(CpuidFor(supported, 0, false), 1)->ecx, 0x1u | 0x80000000u);
}

}  // namespace
}  // namespace vmm
