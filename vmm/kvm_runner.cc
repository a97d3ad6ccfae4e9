#include "vmm/kvm_runner.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <x86intrin.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "acpi_tables/x86_acpi.h"
#include "base/status_macros.h"
#include "linux-loader/e820.h"
#include "vmm/exit_stats.h"
#include "vmm/kvm/kvm.h"
#include "vmm/kvm/kvm_state.h"
#include "vmm/x86/cpuid.h"
#include "vmm/x86/linux_loader.h"

namespace vmm {
namespace {

// Signals a vCPU thread out of KVM_RUN (the handler does nothing; the ioctl
// returns EINTR). Not blocked anywhere.
constexpr int kKickSignal = SIGUSR1;

std::vector<linux_loader::E820Entry> GuestE820(
    const vm_memory::GuestMemory& memory) {
  std::vector<linux_loader::E820Entry> e820;
  for (const auto& region : memory.regions()) {
    const uint64_t start = region->start().raw();
    const uint64_t end = region->last().raw() + 1;
    if (start == 0) {
      // Conventional memory, then the legacy video/BIOS hole to 1 MiB
      // (where RSDP scans look), then the rest of low RAM.
      e820.push_back(
          {0, std::min<uint64_t>(end, 0x9fc00), linux_loader::kE820Ram});
      e820.push_back(
          {0x9fc00, 0x100000 - 0x9fc00, linux_loader::kE820Reserved});
      if (end > 0x100000)
        e820.push_back({0x100000, end - 0x100000, linux_loader::kE820Ram});
    } else {
      e820.push_back({start, end - start, linux_loader::kE820Ram});
    }
  }
  return e820;
}

// Handles one exit; a fatal one, or a request to stop, lands in `latch`.
void HandleExit(KvmVcpu& vcpu, Machine& machine, StopLatch& latch) {
  kvm_run* run = vcpu.run();
  switch (run->exit_reason) {
    case KVM_EXIT_IO: {
      // String I/O (rep insb/outsb) arrives as `count` accesses in a row.
      uint8_t* data = reinterpret_cast<uint8_t*>(run) + run->io.data_offset;
      for (uint32_t i = 0; i < run->io.count; ++i) {
        auto span = absl::MakeSpan(data + i * run->io.size, run->io.size);
        if (run->io.direction == KVM_EXIT_IO_OUT) {
          machine.pio().Write(run->io.port, span);
        } else {
          machine.pio().Read(run->io.port, span);
        }
      }
      return;
    }
    case KVM_EXIT_MMIO: {
      auto span =
          absl::MakeSpan(run->mmio.data, std::min<uint32_t>(run->mmio.len, 8));
      if (run->mmio.is_write) {
        machine.mmio().Write(run->mmio.phys_addr, span);
      } else {
        machine.mmio().Read(run->mmio.phys_addr, span);
      }
      return;
    }
    case KVM_EXIT_INTR:
      return;
    case KVM_EXIT_HLT:
      // Only without an in-kernel local APIC: nothing can wake the vCPU.
      latch.Request(StopReason::kHalt);
      return;
    case KVM_EXIT_SYSTEM_EVENT:
      switch (run->system_event.type) {
        case KVM_SYSTEM_EVENT_SHUTDOWN:
          latch.Request(StopReason::kPowerOff);
          return;
        case KVM_SYSTEM_EVENT_RESET:
          latch.Request(StopReason::kReset);
          return;
        default:
          latch.Request(StopReason::kError,
                        absl::InternalError(absl::StrFormat(
                            "vCPU %d: KVM system event %d", vcpu.id(),
                            run->system_event.type)));
          return;
      }
    case KVM_EXIT_SHUTDOWN:
      latch.Request(
          StopReason::kError,
          absl::AbortedError(absl::StrFormat(
              "vCPU %d: triple fault (KVM_EXIT_SHUTDOWN)", vcpu.id())));
      return;
    case KVM_EXIT_FAIL_ENTRY:
      latch.Request(
          StopReason::kError,
          absl::InternalError(absl::StrFormat(
              "vCPU %d: VM entry failed, hardware reason 0x%x", vcpu.id(),
              run->fail_entry.hardware_entry_failure_reason)));
      return;
    case KVM_EXIT_INTERNAL_ERROR:
      latch.Request(StopReason::kError,
                    absl::InternalError(absl::StrFormat(
                        "vCPU %d: KVM internal error, suberror %d", vcpu.id(),
                        run->internal.suberror)));
      return;
    default:
      latch.Request(StopReason::kError, absl::InternalError(absl::StrFormat(
                                            "vCPU %d: unexpected KVM exit %d",
                                            vcpu.id(), run->exit_reason)));
      return;
  }
}

// The run as the control API sees it: pausing parks every vCPU thread
// between two KVM_RUNs, after one more KVM_RUN with immediate_exit set,
// which completes the I/O or MMIO the last exit left pending (KVM writes an
// IN's data into RAX and moves RIP past the instruction only on the next
// KVM_RUN) and returns at once: the registers saved are then whole.
class KvmRunControl : public VmControl {
 public:
  KvmRunControl(const Kvm& kvm, const KvmVm& vm,
                const std::vector<std::unique_ptr<KvmVcpu>>& vcpus,
                StopLatch& latch, bool start_paused)
      : kvm_(kvm),
        vm_(vm),
        vcpus_(vcpus),
        latch_(latch),
        pause_requested_(start_paused),
        pause_or_stop_(start_paused) {}

