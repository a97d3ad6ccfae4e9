// File-backed fw_cfg items: the data stays in the host file and is read with
// pread when the guest reads it.
//
// A 2 GiB initramfs therefore costs no memory until the guest reads it, and a
// DMA read goes from the page cache straight into guest RAM. (QEMU reads
// `-fw_cfg file=` items whole at start-up.) The size is fixed when the item
// is made. If the host file shrinks later, the bytes it no longer has read as
// zeros; if it grows, the guest still sees only the first `size` bytes; if it
// is replaced or deleted, the item keeps reading the file it opened. A host
// read error (EIO) fails a DMA request; through the data register, which has
// no way to report errors, it reads as zeros. Reads are never done through
// mmap, so nothing here can raise SIGBUS.
//
// Each item holds one open file descriptor until it is destroyed (see
// MakeFileOrSnapshotItem for small files).

#ifndef FW_CFG_FILE_ITEM_H_
#define FW_CFG_FILE_ITEM_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "fw_cfg/item.h"

namespace fw_cfg {

// The whole of the regular file at `path`, as long as it is now.
absl::StatusOr<std::shared_ptr<Item>> MakeFileItem(const std::string& path);

// Files up to this size are better read whole when the VM is built, as QEMU
// does with every -fw_cfg file: no descriptor stays open (thousands of small
// items fit any `ulimit -n`) and a DMA read is a memory copy.
inline constexpr uint64_t kFileSnapshotMax = 64 << 10;

// MakeFileItem for a file over kFileSnapshotMax bytes; a smaller one is read
// now into a bytes item, so later changes to it are not seen.
absl::StatusOr<std::shared_ptr<Item>> MakeFileOrSnapshotItem(
    const std::string& path);

// The whole of the regular file at `path`, read into memory now, as QEMU
// reads every `-fw_cfg file=` item: later changes to the file are not seen,
// the item costs its size in memory, and a DMA read is a memory copy from a
// buffer with 2 MiB pages (base/huge_page_buffer.h), the fastest way into
// guest RAM: a pread from the page cache copies 4 KiB page by page and ran
// at about half the speed on our machines. For items the guest reads more
// than once (`items=[...,preload=on]`).
absl::StatusOr<std::shared_ptr<Item>> MakePreloadedFileItem(
    const std::string& path);

// `size` bytes of the regular file at `path`, from `offset` (a bzImage's
// protected-mode part, say). The range must lie within the file now.
absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItem(const std::string& path,
                                                        uint64_t offset,
                                                        uint64_t size);

// The read primitive, replaceable for fault-injection tests: same contract
// as pread(2).
using PreadFunction =
    std::function<ssize_t(int fd, void* buffer, size_t count, off_t offset)>;

// As MakeFileRangeItem, reading through `pread`.
absl::StatusOr<std::shared_ptr<Item>> MakeFileRangeItemWithReader(
    const std::string& path, uint64_t offset, uint64_t size,
    PreadFunction pread);

}  // namespace fw_cfg

#endif  // FW_CFG_FILE_ITEM_H_
