#include "vmm/qtest/address_space.h"

#include <algorithm>
#include <cstring>

namespace vmm {

void SystemAddressSpace::Read(uint64_t address,
                              absl::Span<uint8_t> data) const {
  uint8_t* out = data.data();
  const uint64_t beyond = memory_.VisitRange(
      vm_memory::GuestAddress(address), data.size(),
      [&](vm_memory::GuestAddress start, uint64_t n, uint8_t* host, bool) {
        if (host != nullptr) {
          std::memcpy(out, host, n);
        } else {
          mmio_.Read(start.raw(), absl::MakeSpan(out, n));
        }
        out += n;
      });
  std::memset(out, 0, beyond);  // Past 2^64: nothing, read as zero.
}

void SystemAddressSpace::Write(uint64_t address,
                               absl::Span<const uint8_t> data) const {
  const uint8_t* in = data.data();
  memory_.VisitRange(vm_memory::GuestAddress(address), data.size(),
                     [&](vm_memory::GuestAddress start, uint64_t n,
                         uint8_t* host, bool read_only) {
                       if (host != nullptr) {
                         if (!read_only) std::memcpy(host, in, n);
                       } else {
                         mmio_.Write(start.raw(), absl::MakeConstSpan(in, n));
                       }
                       in += n;
                     });
}

void SystemAddressSpace::Fill(uint64_t address, uint64_t length,
                              uint8_t value) const {
  uint8_t chunk[4096];
  std::memset(chunk, value, sizeof(chunk));
  memory_.VisitRange(
      vm_memory::GuestAddress(address), length,
      [&](vm_memory::GuestAddress start, uint64_t n, uint8_t* host,
          bool read_only) {
        if (host != nullptr) {
          if (!read_only) std::memset(host, value, n);
          return;
        }
        for (uint64_t done = 0; done < n;) {
          const uint64_t piece = std::min<uint64_t>(n - done, sizeof(chunk));
          mmio_.Write(start.raw() + done, absl::MakeConstSpan(chunk, piece));
          done += piece;
        }
      });
}

}  // namespace vmm
