// GuestReader: reads fw_cfg from inside a Linux guest by driving the x86
// registers itself (ports 0x510-0x51b), in time linear in the item's size,
// where Linux's sysfs driver needs size^2/8192 port reads (it re-selects
// the item and discards the bytes before the offset for every page).
//
//   --io   select once, then `rep insb` from the data port: the hypervisor
//          serves a whole string instruction per exit (KVM: up to a page).
//   --dma  DMA READ requests into locked pages whose guest-physical
//          addresses come from /proc/self/pagemap, one request (one exit)
//          per physically contiguous run of the buffer.
//
// Needs root (ioperm), a kernel that is not locked down, and for DMA the
// device's DMA feature and page frame numbers in pagemap (CAP_SYS_ADMIN).
// Open fails with the reason; fwcfg then falls back to sysfs.
//
// Concurrency: Linux's driver serialises its own accesses (a mutex, and on
// x86 the ACPI global lock when the FACS has one); user space can take
// neither. It touches the device when the module probes and when sysfs
// files are read, so do not read /sys/firmware/qemu_fw_cfg meanwhile.
// GuestReaders serialise among themselves through GuestPlatform::LockDevice
// (on Linux, an exclusive flock on /run/fwcfg.lock or /tmp/fwcfg.lock).

#ifndef TOOLS_FWCFG_GUEST_READER_H_
#define TOOLS_FWCFG_GUEST_READER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/unique_fd.h"
#include "tools/fwcfg/guest_platform.h"
#include "tools/fwcfg/reader.h"

namespace fwcfg {

struct GuestReaderOptions {
  bool dma = false;
  // The DMA buffer: items are read in pieces of this size (whole pages;
  // LinuxGuestPlatform backs it with 2 MiB huge pages where it can).
  size_t dma_buffer_size = 4 << 20;
};

class GuestReader : public FwCfgReader {
 public:
  // Takes the ports, checks the signature and, for DMA, the feature bit,
  // the memory and its physical addresses. `platform` must outlive the
  // reader.
  static absl::StatusOr<std::unique_ptr<GuestReader>> Open(
      GuestPlatform& platform, GuestReaderOptions options = {});
  ~GuestReader() override;

  absl::StatusOr<std::vector<FileEntry>> ListFiles() override;
  // Bytes past the item's end read as zero, as a guest sees them.
  absl::Status ReadItem(uint16_t key, uint64_t size,
                        const ByteSink& sink) override;
  std::string Describe() const override;

  // Register accesses that reached the hypervisor so far: each selector
  // write, each `rep insb` and each DMA request (for the benchmark).
  uint64_t requests() const { return requests_; }

 private:
  GuestReader(GuestPlatform& platform, GuestReaderOptions options)
      : platform_(platform), options_(std::move(options)) {}
  absl::Status ReadByPort(uint16_t key, uint64_t size, const ByteSink& sink);
  absl::Status ReadByDma(uint16_t key, uint64_t size, const ByteSink& sink);
  // One DMA request; fails if the device reports an error.
  absl::Status Request(uint32_t control, uint32_t length, uint64_t address);

  GuestPlatform& platform_;
  const GuestReaderOptions options_;
  base::UniqueFd lock_;
  absl::Span<uint8_t> descriptor_;  // one locked page
  uint64_t descriptor_address_ = 0;
  absl::Span<uint8_t> buffer_;  // options_.dma_buffer_size locked bytes
  uint64_t requests_ = 0;
};

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_GUEST_READER_H_
