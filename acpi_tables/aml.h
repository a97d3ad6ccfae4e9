// An AML (ACPI Machine Language) builder, in the spirit of rust-vmm's
// acpi_tables::aml: each object writes its own encoding into a byte sink, and
// nodes own their children.
//
// Encodings follow the ACPI 6.x specification, chapter 20 ("ACPI Machine
// Language Specification") and section 6.4 (resource descriptors):
//
//   Scope sb("\\_SB_");
//   Device com1("COM1");
//   com1.Add(Name("_HID", EisaId("PNP0501")));
//   com1.Add(Name("_UID", Integer(0)));
//   ResourceTemplate crs;
//   crs.Add(Io(IoDecode::k16, 0x3f8, 0x3f8, 0, 8));
//   crs.Add(IrqNoFlags(4));
//   com1.Add(Name("_CRS", std::move(crs)));
//   sb.Add(std::move(com1));
//   ASSIGN_OR_RETURN(std::vector<uint8_t> aml, EncodeAml(sb));
//
// Constructors do not validate; an object that AML cannot encode (a bad name,
// an out-of-range argument count, a package of more than 255 elements, ...)
// makes WriteTo and EncodeAml fail with a status that says why.

#ifndef ACPI_TABLES_AML_H_
#define ACPI_TABLES_AML_H_

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace acpi_tables {

// Where AML objects write their bytes.
class AmlSink {
 public:
  virtual ~AmlSink() = default;
  virtual void Append(absl::Span<const uint8_t> bytes) = 0;
  void AppendByte(uint8_t byte) { Append(absl::MakeConstSpan(&byte, 1)); }
};

// A sink that collects the bytes in memory.
class VectorAmlSink : public AmlSink {
 public:
  void Append(absl::Span<const uint8_t> bytes) override {
    bytes_.insert(bytes_.end(), bytes.begin(), bytes.end());
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  std::vector<uint8_t> Take() && { return std::move(bytes_); }

 private:
  std::vector<uint8_t> bytes_;
};

// Anything that encodes itself as AML.
class AmlObject {
 public:
  virtual ~AmlObject() = default;
  // Appends the encoding to `sink`. On error the sink may hold part of it;
  // EncodeAml never returns partial output.
  virtual absl::Status WriteTo(AmlSink& sink) const = 0;
};

template <typename T>
concept AmlNode = std::derived_from<std::remove_cvref_t<T>, AmlObject>;

// Moves (or copies) `node` onto the heap for a parent to own.
template <AmlNode T>
std::unique_ptr<AmlObject> OwnAml(T&& node) {
  return std::make_unique<std::remove_cvref_t<T>>(std::forward<T>(node));
}

// The encoding of `object`, or the reason it has none.
absl::StatusOr<std::vector<uint8_t>> EncodeAml(const AmlObject& object);

// --- Encoding primitives (public for tests and for custom objects) ----------

// The PkgLength that precedes `payload_length` bytes (the PkgLength counts
// itself): 1 byte up to 63 in all, then 2, 3 or 4 bytes (at most 2^28 - 1).
absl::StatusOr<std::vector<uint8_t>> EncodePkgLength(size_t payload_length);

// A NameString: an optional root prefix '\' or parent prefixes '^', then
// dot-separated NameSegs of 1 to 4 characters ([A-Z_] then [A-Z0-9_]), each
// padded to 4 with '_'. No segment gives NullName, two a DualNamePrefix,
// three or more (up to 255) a MultiNamePrefix.
//   "_SB" -> 5F 53 42 5F        "\_SB_.PCI0" -> 5C 2E 5F 53 42 5F 50 43 49 30
absl::StatusOr<std::vector<uint8_t>> EncodeNameString(absl::string_view path);

// --- Data objects ------------------------------------------------------------

// An integer constant, in the shortest form: ZeroOp, OneOp, then
// BytePrefix, WordPrefix, DWordPrefix or QWordPrefix by value.
class Integer : public AmlObject {
 public:
  explicit Integer(uint64_t value) : value_(value) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  uint64_t value_;
};

// A String constant (StringPrefix, ASCII 0x01-0x7f, NUL).
class String : public AmlObject {
 public:
  explicit String(std::string value) : value_(std::move(value)) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::string value_;
};

// ASL's EISAID("PNP0501"): three letters and four hex digits compressed
// into a DWord (always DWordPrefix, as iasl emits it).
class EisaId : public AmlObject {
 public:
  explicit EisaId(std::string id) : id_(std::move(id)) {}
  absl::Status WriteTo(AmlSink& sink) const override;
  // The compressed value (0x0105d041 for "PNP0501").
  static absl::StatusOr<uint32_t> Compress(absl::string_view id);

 private:
  std::string id_;
};

// A Buffer of raw bytes (BufferOp, PkgLength, BufferSize, bytes).
class Buffer : public AmlObject {
 public:
  explicit Buffer(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::vector<uint8_t> bytes_;
};

// A Package of up to 255 elements.
class Package : public AmlObject {
 public:
  Package() = default;
  template <AmlNode T>
  Package& Add(T&& element) {
    elements_.push_back(OwnAml(std::forward<T>(element)));
    return *this;
  }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::vector<std::unique_ptr<AmlObject>> elements_;
};

// ArgN (0-6) and LocalN (0-7), for method bodies.
class Arg : public AmlObject {
 public:
  explicit Arg(uint8_t index) : index_(index) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  uint8_t index_;
};

class Local : public AmlObject {
 public:
  explicit Local(uint8_t index) : index_(index) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  uint8_t index_;
};

// --- Named objects and scopes
// -------------------------------------------------

// A sequence of terms with no framing (a DSDT's body, a scope's contents).
class TermList : public AmlObject {
 public:
  TermList() = default;
  template <AmlNode T>
  TermList& Add(T&& term) {
    terms_.push_back(OwnAml(std::forward<T>(term)));
    return *this;
  }
  bool empty() const { return terms_.empty(); }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::vector<std::unique_ptr<AmlObject>> terms_;
};

// Name(path, value).
class Name : public AmlObject {
 public:
  template <AmlNode T>
  Name(std::string path, T&& value)
      : path_(std::move(path)), value_(OwnAml(std::forward<T>(value))) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::string path_;
  std::unique_ptr<AmlObject> value_;
};

// Scope(path) { terms }.
class Scope : public AmlObject {
 public:
  explicit Scope(std::string path) : path_(std::move(path)) {}
  template <AmlNode T>
  Scope& Add(T&& term) {
    terms_.Add(std::forward<T>(term));
    return *this;
  }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::string path_;
  TermList terms_;
};

// Device(path) { terms }.
class Device : public AmlObject {
 public:
  explicit Device(std::string path) : path_(std::move(path)) {}
  template <AmlNode T>
  Device& Add(T&& term) {
    terms_.Add(std::forward<T>(term));
    return *this;
  }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::string path_;
  TermList terms_;
};

// Method(path, arg_count, Serialized/NotSerialized, sync_level) { terms }:
// arg_count 0-7, sync_level 0-15.
class Method : public AmlObject {
 public:
  Method(std::string path, uint8_t arg_count, bool serialized,
         uint8_t sync_level = 0)
      : path_(std::move(path)),
        arg_count_(arg_count),
        serialized_(serialized),
        sync_level_(sync_level) {}
  template <AmlNode T>
  Method& Add(T&& term) {
    terms_.Add(std::forward<T>(term));
    return *this;
  }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::string path_;
  uint8_t arg_count_;
  bool serialized_;
  uint8_t sync_level_;
  TermList terms_;
};

// Return(value).
class Return : public AmlObject {
 public:
  template <AmlNode T>
  requires(!std::same_as<std::remove_cvref_t<T>, Return>) explicit Return(
      T&& value)
      : value_(OwnAml(std::forward<T>(value))) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::unique_ptr<AmlObject> value_;
};

// --- Resource descriptors (ACPI 6.4 section 6.4)
// --------------------------------

// A resource data descriptor; only these go into a ResourceTemplate.
class ResourceDescriptor : public AmlObject {};

enum class IoDecode : uint8_t {
  k10 = 0,  // Decode10: the device decodes address bits 0-9
  k16 = 1,  // Decode16: the device decodes address bits 0-15
};

// IO(decode, min, max, alignment, length): the small I/O port descriptor.
class Io : public ResourceDescriptor {
 public:
  Io(IoDecode decode, uint16_t min, uint16_t max, uint8_t alignment,
     uint8_t length)
      : decode_(decode),
        min_(min),
        max_(max),
        alignment_(alignment),
        length_(length) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  IoDecode decode_;
  uint16_t min_;
  uint16_t max_;
  uint8_t alignment_;
  uint8_t length_;
};

// IRQNoFlags() {irq}: the 2-byte small IRQ descriptor (edge, active high,
// exclusive), for one ISA IRQ 0-15.
class IrqNoFlags : public ResourceDescriptor {
 public:
  explicit IrqNoFlags(uint8_t irq) : irq_(irq) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  uint8_t irq_;
};

// Memory32Fixed(ReadWrite/ReadOnly, base, length): the large descriptor.
class Memory32Fixed : public ResourceDescriptor {
 public:
  Memory32Fixed(bool read_write, uint32_t base, uint32_t length)
      : read_write_(read_write), base_(base), length_(length) {}
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  bool read_write_;
  uint32_t base_;
  uint32_t length_;
};

// ResourceTemplate() { descriptors }: a Buffer holding the descriptors and
// an End Tag. The End Tag's checksum byte is 0, which the specification
// defines as "treat the checksum as valid" (iasl and QEMU emit 0 too).
class ResourceTemplate : public AmlObject {
 public:
  ResourceTemplate() = default;
  template <typename T>
  requires std::derived_from<std::remove_cvref_t<T>, ResourceDescriptor>
      ResourceTemplate& Add(T&& descriptor) {
    descriptors_.push_back(OwnAml(std::forward<T>(descriptor)));
    return *this;
  }
  absl::Status WriteTo(AmlSink& sink) const override;

 private:
  std::vector<std::unique_ptr<AmlObject>> descriptors_;
};

}  // namespace acpi_tables

#endif  // ACPI_TABLES_AML_H_
