// Thin, owning wrappers over the KVM ioctl API: the system (/dev/kvm), a VM
// and its vCPUs. Every ioctl failure becomes an absl::Status naming the call.
//
//   ASSIGN_OR_RETURN(Kvm kvm, Kvm::Open());
//   ASSIGN_OR_RETURN(std::unique_ptr<KvmVm> vm, kvm.CreateVm());
//   RETURN_IF_ERROR(vm->MapMemory(memory));
//   ASSIGN_OR_RETURN(std::unique_ptr<KvmVcpu> vcpu, vm->CreateVcpu(0));

#ifndef VMM_KVM_KVM_H_
#define VMM_KVM_KVM_H_

#include <linux/kvm.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "vm-memory/guest_memory.h"

namespace vmm {

class KvmVm;
class KvmVcpu;

// /dev/kvm.
class Kvm {
 public:
  // Fails with Unavailable, naming the path and errno, when KVM cannot be
  // opened (absent module, no permission, nested virtualization off).
  static absl::StatusOr<Kvm> Open(const char* path = "/dev/kvm");
  Kvm(Kvm&& other) noexcept = default;
  Kvm& operator=(Kvm&&) = delete;

  absl::StatusOr<std::unique_ptr<KvmVm>> CreateVm() const;
  // KVM_GET_SUPPORTED_CPUID: what the guest may be shown.
  absl::StatusOr<std::vector<kvm_cpuid_entry2>> SupportedCpuid() const;
  // KVM_CHECK_EXTENSION: whether KVM has `capability` (KVM_CAP_*).
  bool HasCapability(unsigned long capability) const;
  int vcpu_mmap_size() const { return vcpu_mmap_size_; }
  // KVM_GET_MSR_INDEX_LIST: the MSRs a snapshot saves.
  absl::StatusOr<std::vector<uint32_t>> MsrIndexList() const;

 private:
  Kvm(base::UniqueFd fd, int vcpu_mmap_size)
      : fd_(std::move(fd)), vcpu_mmap_size_(vcpu_mmap_size) {}
  base::UniqueFd fd_;
  int vcpu_mmap_size_ = 0;
};

class KvmVm {
 public:
  KvmVm(const KvmVm&) = delete;
  KvmVm& operator=(const KvmVm&) = delete;

  // Registers every region of `memory` as a KVM memory slot (read-only
  // regions as KVM_MEM_READONLY, so guest writes exit as MMIO).
  absl::Status MapMemory(const vm_memory::GuestMemory& memory);
  // The x86 in-kernel interrupt controllers (PIC, IOAPIC, LAPICs) and PIT,
  // plus the TSS and identity-map pages Intel VMX needs below 4 GiB.
  absl::Status CreateX86Irqchip();
  // Sets an interrupt line of the in-kernel irqchip (KVM_IRQ_LINE).
  absl::Status SetIrqLine(uint32_t irq, bool level) const;
  absl::StatusOr<std::unique_ptr<KvmVcpu>> CreateVcpu(uint32_t id) const;
  // An ioctl on the VM with a fixed-size argument (KVM_GET_IRQCHIP, ...):
  // `name` goes into the error.
  absl::Status Ioctl(unsigned long request, void* arg, const char* name) const;

 private:
  friend class Kvm;
  KvmVm(base::UniqueFd fd, int vcpu_mmap_size)
      : fd_(std::move(fd)), vcpu_mmap_size_(vcpu_mmap_size) {}
  const base::UniqueFd fd_;
  const int vcpu_mmap_size_;
};

class KvmVcpu {
 public:
  ~KvmVcpu();
  KvmVcpu(const KvmVcpu&) = delete;
  KvmVcpu& operator=(const KvmVcpu&) = delete;

  absl::StatusOr<kvm_regs> GetRegs() const;
  absl::Status SetRegs(const kvm_regs& regs) const;
  absl::StatusOr<kvm_sregs> GetSregs() const;
  absl::Status SetSregs(const kvm_sregs& sregs) const;
  absl::Status SetCpuid(const std::vector<kvm_cpuid_entry2>& entries) const;
  absl::Status SetFpu(const kvm_fpu& fpu) const;
  absl::Status SetMsrs(const std::vector<kvm_msr_entry>& msrs) const;
  // KVM_GET_MSRS of `indices`, skipping the ones KVM refuses to read.
  absl::StatusOr<std::vector<kvm_msr_entry>> GetMsrs(
      const std::vector<uint32_t>& indices) const;
  // KVM_SET_MSRS entry by entry past refusals; returns how many KVM refused.
  size_t SetMsrsSkippingRefused(const std::vector<kvm_msr_entry>& msrs) const;
  // An ioctl on the vCPU with a fixed-size argument (KVM_GET_LAPIC, ...).
  absl::Status Ioctl(unsigned long request, void* arg, const char* name) const;

  // Runs until the next exit (KVM_RUN). EINTR is returned as OK with
  // run()->exit_reason == KVM_EXIT_INTR.
  absl::Status Run();
  // The shared kvm_run page: exit reason and exit data.
  kvm_run* run() const { return run_; }
  uint32_t id() const { return id_; }

 private:
  friend class KvmVm;
  KvmVcpu(base::UniqueFd fd, kvm_run* run, int run_size, uint32_t id)
      : fd_(std::move(fd)), run_(run), run_size_(run_size), id_(id) {}
  const base::UniqueFd fd_;
  kvm_run* const run_;
  const int run_size_;
  const uint32_t id_;
};

}  // namespace vmm

#endif  // VMM_KVM_KVM_H_
