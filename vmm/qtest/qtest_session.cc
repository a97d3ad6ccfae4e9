#include "vmm/qtest/qtest_session.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"

namespace vmm {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Fail(std::string_view what) {
  return absl::StrFormat("FAIL %s", what);
}

// Parses word `index` as a number, or explains why not.
bool Number(const std::vector<std::string_view>& words, size_t index,
            const char* name, uint64_t* value, std::string* error) {
  if (index >= words.size()) {
    *error = Fail(absl::StrFormat("%s: missing %s", words[0], name));
    return false;
  }
  if (!ParseQtestNumber(words[index], value)) {
    *error =
        Fail(absl::StrFormat("%s: bad %s '%s'", words[0], name,
                             absl::CHexEscape(absl::string_view(
                                 words[index].data(), words[index].size()))));
    return false;
  }
  return true;
}

// Explains a transfer over the session's limit; the three bulk commands
// refuse it before anything moves.
bool WithinTransferLimit(std::string_view command, uint64_t length,
                         std::string* error) {
  if (length <= QtestSession::kMaxTransfer) return true;
  *error = Fail(absl::StrFormat("%s: length %d over the %d-byte limit", command,
                                length, QtestSession::kMaxTransfer));
  return false;
}

}  // namespace

std::vector<std::string_view> SplitQtestWords(std::string_view line) {
  // QEMU splits on every single space (g_strsplit), so doubled spaces give
  // empty words; keep them, and reject them where a number is expected.
  std::vector<std::string_view> words;
  size_t start = 0;
  while (true) {
    const size_t space = line.find(' ', start);
    words.push_back(line.substr(start, space - start));
    if (space == std::string_view::npos) break;
    start = space + 1;
  }
  return words;
}

int QtestAccessWidth(std::string_view command) {
  switch (command.empty() ? 'q' : command.back()) {
    case 'b':
      return 1;
    case 'w':
      return 2;
    case 'l':
      return 4;
    default:
      return 8;
  }
}

bool ParseQtestNumber(std::string_view word, uint64_t* value) {
  // A leading minus negates modulo 2^64, as strtoull (and so QEMU) does:
  // `writeq ADDR -2` writes 0xfffffffffffffffe.
  if (!word.empty() && word[0] == '-') {
    uint64_t magnitude;
    if (!ParseQtestNumber(word.substr(1), &magnitude) ||
        (word.size() > 1 && word[1] == '-')) {
      return false;
    }
    *value = ~magnitude + 1;
    return true;
  }
  if (word.empty()) return false;
  int base = 10;
  if (word.size() > 2 && word[0] == '0' && (word[1] == 'x' || word[1] == 'X')) {
    base = 16;
    word.remove_prefix(2);
  } else if (word.size() > 1 && word[0] == '0') {
    base = 8;
    word.remove_prefix(1);
  }
  uint64_t result = 0;
  for (char c : word) {
    const int digit = HexDigit(c);
    if (digit < 0 || digit >= base) return false;
    if (__builtin_mul_overflow(result, static_cast<uint64_t>(base), &result) ||
        __builtin_add_overflow(result, static_cast<uint64_t>(digit), &result)) {
      return false;
    }
  }
  *value = result;
  return true;
}

std::string QtestSession::HandleLine(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty()) return Fail("empty command");
  const std::vector<std::string_view> words = SplitQtestWords(line);
  const std::string_view command = words[0];
  if (command.empty()) return Fail("command starts with a space");

  if (command == "outb" || command == "outw" || command == "outl") {
    return PortOut(words);
  }
  if (command == "inb" || command == "inw" || command == "inl") {
    return PortIn(words);
  }
  if (command == "writeb" || command == "writew" || command == "writel" ||
      command == "writeq") {
    return MemoryWrite(words);
  }
  if (command == "readb" || command == "readw" || command == "readl" ||
      command == "readq") {
    return MemoryRead(words);
  }
  if (command == "read") return BulkRead(words, false);
  if (command == "b64read") return BulkRead(words, true);
  if (command == "write") return BulkWrite(words, false);
  if (command == "b64write") return BulkWrite(words, true);
  if (command == "memset") return MemorySet(words);
  if (command == "endianness") return "OK little";
  return absl::StrFormat(
      "FAIL Unknown command '%s'",
      absl::CHexEscape(absl::string_view(command.data(), command.size())));
}

std::string QtestSession::PortOut(const std::vector<std::string_view>& words) {
  uint64_t port, value;
  std::string error;
  if (!Number(words, 1, "port", &port, &error) ||
      !Number(words, 2, "value", &value, &error)) {
    return error;
  }
  if (port > 0xffff)
    return Fail(absl::StrFormat("%s: port 0x%x > 0xffff", words[0], port));
  const int width = QtestAccessWidth(words[0]);
  uint8_t bytes[4];
  for (int i = 0; i < width; ++i)
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  pio_.Write(port, absl::MakeConstSpan(bytes, width));
  return "OK";
}

