#include "acpi_tables/aml.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "base/status_macros.h"

namespace acpi_tables {
namespace {

// Opcodes and prefixes (ACPI 6.4, section 20.3).
constexpr uint8_t kZeroOp = 0x00;
constexpr uint8_t kOneOp = 0x01;
constexpr uint8_t kNameOp = 0x08;
constexpr uint8_t kBytePrefix = 0x0a;
constexpr uint8_t kWordPrefix = 0x0b;
constexpr uint8_t kDWordPrefix = 0x0c;
constexpr uint8_t kStringPrefix = 0x0d;
constexpr uint8_t kQWordPrefix = 0x0e;
constexpr uint8_t kScopeOp = 0x10;
constexpr uint8_t kBufferOp = 0x11;
constexpr uint8_t kPackageOp = 0x12;
constexpr uint8_t kMethodOp = 0x14;
constexpr uint8_t kDualNamePrefix = 0x2e;
constexpr uint8_t kMultiNamePrefix = 0x2f;
constexpr uint8_t kExtOpPrefix = 0x5b;
constexpr uint8_t kDeviceOp = 0x82;  // after kExtOpPrefix
constexpr uint8_t kRootChar = '\\';
constexpr uint8_t kParentPrefixChar = '^';
constexpr uint8_t kLocal0Op = 0x60;
constexpr uint8_t kArg0Op = 0x68;
constexpr uint8_t kReturnOp = 0xa4;

// Resource descriptor tags (ACPI 6.4, section 6.4).
constexpr uint8_t kIrqNoFlagsTag = 0x22;     // small item 0x04, length 2
constexpr uint8_t kIoTag = 0x47;             // small item 0x08, length 7
constexpr uint8_t kEndTag = 0x79;            // small item 0x0f, length 1
constexpr uint8_t kMemory32FixedTag = 0x86;  // large item 0x06
constexpr uint16_t kMemory32FixedLength = 9;

constexpr size_t kNameSegSize = 4;
constexpr size_t kMaxPkgLength = (size_t{1} << 28) - 1;

bool IsLeadNameChar(char c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

absl::Status AppendNameSeg(absl::string_view seg, absl::string_view path,
                           std::vector<uint8_t>& out) {
  if (seg.empty() || seg.size() > kNameSegSize) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "name \"%s\": segment \"%s\" is not 1 to 4 characters", path, seg));
  }
  for (size_t i = 0; i < seg.size(); ++i) {
    const char c = seg[i];
    if (!IsLeadNameChar(c) && (i == 0 || !IsDigit(c))) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "name \"%s\": segment \"%s\" must match [A-Z_][A-Z0-9_]*", path,
          seg));
    }
    out.push_back(static_cast<uint8_t>(c));
  }
  out.insert(out.end(), kNameSegSize - seg.size(), '_');
  return absl::OkStatus();
}

// Writes `head` (opcode bytes), then a PkgLength covering `name`, `extra` and
// the encoding of `terms`, then those.
absl::Status WritePackaged(AmlSink& sink, absl::Span<const uint8_t> head,
                           absl::string_view path,
                           absl::Span<const uint8_t> extra,
                           const AmlObject& terms) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> body, EncodeNameString(path));
  body.insert(body.end(), extra.begin(), extra.end());
  VectorAmlSink children;
  RETURN_IF_ERROR(terms.WriteTo(children));
  body.insert(body.end(), children.bytes().begin(), children.bytes().end());
  ASSIGN_OR_RETURN(const std::vector<uint8_t> length,
                   EncodePkgLength(body.size()));
  sink.Append(head);
  sink.Append(length);
  sink.Append(body);
  return absl::OkStatus();
}

// Writes `head`, a PkgLength covering `body`, and `body`.
absl::Status WriteWithPkgLength(AmlSink& sink, uint8_t head,
                                absl::Span<const uint8_t> body) {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> length,
                   EncodePkgLength(body.size()));
  sink.AppendByte(head);
  sink.Append(length);
  sink.Append(body);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EncodeAml(const AmlObject& object) {
  VectorAmlSink sink;
  RETURN_IF_ERROR(object.WriteTo(sink));
  return std::move(sink).Take();
}

absl::StatusOr<std::vector<uint8_t>> EncodePkgLength(size_t payload_length) {
  // The PkgLength counts its own bytes: pick the smallest size that holds
  // payload + size. A one-byte PkgLength has 6 bits; longer ones have 4 bits
  // in the lead byte and 8 in each following byte.
  size_t count = 0;
  size_t total = 0;
  for (size_t n = 1; n <= 4; ++n) {
    const size_t limit = n == 1 ? 0x3f : (size_t{1} << (4 + 8 * (n - 1))) - 1;
    if (payload_length <= limit - n) {
      count = n;
      total = payload_length + n;
      break;
    }
  }
  if (count == 0) {
    return absl::OutOfRangeError(absl::StrFormat(
        "AML package of %u bytes exceeds the PkgLength limit of %u",
        payload_length, kMaxPkgLength));
  }
  if (count == 1) return std::vector<uint8_t>{static_cast<uint8_t>(total)};
  std::vector<uint8_t> out;
  out.push_back(static_cast<uint8_t>((count - 1) << 6 | (total & 0x0f)));
  for (size_t i = 1; i < count; ++i) {
    out.push_back(static_cast<uint8_t>(total >> (4 + 8 * (i - 1))));
  }
  return out;
}