  void SetThreads(std::vector<pthread_t> threads) {
    absl::MutexLock lock(&mu_);
    threads_ = std::move(threads);
  }

  bool paused() override {
    absl::MutexLock lock(&mu_);
    return pause_requested_;
  }

  absl::Status Pause() override {
    absl::MutexLock lock(&mu_);
    if (pause_requested_) {
      return absl::FailedPreconditionError("the VM is already paused");
    }
    pause_requested_ = true;
    pause_or_stop_.store(true, std::memory_order_release);
    for (const auto& vcpu : vcpus_) vcpu->run()->immediate_exit = 1;
    for (pthread_t thread : threads_) pthread_kill(thread, kKickSignal);
    auto all_parked = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return parked_ == vcpus_.size() || stopping_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&all_parked),
                              absl::Seconds(10)) ||
        stopping_) {
      pause_requested_ = false;
      pause_or_stop_.store(stopping_, std::memory_order_release);
      return absl::AbortedError(stopping_
                                    ? "the VM is stopping"
                                    : "the vCPUs did not stop within 10 s");
    }
    return absl::OkStatus();
  }

  absl::Status Resume() override {
    absl::MutexLock lock(&mu_);
    if (!pause_requested_) {
      return absl::FailedPreconditionError("the VM is not paused");
    }
    pause_requested_ = false;
    pause_or_stop_.store(stopping_, std::memory_order_release);
    return absl::OkStatus();
  }

  void Shutdown() override { latch_.Request(StopReason::kPowerOff); }

  uint32_t vcpus() override { return static_cast<uint32_t>(vcpus_.size()); }

  absl::StatusOr<std::optional<std::vector<uint8_t>>> SaveCpuState() override {
    absl::MutexLock lock(&mu_);
    if (!pause_requested_ || parked_ != vcpus_.size() || stopping_) {
      return absl::FailedPreconditionError("the VM is not paused");
    }
    std::vector<KvmVcpu*> vcpus;
    for (const auto& vcpu : vcpus_) vcpus.push_back(vcpu.get());
    return SaveKvmState(kvm_, vm_, vcpus);
  }

  // The run is ending: parked vCPUs leave, and no pause waits any more.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    pause_or_stop_.store(true, std::memory_order_release);
  }

  // Called by each vCPU thread before KVM_RUN: parks it while a pause is
  // on. Returns at once otherwise. `handle_exit` serves an exit that the
  // completing KVM_RUN may still produce: finishing one piece of a string
  // I/O instruction (`rep insb`) can need the next piece from user space,
  // and a snapshot must not hold an exit half done.
  // Returns whether the thread parked.
  template <typename HandleExit>
  bool Checkpoint(KvmVcpu& vcpu, HandleExit handle_exit) {
    // The per-exit check reads a flag that only Pause, Resume and Stop
    // write, so vCPUs share its cache line without writing it (taking mu_
    // here cost every exit a lock round trip on a line all vCPUs write). A
    // pause that sets it just after this load still stops the vCPU:
    // immediate_exit makes its next KVM_RUN return at once, and the loop
    // comes back here.
    if (!pause_or_stop_.load(std::memory_order_acquire)) return false;
    {
      absl::MutexLock lock(&mu_);
      if (!pause_requested_ || stopping_) return false;
    }
    vcpu.run()->immediate_exit = 1;
    // EINTR (KVM_EXIT_INTR) once nothing is left pending.
    for (int i = 0; i < 1 << 20; ++i) {
      if (!vcpu.Run().ok() || vcpu.run()->exit_reason == KVM_EXIT_INTR) break;
      handle_exit();
    }
    absl::MutexLock lock(&mu_);
    ++parked_;
    auto released = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !pause_requested_ || stopping_;
    };
    mu_.Await(absl::Condition(&released));
    --parked_;
    if (!stopping_) vcpu.run()->immediate_exit = 0;
    return true;
  }

 private:
  const Kvm& kvm_;
  const KvmVm& vm_;
  const std::vector<std::unique_ptr<KvmVcpu>>& vcpus_;
  StopLatch& latch_;
  absl::Mutex mu_;
  std::vector<pthread_t> threads_ ABSL_GUARDED_BY(mu_);
  bool pause_requested_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t parked_ ABSL_GUARDED_BY(mu_) = 0;
  // pause_requested_ || stopping_, for Checkpoint's lock-free check.
  std::atomic<bool> pause_or_stop_;
};

