#include "fw_cfg/item.h"

#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace fw_cfg {
namespace {

// Bytes in memory; the base of the other in-memory kinds.
class BytesItem : public Item {
 public:
  explicit BytesItem(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

  uint32_t size() const override {
    return static_cast<uint32_t>(bytes_.size());
  }
  absl::Status Read(uint32_t offset, absl::Span<uint8_t> out) override {
    // An empty item has no buffer: memcpy from null is undefined even for 0
    // bytes (found by fw_cfg_device_fuzzer).
    if (!out.empty()) {
      std::memcpy(out.data(), bytes_.data() + offset, out.size());
    }
    return absl::OkStatus();
  }

 protected:
  std::vector<uint8_t> bytes_;
};

class GeneratedItem : public BytesItem {
 public:
  GeneratedItem(uint32_t size, Generator generate)
      : BytesItem(std::vector<uint8_t>(size)), generate_(std::move(generate)) {}

  void OnSelect() override { generate_(absl::MakeSpan(bytes_)); }
  ItemKind kind() const override { return ItemKind::kGenerated; }
  void LoadContents(absl::Span<const uint8_t> contents) override {
    bytes_.assign(contents.begin(), contents.end());
  }

 private:
  Generator generate_;
};

class WritableItem : public BytesItem {
 public:
  WritableItem(std::vector<uint8_t> initial, WriteCallback on_write)
      : BytesItem(std::move(initial)), on_write_(std::move(on_write)) {}

  bool writable() const override { return true; }
  void Write(uint32_t offset, absl::Span<const uint8_t> data) override {
    if (!data.empty()) {
      std::memcpy(bytes_.data() + offset, data.data(), data.size());
    }
  }
  void OnWritten(uint32_t offset, uint32_t length) override {
    if (on_write_) on_write_(offset, length, bytes_);
  }
  ItemKind kind() const override { return ItemKind::kWritable; }
  void LoadContents(absl::Span<const uint8_t> contents) override {
    bytes_.assign(contents.begin(), contents.end());
  }

 private:
  WriteCallback on_write_;
};

template <typename T>
std::shared_ptr<Item> MakeLeItem(T value) {
  std::vector<uint8_t> bytes(sizeof(T));
  base::Store<T, std::endian::little>(bytes.data(), value);
  return std::make_shared<BytesItem>(std::move(bytes));
}

}  // namespace

void Item::Write(uint32_t, absl::Span<const uint8_t>) {}
void Item::OnWritten(uint32_t, uint32_t) {}
void Item::LoadContents(absl::Span<const uint8_t>) {}

absl::Status CheckItemSize(uint64_t size) {
  if (size > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "fw_cfg item of %d bytes is too large: the directory's size field is "
        "32 bits (at most 4294967295 bytes)",
        size));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<Item>> MakeBytesItem(
    std::vector<uint8_t> bytes) {
  RETURN_IF_ERROR(CheckItemSize(bytes.size()));
  return std::make_shared<BytesItem>(std::move(bytes));
}

absl::StatusOr<std::shared_ptr<Item>> MakeStringItem(std::string_view text,
                                                     bool nul_terminated) {
  std::vector<uint8_t> bytes(text.begin(), text.end());
  if (nul_terminated) bytes.push_back(0);
  return MakeBytesItem(std::move(bytes));
}

std::shared_ptr<Item> MakeLe16Item(uint16_t value) { return MakeLeItem(value); }
std::shared_ptr<Item> MakeLe32Item(uint32_t value) { return MakeLeItem(value); }
std::shared_ptr<Item> MakeLe64Item(uint64_t value) { return MakeLeItem(value); }

absl::StatusOr<std::shared_ptr<Item>> MakeGeneratedItem(uint64_t size,
                                                        Generator generate) {
  RETURN_IF_ERROR(CheckItemSize(size));
  if (!generate) return absl::InvalidArgumentError("fw_cfg: null generator");
  return std::make_shared<GeneratedItem>(static_cast<uint32_t>(size),
                                         std::move(generate));
}

absl::StatusOr<std::shared_ptr<Item>> MakeWritableItem(
    std::vector<uint8_t> initial, WriteCallback on_write) {
  RETURN_IF_ERROR(CheckItemSize(initial.size()));
  return std::make_shared<WritableItem>(std::move(initial),
                                        std::move(on_write));
}

}  // namespace fw_cfg
