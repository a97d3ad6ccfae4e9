#include "tools/fwcfg/qtest_reader.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace fwcfg {
namespace {

// Data-register reads sent at once: their replies (at most 23 bytes each)
// stay far below a socket buffer, so the pipeline cannot deadlock.
constexpr uint64_t kReadsPerBatch = 512;

class QtestX86Reader final : public QtestReader {
 public:
  QtestX86Reader(std::unique_ptr<QtestClient> client, uint64_t dma_buffer)
      : QtestReader(std::move(client), dma_buffer) {}

 protected:
  std::string SelectCommand(uint16_t key) const override {
    return absl::StrFormat("outw 0x%x 0x%x", fw_cfg::kIoPortBase, key);
  }
  std::string DataReadCommand() const override {
    return absl::StrFormat("inb 0x%x", fw_cfg::kIoPortBase + 1);
  }
  uint32_t BytesPerRead() const override { return 1; }
  std::vector<std::string> DmaStartCommands(
      uint64_t descriptor) const override {
    // The register is big-endian and qtest's outl delivers its value's
    // little-endian bytes: swap. The high half first; the low half starts.
    return {
        absl::StrFormat(
            "outl 0x%x 0x%x", fw_cfg::kIoPortDmaBase,
            base::ByteSwap(static_cast<uint32_t>(descriptor >> 32))),
        absl::StrFormat("outl 0x%x 0x%x", fw_cfg::kIoPortDmaBase + 4,
                        base::ByteSwap(static_cast<uint32_t>(descriptor))),
    };
  }
  std::string Where() const override {
    return absl::StrFormat("x86 ports 0x%x", fw_cfg::kIoPortBase);
  }
};

class QtestMmioReader final : public QtestReader {
 public:
  QtestMmioReader(std::unique_ptr<QtestClient> client, uint64_t dma_buffer,
                  uint64_t base)
      : QtestReader(std::move(client), dma_buffer), base_(base) {}

 protected:
  std::string SelectCommand(uint16_t key) const override {
    return absl::StrFormat("writew 0x%x 0x%x", base_ + 8, base::ByteSwap(key));
  }
  std::string DataReadCommand() const override {
    return absl::StrFormat("readq 0x%x", base_);
  }
  uint32_t BytesPerRead() const override { return 8; }
  std::vector<std::string> DmaStartCommands(
      uint64_t descriptor) const override {
    return {absl::StrFormat("writeq 0x%x 0x%x", base_ + 16,
                            base::ByteSwap(descriptor))};
  }
  std::string Where() const override {
    return absl::StrFormat("MMIO 0x%08x", base_);
  }

 private:
  uint64_t base_;
};

std::string SpacedHex(absl::Span<const uint8_t> data) {
  std::string text;
  for (uint8_t byte : data) {
    if (!text.empty()) text.push_back(' ');
    text += absl::StrFormat("%02x", byte);
  }
  return text;
}

}  // namespace

absl::StatusOr<std::unique_ptr<QtestReader>> QtestReader::Create(
    std::unique_ptr<QtestClient> client, const QtestReaderOptions& options) {
  if (client == nullptr) return absl::InvalidArgumentError("no qtest client");
  std::unique_ptr<QtestReader> reader;
  if (options.layout == QtestLayout::kX86) {
    reader = std::make_unique<QtestX86Reader>(
        std::move(client), options.dma_buffer.value_or(kDefaultX86DmaBuffer));
  } else {
    if (options.mmio_base > UINT64_MAX - 0x18) {
      return absl::InvalidArgumentError(
          absl::StrFormat("MMIO base 0x%x leaves no room for the registers",
                          options.mmio_base));
    }
    reader = std::make_unique<QtestMmioReader>(
        std::move(client), options.dma_buffer.value_or(kDefaultMmioDmaBuffer),
        options.mmio_base);
  }
  if (reader->dma_buffer_ > UINT64_MAX - kDmaDescriptorSize - kDmaChunk) {
    return absl::InvalidArgumentError(
        absl::StrFormat("DMA buffer 0x%x is too close to the end of the "
                        "address space",
                        reader->dma_buffer_));
  }
  RETURN_IF_ERROR(reader->Probe(options.allow_dma));
  return reader;
}

absl::Status QtestReader::Probe(bool allow_dma) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> signature,
                   ReadItemBytes(*this, fw_cfg::kSignature, 4));
  static constexpr uint8_t kQemu[] = {'Q', 'E', 'M', 'U'};
  if (!std::equal(signature.begin(), signature.end(), std::begin(kQemu),
                  std::end(kQemu))) {
    return absl::NotFoundError(absl::StrFormat(
        "no fw_cfg device at %s: its signature reads %s, not \"QEMU\"", Where(),
        SpacedHex(signature)));
  }
  ASSIGN_OR_RETURN(const std::vector<uint8_t> id,
                   ReadItemBytes(*this, fw_cfg::kId, 4));
  features_ = base::LoadLe32(id.data());
  use_dma_ = allow_dma && (features_ & fw_cfg::kFeatureDma) != 0;
  return absl::OkStatus();
}