// The vCPU loop. With `stats`, each exit is timed from KVM_RUN's return to
// just before the next KVM_RUN (the TSC, read without serializing: the
// interval is microseconds), and recorded after that second reading, so the
// bookkeeping itself is not in the figure.
void RunVcpu(KvmVcpu& vcpu, Machine& machine, StopLatch& latch,
             KvmRunControl& control, ExitStats* stats) {
  uint64_t returned = 0;
  while (!latch.stopped()) {
    // A pause is not part of an exit's cost.
    if (control.Checkpoint(vcpu, [&] { HandleExit(vcpu, machine, latch); })) {
      returned = 0;
    }
    if (latch.stopped()) return;
    if (stats != nullptr && returned != 0) {
      const uint64_t handled = __rdtsc() - returned;
      stats->Record(*vcpu.run(), handled);
    }
    absl::Status status = vcpu.Run();
    if (stats != nullptr) returned = __rdtsc();
    if (!status.ok()) {
      latch.Request(StopReason::kError, std::move(status));
      return;
    }
    HandleExit(vcpu, machine, latch);
  }
}

// TSC cycles per nanosecond over an interval, from the TSC and the monotonic
// clock read at both ends.
struct TscClock {
  uint64_t tsc = __rdtsc();
  absl::Time time = absl::Now();
  double CyclesPerNsSince(const TscClock& start) const {
    const double ns = absl::ToDoubleNanoseconds(time - start.time);
    return ns > 0 ? static_cast<double>(tsc - start.tsc) / ns : 0;
  }
};

// The registers that say where a vCPU was, for a run that ended badly.
std::string DescribeVcpu(const KvmVcpu& vcpu) {
  absl::StatusOr<kvm_regs> regs = vcpu.GetRegs();
  absl::StatusOr<kvm_sregs> sregs = vcpu.GetSregs();
  if (!regs.ok() || !sregs.ok()) {
    return absl::StrFormat("vCPU %d: registers unavailable", vcpu.id());
  }
  return absl::StrFormat(
      "vCPU %d: rip=0x%x rsp=0x%x rflags=0x%x cs=0x%x cr0=0x%x cr2=0x%x "
      "cr3=0x%x cr4=0x%x efer=0x%x",
      vcpu.id(), regs->rip, regs->rsp, regs->rflags, sregs->cs.selector,
      sregs->cr0, sregs->cr2, sregs->cr3, sregs->cr4, sregs->efer);
}

