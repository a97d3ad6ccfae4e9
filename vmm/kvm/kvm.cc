#include "vmm/kvm/kvm.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_format.h"

namespace vmm {
namespace {

// Linux's uapi headers declare kvm_cpuid2, kvm_msrs and kvm_irq_routing with
// __DECLARE_FLEX_ARRAY, which in C++ adds a byte-sized member: sizeof grows
// from 8 to 12 and the ioctl numbers built from it are wrong (the kernel
// answers EINVAL). Build those numbers, and the buffers, from the 8-byte
// header the kernel expects.
struct ListHeader {
  uint32_t count;
  uint32_t padding;
};
static_assert(sizeof(ListHeader) == 8);
constexpr unsigned long kGetSupportedCpuid = _IOWR(KVMIO, 0x05, ListHeader);
constexpr unsigned long kSetCpuid2 = _IOW(KVMIO, 0x90, ListHeader);
constexpr unsigned long kSetMsrs = _IOW(KVMIO, 0x89, ListHeader);
constexpr unsigned long kSetGsiRouting = _IOW(KVMIO, 0x6a, ListHeader);
constexpr unsigned long kGetMsrs = _IOWR(KVMIO, 0x88, ListHeader);
// kvm_msr_list's header is one u32.
constexpr unsigned long kGetMsrIndexList = _IOWR(KVMIO, 0x02, uint32_t);

// A ListHeader followed by `entries`, as one buffer.
template <typename Entry>
std::vector<uint8_t> ListBuffer(const Entry* entries, size_t count) {
  std::vector<uint8_t> buffer(sizeof(ListHeader) + count * sizeof(Entry));
  const ListHeader header{static_cast<uint32_t>(count), 0};
  std::memcpy(buffer.data(), &header, sizeof(header));
  if (count > 0) {
    std::memcpy(buffer.data() + sizeof(header), entries, count * sizeof(Entry));
  }
  return buffer;
}

kvm_irq_routing_entry IrqchipRoute(uint32_t gsi, uint32_t chip, uint32_t pin) {
  kvm_irq_routing_entry entry{};
  entry.gsi = gsi;
  entry.type = KVM_IRQ_ROUTING_IRQCHIP;
  entry.u.irqchip.irqchip = chip;
  entry.u.irqchip.pin = pin;
  return entry;
}

// The GSI routing of QEMU's PC machines (kvm_pc_setup_irq_routing): ISA IRQs
// 0-15 reach the 8259s (IRQ 2 is the cascade), and the I/O APIC's 24 pins
// take GSI n on pin n, except that the PIT's IRQ 0 arrives on pin 2. KVM's
// default routing puts IRQ 0 on pin 0, which would contradict the MADT's
// IRQ0 -> GSI2 override and leave Linux's timer check without interrupts.
std::vector<kvm_irq_routing_entry> PcIrqRouting() {
  std::vector<kvm_irq_routing_entry> routes;
  for (uint32_t irq = 0; irq < 16; ++irq) {
    if (irq == 2) continue;
    routes.push_back(irq < 8
                         ? IrqchipRoute(irq, KVM_IRQCHIP_PIC_MASTER, irq)
                         : IrqchipRoute(irq, KVM_IRQCHIP_PIC_SLAVE, irq - 8));
  }
  for (uint32_t gsi = 0; gsi < 24; ++gsi) {
    if (gsi == 2) continue;
    routes.push_back(IrqchipRoute(gsi, KVM_IRQCHIP_IOAPIC, gsi == 0 ? 2 : gsi));
  }
  return routes;
}

absl::Status IoctlError(const char* call) {
  return absl::InternalError(
      absl::StrFormat("KVM %s failed: %s", call, std::strerror(errno)));
}

}  // namespace

absl::StatusOr<Kvm> Kvm::Open(const char* path) {
  // No O_CREAT: a probe must never leave a file where the device belongs.
  base::UniqueFd fd(open(path, O_RDWR | O_CLOEXEC));
  if (!fd.valid()) {
    return absl::UnavailableError(
        absl::StrFormat("cannot open %s: %s", path, std::strerror(errno)));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0 || !S_ISCHR(st.st_mode)) {
    return absl::UnavailableError(absl::StrFormat(
        "%s is not a character device (a file left there by a faulty probe? "
        "remove it)",
        path));
  }
  const int version = ioctl(fd.get(), KVM_GET_API_VERSION, 0);
  if (version != KVM_API_VERSION) {
    return absl::UnavailableError(absl::StrFormat(
        "%s speaks KVM API %d, not %d", path, version, KVM_API_VERSION));
  }
  const int mmap_size = ioctl(fd.get(), KVM_GET_VCPU_MMAP_SIZE, 0);
  if (mmap_size <= 0) return IoctlError("KVM_GET_VCPU_MMAP_SIZE");
  return Kvm(std::move(fd), mmap_size);
}

absl::StatusOr<std::unique_ptr<KvmVm>> Kvm::CreateVm() const {
  base::UniqueFd vm(ioctl(fd_.get(), KVM_CREATE_VM, 0));
  if (!vm.valid()) return IoctlError("KVM_CREATE_VM");
  return std::unique_ptr<KvmVm>(new KvmVm(std::move(vm), vcpu_mmap_size_));
}

absl::StatusOr<std::vector<kvm_cpuid_entry2>> Kvm::SupportedCpuid() const {
  constexpr size_t kMaxEntries = 256;
  std::vector<kvm_cpuid_entry2> entries(kMaxEntries);
  std::vector<uint8_t> buffer = ListBuffer(entries.data(), entries.size());
  if (ioctl(fd_.get(), kGetSupportedCpuid, buffer.data()) < 0) {
    return IoctlError("KVM_GET_SUPPORTED_CPUID");
  }
  ListHeader header;
  std::memcpy(&header, buffer.data(), sizeof(header));
  entries.resize(std::min<size_t>(header.count, kMaxEntries));
  std::memcpy(entries.data(), buffer.data() + sizeof(header),
              entries.size() * sizeof(kvm_cpuid_entry2));
  return entries;
}

absl::StatusOr<std::vector<uint32_t>> Kvm::MsrIndexList() const {
  // Asked with room for none, KVM says how many there are (E2BIG).
  std::vector<uint32_t> buffer(1, 0);
  if (ioctl(fd_.get(), kGetMsrIndexList, buffer.data()) < 0 && errno != E2BIG) {
    return IoctlError("KVM_GET_MSR_INDEX_LIST");
  }
  const uint32_t count = buffer[0];
  buffer.assign(count + 1, 0);
  buffer[0] = count;
  if (ioctl(fd_.get(), kGetMsrIndexList, buffer.data()) < 0) {
    return IoctlError("KVM_GET_MSR_INDEX_LIST");
  }
  return std::vector<uint32_t>(buffer.begin() + 1,
                               buffer.begin() + 1 + std::min(count, buffer[0]));
}

bool Kvm::HasCapability(unsigned long capability) const {
  return ioctl(fd_.get(), KVM_CHECK_EXTENSION, capability) > 0;
}

absl::Status KvmVm::MapMemory(const vm_memory::GuestMemory& memory) {
  uint32_t slot = 0;
  for (const auto& region : memory.regions()) {
    kvm_userspace_memory_region kvm_region{};
    kvm_region.slot = slot++;
    kvm_region.flags = region->read_only() ? KVM_MEM_READONLY : 0;
    kvm_region.guest_phys_addr = region->start().raw();
    kvm_region.memory_size = region->size();
    kvm_region.userspace_addr =
        reinterpret_cast<uint64_t>(region->host_address());
    if (ioctl(fd_.get(), KVM_SET_USER_MEMORY_REGION, &kvm_region) < 0) {
      return IoctlError("KVM_SET_USER_MEMORY_REGION");
    }
  }
  return absl::OkStatus();
}

absl::Status KvmVm::CreateX86Irqchip() {
  // Four pages just below the top 16 MiB, where QEMU puts them
  // (kvm_arch_init): clear of guest RAM and of a firmware image of up to
  // 16 MiB ending at 4 GiB, which KVM requires.
  uint64_t identity_map = 0xfeffc000;
  if (ioctl(fd_.get(), KVM_SET_TSS_ADDR, identity_map + 0x1000) < 0)
    return IoctlError("KVM_SET_TSS_ADDR");
  if (ioctl(fd_.get(), KVM_SET_IDENTITY_MAP_ADDR, &identity_map) < 0) {
    return IoctlError("KVM_SET_IDENTITY_MAP_ADDR");
  }
  if (ioctl(fd_.get(), KVM_CREATE_IRQCHIP, 0) < 0)
    return IoctlError("KVM_CREATE_IRQCHIP");
  const std::vector<kvm_irq_routing_entry> routes = PcIrqRouting();
  std::vector<uint8_t> routing = ListBuffer(routes.data(), routes.size());
  if (ioctl(fd_.get(), kSetGsiRouting, routing.data()) < 0)
    return IoctlError("KVM_SET_GSI_ROUTING");
  kvm_pit_config pit{};
  pit.flags = KVM_PIT_SPEAKER_DUMMY;
  if (ioctl(fd_.get(), KVM_CREATE_PIT2, &pit) < 0)
    return IoctlError("KVM_CREATE_PIT2");
  return absl::OkStatus();
}

absl::Status KvmVm::SetIrqLine(uint32_t irq, bool level) const {
  kvm_irq_level line{};
  line.irq = irq;
  line.level = level ? 1 : 0;
  if (ioctl(fd_.get(), KVM_IRQ_LINE, &line) < 0)
    return IoctlError("KVM_IRQ_LINE");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<KvmVcpu>> KvmVm::CreateVcpu(uint32_t id) const {
  base::UniqueFd fd(ioctl(fd_.get(), KVM_CREATE_VCPU, id));
  if (!fd.valid()) return IoctlError("KVM_CREATE_VCPU");
  void* run = mmap(nullptr, vcpu_mmap_size_, PROT_READ | PROT_WRITE, MAP_SHARED,
                   fd.get(), 0);
  if (run == MAP_FAILED) return IoctlError("mmap of kvm_run");
  return std::unique_ptr<KvmVcpu>(new KvmVcpu(
      std::move(fd), static_cast<kvm_run*>(run), vcpu_mmap_size_, id));
}

KvmVcpu::~KvmVcpu() { munmap(run_, run_size_); }

absl::StatusOr<kvm_regs> KvmVcpu::GetRegs() const {
  kvm_regs regs{};
  if (ioctl(fd_.get(), KVM_GET_REGS, &regs) < 0)
    return IoctlError("KVM_GET_REGS");
  return regs;
}

absl::Status KvmVcpu::SetRegs(const kvm_regs& regs) const {
  if (ioctl(fd_.get(), KVM_SET_REGS, &regs) < 0)
    return IoctlError("KVM_SET_REGS");
  return absl::OkStatus();
}

absl::StatusOr<kvm_sregs> KvmVcpu::GetSregs() const {
  kvm_sregs sregs{};
  if (ioctl(fd_.get(), KVM_GET_SREGS, &sregs) < 0)
    return IoctlError("KVM_GET_SREGS");
  return sregs;
}

absl::Status KvmVcpu::SetSregs(const kvm_sregs& sregs) const {
  if (ioctl(fd_.get(), KVM_SET_SREGS, &sregs) < 0)
    return IoctlError("KVM_SET_SREGS");
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetCpuid(
    const std::vector<kvm_cpuid_entry2>& entries) const {
  std::vector<uint8_t> buffer = ListBuffer(entries.data(), entries.size());
  if (ioctl(fd_.get(), kSetCpuid2, buffer.data()) < 0)
    return IoctlError("KVM_SET_CPUID2");
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetFpu(const kvm_fpu& fpu) const {
  if (ioctl(fd_.get(), KVM_SET_FPU, &fpu) < 0) return IoctlError("KVM_SET_FPU");
  return absl::OkStatus();
}

absl::Status KvmVcpu::SetMsrs(const std::vector<kvm_msr_entry>& msrs) const {
  std::vector<uint8_t> buffer = ListBuffer(msrs.data(), msrs.size());
  const int set = ioctl(fd_.get(), kSetMsrs, buffer.data());
  if (set < 0) return IoctlError("KVM_SET_MSRS");
  if (static_cast<size_t>(set) != msrs.size()) {
    return absl::InternalError(
        absl::StrFormat("KVM_SET_MSRS set %d of %d MSRs", set, msrs.size()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<kvm_msr_entry>> KvmVcpu::GetMsrs(
    const std::vector<uint32_t>& indices) const {
  std::vector<kvm_msr_entry> read;
  size_t next = 0;
  while (next < indices.size()) {
    std::vector<kvm_msr_entry> entries(indices.size() - next);
    for (size_t i = 0; i < entries.size(); ++i) {
      entries[i].index = indices[next + i];
    }
    std::vector<uint8_t> buffer = ListBuffer(entries.data(), entries.size());
    const int got = ioctl(fd_.get(), kGetMsrs, buffer.data());
    if (got < 0) return IoctlError("KVM_GET_MSRS");
    // KVM stops at the first MSR it cannot read: keep those before it and
    // go on after it.
    for (int i = 0; i < got; ++i) {
      kvm_msr_entry entry;
      std::memcpy(&entry,
                  buffer.data() + sizeof(ListHeader) + i * sizeof(entry),
                  sizeof(entry));
      read.push_back(entry);
    }
    next += static_cast<size_t>(got) + 1;
  }
  return read;
}

size_t KvmVcpu::SetMsrsSkippingRefused(
    const std::vector<kvm_msr_entry>& msrs) const {
  size_t refused = 0;
  size_t next = 0;
  while (next < msrs.size()) {
    std::vector<uint8_t> buffer =
        ListBuffer(msrs.data() + next, msrs.size() - next);
    const int set = ioctl(fd_.get(), kSetMsrs, buffer.data());
    if (set < 0) return refused + msrs.size() - next;
    next += static_cast<size_t>(set);
    if (next < msrs.size()) {
      ++refused;
      ++next;
    }
  }
  return refused;
}

absl::Status KvmVcpu::Ioctl(unsigned long request, void* arg,
                            const char* name) const {
  if (ioctl(fd_.get(), request, arg) < 0) return IoctlError(name);
  return absl::OkStatus();
}

absl::Status KvmVm::Ioctl(unsigned long request, void* arg,
                          const char* name) const {
  if (ioctl(fd_.get(), request, arg) < 0) return IoctlError(name);
  return absl::OkStatus();
}

absl::Status KvmVcpu::Run() {
  if (ioctl(fd_.get(), KVM_RUN, 0) < 0) {
    if (errno == EINTR || errno == EAGAIN) {
      run_->exit_reason = KVM_EXIT_INTR;
      return absl::OkStatus();
    }
    return IoctlError("KVM_RUN");
  }
  return absl::OkStatus();
}

}  // namespace vmm
