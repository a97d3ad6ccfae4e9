#include "tools/fwcfg/guest_reader.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "fw_cfg/keys.h"

namespace fwcfg {

namespace {

constexpr uint16_t kSelectorPort = 0x510;
constexpr uint16_t kDataPort = 0x511;
constexpr uint16_t kDmaHighPort = 0x514;
constexpr uint16_t kDmaLowPort = 0x518;
constexpr uint16_t kPortCount = 0x0c;  // 0x510-0x51b
constexpr size_t kPortChunk = 64 << 10;
// QEMU and our VMM finish a request before the port write returns; a
// device that did not would be done long before this.
constexpr auto kDmaTimeout = std::chrono::seconds(10);

// The fw_cfg DMA register takes big-endian halves; outl sends the value's
// bytes little-endian first.
uint32_t PortBe32(uint32_t value) { return __builtin_bswap32(value); }

}  // namespace

absl::StatusOr<std::unique_ptr<GuestReader>> GuestReader::Open(
    GuestPlatform& platform, GuestReaderOptions options) {
  if (options.dma && (options.dma_buffer_size == 0 ||
                      options.dma_buffer_size % kGuestPageSize != 0)) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the DMA buffer must be a non-zero multiple of %d bytes",
        kGuestPageSize));
  }
  std::unique_ptr<GuestReader> reader(
      new GuestReader(platform, std::move(options)));
  RETURN_IF_ERROR(platform.EnablePorts(kSelectorPort, kPortCount));
  reader->lock_ = platform.LockDevice();

  uint8_t word[4];
  platform.Out16(kSelectorPort, fw_cfg::kSignature);
  platform.InBytes(kDataPort, absl::MakeSpan(word));
  if (std::memcmp(word, "QEMU", 4) != 0) {
    return absl::NotFoundError(absl::StrFormat(
        "no fw_cfg device at port 0x%x (the signature reads %02x %02x %02x "
        "%02x, not \"QEMU\")",
        kSelectorPort, word[0], word[1], word[2], word[3]));
  }
  platform.Out16(kSelectorPort, fw_cfg::kId);
  platform.InBytes(kDataPort, absl::MakeSpan(word));
  const uint32_t features = base::LoadLe32(word);
  if (!reader->options_.dma) return reader;

  if ((features & fw_cfg::kFeatureDma) == 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "the device does not offer DMA (its ID key reads 0x%x)", features));
  }
  ASSIGN_OR_RETURN(reader->descriptor_,
                   platform.AllocateLocked(kGuestPageSize));
  ASSIGN_OR_RETURN(reader->descriptor_address_,
                   platform.PhysicalAddress(reader->descriptor_.data()));
  ASSIGN_OR_RETURN(reader->buffer_,
                   platform.AllocateLocked(reader->options_.dma_buffer_size));
  return reader;
}

GuestReader::~GuestReader() {
  if (!descriptor_.empty()) platform_.Free(descriptor_);
  if (!buffer_.empty()) platform_.Free(buffer_);
}

absl::StatusOr<std::vector<FileEntry>> GuestReader::ListFiles() {
  return ReadDirectory(*this);
}

std::string GuestReader::Describe() const {
  return options_.dma ? "x86 ports 0x510, DMA into locked pages"
                      : "x86 ports 0x510, rep insb";
}

absl::Status GuestReader::ReadItem(uint16_t key, uint64_t size,
                                   const ByteSink& sink) {
  if (size == 0) return absl::OkStatus();
  return options_.dma ? ReadByDma(key, size, sink)
                      : ReadByPort(key, size, sink);
}

absl::Status GuestReader::ReadByPort(uint16_t key, uint64_t size,
                                     const ByteSink& sink) {
  platform_.Out16(kSelectorPort, key);
  ++requests_;
  std::vector<uint8_t> chunk(std::min<uint64_t>(size, kPortChunk));
  for (uint64_t done = 0; done < size;) {
    const size_t n = std::min<uint64_t>(chunk.size(), size - done);
    platform_.InBytes(kDataPort, absl::MakeSpan(chunk.data(), n));
    ++requests_;
    RETURN_IF_ERROR(sink(absl::MakeConstSpan(chunk.data(), n)));
    done += n;
  }
  return absl::OkStatus();
}

