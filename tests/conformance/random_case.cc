#include "tests/conformance/random_case.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_order.h"
#include "tests/conformance/case_file.h"
#include "tests/conformance/layout.h"

namespace conformance {
namespace {

// Where things live in guest memory (256 MiB of RAM on both layouts).
//   slots:   16 aligned descriptor slots that always hold a descriptor whose
//            every effect is safe (RAM starts zeroed: a zero descriptor
//            does nothing);
//   odd:     descriptors at unaligned addresses, written just before use;
//   buffers: every DMA destination in RAM, from buf_lo to the end of RAM,
//            above the descriptors, so no transfer ever reaches them.
// On x86 the buffers start at 1 MiB: QEMU maps VGA and BIOS ROM over
// 0xa0000-0xfffff, which our VMM does not. On arm QEMU puts its device tree
// at the start of RAM (0x40000000-0x40001d10 on QEMU 7.2): descriptors start
// at RAM + 64 KiB.
struct Memory {
  uint64_t ram_base;
  uint64_t ram_end;
  uint64_t slots;
  uint64_t odd;
  uint64_t buf_lo;
  bool wrap_ok;  // x86: a destination wrapping past 2^64 lands in RAM at 0
};

Memory MemoryOf(Layout layout) {
  const uint64_t base = RamBase(layout);
  return Memory{
      base,           base + kDefaultMemorySize, base + 0x10000,
      base + 0x11000, base + 0x100000,           layout == Layout::kX86_64};
}

constexpr int kSlots = 16;
constexpr uint64_t kMaxReadLength = 0x20000;  // zero-fill stays cheap
constexpr uint64_t kWrapArea = 0x800;         // x86: [0, 0x800) may be hit

std::string Hex(const std::vector<uint8_t>& bytes) {
  std::string out = "0x";
  for (uint8_t b : bytes) absl::StrAppendFormat(&out, "%02x", b);
  return out;
}

class Generator {
 public:
  Generator(uint64_t seed, Layout layout)
      : rng_(seed * 0x2545f4914f6cdd1dull + 0x1234567),
        layout_(layout),
        mem_(MemoryOf(layout)) {
    spec_.path =
        absl::StrCat("random seed ", seed, " (", LayoutName(layout), ")");
    spec_.layout = layout;
  }

  CaseSpec Generate(int ops) {
    MakeItems();
    if (Chance(30)) Emit("check-dir");
    for (int i = 0; i < ops; ++i) Operation();
    if (Chance(30)) Emit("check-dir");
    const int header = 1 + static_cast<int>(spec_.items.size());
    for (size_t i = 0; i < spec_.steps.size(); ++i) {
      spec_.steps[i].line = header + static_cast<int>(i) + 1;
    }
    return spec_;
  }

 private:
  bool x86() const { return layout_ == Layout::kX86_64; }
  uint64_t Below(uint64_t n) { return rng_.Below(n); }
  bool Chance(int percent) {
    return Below(100) < static_cast<uint64_t>(percent);
  }
  template <typename T>
  const T& OneOf(const std::vector<T>& v) {
    return v[Below(v.size())];
  }

  void Emit(std::string line) {
    Step step;
    if (line == "check-dir") {
      step.kind = Step::Kind::kCheckDir;
    } else {
      step.kind = Step::Kind::kCommand;
      step.text = std::move(line);
    }
    spec_.steps.push_back(std::move(step));
  }

