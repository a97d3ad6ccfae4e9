#include "vmm/kvm/kvm_state.h"

#include <cpuid.h>
#include <sys/ioctl.h>

#include <cstring>
#include <map>

#include "absl/strings/str_format.h"
#include "base/byte_stream.h"
#include "base/status_macros.h"

namespace vmm {
namespace {

constexpr char kMagic[8] = {'K', 'V', 'M', 'S', 'T', 'A', 'T', '\0'};
constexpr uint32_t kVersion = 1;

// kvm_xsave ends in a flexible array, which in C++ makes sizeof (and the
// ioctl number built from it) 4 bytes too large: use the 4096-byte region.
struct Xsave {
  uint32_t region[1024];
};
constexpr unsigned long kGetXsave = _IOR(KVMIO, 0xa4, Xsave);
constexpr unsigned long kSetXsave = _IOW(KVMIO, 0xa5, Xsave);

constexpr uint32_t Tag(const char (&name)[5]) {
  return uint32_t(uint8_t(name[0])) | uint32_t(uint8_t(name[1])) << 8 |
         uint32_t(uint8_t(name[2])) << 16 | uint32_t(uint8_t(name[3])) << 24;
}

template <typename T>
void Put(base::ByteWriter& out, uint32_t tag, const T& value) {
  out.U32(tag);
  out.U32(sizeof(T));
  out.Bytes(
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(&value), sizeof(T)));
}

// One vCPU's or the VM's sections, by tag.
using Sections = std::map<uint32_t, absl::Span<const uint8_t>>;

absl::StatusOr<Sections> ReadSections(base::ByteReader& in, uint32_t count,
                                      const std::string& what) {
  Sections sections;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t tag = in.U32();
    sections[tag] = in.Bytes(in.U32());
  }
  if (!in.ok()) {
    return absl::DataLossError(
        absl::StrFormat("KVM state: %s truncated", what));
  }
  return sections;
}

template <typename T>
absl::StatusOr<T> Get(const Sections& sections, uint32_t tag,
                      const std::string& what) {
  auto it = sections.find(tag);
  if (it == sections.end() || it->second.size() != sizeof(T)) {
    return absl::DataLossError(absl::StrFormat(
        "KVM state: %s lacks a %d-byte section %08x (another kernel ABI?)",
        what, sizeof(T), tag));
  }
  T value;
  std::memcpy(&value, it->second.data(), sizeof(T));
  return value;
}

// A vCPU structure read with `request` into section `tag`.
template <typename T>
absl::Status SaveStruct(base::ByteWriter& out, const KvmVcpu& vcpu,
                        uint32_t tag, unsigned long request, const char* name) {
  T value{};
  RETURN_IF_ERROR(vcpu.Ioctl(request, &value, name));
  Put(out, tag, value);
  return absl::OkStatus();
}

// Section `tag` written back with `request`.
template <typename T>
absl::Status RestoreStruct(const Sections& sections, uint32_t tag,
                           const std::string& what, const KvmVcpu& vcpu,
                           unsigned long request, const char* name) {
  ASSIGN_OR_RETURN(T value, Get<T>(sections, tag, what));
  return vcpu.Ioctl(request, &value, name);
}

bool HostIsAmd() {
  unsigned int eax, ebx, ecx, edx;
  if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) == 0) return false;
  // "AuthenticAMD" in EBX, EDX, ECX.
  return ebx == 0x68747541 && edx == 0x69746e65 && ecx == 0x444d4163;
}

