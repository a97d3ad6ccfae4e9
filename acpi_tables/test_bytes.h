// Reading table bytes in the ACPI tests: little-endian fields spelled out
// byte by byte, independent of the code under test, and bounds-checked
// (std::vector::at), so a short table fails the test instead of reading
// past its end.

#ifndef ACPI_TABLES_TEST_BYTES_H_
#define ACPI_TABLES_TEST_BYTES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace acpi_tables::test_bytes {

using Bytes = std::vector<uint8_t>;

inline uint32_t U16At(const Bytes& b, size_t at) {
  return uint32_t{b.at(at)} | uint32_t{b.at(at + 1)} << 8;
}
inline uint32_t U32At(const Bytes& b, size_t at) {
  return U16At(b, at) | U16At(b, at + 2) << 16;
}
inline uint64_t U64At(const Bytes& b, size_t at) {
  return uint64_t{U32At(b, at)} | uint64_t{U32At(b, at + 4)} << 32;
}
inline std::string TextAt(const Bytes& b, size_t at, size_t size) {
  return std::string(b.begin() + at, b.begin() + at + size);
}
inline Bytes Slice(const Bytes& b, size_t at, size_t size) {
  return Bytes(b.begin() + at, b.begin() + at + size);
}
// The byte sum of [from, to), modulo 256; ACPI checksums make it 0.
inline uint8_t Sum(const Bytes& b, size_t from, size_t to) {
  uint8_t sum = 0;
  for (size_t i = from; i < to; ++i) sum = static_cast<uint8_t>(sum + b.at(i));
  return sum;
}
inline uint8_t Sum(const Bytes& b) { return Sum(b, 0, b.size()); }

}  // namespace acpi_tables::test_bytes

#endif  // ACPI_TABLES_TEST_BYTES_H_