// A direct Linux boot: the ACPI tables in the BIOS area (which the E820 map
// reserves; the DSDT announces fw_cfg only when the machine has it, and
// without ACPI Debian's qemu_fw_cfg never finds it), the kernel, and the
// boot vCPU's registers.
absl::Status PrepareDirectBoot(const vm_memory::GuestMemory& memory,
                               const VmmOptions& options,
                               const acpi_tables::X86AcpiConfig& acpi_config,
                               KvmVcpu& boot_vcpu) {
  ASSIGN_OR_RETURN(std::vector<acpi_tables::AcpiGuestBlob> tables,
                   acpi_tables::BuildX86AcpiTables(acpi_config));
  for (const acpi_tables::AcpiGuestBlob& blob : tables) {
    absl::Status written =
        memory.Write(vm_memory::GuestAddress(blob.address), blob.bytes);
    if (!written.ok()) {
      return absl::ResourceExhaustedError(absl::StrFormat(
          "ACPI %s at 0x%x: %s", blob.name, blob.address, written.message()));
    }
  }
  ASSIGN_OR_RETURN(
      LinuxEntry entry,
      LoadLinux(memory, {.kernel_path = *options.kernel,
                         .initrd_path = options.initramfs,
                         .cmdline = options.cmdline,
                         .e820 = GuestE820(memory),
                         .rsdp_address = acpi_config.rsdp_address}));
  ASSIGN_OR_RETURN(kvm_sregs sregs, boot_vcpu.GetSregs());
  ApplyLongModeSregs(sregs);
  RETURN_IF_ERROR(boot_vcpu.SetSregs(sregs));
  RETURN_IF_ERROR(boot_vcpu.SetRegs(entry.regs));
  kvm_fpu fpu{};
  fpu.fcw = 0x37f;
  fpu.mxcsr = 0x1f80;
  return boot_vcpu.SetFpu(fpu);
}

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

// Waits until the latch holds a reason; a SIGINT or SIGTERM read from
// `signal_fd` becomes one.
void WaitForStop(StopLatch& latch, int signal_fd) {
  pollfd fds[2] = {{latch.fd(), POLLIN, 0}, {signal_fd, POLLIN, 0}};
  while (!latch.reason().has_value()) {
    if (poll(fds, 2, -1) < 0 && errno != EINTR) {
      latch.Request(StopReason::kError, absl::InternalError(absl::StrFormat(
                                            "poll: %s", std::strerror(errno))));
      return;
    }
    signalfd_siginfo info;
    if ((fds[1].revents & POLLIN) != 0 &&
        read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
      const int signal = static_cast<int>(info.ssi_signo);
      latch.Request(StopReason::kSignal,
                    absl::AbortedError(absl::StrFormat(
                        "stopped by signal %d (%s)", signal,
                        signal == SIGINT ? "SIGINT" : "SIGTERM")),
                    signal);
    }
  }
}

// Disconnects the irqchip from the machine's devices when the run ends,
// whichever way.
class IrqConnection {
 public:
  IrqConnection(IrqRelay& relay, const KvmVm& vm) : relay_(relay) {
    relay_.Connect([&vm](uint32_t irq) {
      (void)vm.SetIrqLine(irq, true);
      (void)vm.SetIrqLine(irq, false);
    });
  }
  ~IrqConnection() { relay_.Disconnect(); }

 private:
  IrqRelay& relay_;
};

}  // namespace

