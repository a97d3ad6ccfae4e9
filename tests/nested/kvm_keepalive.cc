// kvm_keepalive: holds one idle KVM VM (with the in-kernel irqchip and a
// vCPU that never runs) open until it is killed.
//
// Why (tests/nested/README.md): creating or destroying a VM flips kernel
// static keys when it is the only one, KVM's preempt-notifier key among
// them, whose branch sits in __schedule; flipping one rewrites kernel code
// live, with int3 (text_poke_bp). In the nested harness's L1, under QEMU's
// multi-threaded TCG, that rewrite of code every vCPU is running
// occasionally left both L1 vCPUs looping on the int3 at __schedule+0x2ab
// with interrupts off (about 1 in 300 VM creations). While this VM lives,
// the keys' counts never drop to zero, so the test guests' VMs come and go
// without any code being rewritten.

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "vmm/kvm/kvm.h"

int main() {
  absl::StatusOr<vmm::Kvm> kvm = vmm::Kvm::Open();
  absl::StatusOr<std::unique_ptr<vmm::KvmVm>> vm =
      kvm.ok() ? kvm->CreateVm() : kvm.status();
  absl::Status status = vm.ok() ? (*vm)->CreateX86Irqchip() : vm.status();
  absl::StatusOr<std::unique_ptr<vmm::KvmVcpu>> vcpu =
      status.ok() ? (*vm)->CreateVcpu(0) : status;
  if (!vcpu.ok()) {
    std::fprintf(stderr, "kvm_keepalive: %s\n",
                 std::string(vcpu.status().message()).c_str());
    return 1;
  }
  std::printf("kvm_keepalive: holding an idle VM\n");
  std::fflush(stdout);
  for (;;) pause();
}