// KVM's SVM code reports TR with the busy bit set whatever the VMCB holds
// (svm_get_segment), so a KVM_GET_SREGS/KVM_SET_SREGS round trip turns a
// 64-bit TSS of type 9 into type 11. AMD hardware ignores the bit; QEMU's
// TCG, emulating SVM under a nested KVM (our test machines), checks a
// user-space port access against the I/O bitmap only for type 9 and
// otherwise raises #GP, so every ioperm() user in a restored guest would
// fault there (QEMU-KVM shows the same after its own round trip). On AMD
// hosts, put the available type back; Intel's VM entry wants the busy
// type, so it stays there.
void AdjustTaskRegisterForSvm(kvm_sregs& sregs) {
  static const bool amd = HostIsAmd();
  if (amd && sregs.tr.type == 11) sregs.tr.type = 9;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> SaveKvmState(
    const Kvm& kvm, const KvmVm& vm, absl::Span<KvmVcpu* const> vcpus) {
  base::ByteWriter out;
  out.Bytes(absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(kMagic), 8));
  out.U32(kVersion);
  out.U32(static_cast<uint32_t>(vcpus.size()));

  out.U32(5);  // VM sections
  for (uint32_t chip = 0; chip < 3; ++chip) {
    kvm_irqchip irqchip{};
    irqchip.chip_id = chip;
    RETURN_IF_ERROR(vm.Ioctl(KVM_GET_IRQCHIP, &irqchip, "KVM_GET_IRQCHIP"));
    Put(out, Tag("CHP0") + (chip << 24), irqchip);
  }
  kvm_pit_state2 pit{};
  RETURN_IF_ERROR(vm.Ioctl(KVM_GET_PIT2, &pit, "KVM_GET_PIT2"));
  Put(out, Tag("PIT2"), pit);
  kvm_clock_data clock{};
  RETURN_IF_ERROR(vm.Ioctl(KVM_GET_CLOCK, &clock, "KVM_GET_CLOCK"));
  Put(out, Tag("CLCK"), clock);

  ASSIGN_OR_RETURN(std::vector<uint32_t> msr_indices, kvm.MsrIndexList());
  for (KvmVcpu* vcpu : vcpus) {
    out.U32(9);  // vCPU sections
    ASSIGN_OR_RETURN(kvm_regs regs, vcpu->GetRegs());
    Put(out, Tag("REGS"), regs);
    ASSIGN_OR_RETURN(kvm_sregs sregs, vcpu->GetSregs());
    Put(out, Tag("SREG"), sregs);
    RETURN_IF_ERROR(
        SaveStruct<Xsave>(out, *vcpu, Tag("XSAV"), kGetXsave, "KVM_GET_XSAVE"));
    RETURN_IF_ERROR(SaveStruct<kvm_xcrs>(out, *vcpu, Tag("XCRS"), KVM_GET_XCRS,
                                         "KVM_GET_XCRS"));
    RETURN_IF_ERROR(SaveStruct<kvm_debugregs>(
        out, *vcpu, Tag("DBGR"), KVM_GET_DEBUGREGS, "KVM_GET_DEBUGREGS"));
    RETURN_IF_ERROR(SaveStruct<kvm_lapic_state>(
        out, *vcpu, Tag("LAPC"), KVM_GET_LAPIC, "KVM_GET_LAPIC"));
    RETURN_IF_ERROR(SaveStruct<kvm_mp_state>(
        out, *vcpu, Tag("MPST"), KVM_GET_MP_STATE, "KVM_GET_MP_STATE"));
    RETURN_IF_ERROR(SaveStruct<kvm_vcpu_events>(
        out, *vcpu, Tag("EVNT"), KVM_GET_VCPU_EVENTS, "KVM_GET_VCPU_EVENTS"));
    ASSIGN_OR_RETURN(std::vector<kvm_msr_entry> msrs,
                     vcpu->GetMsrs(msr_indices));
    out.U32(Tag("MSRS"));
    out.U32(static_cast<uint32_t>(msrs.size() * 12));
    for (const kvm_msr_entry& msr : msrs) {
      out.U32(msr.index);
      out.U64(msr.data);
    }
  }
  return out.Take();
}

