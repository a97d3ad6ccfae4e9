// Explicit little- and big-endian loads and stores of fixed-width integers.
//
// Every wire format in this project (fw_cfg's big-endian DMA descriptor, the
// little-endian E820 table, guest memory accessors) goes through these
// helpers. They copy bytes with memcpy, so they never form a misaligned or
// type-punned pointer into a buffer, whatever its alignment.
//
//   uint8_t wire[4];
//   base::StoreBe32(wire, 0x00100000);     // wire = 00 10 00 00
//   uint32_t v = base::LoadLe32(wire);     // v == 0x00001000

#ifndef BASE_BYTE_ORDER_H_
#define BASE_BYTE_ORDER_H_

#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>

namespace base {

static_assert(std::endian::native == std::endian::little ||
                  std::endian::native == std::endian::big,
              "mixed-endian hosts are not supported");

// Reverses the byte order of an unsigned integer.
template <std::unsigned_integral T>
constexpr T ByteSwap(T value) {
  if constexpr (sizeof(T) == 1) {
    return value;
  } else if constexpr (sizeof(T) == 2) {
    return __builtin_bswap16(value);
  } else if constexpr (sizeof(T) == 4) {
    return __builtin_bswap32(value);
  } else {
    static_assert(sizeof(T) == 8);
    return __builtin_bswap64(value);
  }
}

// Loads a T stored in `order` at `bytes` (which needs no particular alignment).
template <std::unsigned_integral T, std::endian order>
T Load(const uint8_t* bytes) {
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  if constexpr (order != std::endian::native) value = ByteSwap(value);
  return value;
}

// Stores `value` in `order` at `bytes` (which needs no particular alignment).
template <std::unsigned_integral T, std::endian order>
void Store(uint8_t* bytes, T value) {
  if constexpr (order != std::endian::native) value = ByteSwap(value);
  std::memcpy(bytes, &value, sizeof(T));
}

inline uint16_t LoadLe16(const uint8_t* b) {
  return Load<uint16_t, std::endian::little>(b);
}
inline uint32_t LoadLe32(const uint8_t* b) {
  return Load<uint32_t, std::endian::little>(b);
}
inline uint64_t LoadLe64(const uint8_t* b) {
  return Load<uint64_t, std::endian::little>(b);
}
inline uint16_t LoadBe16(const uint8_t* b) {
  return Load<uint16_t, std::endian::big>(b);
}
inline uint32_t LoadBe32(const uint8_t* b) {
  return Load<uint32_t, std::endian::big>(b);
}
inline uint64_t LoadBe64(const uint8_t* b) {
  return Load<uint64_t, std::endian::big>(b);
}

inline void StoreLe16(uint8_t* b, uint16_t v) {
  Store<uint16_t, std::endian::little>(b, v);
}
inline void StoreLe32(uint8_t* b, uint32_t v) {
  Store<uint32_t, std::endian::little>(b, v);
}
inline void StoreLe64(uint8_t* b, uint64_t v) {
  Store<uint64_t, std::endian::little>(b, v);
}
inline void StoreBe16(uint8_t* b, uint16_t v) {
  Store<uint16_t, std::endian::big>(b, v);
}
inline void StoreBe32(uint8_t* b, uint32_t v) {
  Store<uint32_t, std::endian::big>(b, v);
}
inline void StoreBe64(uint8_t* b, uint64_t v) {
  Store<uint64_t, std::endian::big>(b, v);
}

}  // namespace base

#endif  // BASE_BYTE_ORDER_H_
