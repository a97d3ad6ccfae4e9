// Guest-memory access with the semantics of QEMU's dma_memory_read/write/set
// (address_space_rw underneath): every byte that is guest RAM is moved, the
// others are skipped (and read as zero), and the caller learns whether all of
// them were RAM. fw_cfg's DMA engine needs exactly this to match QEMU: a
// transfer that runs off the end of RAM still fills the part inside it, and
// reports an error.
//
// Writes to read-only regions (ROM) are skipped and count as failures.
// Addresses wrap modulo 2^64 as QEMU's hwaddr arithmetic does (a 4-byte
// read to 0xfffffffffffffffe fails for its first two bytes and writes the
// other two at guest address 0, observed on QEMU 7.2): the wrapped bytes
// still land only in guest RAM.

// Names say which way the bytes move: the DMA engine serves a guest READ
// with CopyItemToGuest and a guest WRITE with CopyFromGuest.

#ifndef FW_CFG_DMA_MEMORY_H_
#define FW_CFG_DMA_MEMORY_H_

#include <cstdint>

#include "absl/types/span.h"
#include "fw_cfg/item.h"
#include "vm-memory/guest_memory.h"

namespace fw_cfg {

// Copies guest bytes at `address` into `out`; unmapped bytes read as 0.
// Returns whether every byte was guest memory.
bool CopyFromGuest(const vm_memory::GuestMemory& memory,
                   vm_memory::GuestAddress address, absl::Span<uint8_t> out);

// Copies `data` to guest memory at `address`, skipping what is not RAM.
// Returns whether every byte was written.
bool CopyToGuest(const vm_memory::GuestMemory& memory,
                 vm_memory::GuestAddress address,
                 absl::Span<const uint8_t> data);

// Sets `length` guest bytes at `address` to `value`, skipping what is not
// RAM. Returns whether every byte was written.
bool FillGuest(const vm_memory::GuestMemory& memory,
               vm_memory::GuestAddress address, uint64_t length, uint8_t value);

// Copies `length` bytes of `item` from `offset` straight into guest memory at
// `address` (a file item preads runs of 4 KiB or more straight into guest RAM),
// skipping what is not RAM. Returns whether every byte was written and every
// item read succeeded. [offset, offset + length) must lie within the item.
bool CopyItemToGuest(const vm_memory::GuestMemory& memory,
                     vm_memory::GuestAddress address, Item& item,
                     uint32_t offset, uint32_t length);

}  // namespace fw_cfg

#endif  // FW_CFG_DMA_MEMORY_H_