absl::Status GuestReader::Request(uint32_t control, uint32_t length,
                                  uint64_t address) {
  // The descriptor (FWCfgDmaAccess): u32 control, u32 length, u64 address,
  // big-endian, in a page the device reaches by its physical address.
  uint8_t* d = descriptor_.data();
  base::StoreBe32(d, control);
  base::StoreBe32(d + 4, length);
  base::StoreBe64(d + 8, address);
  // The device reads the descriptor when the low half is written.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  platform_.Out32(kDmaHighPort,
                  PortBe32(static_cast<uint32_t>(descriptor_address_ >> 32)));
  platform_.Out32(kDmaLowPort,
                  PortBe32(static_cast<uint32_t>(descriptor_address_)));
  ++requests_;
  // The device writes the control word back: 0 done, bit 0 error.
  const auto deadline = std::chrono::steady_clock::now() + kDmaTimeout;
  while (true) {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    uint8_t raw[4];
    for (int i = 0; i < 4; ++i) {
      raw[i] = static_cast<const volatile uint8_t*>(d)[i];
    }
    const uint32_t status = base::LoadBe32(raw);
    if ((status & fw_cfg::kDmaError) != 0) {
      return absl::DataLossError(absl::StrFormat(
          "the device reported an error for a DMA request (control 0x%x, "
          "%d bytes to 0x%x)",
          control, length, address));
    }
    if (status == 0) return absl::OkStatus();
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(
          "the device did not complete a DMA request within 10 s");
    }
  }
}

absl::Status GuestReader::ReadByDma(uint16_t key, uint64_t size,
                                    const ByteSink& sink) {
  const uint32_t select = uint32_t{key} << 16 | fw_cfg::kDmaSelect;
  bool selected = false;
  uint64_t offset = 0;  // of the item, after the requests so far
  while (offset < size) {
    const uint64_t piece = std::min<uint64_t>(buffer_.size(), size - offset);
    // One request per physically contiguous run of the buffer's pages.
    for (uint64_t filled = 0; filled < piece;) {
      ASSIGN_OR_RETURN(const uint64_t start,
                       platform_.PhysicalAddress(buffer_.data() + filled));
      uint64_t run = std::min<uint64_t>(kGuestPageSize, piece - filled);
      while (filled + run < piece) {
        ASSIGN_OR_RETURN(
            const uint64_t next,
            platform_.PhysicalAddress(buffer_.data() + filled + run));
        if (next != start + run) break;
        run += std::min<uint64_t>(kGuestPageSize, piece - filled - run);
      }
      const uint32_t control = fw_cfg::kDmaRead | (selected ? 0 : select);
      RETURN_IF_ERROR(Request(control, static_cast<uint32_t>(run), start));
      selected = true;
      // Locked pages may still be migrated (compaction); if the run's first
      // or last page moved during the request, read the run again.
      ASSIGN_OR_RETURN(const uint64_t first_after,
                       platform_.PhysicalAddress(buffer_.data() + filled));
      ASSIGN_OR_RETURN(
          const uint64_t last_after,
          platform_.PhysicalAddress(buffer_.data() + filled + run - 1));
      if (first_after != start || last_after != start + run - 1) {
        RETURN_IF_ERROR(Request(select | fw_cfg::kDmaSkip,
                                static_cast<uint32_t>(offset + filled), 0));
        continue;
      }
      filled += run;
    }
    RETURN_IF_ERROR(sink(absl::MakeConstSpan(buffer_.data(), piece)));
    offset += piece;
  }
  return absl::OkStatus();
}

}  // namespace fwcfg
