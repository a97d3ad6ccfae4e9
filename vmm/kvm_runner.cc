#include "vmm/kvm_runner.h"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "acpi_tables/x86_acpi.h"
#include "base/status_macros.h"
#include "vmm/devices/acpi_pm.h"
#include "vmm/devices/i8042.h"
#include "vmm/devices/serial.h"
#include "vmm/kvm/kvm.h"
#include "vmm/x86/cpuid.h"
#include "vmm/x86/linux_loader.h"

namespace vmm {
namespace {

// Signals a vCPU thread out of KVM_RUN (the handler does nothing; the ioctl
// returns EINTR).
constexpr int kKickSignal = SIGUSR1;

// How the run ended, set once by whichever thread sees the end first.
class Outcome {
 public:
  void Finish(absl::Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (done_.exchange(true)) return;
    status_ = std::move(status);
  }
  bool done() const { return done_.load(); }
  absl::Status status() {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }

 private:
  std::atomic<bool> done_{false};
  std::mutex mu_;
  absl::Status status_;
};

std::vector<fw_cfg::E820Entry> GuestE820(const vm_memory::GuestMemory& memory) {
  std::vector<fw_cfg::E820Entry> e820;
  for (const auto& region : memory.regions()) {
    const uint64_t start = region->start().raw();
    const uint64_t end = region->last().raw() + 1;
    if (start == 0) {
      // Conventional memory, then the legacy video/BIOS hole to 1 MiB
      // (where RSDP scans look), then the rest of low RAM.
      e820.push_back({0, std::min<uint64_t>(end, 0x9fc00), fw_cfg::kE820Ram});
      e820.push_back({0x9fc00, 0x100000 - 0x9fc00, fw_cfg::kE820Reserved});
      if (end > 0x100000)
        e820.push_back({0x100000, end - 0x100000, fw_cfg::kE820Ram});
    } else {
      e820.push_back({start, end - start, fw_cfg::kE820Ram});
    }
  }
  return e820;
}

absl::Status HandleExit(KvmVcpu& vcpu, Machine& machine, Outcome& outcome) {
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
      return absl::OkStatus();
    }
    case KVM_EXIT_MMIO: {
      auto span =
          absl::MakeSpan(run->mmio.data, std::min<uint32_t>(run->mmio.len, 8));
      if (run->mmio.is_write) {
        machine.mmio().Write(run->mmio.phys_addr, span);
      } else {
        machine.mmio().Read(run->mmio.phys_addr, span);
      }
      return absl::OkStatus();
    }
    case KVM_EXIT_INTR:
      return absl::OkStatus();
    case KVM_EXIT_HLT:
      outcome.Finish(absl::OkStatus());  // Halted with no way to wake up.
      return absl::OkStatus();
    case KVM_EXIT_SYSTEM_EVENT:
      outcome.Finish(absl::OkStatus());  // Guest reset or power-off.
      return absl::OkStatus();
    case KVM_EXIT_SHUTDOWN:
      return absl::AbortedError(absl::StrFormat(
          "vCPU %d: triple fault (KVM_EXIT_SHUTDOWN)", vcpu.id()));
    case KVM_EXIT_FAIL_ENTRY:
      return absl::InternalError(absl::StrFormat(
          "vCPU %d: VM entry failed, hardware reason 0x%x", vcpu.id(),
          run->fail_entry.hardware_entry_failure_reason));
    case KVM_EXIT_INTERNAL_ERROR:
      return absl::InternalError(
          absl::StrFormat("vCPU %d: KVM internal error, suberror %d", vcpu.id(),
                          run->internal.suberror));
    default:
      return absl::InternalError(absl::StrFormat(
          "vCPU %d: unexpected KVM exit %d", vcpu.id(), run->exit_reason));
  }
}

void RunVcpu(KvmVcpu& vcpu, Machine& machine, Outcome& outcome) {
  while (!outcome.done()) {
    absl::Status status = vcpu.Run();
    if (status.ok()) status = HandleExit(vcpu, machine, outcome);
    if (!status.ok()) outcome.Finish(status);
  }
}

// Set by SIGINT/SIGTERM; the main thread ends the run when it sees it.
std::atomic<int> g_stop_signal{0};

// The registers that say where a vCPU was, for a run that ended in error.
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
  ASSIGN_OR_RETURN(acpi_tables::X86AcpiTables acpi,
                   acpi_tables::BuildX86AcpiTables(acpi_config));
  for (const acpi_tables::AcpiGuestBlob& blob : acpi.direct_boot) {
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

}  // namespace