std::string QtestSession::PortIn(const std::vector<std::string_view>& words) {
  uint64_t port;
  std::string error;
  if (!Number(words, 1, "port", &port, &error)) return error;
  if (port > 0xffff)
    return Fail(absl::StrFormat("%s: port 0x%x > 0xffff", words[0], port));
  const int width = QtestAccessWidth(words[0]);
  uint8_t bytes[4] = {};
  pio_.Read(port, absl::MakeSpan(bytes, width));
  return absl::StrFormat("OK 0x%04x", base::LoadLe32(bytes));
}

std::string QtestSession::MemoryWrite(
    const std::vector<std::string_view>& words) {
  uint64_t address, value;
  std::string error;
  if (!Number(words, 1, "address", &address, &error) ||
      !Number(words, 2, "value", &value, &error)) {
    return error;
  }
  const int width = QtestAccessWidth(words[0]);
  uint8_t bytes[8];
  base::StoreLe64(bytes, value);  // Little-endian target, as QEMU's tswap.
  memory_.Write(address, absl::MakeConstSpan(bytes, width));
  return "OK";
}

std::string QtestSession::MemoryRead(
    const std::vector<std::string_view>& words) {
  uint64_t address;
  std::string error;
  if (!Number(words, 1, "address", &address, &error)) return error;
  const int width = QtestAccessWidth(words[0]);
  uint8_t bytes[8] = {};
  memory_.Read(address, absl::MakeSpan(bytes, width));
  return absl::StrFormat("OK 0x%016x", base::LoadLe64(bytes));
}

std::string QtestSession::BulkRead(const std::vector<std::string_view>& words,
                                   bool base64) {
  uint64_t address, length;
  std::string error;
  if (!Number(words, 1, "address", &address, &error) ||
      !Number(words, 2, "length", &length, &error)) {
    return error;
  }
  // QEMU asserts on `read` of 0 bytes; `b64read` of 0 answers "OK ".
  if (!base64 && length == 0) return Fail("read: length 0");
  if (!WithinTransferLimit(words[0], length, &error)) return error;
  std::string data(length, '\0');
  memory_.Read(address, absl::MakeSpan(reinterpret_cast<uint8_t*>(data.data()),
                                       data.size()));
  if (base64) return "OK " + absl::Base64Escape(data);
  return "OK 0x" + absl::BytesToHexString(data);
}

std::string QtestSession::BulkWrite(const std::vector<std::string_view>& words,
                                    bool base64) {
  uint64_t address, length;
  std::string error;
  if (!Number(words, 1, "address", &address, &error) ||
      !Number(words, 2, "length", &length, &error)) {
    return error;
  }
  if (words.size() < 4)
    return Fail(absl::StrFormat("%s: missing data", words[0]));
  const std::string_view text = words[3];
  // QEMU's answer for data words shorter than 3 characters.
  if (text.size() < 3) return "ERR invalid argument size";
  if (!WithinTransferLimit(words[0], length, &error)) return error;
  std::vector<uint8_t> data(length, 0);
  if (base64) {
    std::string decoded;
    if (!absl::Base64Unescape(absl::string_view(text.data(), text.size()),
                              &decoded)) {
      return Fail("b64write: bad base64 data");
    }
    // Not memcpy: with LEN 0, data.data() is null, and memcpy from or to
    // null is undefined even for 0 bytes (found by qtest_fuzzer).
    std::copy_n(decoded.begin(), std::min<size_t>(decoded.size(), length),
                data.begin());
  } else {
    if (text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
      return Fail("write: data must start with 0x");
    }
    const std::string_view hex = text.substr(2);
    for (char c : hex) {
      if (HexDigit(c) < 0) return Fail("write: data is not hexadecimal");
    }
    // As QEMU: byte i takes digits 2i and 2i+1 when both are there.
    for (uint64_t i = 0; i < length && 2 * i + 2 <= hex.size(); ++i) {
      data[i] = static_cast<uint8_t>(HexDigit(hex[2 * i]) << 4 |
                                     HexDigit(hex[2 * i + 1]));
    }
  }
  memory_.Write(address, data);
  return "OK";
}

std::string QtestSession::MemorySet(
    const std::vector<std::string_view>& words) {
  uint64_t address, length, value;
  std::string error;
  if (!Number(words, 1, "address", &address, &error) ||
      !Number(words, 2, "length", &length, &error) ||
      !Number(words, 3, "value", &value, &error)) {
    return error;
  }
  if (!WithinTransferLimit(words[0], length, &error)) return error;
  memory_.Fill(address, length, static_cast<uint8_t>(value));
  return "OK";
}

}  // namespace vmm