void BlockStopSignals() {
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

absl::StatusOr<RunOutcome> RunOnKvm(Machine& machine, const VmmOptions& options,
                                    const RunHooks& hooks) {
  if (options.layout != Layout::kX86_64) {
    return absl::InvalidArgumentError("running a guest needs --layout x86_64");
  }
  if (!options.kernel && !options.firmware) {
    return absl::InvalidArgumentError(
        "nothing to run: give --kernel or --firmware (or --qtest)");
  }
  BlockStopSignals();
  const sigset_t stop_signals = StopSignals();
  const int signal_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (signal_fd < 0) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("signalfd: %s", std::strerror(errno)));
  }
  const std::unique_ptr<int, void (*)(int*)> close_signal_fd(new int(signal_fd),
                                                             [](int* fd) {
                                                               close(*fd);
                                                               delete fd;
                                                             });

  absl::StatusOr<Kvm> kvm = Kvm::Open();
  if (!kvm.ok()) {
    return absl::UnavailableError(absl::StrFormat(
        "%s; without KVM, use --qtest to drive the machine without a vCPU",
        kvm.status().message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<KvmVm> vm, kvm->CreateVm());
  RETURN_IF_ERROR(vm->MapMemory(machine.memory()));
  RETURN_IF_ERROR(vm->CreateX86Irqchip());
  const IrqConnection irqs(machine.irqs(), *vm);

  ASSIGN_OR_RETURN(std::vector<kvm_cpuid_entry2> supported,
                   kvm->SupportedCpuid());
  const bool tsc_deadline = kvm->HasCapability(KVM_CAP_TSC_DEADLINE_TIMER);
  std::vector<std::unique_ptr<KvmVcpu>> vcpus;
  for (uint32_t id = 0; id < options.boot_cpus; ++id) {
    ASSIGN_OR_RETURN(std::unique_ptr<KvmVcpu> vcpu, vm->CreateVcpu(id));
    RETURN_IF_ERROR(vcpu->SetCpuid(CpuidFor(supported, id, tsc_deadline)));
    vcpus.push_back(std::move(vcpu));
  }
  // With firmware every vCPU keeps KVM's reset state (CS base 0xffff0000,
  // IP 0xfff0: the image's last 16 bytes) and the firmware installs ACPI
  // itself; otherwise the kernel is entered directly in 64-bit mode. A
  // restore loads the snapshot's state instead.
  if (hooks.restore_cpu != nullptr) {
    std::vector<KvmVcpu*> raw;
    for (const auto& vcpu : vcpus) raw.push_back(vcpu.get());
    std::vector<std::string> warnings;
    RETURN_IF_ERROR(RestoreKvmState(*vm, raw, *hooks.restore_cpu, warnings));
    for (const std::string& warning : warnings) {
      std::fprintf(stderr, "vmm: warning: restore: %s\n", warning.c_str());
    }
  } else if (!options.firmware) {
    RETURN_IF_ERROR(PrepareDirectBoot(machine.memory(), options,
                                      machine.acpi_config(), *vcpus[0]));
  }

  struct sigaction kick {};
  kick.sa_handler = [](int) {};
  sigaction(kKickSignal, &kick, nullptr);  // No SA_RESTART: KVM_RUN -> EINTR.

  StopLatch& latch = machine.stop_latch();
  latch.Clear();
  KvmRunControl control(*kvm, *vm, vcpus, latch, hooks.start_paused);
  std::vector<std::thread> threads;
  std::vector<pthread_t> handles;
  // One ExitStats per vCPU thread (no sharing on the exit path).
  std::vector<ExitStats> stats(options.exit_stats ? vcpus.size() : 0);
  const TscClock run_start;
  for (size_t i = 0; i < vcpus.size(); ++i) {
    ExitStats* vcpu_stats = stats.empty() ? nullptr : &stats[i];
    threads.emplace_back(
        [&machine, &latch, &control, raw = vcpus[i].get(), vcpu_stats] {
          RunVcpu(*raw, machine, latch, control, vcpu_stats);
        });
    handles.push_back(threads.back().native_handle());
  }
  control.SetThreads(std::move(handles));
  if (hooks.attach) hooks.attach(&control);
  WaitForStop(latch, signal_fd);
  // Stop first: a vm.pause in progress then gives up at once instead of
  // holding the API while it waits for vCPUs that are leaving.
  control.Stop();
  if (hooks.attach) hooks.attach(nullptr);
  // Wake every vCPU so it sees the end: immediate_exit makes a KVM_RUN that
  // starts after the kick return at once.
  for (auto& vcpu : vcpus) vcpu->run()->immediate_exit = 1;
  for (auto& thread : threads)
    pthread_kill(thread.native_handle(), kKickSignal);
  for (auto& thread : threads) thread.join();

  RunOutcome outcome;
  if (options.exit_stats) {
    ExitStats all;
    for (const ExitStats& vcpu_stats : stats) all.Merge(vcpu_stats);
    outcome.exit_stats = all.Report(TscClock().CyclesPerNsSince(run_start));
  }
  outcome.reason = *latch.reason();
  outcome.error = latch.error();
  outcome.signal = latch.signal();
  if (outcome.reason == StopReason::kError ||
      outcome.reason == StopReason::kSignal ||
      outcome.reason == StopReason::kHalt) {
    // Where the guest was: the first thing to look at after a triple fault,
    // a KVM error or a guest stopped because it hung.
    for (const auto& vcpu : vcpus) {
      if (!outcome.vcpu_state.empty()) outcome.vcpu_state += "\n";
      outcome.vcpu_state += DescribeVcpu(*vcpu);
    }
  }
  return outcome;
}

}  // namespace vmm