absl::Status RunOnKvm(Machine& machine, const VmmOptions& options) {
  if (options.layout != Layout::kX86_64) {
    return absl::InvalidArgumentError("running a guest needs --layout x86_64");
  }
  if (!options.kernel && !options.firmware) {
    return absl::InvalidArgumentError(
        "nothing to run: give --kernel or --firmware (or --qtest)");
  }
  absl::StatusOr<Kvm> kvm = Kvm::Open();
  if (!kvm.ok()) {
    return absl::UnavailableError(absl::StrFormat(
        "%s; without KVM, use --qtest to drive the machine without a vCPU",
        kvm.status().message()));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<KvmVm> vm, kvm->CreateVm());
  RETURN_IF_ERROR(vm->MapMemory(machine.memory()));
  RETURN_IF_ERROR(vm->CreateX86Irqchip());

  Outcome outcome;
  // COM1.
  std::FILE* console = nullptr;
  if (options.serial == SerialMode::kTty) console = stdout;
  if (options.serial == SerialMode::kFile) {
    console = std::fopen(options.serial_path.c_str(), "w");
    if (console == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrFormat("--serial: cannot open %s", options.serial_path));
    }
    // Unbuffered, so a reader of the file sees each byte as the guest sends
    // it (tests time console markers).
    std::setvbuf(console, nullptr, _IONBF, 0);
  }
  const KvmVm* vm_raw = vm.get();
  auto serial = std::make_shared<Serial16550>(
      [console](uint8_t byte) {
        if (console != nullptr) {
          std::fputc(byte, console);
          if (byte == '\n') std::fflush(console);
        }
      },
      [vm_raw] {
        (void)vm_raw->SetIrqLine(Serial16550::kCom1Irq, true);
        (void)vm_raw->SetIrqLine(Serial16550::kCom1Irq, false);
      });
  RETURN_IF_ERROR(machine.pio().Insert(serial, Serial16550::kCom1Base, 8));
  auto i8042 =
      std::make_shared<I8042>([&outcome] { outcome.Finish(absl::OkStatus()); });
  RETURN_IF_ERROR(machine.pio().Insert(i8042, I8042::kDataPort, I8042::kSize));

  // ACPI's fixed PM1 block: S5 powers off.
  const acpi_tables::X86AcpiConfig acpi_config =
      X86AcpiConfigFor(options, machine.fw_cfg() != nullptr);
  auto acpi_pm = std::make_shared<AcpiPm>(
      [&outcome] { outcome.Finish(absl::OkStatus()); });
  RETURN_IF_ERROR(
      machine.pio().Insert(acpi_pm, acpi_config.pm_io_base, AcpiPm::kSize));

  ASSIGN_OR_RETURN(std::vector<kvm_cpuid_entry2> supported,
                   kvm->SupportedCpuid());
  std::vector<std::unique_ptr<KvmVcpu>> vcpus;
  for (uint32_t id = 0; id < options.boot_cpus; ++id) {
    ASSIGN_OR_RETURN(std::unique_ptr<KvmVcpu> vcpu, vm->CreateVcpu(id));
    RETURN_IF_ERROR(vcpu->SetCpuid(CpuidFor(
        supported, id, kvm->HasCapability(KVM_CAP_TSC_DEADLINE_TIMER))));
    vcpus.push_back(std::move(vcpu));
  }
  // With firmware every vCPU keeps KVM's reset state (CS base 0xffff0000,
  // IP 0xfff0: the image's last 16 bytes) and the firmware installs ACPI
  // itself; otherwise the kernel is entered directly in 64-bit mode.
  if (!options.firmware) {
    RETURN_IF_ERROR(
        PrepareDirectBoot(machine.memory(), options, acpi_config, *vcpus[0]));
  }

  struct sigaction kick {};
  kick.sa_handler = [](int) {};
  sigaction(kKickSignal, &kick, nullptr);  // No SA_RESTART: KVM_RUN -> EINTR.
  struct sigaction stop {};
  stop.sa_handler = [](int signal) { g_stop_signal.store(signal); };
  sigaction(SIGINT, &stop, nullptr);
  sigaction(SIGTERM, &stop, nullptr);

  std::vector<std::thread> threads;
  for (auto& vcpu : vcpus) {
    threads.emplace_back(
        [&, raw = vcpu.get()] { RunVcpu(*raw, machine, outcome); });
  }
  // Whoever ends the run, wake the others so they see it: immediate_exit
  // makes a KVM_RUN that starts after the kick return at once.
  while (!outcome.done()) {
    if (const int signal = g_stop_signal.load(); signal != 0) {
      outcome.Finish(absl::AbortedError(
          absl::StrFormat("stopped by signal %d (%s)", signal,
                          signal == SIGINT ? "SIGINT" : "SIGTERM")));
    }
    usleep(10000);
  }
  for (auto& vcpu : vcpus) vcpu->run()->immediate_exit = 1;
  for (auto& thread : threads)
    pthread_kill(thread.native_handle(), kKickSignal);
  for (auto& thread : threads) thread.join();
  if (console != nullptr) std::fflush(console);
  if (console != nullptr && console != stdout) std::fclose(console);
  absl::Status status = outcome.status();
  if (!status.ok()) {
    // Where the guest was: the first thing to look at after a triple fault,
    // a KVM error or a guest stopped because it hung.
    for (const auto& vcpu : vcpus) {
      status = absl::Status(
          status.code(),
          absl::StrFormat("%s\n  %s", status.message(), DescribeVcpu(*vcpu)));
    }
  }
  return status;
}

int KvmStopSignal() { return g_stop_signal.load(); }

}  // namespace vmm