  void MakeItems() {
    std::vector<std::string> names = {"a",
                                      "A",
                                      "c",
                                      "f",
                                      "zzz",
                                      "opt/a",
                                      "opt/b",
                                      "opt/x",
                                      "opt/zz",
                                      "bootorder0",
                                      "genroms/z",
                                      "opt/org.example/blob",
                                      "opt/a.b-c_d~e+f@g",
                                      "opt/" + std::string(51, 'n')};
    const int count = 1 + static_cast<int>(Below(5));
    for (int i = 0; i < count; ++i) {
      const size_t pick = Below(names.size());
      ItemSpec item;
      item.name = names[pick];
      names.erase(names.begin() + static_cast<long>(pick));
      if (Chance(50)) {
        const int length = 1 + static_cast<int>(Below(48));
        std::string text;
        for (int j = 0; j < length; ++j) {
          // Printable ASCII, so commas, quotes, backslashes, colons and
          // brackets exercise both command-line syntaxes.
          text += static_cast<char>(0x20 + Below(0x5f));
        }
        item.source = text;
        item.content.assign(text.begin(), text.end());
      } else {
        static const std::vector<uint64_t> kSizes = {
            0,  1,  2,  3,  4,   7,   8,   9,    16,   55,   56,
            57, 63, 64, 65, 100, 255, 256, 4095, 4096, 4097, 65537};
        const uint64_t size = OneOf(kSizes);
        item.is_file = true;
        item.source = size == 0
                          ? "empty"
                          : absl::StrCat("random:", size, ":", Below(1000));
        item.content = *GenerateFileContent(item.source);
      }
      spec_.items.push_back(std::move(item));
    }
  }

  // A key expression for ${key:...}: a user item, a standard key, or one
  // that is invalid on both sides; never the directory, QEMU's own files
  // or (x86) QEMU's arch keys.
  std::string KeyExpression() {
    last_key_is_user_ = false;
    if (Chance(45)) {
      last_key_is_user_ = true;
      const ItemSpec& item = OneOf(spec_.items);
      switch (Below(6)) {
        case 0:
          return item.name + "|0x4000";  // bit 14 is ignored
        case 1:
          return item.name + "|0x8000";  // an arch key: invalid everywhere
        default:
          return item.name;
      }
    }
    return absl::StrFormat("0x%04x", LiteralKey());
  }

  uint16_t LiteralKey() {
    static const std::vector<uint16_t> kCommon = {
        0x00,   0x01,   0x05,   0x02,   0x04,   0x06,   0x0e,   0x07,
        0x11,   0x18,   0x1a,   0x1f,   0x40,   0x41,   0x100,  0x1000,
        0x3ffe, 0x3fff, 0x4000, 0x4001, 0x4005, 0x7fff, 0x401a, 0x4040};
    static const std::vector<uint16_t> kX86 = {
        0x03, 0x0f, 0x8005, 0x801f, 0x8040, 0xbfff, 0xffff, 0xc005, 0x4003};
    static const std::vector<uint16_t> kArm = {
        0x03, 0x0f, 0x8000, 0x8003, 0x8005, 0x8019, 0xc000, 0xffff, 0xc004};
    if (Chance(70)) return OneOf(kCommon);
    return OneOf(x86() ? kX86 : kArm);
  }

  std::string SelectLine() {
    const std::string key = KeyExpression();
    if (x86()) return absl::StrCat("outw 0x510 ${key:", key, "}");
    return absl::StrFormat("writew 0x%x ${keybe:%s}", kArmVirtFwCfgBase + 8,
                           key);
  }

  uint64_t Slot() { return mem_.slots + 16 * Below(kSlots); }

  // The 8 bytes a stray write puts on the DMA address register: a slot's
  // address, now and then with a high half where nothing is mapped.
  uint64_t StrayDmaAddress() {
    const uint64_t slot = Slot();
    return Chance(80) ? slot : (uint64_t{1} << 32) | slot;
  }

  void DataReads() {
    const int n = 1 + static_cast<int>(Below(8));
    for (int i = 0; i < n; ++i) {
      if (x86()) {
        Emit(Chance(75) ? "inb 0x511" : "inb 0x510");
      } else {
        static const std::vector<std::string> kReads = {"readb", "readw",
                                                        "readl", "readq"};
        Emit(absl::StrFormat("%s 0x%x", OneOf(kReads), kArmVirtFwCfgBase));
      }
    }
  }