std::string QtestReader::Describe() const {
  if (use_dma_) {
    return absl::StrFormat("qtest, %s, DMA through 0x%x", Where(), dma_buffer_);
  }
  return absl::StrFormat("qtest, %s, data register", Where());
}

absl::StatusOr<std::vector<FileEntry>> QtestReader::ListFiles() {
  return ReadDirectory(*this);
}

absl::Status QtestReader::ReadItem(uint16_t key, uint64_t size,
                                   const ByteSink& sink) {
  if (size == 0) return absl::OkStatus();
  if (use_dma_) return ReadThroughDma(key, size, sink);
  return ReadThroughDataRegister(key, size, sink);
}

absl::Status QtestReader::ReadThroughDataRegister(uint16_t key, uint64_t size,
                                                  const ByteSink& sink) {
  RETURN_IF_ERROR(client_->Command(SelectCommand(key)).status());
  const uint32_t width = BytesPerRead();
  const std::string command = DataReadCommand();
  std::vector<uint8_t> chunk;
  uint64_t left = size;
  while (left > 0) {
    const uint64_t reads = std::min(kReadsPerBatch, (left + width - 1) / width);
    const std::vector<std::string> commands(reads, command);
    ASSIGN_OR_RETURN(const std::vector<std::string> replies,
                     client_->Transact(commands));
    chunk.clear();
    for (const std::string& reply : replies) {
      ASSIGN_OR_RETURN(const uint64_t value, ParseReplyValue(reply));
      uint8_t bytes[8];
      base::StoreLe64(bytes, value);
      chunk.insert(chunk.end(), bytes, bytes + width);
    }
    if (chunk.size() > left) chunk.resize(left);
    left -= chunk.size();
    RETURN_IF_ERROR(sink(chunk));
  }
  return absl::OkStatus();
}

absl::Status QtestReader::ReadThroughDma(uint16_t key, uint64_t size,
                                         const ByteSink& sink) {
  const uint64_t descriptor = dma_buffer_;
  const uint64_t destination = dma_buffer_ + kDmaDescriptorSize;
  uint64_t offset = 0;
  while (offset < size) {
    const uint32_t length =
        static_cast<uint32_t>(std::min<uint64_t>(kDmaChunk, size - offset));
    uint32_t control = fw_cfg::kDmaRead;
    if (offset == 0) {
      control |= uint32_t{key} << 16 | fw_cfg::kDmaSelect;
    }
    uint8_t access[kDmaDescriptorSize];
    base::StoreBe32(access, control);
    base::StoreBe32(access + 4, length);
    base::StoreBe64(access + 8, destination);

    // Write the descriptor and read it back: where there is no RAM the
    // write is lost, and a transfer would "succeed" with garbage.
    const std::string setup[] = {
        WriteCommand(descriptor, access),
        ReadCommand(descriptor, kDmaDescriptorSize),
    };
    ASSIGN_OR_RETURN(const std::vector<std::string> setup_replies,
                     client_->Transact(setup));
    ASSIGN_OR_RETURN(const std::vector<uint8_t> written,
                     ParseReadReply(setup_replies[1], kDmaDescriptorSize));
    if (!std::equal(written.begin(), written.end(), std::begin(access))) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "the DMA buffer at 0x%x is not guest RAM (a descriptor written "
          "there reads back as %s); pick another with --dma-buffer or use "
          "--no-dma",
          descriptor, ToHex(written)));
    }

    std::vector<std::string> transfer = DmaStartCommands(descriptor);
    transfer.push_back(ReadCommand(descriptor, 4));
    transfer.push_back(ReadCommand(destination, length));
    ASSIGN_OR_RETURN(std::vector<std::string> replies,
                     client_->Transact(transfer));
    ASSIGN_OR_RETURN(
        std::vector<uint8_t> status,
        ParseReadReply(replies[replies.size() - 2], sizeof(uint32_t)));
    uint32_t done = base::LoadBe32(status.data());
    bool stale = false;  // the data was read before the transfer finished
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(client_->timeout_ms());
    while (done != 0 && (done & fw_cfg::kDmaError) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::DeadlineExceededError(absl::StrFormat(
            "DMA read of key 0x%04x did not finish within %d ms (control "
            "0x%08x)",
            key, client_->timeout_ms(), done));
      }
      stale = true;
      ASSIGN_OR_RETURN(status, client_->Read(descriptor, sizeof(uint32_t)));
      done = base::LoadBe32(status.data());
    }
    if ((done & fw_cfg::kDmaError) != 0) {
      return absl::DataLossError(absl::StrFormat(
          "DMA read of key 0x%04x (%d bytes at offset %d into 0x%x) failed: "
          "control 0x%08x",
          key, length, offset, destination, done));
    }
    std::vector<uint8_t> data;
    if (stale) {
      ASSIGN_OR_RETURN(data, client_->Read(destination, length));
    } else {
      ASSIGN_OR_RETURN(data, ParseReadReply(replies.back(), length));
    }
    RETURN_IF_ERROR(sink(data));
    offset += length;
  }
  return absl::OkStatus();
}

}  // namespace fwcfg