absl::Status RestoreKvmState(const KvmVm& vm, absl::Span<KvmVcpu* const> vcpus,
                             absl::Span<const uint8_t> state,
                             std::vector<std::string>& warnings) {
  if (state.size() < 16 || std::memcmp(state.data(), kMagic, 8) != 0) {
    return absl::DataLossError("KVM state: bad magic");
  }
  base::ByteReader in(state.subspan(8));
  const uint32_t version = in.U32();
  const uint32_t count = in.U32();
  if (version != kVersion) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "KVM state version %d; this vmm reads %d", version, kVersion));
  }
  if (count != vcpus.size()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "KVM state of %d vCPUs for a VM of %d", count, vcpus.size()));
  }
  // Parse the record before the first ioctl. (A later error leaves the new
  // VM half restored: the vmm then exits without running it.)
  ASSIGN_OR_RETURN(Sections vm_sections, ReadSections(in, in.U32(), "VM"));
  std::vector<Sections> vcpu_sections;
  for (uint32_t i = 0; i < count; ++i) {
    ASSIGN_OR_RETURN(Sections sections,
                     ReadSections(in, in.U32(), absl::StrFormat("vCPU %d", i)));
    vcpu_sections.push_back(std::move(sections));
  }
  if (in.remaining() != 0) {
    return absl::DataLossError("KVM state: unexpected bytes at the end");
  }

  kvm_irqchip chips[3];
  for (uint32_t chip = 0; chip < 3; ++chip) {
    ASSIGN_OR_RETURN(
        chips[chip],
        Get<kvm_irqchip>(vm_sections, Tag("CHP0") + (chip << 24), "the VM"));
  }
  ASSIGN_OR_RETURN(kvm_pit_state2 pit,
                   Get<kvm_pit_state2>(vm_sections, Tag("PIT2"), "the VM"));
  ASSIGN_OR_RETURN(kvm_clock_data clock,
                   Get<kvm_clock_data>(vm_sections, Tag("CLCK"), "the VM"));
  for (kvm_irqchip& chip : chips) {
    RETURN_IF_ERROR(vm.Ioctl(KVM_SET_IRQCHIP, &chip, "KVM_SET_IRQCHIP"));
  }
  RETURN_IF_ERROR(vm.Ioctl(KVM_SET_PIT2, &pit, "KVM_SET_PIT2"));
  // Only the clock value: not KVM_CLOCK_REALTIME, which would move it by
  // the wall-clock time the snapshot spent on disk.
  kvm_clock_data set_clock{};
  set_clock.clock = clock.clock;
  RETURN_IF_ERROR(vm.Ioctl(KVM_SET_CLOCK, &set_clock, "KVM_SET_CLOCK"));

  // Firecracker's and Cloud Hypervisor's order: the LAPIC after the special
  // registers (APIC base), the MSRs and events last.
  for (size_t i = 0; i < vcpus.size(); ++i) {
    const Sections& sections = vcpu_sections[i];
    const std::string what = absl::StrFormat("vCPU %d", i);
    KvmVcpu& vcpu = *vcpus[i];
    RETURN_IF_ERROR(RestoreStruct<kvm_mp_state>(sections, Tag("MPST"), what,
                                                vcpu, KVM_SET_MP_STATE,
                                                "KVM_SET_MP_STATE"));
    ASSIGN_OR_RETURN(kvm_regs regs, Get<kvm_regs>(sections, Tag("REGS"), what));
    RETURN_IF_ERROR(vcpu.SetRegs(regs));
    ASSIGN_OR_RETURN(kvm_sregs sregs,
                     Get<kvm_sregs>(sections, Tag("SREG"), what));
    AdjustTaskRegisterForSvm(sregs);
    RETURN_IF_ERROR(vcpu.SetSregs(sregs));
    RETURN_IF_ERROR(RestoreStruct<Xsave>(sections, Tag("XSAV"), what, vcpu,
                                         kSetXsave, "KVM_SET_XSAVE"));
    RETURN_IF_ERROR(RestoreStruct<kvm_xcrs>(sections, Tag("XCRS"), what, vcpu,
                                            KVM_SET_XCRS, "KVM_SET_XCRS"));
    RETURN_IF_ERROR(RestoreStruct<kvm_debugregs>(sections, Tag("DBGR"), what,
                                                 vcpu, KVM_SET_DEBUGREGS,
                                                 "KVM_SET_DEBUGREGS"));
    RETURN_IF_ERROR(RestoreStruct<kvm_lapic_state>(
        sections, Tag("LAPC"), what, vcpu, KVM_SET_LAPIC, "KVM_SET_LAPIC"));
    auto msr_bytes = sections.find(Tag("MSRS"));
    if (msr_bytes == sections.end() || msr_bytes->second.size() % 12 != 0) {
      return absl::DataLossError(
          absl::StrFormat("KVM state: %s has no MSR section", what));
    }
    base::ByteReader msr_in(msr_bytes->second);
    std::vector<kvm_msr_entry> msrs(msr_bytes->second.size() / 12);
    for (kvm_msr_entry& msr : msrs) {
      msr.index = msr_in.U32();
      msr.data = msr_in.U64();
    }
    if (const size_t refused = vcpu.SetMsrsSkippingRefused(msrs); refused) {
      warnings.push_back(absl::StrFormat("%s: KVM refused %d of %d saved MSRs",
                                         what, refused, msrs.size()));
    }
    RETURN_IF_ERROR(RestoreStruct<kvm_vcpu_events>(sections, Tag("EVNT"), what,
                                                   vcpu, KVM_SET_VCPU_EVENTS,
                                                   "KVM_SET_VCPU_EVENTS"));
  }
  return absl::OkStatus();
}

}  // namespace vmm