  // A read or write of a random width at a random address around the
  // registers.
  void StrayAccess() {
    static const std::vector<int> kX86Widths = {1, 2, 4};
    static const std::vector<int> kArmWidths = {1, 2, 4, 8};
    const int width = OneOf(x86() ? kX86Widths : kArmWidths);
    const uint64_t address =
        x86() ? 0x50c + Below(0x14) : kArmVirtFwCfgBase - 8 + Below(0x28);
    const char suffix = width == 1   ? 'b'
                        : width == 2 ? 'w'
                        : width == 4 ? 'l'
                                     : 'q';
    if (Chance(55)) {
      Emit(
          absl::StrFormat("%s%c 0x%x", x86() ? "in" : "read", suffix, address));
      return;
    }
    const uint16_t key = LiteralKey();
    uint8_t dma[8];
    base::StoreBe64(dma, StrayDmaAddress());
    const uint64_t selector = x86() ? kX86SelectorPort : kArmVirtFwCfgBase + 8;
    const uint64_t dma_reg = x86() ? kX86DmaPort : kArmVirtFwCfgBase + 16;
    uint64_t value = 0;
    for (int j = 0; j < width; ++j) {
      const uint64_t at = address + static_cast<uint64_t>(j);
      uint8_t byte = static_cast<uint8_t>(Below(256));
      if (at == selector) {
        byte = static_cast<uint8_t>(x86() ? key : key >> 8);
      } else if (at == selector + 1) {
        byte = static_cast<uint8_t>(x86() ? key >> 8 : key);
      } else if (at >= dma_reg && at < dma_reg + 8) {
        byte = dma[at - dma_reg];
      }
      value |= uint64_t{byte} << (8 * j);
    }
    Emit(absl::StrFormat("%s%c 0x%x 0x%x", x86() ? "out" : "write", suffix,
                         address, value));
  }

  // Sets the high half of the DMA address alone (where nothing is mapped);
  // a following low-half start then finds no descriptor.
  void StaleHighHalf() {
    static const std::vector<uint32_t> kHigh = {1, 0x12345, 0x80000000,
                                                0xffffffff};
    const uint32_t high = OneOf(kHigh);
    if (x86()) {
      Emit(absl::StrFormat("outl 0x514 0x%08x", base::ByteSwap(high)));
    } else {
      Emit(absl::StrFormat("writel 0x%x 0x%08x", kArmVirtFwCfgBase + 16,
                           base::ByteSwap(high)));
    }
  }

  void StartDma(uint64_t desc) {
    const uint32_t high = static_cast<uint32_t>(desc >> 32);
    const uint32_t low = static_cast<uint32_t>(desc);
    if (!x86() && Chance(40)) {
      Emit(absl::StrFormat("writeq 0x%x 0x%016x", kArmVirtFwCfgBase + 16,
                           base::ByteSwap(desc)));
      return;
    }
    const bool write_high = high != 0 || Chance(50);
    if (x86()) {
      if (write_high) {
        Emit(absl::StrFormat("outl 0x514 0x%08x", base::ByteSwap(high)));
      }
      Emit(absl::StrFormat("outl 0x518 0x%08x", base::ByteSwap(low)));
    } else {
      if (write_high) {
        Emit(absl::StrFormat("writel 0x%x 0x%08x", kArmVirtFwCfgBase + 16,
                             base::ByteSwap(high)));
      }
      Emit(absl::StrFormat("writel 0x%x 0x%08x", kArmVirtFwCfgBase + 20,
                           base::ByteSwap(low)));
    }
  }

  // Emits `read`s (or a `b64read`) of [from, to) clipped to the buffers (and
  // on x86 to the wrap area), at most `max` bytes from each end.
  void ReadBack(uint64_t from, uint64_t to, uint64_t max) {
    std::vector<std::pair<uint64_t, uint64_t>> safe = {
        {mem_.buf_lo, mem_.ram_end}};
    if (mem_.wrap_ok) safe.push_back({0, kWrapArea});
    for (const auto& [lo, hi] : safe) {
      const uint64_t a = std::max(from, lo);
      const uint64_t b = std::min(to, hi);
      if (a >= b) continue;
      const uint64_t head = std::min(b - a, max);
      const char* verb = Chance(15) ? "b64read" : "read";
      Emit(absl::StrFormat("%s 0x%x %u", verb, a, head));
      if (b - a > 2 * max) {
        Emit(absl::StrFormat("read 0x%x %u", b - max, max));
      }
    }
  }

