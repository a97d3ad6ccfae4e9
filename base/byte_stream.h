// ByteWriter and ByteReader: little-endian records for snapshot formats.
//
// The writer appends fixed-width integers and byte strings to a vector; the
// reader takes them back in the same order and checks every length against
// what is left, so a truncated or hostile input makes it fail (ok() turns
// false and every later read gives zeros) instead of reading past the end.
//
//   ByteWriter out;
//   out.U32(version);
//   out.Bytes(payload);
//   ByteReader in(out.bytes());
//   const uint32_t version = in.U32();
//   if (!in.ok()) return absl::DataLossError("truncated");

#ifndef BASE_BYTE_STREAM_H_
#define BASE_BYTE_STREAM_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"

namespace base {

class ByteWriter {
 public:
  void U8(uint8_t value) { bytes_.push_back(value); }
  void U16(uint16_t value) { Le(value, 2); }
  void U32(uint32_t value) { Le(value, 4); }
  void U64(uint64_t value) { Le(value, 8); }
  void Bytes(absl::Span<const uint8_t> data) {
    bytes_.insert(bytes_.end(), data.begin(), data.end());
  }
  void Text(std::string_view text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
  }

  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> Take() { return std::move(bytes_); }

 private:
  void Le(uint64_t value, int size) {
    for (int i = 0; i < size; ++i) bytes_.push_back(value >> (8 * i) & 0xff);
  }
  std::vector<uint8_t> bytes_;
};

class ByteReader {
 public:
  explicit ByteReader(absl::Span<const uint8_t> data) : data_(data) {}

  uint8_t U8() { return static_cast<uint8_t>(Le(1)); }
  uint16_t U16() { return static_cast<uint16_t>(Le(2)); }
  uint32_t U32() { return static_cast<uint32_t>(Le(4)); }
  uint64_t U64() { return Le(8); }
  // The next `size` bytes, or an empty span (and !ok()) if fewer are left.
  absl::Span<const uint8_t> Bytes(uint64_t size) {
    if (!ok_ || size > data_.size() - position_) {
      ok_ = false;
      return {};
    }
    absl::Span<const uint8_t> bytes = data_.subspan(position_, size);
    position_ += size;
    return bytes;
  }
  std::string Text(uint64_t size) {
    absl::Span<const uint8_t> bytes = Bytes(size);
    return std::string(bytes.begin(), bytes.end());
  }

  // Whether every read so far had its bytes.
  bool ok() const { return ok_; }
  size_t position() const { return position_; }
  size_t remaining() const { return ok_ ? data_.size() - position_ : 0; }

 private:
  uint64_t Le(int size) {
    absl::Span<const uint8_t> bytes = Bytes(size);
    uint64_t value = 0;
    for (int i = static_cast<int>(bytes.size()) - 1; i >= 0; --i) {
      value = value << 8 | bytes[i];
    }
    return value;
  }

  absl::Span<const uint8_t> data_;
  size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace base

#endif  // BASE_BYTE_STREAM_H_
