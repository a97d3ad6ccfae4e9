#include "fw_cfg/dma_memory.h"

#include <cstring>

namespace fw_cfg {

using vm_memory::GuestAddress;
using vm_memory::GuestMemory;

namespace {

// Visits [address, address + length) modulo 2^64, as QEMU's address space
// loops do (hwaddr arithmetic wraps): bytes past 2^64 - 1 continue at 0.
void VisitWrapping(const GuestMemory& memory, GuestAddress address,
                   uint64_t length, GuestMemory::SegmentVisitor visit) {
  const uint64_t beyond = memory.VisitRange(address, length, visit);
  if (beyond > 0) memory.VisitRange(GuestAddress(0), beyond, visit);
}

}  // namespace

bool CopyFromGuest(const GuestMemory& memory, GuestAddress address,
                   absl::Span<uint8_t> out) {
  bool complete = true;
  uint8_t* cursor = out.data();
  VisitWrapping(memory, address, out.size(),
                [&](GuestAddress, uint64_t n, uint8_t* host, bool) {
                  if (host != nullptr) {
                    std::memcpy(cursor, host, n);
                  } else {
                    std::memset(cursor, 0, n);
                    complete = false;
                  }
                  cursor += n;
                });
  return complete;
}

bool CopyToGuest(const GuestMemory& memory, GuestAddress address,
                 absl::Span<const uint8_t> data) {
  bool complete = true;
  const uint8_t* cursor = data.data();
  VisitWrapping(memory, address, data.size(),
                [&](GuestAddress, uint64_t n, uint8_t* host, bool read_only) {
                  if (host != nullptr && !read_only) {
                    std::memcpy(host, cursor, n);
                  } else {
                    complete = false;
                  }
                  cursor += n;
                });
  return complete;
}

bool FillGuest(const GuestMemory& memory, GuestAddress address, uint64_t length,
               uint8_t value) {
  bool complete = true;
  VisitWrapping(memory, address, length,
                [&](GuestAddress, uint64_t n, uint8_t* host, bool ro) {
                  if (host != nullptr && !ro) {
                    std::memset(host, value, n);
                  } else {
                    complete = false;
                  }
                });
  return complete;
}

bool CopyItemToGuest(const GuestMemory& memory, GuestAddress address,
                     Item& item, uint32_t offset, uint32_t length) {
  bool complete = true;
  uint32_t position = offset;
  VisitWrapping(memory, address, length,
                [&](GuestAddress, uint64_t n, uint8_t* host, bool ro) {
                  // n <= length, which fits 32 bits.
                  if (host != nullptr && !ro) {
                    if (!item.Read(position, absl::MakeSpan(host, n)).ok()) {
                      complete = false;
                    }
                  } else {
                    complete = false;
                  }
                  position += static_cast<uint32_t>(n);
                });
  return complete;
}

}  // namespace fw_cfg