absl::StatusOr<std::vector<uint8_t>> EncodeNameString(absl::string_view path) {
  std::vector<uint8_t> out;
  absl::string_view rest = path;
  if (!rest.empty() && rest.front() == kRootChar) {
    out.push_back(kRootChar);
    rest.remove_prefix(1);
  } else {
    while (!rest.empty() && rest.front() == kParentPrefixChar) {
      out.push_back(kParentPrefixChar);
      rest.remove_prefix(1);
    }
  }
  if (rest.empty()) {
    // "\" alone names the root (RootChar NullName); "" and "^" name nothing.
    if (out.empty() || out.front() != kRootChar) {
      return absl::InvalidArgumentError(
          absl::StrFormat("name \"%s\" has no segment", path));
    }
    out.push_back(kZeroOp);  // NullName
    return out;
  }
  const std::vector<absl::string_view> segs = absl::StrSplit(rest, '.');
  if (segs.size() > 255) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "name \"%s\" has %u segments; at most 255 fit", path, segs.size()));
  }
  if (segs.size() == 2) {
    out.push_back(kDualNamePrefix);
  } else if (segs.size() > 2) {
    out.push_back(kMultiNamePrefix);
    out.push_back(static_cast<uint8_t>(segs.size()));
  }
  for (absl::string_view seg : segs) {
    RETURN_IF_ERROR(AppendNameSeg(seg, path, out));
  }
  return out;
}

absl::Status Integer::WriteTo(AmlSink& sink) const {
  uint8_t bytes[9];
  size_t size = 0;
  if (value_ == 0) {
    bytes[size++] = kZeroOp;
  } else if (value_ == 1) {
    bytes[size++] = kOneOp;
  } else if (value_ <= 0xff) {
    bytes[size++] = kBytePrefix;
    bytes[size++] = static_cast<uint8_t>(value_);
  } else if (value_ <= 0xffff) {
    bytes[size++] = kWordPrefix;
    base::StoreLe16(bytes + size, static_cast<uint16_t>(value_));
    size += 2;
  } else if (value_ <= 0xffffffff) {
    bytes[size++] = kDWordPrefix;
    base::StoreLe32(bytes + size, static_cast<uint32_t>(value_));
    size += 4;
  } else {
    bytes[size++] = kQWordPrefix;
    base::StoreLe64(bytes + size, value_);
    size += 8;
  }
  sink.Append(absl::MakeConstSpan(bytes, size));
  return absl::OkStatus();
}

absl::Status String::WriteTo(AmlSink& sink) const {
  for (const char c : value_) {
    const auto byte = static_cast<uint8_t>(c);
    if (byte == 0 || byte > 0x7f) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "AML string \"%s\" holds byte 0x%02x; only ASCII 0x01-0x7f fit",
          absl::CHexEscape(value_), byte));
    }
  }
  sink.AppendByte(kStringPrefix);
  sink.Append(absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(value_.data()), value_.size()));
  sink.AppendByte(0);
  return absl::OkStatus();
}

absl::StatusOr<uint32_t> EisaId::Compress(absl::string_view id) {
  const auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrFormat(
        "EISA ID \"%s\" is not 3 uppercase letters and 4 uppercase hex digits",
        absl::CHexEscape(id)));
  };
  if (id.size() != 7) return bad();
  uint32_t value = 0;
  for (size_t i = 0; i < 3; ++i) {
    if (id[i] < 'A' || id[i] > 'Z') return bad();
    // 'A' is 1 in the 5-bit code.
    value = value << 5 | static_cast<uint32_t>(id[i] - '@');
  }
  for (size_t i = 3; i < 7; ++i) {
    uint32_t digit;
    if (IsDigit(id[i])) {
      digit = static_cast<uint32_t>(id[i] - '0');
    } else if (id[i] >= 'A' && id[i] <= 'F') {
      digit = static_cast<uint32_t>(id[i] - 'A' + 10);
    } else {
      return bad();
    }
    value = value << 4 | digit;
  }
  // The letters fill bits 30-16 and the digits bits 15-0 of a big-endian
  // DWord; AML integers are little-endian, hence the swap.
  return base::ByteSwap(value);
}

absl::Status EisaId::WriteTo(AmlSink& sink) const {
  ASSIGN_OR_RETURN(const uint32_t value, Compress(id_));
  uint8_t bytes[5] = {kDWordPrefix};
  base::StoreLe32(bytes + 1, value);
  sink.Append(bytes);
  return absl::OkStatus();
}

absl::Status Buffer::WriteTo(AmlSink& sink) const {
  VectorAmlSink body;
  RETURN_IF_ERROR(Integer(bytes_.size()).WriteTo(body));
  body.Append(bytes_);
  return WriteWithPkgLength(sink, kBufferOp, body.bytes());
}