  // Fills [from, to) ∩ buffers with a pattern, up to `max` bytes.
  void Prefill(uint64_t from, uint64_t to, uint64_t max) {
    const uint64_t a = std::max(from, mem_.buf_lo);
    const uint64_t b = std::min(to, mem_.ram_end);
    if (a >= b) return;
    const uint64_t n = std::min(b - a, max);
    std::vector<uint8_t> bytes(n, static_cast<uint8_t>(0xa0 + Below(16)));
    Emit(absl::StrFormat("write 0x%x %u %s", a, n, Hex(bytes)));
  }

  uint64_t ItemRelatedLength() {
    const ItemSpec& item = OneOf(spec_.items);
    const uint64_t size = item.content.size();
    switch (Below(3)) {
      case 0:
        return size;
      case 1:
        return size + 1;
      default:
        return size > 0 ? size - 1 : 0;
    }
  }

  void Dma() {
    // Control: the operation bits, perhaps a selection, perhaps junk.
    static const std::vector<uint16_t> kOps = {
        0x02, 0x02, 0x02, 0x02, 0x02, 0x02, 0x04, 0x04, 0x04, 0x10,
        0x10, 0x00, 0x01, 0x12, 0x06, 0x14, 0x16, 0x03, 0x05, 0x1f};
    uint16_t bits = OneOf(kOps);
    if (Chance(10)) bits |= static_cast<uint16_t>(Below(0x800) << 5);
    std::string key = "0";
    bool key_is_user = false;
    if (Chance(55)) {
      bits |= 0x08;
      key = KeyExpression();
      key_is_user = last_key_is_user_;
    } else if (Chance(15)) {
      key = absl::StrFormat("0x%04x", Below(0x10000));  // ignored: no select
    }
    const bool reads = (bits & 0x02) != 0;

    // Length.
    static const std::vector<uint64_t> kLengths = {
        0,   1,   2,    3,    4,    5,    7,       8,      9,   15,
        16,  17,  31,   32,   33,   63,   64,      65,     100, 255,
        256, 257, 1000, 4095, 4096, 4097, 0x10000, 0x1ffff};
    static const std::vector<uint64_t> kHuge = {0x7fffffff, 0x80000000,
                                                0xfffffffe, 0xffffffff};
    uint64_t length;
    const uint64_t length_kind = Below(10);
    if (length_kind < 5) {
      length = OneOf(kLengths);
    } else if (length_kind < 8) {
      length = ItemRelatedLength();
    } else if (length_kind < 9 || reads) {
      length = Below(kMaxReadLength);
    } else {
      length = OneOf(kHuge);
    }

    // Destination.
    uint64_t dest;
    const uint64_t dest_kind = Below(20);
    if (dest_kind < 12) {
      dest = mem_.buf_lo + Below(0x40000);
    } else if (dest_kind < 15) {
      static const std::vector<uint64_t> kBack = {1, 2,  3,  4,  7,
                                                  8, 15, 16, 64, 4096};
      dest = mem_.ram_end - OneOf(kBack);
    } else if (dest_kind < 19 || !mem_.wrap_ok) {
      static const std::vector<uint64_t> kX86Nothing = {
          0x10000000,     0x10001234,         0x20000000,
          0x80000000,     0x100000000,        0x100000010,
          0x123456789abc, 0x8000000000000000, 0xfffffffffff00000};
      static const std::vector<uint64_t> kArmNothing = {
          0x50000000,     0x50001234,         0x60000000,
          0xfffffff0,     0xfffffffd,         0x100000000,
          0x123456789abc, 0x8000000000000000, 0xfffffffffff00000};
      dest = OneOf(x86() ? kX86Nothing : kArmNothing);
      // Nothing may wrap past 2^64 except on purpose below.
      if (reads) length = std::min(length, ~dest - 0xfff);
    } else {
      dest = 0 - 16 - Below(16);  // wraps: the tail lands at 0 on x86
      length = std::min<uint64_t>(length, kWrapArea - 0x40);
    }
    if (reads) length = std::min(length, kMaxReadLength);

    // Descriptor placement.
    uint64_t desc;
    const uint64_t where = Below(20);
    enum { kSlot, kOdd, kStraddle, kNowhere } placement;
    if (where < 15) {
      placement = kSlot;
      desc = Slot();
    } else if (where < 17) {
      placement = kOdd;
      desc = mem_.odd + 0x40 * Below(32) + 1 + Below(15);
    } else if (where < 19) {
      placement = kStraddle;
      static const std::vector<uint64_t> kBack = {2, 4, 8, 12, 15};
      desc = mem_.ram_end - OneOf(kBack);
    } else {
      placement = kNowhere;
      static const std::vector<uint64_t> kX86 = {0x20000000, 0x100000000,
                                                 0xfffffffffffffff8};
      static const std::vector<uint64_t> kArm = {0x60000000, 0x100000000,
                                                 0xfffffffffffffff0};
      desc = OneOf(x86() ? kX86 : kArm);
    }

    if (reads) Prefill(dest, dest + length + 8, 96);
    const std::string descriptor =
        absl::StrFormat("${desc:%s:0x%02x:0x%x:0x%x}", key, bits, length, dest);
    if (placement == kSlot || placement == kOdd) {
      Emit(absl::StrFormat("write 0x%x 16 %s", desc, descriptor));
    } else if (placement == kStraddle) {
      // Only the part inside RAM can be written; what it holds does not
      // matter, since the descriptor cannot be read whole.
      const uint64_t inside = mem_.ram_end - desc;
      std::vector<uint8_t> bytes(inside);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(Below(256));
      Emit(absl::StrFormat("write 0x%x %u %s", desc, inside, Hex(bytes)));
    }
    StartDma(desc);
    if (placement == kSlot || placement == kOdd) {
      // An untouched descriptor still holds the key, which differs between
      // the sides for a user item: then skip the key's two bytes.
      const bool side_specific = key_is_user;
      const uint64_t from = side_specific ? desc + 2 : desc;
      Emit(absl::StrFormat("read 0x%x %d", from,
                           (Chance(50) ? 4 : 16) - (side_specific ? 2 : 0)));
    } else if (placement == kStraddle) {
      Emit(absl::StrFormat("read 0x%x 16", mem_.ram_end - 16));
    }
    if (reads) {
      ReadBack(dest, dest + length + 8, 128);
      if (dest + length < dest && mem_.wrap_ok) {
        ReadBack(0, dest + length + 8, 128);  // the wrapped tail
      }
    }
    if (placement == kOdd) {
      // Stray starts never target the odd area; zero the descriptor anyway,
      // so that no stale bytes straddle the next odd one.
      Emit(absl::StrFormat("write 0x%x 16 0x%032x", desc, 0));
    }
  }

