// Reading fw_cfg through qtest, as a guest would: select a key, then either
// read the data register or run a DMA transfer into a scratch area of guest
// RAM and fetch it with `read`.
//
//   x86 (q35, i440fx; our vmm's default layout):
//     selector  outw 0x510 KEY              (16-bit little-endian)
//     data      inb 0x511                   (one byte per command)
//     DMA       outl 0x514 bswap32(ADDR >> 32); outl 0x518 bswap32(ADDR)
//   MMIO (arm `virt`, base 0x09020000 unless given):
//     selector  writew BASE+8 bswap16(KEY)  (16-bit big-endian register)
//     data      readq BASE                  (8 bytes per command; the
//                                            reply's little-endian bytes
//                                            are the item's bytes in order)
//     DMA       writeq BASE+16 bswap64(ADDR)
//
// DMA is used when the device advertises it (key 0x01, bit 1) unless the
// options turn it off. A transfer writes the 16-byte big-endian descriptor
// (control = KEY << 16 | select | read, length, address) at the DMA buffer,
// the data lands right after it, in chunks of at most kDmaChunk bytes; the
// control word is polled until it reads 0 (bit 0 set means the device
// failed). Side effects on the machine: the selected key and its offset
// change, and guest RAM [buffer, buffer + 16 + kDmaChunk) is overwritten.
// Nothing is restored.

#ifndef TOOLS_FWCFG_QTEST_READER_H_
#define TOOLS_FWCFG_QTEST_READER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "fw_cfg/keys.h"
#include "tools/fwcfg/qtest_client.h"
#include "tools/fwcfg/reader.h"

namespace fwcfg {

enum class QtestLayout { kX86, kMmio };

inline constexpr uint64_t kDefaultX86DmaBuffer = 0x100000;
inline constexpr uint64_t kDefaultMmioDmaBuffer = 0x40100000;
inline constexpr uint32_t kDmaDescriptorSize = 16;
inline constexpr uint32_t kDmaChunk = 64 << 10;

struct QtestReaderOptions {
  QtestLayout layout = QtestLayout::kX86;
  uint64_t mmio_base = fw_cfg::kArmVirtMmioBase;  // kMmio only
  // Guest-RAM scratch area for DMA; the layout's default when absent.
  std::optional<uint64_t> dma_buffer;
  bool allow_dma = true;  // false: always read the data register
};

class QtestReader : public FwCfgReader {
 public:
  // Checks that a fw_cfg device answers ("QEMU" at key 0; NotFoundError if
  // not) and reads its features (key 0x01).
  static absl::StatusOr<std::unique_ptr<QtestReader>> Create(
      std::unique_ptr<QtestClient> client, const QtestReaderOptions& options);

  absl::StatusOr<std::vector<FileEntry>> ListFiles() override;
  absl::Status ReadItem(uint16_t key, uint64_t size,
                        const ByteSink& sink) override;
  std::string Describe() const override;

  uint32_t features() const { return features_; }
  bool uses_dma() const { return use_dma_; }
  uint64_t dma_buffer() const { return dma_buffer_; }
  QtestClient& client() { return *client_; }

 protected:
  QtestReader(std::unique_ptr<QtestClient> client, uint64_t dma_buffer)
      : client_(std::move(client)), dma_buffer_(dma_buffer) {}

  // The command that selects `key`.
  virtual std::string SelectCommand(uint16_t key) const = 0;
  // The command that reads the next BytesPerRead() bytes of the selected
  // item through the data register; its reply value holds them in
  // little-endian order.
  virtual std::string DataReadCommand() const = 0;
  virtual uint32_t BytesPerRead() const = 0;
  // The commands that start a DMA transfer at guest address `descriptor`.
  virtual std::vector<std::string> DmaStartCommands(
      uint64_t descriptor) const = 0;
  // Where the device is, for messages.
  virtual std::string Where() const = 0;

 private:
  absl::Status ReadThroughDataRegister(uint16_t key, uint64_t size,
                                       const ByteSink& sink);
  absl::Status ReadThroughDma(uint16_t key, uint64_t size,
                              const ByteSink& sink);
  absl::Status Probe(bool allow_dma);

  std::unique_ptr<QtestClient> client_;
  uint64_t dma_buffer_;
  uint32_t features_ = 0;
  bool use_dma_ = false;
};

}  // namespace fwcfg

#endif  // TOOLS_FWCFG_QTEST_READER_H_