absl::Status Package::WriteTo(AmlSink& sink) const {
  if (elements_.size() > 255) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "package of %u elements; at most 255 fit", elements_.size()));
  }
  VectorAmlSink body;
  body.AppendByte(static_cast<uint8_t>(elements_.size()));
  for (const auto& element : elements_) RETURN_IF_ERROR(element->WriteTo(body));
  return WriteWithPkgLength(sink, kPackageOp, body.bytes());
}

absl::Status Arg::WriteTo(AmlSink& sink) const {
  if (index_ > 6) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Arg%u does not exist (Arg0-Arg6)", index_));
  }
  sink.AppendByte(static_cast<uint8_t>(kArg0Op + index_));
  return absl::OkStatus();
}

absl::Status Local::WriteTo(AmlSink& sink) const {
  if (index_ > 7) {
    return absl::InvalidArgumentError(
        absl::StrFormat("Local%u does not exist (Local0-Local7)", index_));
  }
  sink.AppendByte(static_cast<uint8_t>(kLocal0Op + index_));
  return absl::OkStatus();
}

absl::Status TermList::WriteTo(AmlSink& sink) const {
  for (const auto& term : terms_) RETURN_IF_ERROR(term->WriteTo(sink));
  return absl::OkStatus();
}

absl::Status Name::WriteTo(AmlSink& sink) const {
  ASSIGN_OR_RETURN(const std::vector<uint8_t> name, EncodeNameString(path_));
  VectorAmlSink value;
  RETURN_IF_ERROR(value_->WriteTo(value));
  sink.AppendByte(kNameOp);
  sink.Append(name);
  sink.Append(value.bytes());
  return absl::OkStatus();
}

absl::Status Scope::WriteTo(AmlSink& sink) const {
  const uint8_t head[] = {kScopeOp};
  return WritePackaged(sink, head, path_, {}, terms_);
}

absl::Status Device::WriteTo(AmlSink& sink) const {
  const uint8_t head[] = {kExtOpPrefix, kDeviceOp};
  return WritePackaged(sink, head, path_, {}, terms_);
}

absl::Status Method::WriteTo(AmlSink& sink) const {
  if (arg_count_ > 7) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "method \"%s\": %u arguments; at most 7", path_, arg_count_));
  }
  if (sync_level_ > 15) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "method \"%s\": sync level %u; at most 15", path_, sync_level_));
  }
  // MethodFlags: bits 0-2 ArgCount, bit 3 SerializeFlag, bits 4-7 SyncLevel.
  const uint8_t flags[] = {static_cast<uint8_t>(
      arg_count_ | (serialized_ ? 1 << 3 : 0) | sync_level_ << 4)};
  const uint8_t head[] = {kMethodOp};
  return WritePackaged(sink, head, path_, flags, terms_);
}

absl::Status Return::WriteTo(AmlSink& sink) const {
  VectorAmlSink value;
  RETURN_IF_ERROR(value_->WriteTo(value));
  sink.AppendByte(kReturnOp);
  sink.Append(value.bytes());
  return absl::OkStatus();
}

absl::Status Io::WriteTo(AmlSink& sink) const {
  if (min_ > max_) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "IO descriptor: minimum base 0x%x is above maximum 0x%x", min_, max_));
  }
  uint8_t bytes[8] = {kIoTag, static_cast<uint8_t>(decode_)};
  base::StoreLe16(bytes + 2, min_);
  base::StoreLe16(bytes + 4, max_);
  bytes[6] = alignment_;
  bytes[7] = length_;
  sink.Append(bytes);
  return absl::OkStatus();
}

absl::Status IrqNoFlags::WriteTo(AmlSink& sink) const {
  if (irq_ > 15) {
    return absl::InvalidArgumentError(
        absl::StrFormat("IRQNoFlags: IRQ %u is not an ISA IRQ (0-15)", irq_));
  }
  uint8_t bytes[3] = {kIrqNoFlagsTag};
  base::StoreLe16(bytes + 1, static_cast<uint16_t>(1u << irq_));
  sink.Append(bytes);
  return absl::OkStatus();
}

absl::Status Memory32Fixed::WriteTo(AmlSink& sink) const {
  uint8_t bytes[12] = {kMemory32FixedTag};
  base::StoreLe16(bytes + 1, kMemory32FixedLength);
  bytes[3] = read_write_ ? 1 : 0;
  base::StoreLe32(bytes + 4, base_);
  base::StoreLe32(bytes + 8, length_);
  sink.Append(bytes);
  return absl::OkStatus();
}

absl::Status ResourceTemplate::WriteTo(AmlSink& sink) const {
  VectorAmlSink descriptors;
  for (const auto& descriptor : descriptors_) {
    RETURN_IF_ERROR(descriptor->WriteTo(descriptors));
  }
  const uint8_t end_tag[] = {kEndTag, 0};  // checksum 0: "always valid"
  descriptors.Append(end_tag);
  return Buffer(std::move(descriptors).Take()).WriteTo(sink);
}

}  // namespace acpi_tables