  void RamAccess() {
    const uint64_t n = 1 + Below(64);
    const uint64_t at =
        Chance(80) ? mem_.buf_lo + Below(0x40000) : mem_.ram_end - n;
    if (Chance(40)) {
      std::vector<uint8_t> bytes(n);
      for (uint8_t& b : bytes) b = static_cast<uint8_t>(Below(256));
      Emit(absl::StrFormat("write 0x%x %u %s", at, n, Hex(bytes)));
    } else {
      Emit(absl::StrFormat("%s 0x%x %u", Chance(20) ? "b64read" : "read", at,
                           n));
    }
  }

  void Operation() {
    const uint64_t r = Below(100);
    if (r < 20) {
      Emit(SelectLine());
    } else if (r < 45) {
      DataReads();
    } else if (r < 60) {
      StrayAccess();
    } else if (r < 88) {
      Dma();
    } else if (r < 91) {
      StaleHighHalf();
    } else if (r < 99) {
      RamAccess();
    } else {
      Emit("check-dir");
    }
  }

  SplitMix64 rng_;
  Layout layout_;
  Memory mem_;
  CaseSpec spec_;
  bool last_key_is_user_ = false;  // set by KeyExpression()
};

}  // namespace

CaseSpec GenerateRandomCase(uint64_t seed, Layout layout, int ops) {
  return Generator(seed, layout).Generate(ops);
}

}  // namespace conformance
