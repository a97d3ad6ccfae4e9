// Fuzzes the fw_cfg device through both register front ends at once: the x86
// ports (AttachIoPorts on a PioBus) and the MMIO block (AttachMmio on an
// MmioBus) of one FwCfg, whose DMA engine works on a small guest memory:
//
//   0x0000-0x2fff  RAM
//   0x3000-0x4fff  hole
//   0x5000-0x5fff  RAM
//   0x6000-0x6fff  ROM (read-only; holds a descriptor and a pattern)
//
// The input is a sequence of operations (see the Op enum): bus reads and
// writes of every width at every offset around the registers, selector and
// data shortcuts, DMA starts in every register form, and writes of
// descriptors and raw bytes into guest memory. Addresses are drawn near the
// edges that matter: region ends, the hole, the ROM, the top of the 64-bit
// space (so transfers wrap), and the last descriptor (so a transfer lands on
// it).
//
// Invariants checked, besides ASan/UBSan:
//  (a) after every DMA the control word, where it is writable RAM, holds the
//      status (0 or 1), written back over the descriptor even when the
//      transfer overwrote it; the model below predicts which;
//  (b) a DMA changes no guest byte but its control word and, for a read, its
//      destination range (modulo 2^64); nothing else ever changes RAM; the
//      ROM never changes. (Guest memory is mmap()ed, where ASan sees nothing,
//      so these checks are what catch misdirected host pointers.)
//  (c) the directory and every item keep their sizes;
//  (d) read-only items keep their bytes.
// Beyond those, every fw_cfg register block is wrapped in a pass-through
// BusDevice that sees exactly the accesses the bus delivers, and a model of
// the device (selected key and offset, QEMU's DMA algorithm, the front ends'
// documented semantics) checks every byte read from a register, every byte a
// successful DMA read copies, each DMA status, and that the select and write
// callbacks run exactly when they should.

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "fuzz/fuzz_check.h"
#include "fw_cfg/file_item.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/mmio.h"
#include "vm-device/bus.h"
#include "vm-device/bus_device.h"
#include "vm-memory/guest_memory.h"
#include "vm-memory/memory_region.h"

namespace {

using vm_memory::GuestAddress;

constexpr size_t kMaxOps = 1000;
constexpr uint64_t kMmioBase = fw_cfg::kArmVirtMmioBase;

// Guest memory layout (page-sized pieces; see the file comment).
struct Span64 {
  uint64_t start;
  uint64_t size;
  constexpr uint64_t end() const { return start + size; }
};
constexpr Span64 kRam[] = {{0x0000, 0x3000}, {0x5000, 0x1000}};
constexpr Span64 kRom = {0x6000, 0x1000};
constexpr Span64 kHole = {0x3000, 0x2000};

constexpr uint32_t kOpBits =
    fw_cfg::kDmaRead | fw_cfg::kDmaWrite | fw_cfg::kDmaSkip;

// ---- Guest memory, shared by all runs (RAM is cleared before each) ----

struct Memory {
  std::shared_ptr<const vm_memory::GuestMemory> guest;
  uint8_t* ram_host[2] = {};
  const uint8_t* rom_host = nullptr;
  std::vector<uint8_t> rom_expected;
};

std::vector<uint8_t> RomContents() {
  std::vector<uint8_t> rom(kRom.size);
  for (size_t i = 0; i < rom.size(); ++i) rom[i] = static_cast<uint8_t>(i * 13);
  // A descriptor at the ROM's start: select key 0 and read 4 bytes to 0x100.
  base::StoreBe32(rom.data(), (uint32_t{fw_cfg::kSignature} << 16) |
                                  fw_cfg::kDmaSelect | fw_cfg::kDmaRead);
  base::StoreBe32(rom.data() + 4, 4);
  base::StoreBe64(rom.data() + 8, 0x100);
  return rom;
}

Memory MakeMemory() {
  Memory memory;
  std::vector<std::unique_ptr<vm_memory::MemoryRegion>> regions;
  for (const Span64& ram : kRam) {
    auto region = vm_memory::MemoryRegion::CreateAnonymous(
        GuestAddress(ram.start), ram.size);
    FUZZ_CHECK(region.ok(), "%s", region.status().ToString().c_str());
    regions.push_back(std::move(*region));
  }
  // The ROM comes from a memfd so it can hold non-zero bytes.
  memory.rom_expected = RomContents();
  const int fd = memfd_create("fw_cfg_fuzzer_rom", MFD_CLOEXEC);
  FUZZ_CHECK(fd >= 0, "memfd_create failed");
  FUZZ_CHECK(write(fd, memory.rom_expected.data(), kRom.size) ==
                 static_cast<ssize_t>(kRom.size),
             "writing the ROM image failed");
  auto rom = vm_memory::MemoryRegion::CreateFromFile(
      GuestAddress(kRom.start), kRom.size, fd, 0,
      vm_memory::RegionAccess::kReadOnly);
  close(fd);
  FUZZ_CHECK(rom.ok(), "%s", rom.status().ToString().c_str());
  regions.push_back(std::move(*rom));

  auto guest = vm_memory::GuestMemory::Create(std::move(regions));
  FUZZ_CHECK(guest.ok(), "%s", guest.status().ToString().c_str());
  memory.guest = std::move(*guest);
  for (int i = 0; i < 2; ++i) {
    memory.ram_host[i] =
        memory.guest->FindRegion(GuestAddress(kRam[i].start))->host_address();
  }
  memory.rom_host =
      memory.guest->FindRegion(GuestAddress(kRom.start))->host_address();
  return memory;
}

Memory& GetMemory() {
  static Memory* memory = new Memory(MakeMemory());
  return *memory;
}

// Host byte behind a RAM address, or nullptr.
uint8_t* RamByte(uint64_t address) {
  for (int i = 0; i < 2; ++i) {
    if (address >= kRam[i].start && address < kRam[i].end()) {
      return GetMemory().ram_host[i] + (address - kRam[i].start);
    }
  }
  return nullptr;
}

bool Readable(uint64_t address) {
  return RamByte(address) != nullptr ||
         (address >= kRom.start && address < kRom.end());
}

uint8_t PeekByte(uint64_t address) {
  if (const uint8_t* ram = RamByte(address)) return *ram;
  if (address >= kRom.start && address < kRom.end()) {
    return GetMemory().rom_host[address - kRom.start];
  }
  return 0;
}

// Whether [address, address + length) modulo 2^64 is all writable RAM.
bool AllWritable(uint64_t address, uint64_t length) {
  while (length > 0) {
    // The piece up to 2^64 - 1, then the rest from 0 (as the DMA wraps).
    const uint64_t to_top = ~address + 1;  // 0 means a full 2^64.
    const uint64_t piece = (to_top == 0 || length < to_top) ? length : to_top;
    bool inside = false;
    for (const Span64& ram : kRam) {
      if (address >= ram.start && address < ram.end() &&
          piece <= ram.end() - address) {
        inside = true;
      }
    }
    if (!inside) return false;
    address += piece;
    length -= piece;
  }
  return true;
}

// Whether [address, address + length) modulo 2^64 is all RAM or ROM.
bool AllReadable(uint64_t address, uint64_t length) {
  // RAM at 0x5000 and the ROM after it form one readable span.
  constexpr Span64 kReadable[] = {kRam[0], {kRam[1].start, 0x2000}};
  static_assert(kRam[1].end() == kRom.start &&
                kRom.end() == kRam[1].start + 0x2000);
  while (length > 0) {
    const uint64_t to_top = ~address + 1;
    const uint64_t piece = (to_top == 0 || length < to_top) ? length : to_top;
    bool inside = false;
    for (const Span64& span : kReadable) {
      if (address >= span.start && address < span.end() &&
          piece <= span.end() - address) {
        inside = true;
      }
    }
    if (!inside) return false;
    address += piece;
    length -= piece;
  }
  return true;
}

// Whether `address` lies in [start, start + length) modulo 2^64.
bool InWrappingRange(uint64_t address, uint64_t start, uint64_t length) {
  return address - start < length;
}

// ---- The input ----

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return position_ >= size_; }
  uint8_t Byte() { return position_ < size_ ? data_[position_++] : 0; }
  // Little-endian; each statement consumes in order.
  uint16_t U16() {
    const uint16_t low = Byte();
    return static_cast<uint16_t>(low | Byte() << 8);
  }
  uint32_t U32() {
    const uint32_t low = U16();
    return low | uint32_t{U16()} << 16;
  }
  uint64_t U64() {
    const uint64_t low = U32();
    return low | uint64_t{U32()} << 32;
  }
  // Up to `n` bytes; fewer if the input runs out.
  std::vector<uint8_t> Bytes(size_t n) {
    n = std::min(n, size_ - std::min(position_, size_));
    std::vector<uint8_t> out(data_ + position_, data_ + position_ + n);
    position_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t position_ = 0;
};

// ---- Items ----

constexpr size_t kWritableSize = 48;
constexpr size_t kGeneratedSize = 40;
constexpr size_t kHostFileSize = 5000;

std::string& HostFilePath() {
  static std::string* path = new std::string;
  return *path;
}

std::vector<uint8_t> HostFileContents() {
  std::vector<uint8_t> bytes(kHostFileSize);
  for (size_t i = 0; i < bytes.size(); ++i) {
    bytes[i] = static_cast<uint8_t>(i * 31 + (i >> 8));
  }
  return bytes;
}

void RemoveHostFile() { unlink(HostFilePath().c_str()); }

void CreateHostFile() {
  const char* tmp = getenv("TEST_TMPDIR");
  if (tmp == nullptr) tmp = getenv("TMPDIR");
  std::string path = std::string(tmp != nullptr ? tmp : "/tmp") +
                     "/fw_cfg_device_fuzzer.XXXXXX";
  const int fd = mkstemp(path.data());
  FUZZ_CHECK(fd >= 0, "mkstemp %s failed", path.c_str());
  const std::vector<uint8_t> bytes = HostFileContents();
  FUZZ_CHECK(write(fd, bytes.data(), bytes.size()) ==
                 static_cast<ssize_t>(bytes.size()),
             "writing %s failed", path.c_str());
  close(fd);
  HostFilePath() = path;
  atexit(RemoveHostFile);
}

std::vector<uint8_t> Pattern(size_t size, uint8_t seed) {
  std::vector<uint8_t> bytes(size);
  for (size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  }
  return bytes;
}

template <typename T>
T Must(absl::StatusOr<T> value) {
  FUZZ_CHECK(value.ok(), "%s", value.status().ToString().c_str());
  return *std::move(value);
}

void MustOk(const absl::Status& status) {
  FUZZ_CHECK(status.ok(), "%s", status.ToString().c_str());
}

std::vector<uint8_t> ReadAll(fw_cfg::Item& item) {
  std::vector<uint8_t> bytes(item.size());
  MustOk(item.Read(0, absl::MakeSpan(bytes)));
  return bytes;
}

// ---- One machine: the device, both buses, and the checks ----

class Machine;

// fw_cfg's register blocks, as the front ends register them.
enum class Register { kPorts, kMmioData, kMmioSelector, kDma };

// Passes every access through to one of fw_cfg's register blocks and lets
// the machine check it against its model. It sees exactly the pieces the bus
// delivers, so the model needs no copy of the bus's splitting rules.
class RegisterSpy : public vm_device::BusDevice {
 public:
  RegisterSpy(std::shared_ptr<vm_device::BusDevice> inner, Register which,
              Machine* machine)
      : inner_(std::move(inner)), which_(which), machine_(machine) {}

  vm_device::AccessWidths Widths() const override { return inner_->Widths(); }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override;
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override;

 private:
  const std::shared_ptr<vm_device::BusDevice> inner_;
  const Register which_;
  Machine* const machine_;
};

class Machine {
 public:
  explicit Machine(uint8_t flags);

  void Run(Input& input);
  void FinalChecks();

  // From the spies, around the device's own handling.
  void AfterRead(Register which, uint64_t offset,
                 absl::Span<const uint8_t> data);
  void Write(Register which, uint64_t offset, absl::Span<const uint8_t> data,
             vm_device::BusDevice& device);

 private:
  enum Op : uint8_t {
    kPioWrite,
    kPioRead,
    kMmioWrite,
    kMmioRead,
    kSelect,
    kDataReads,
    kStartDma,
    kPokeDescriptor,
    kPokeBytes,
    kDescriptorAndStart,
    kOpCount,
  };

  void AddItems();
  void Wrap(vm_device::Bus& bus, uint64_t address, Register which);

  uint64_t PickAddress(Input& input);
  uint32_t PickLength(Input& input);
  uint16_t PickKey(Input& input);
  void PokeGuest(uint64_t address, absl::Span<const uint8_t> bytes);
  void PokeDescriptor(Input& input, uint64_t at);
  void StartDma(Input& input, uint64_t descriptor);

  // The model: what the device must do, from fw_cfg.h, io_ports.h, mmio.h,
  // dma_register.h and QEMU's algorithm in fw_cfg.cc.
  fw_cfg::Item* Resolve(uint16_t key) const;
  void ModelSelect(uint16_t key);
  std::vector<uint8_t> ModelReadData(size_t size);
  std::optional<uint64_t> StartsDma(uint64_t offset,
                                    absl::Span<const uint8_t> data);
  void BeforeDma(uint64_t descriptor);
  void AfterDma();
  void CheckRamMatchesShadow(const char* when);

  Memory& memory_;
  bool dma_ = true;
  std::shared_ptr<fw_cfg::FwCfg> device_;
  vm_device::PioBus pio_;
  vm_device::MmioBus mmio_;

  // Read-only items and the bytes they must keep.
  std::vector<std::pair<std::shared_ptr<fw_cfg::Item>, std::vector<uint8_t>>>
      read_only_;
  // Every item and its size.
  std::vector<std::pair<std::shared_ptr<fw_cfg::Item>, uint32_t>> sizes_;
  std::vector<fw_cfg::FileInfo> files_;
  std::vector<uint8_t> directory_;

  // The model's items: the device's own keys as copies, ours as themselves.
  std::vector<std::shared_ptr<fw_cfg::Item>> owned_;
  std::array<std::array<fw_cfg::Item*, fw_cfg::kFileFirst>, 2> numbered_ = {};
  std::vector<std::pair<std::string, fw_cfg::Item*>> named_;  // added files
  std::vector<fw_cfg::Item*> file_items_;  // by directory index
  fw_cfg::Item* generated_ = nullptr;
  uint32_t generated_calls_ = 0;
  uint32_t expected_generated_calls_ = 0;
  uint32_t write_callbacks_ = 0;

  // The device's selection, as the model sees it.
  uint16_t key_ = fw_cfg::kSignature;
  uint32_t offset_ = 0;

  // What guest RAM must hold: changed only by pokes and checked DMAs.
  std::array<std::vector<uint8_t>, 2> shadow_;

  // The DMA address register as the device holds it (high half latched).
  uint64_t dma_latch_ = 0;
  uint64_t last_descriptor_ = 0;

  // The transfer in flight, between BeforeDma and AfterDma.
  struct Pending {
    uint64_t descriptor = 0;
    bool readable = false;
    uint32_t control = 0;
    uint32_t length = 0;
    uint64_t address = 0;
    uint32_t status = 0;
    // The selection after the transfer, and the bytes a read copies.
    uint16_t key = 0;
    uint32_t offset = 0;
    uint32_t item_offset = 0;  // where the copied part of the item starts
    uint32_t item_bytes = 0;   // how much of it is copied
    bool selects_generated = false;
    bool calls_back = false;  // a successful write
    uint32_t write_callbacks = 0;
  } pending_;
};

void RegisterSpy::Read(uint64_t offset, absl::Span<uint8_t> data) {
  inner_->Read(offset, data);
  machine_->AfterRead(which_, offset, data);
}

void RegisterSpy::Write(uint64_t offset, absl::Span<const uint8_t> data) {
  machine_->Write(which_, offset, data, *inner_);
}

Machine::Machine(uint8_t flags) : memory_(GetMemory()) {
  for (int i = 0; i < 2; ++i) {
    std::memset(memory_.ram_host[i], 0, kRam[i].size);
    shadow_[i].assign(kRam[i].size, 0);
  }
  fw_cfg::FwCfgOptions options;
  options.dma = dma_ = (flags & 0x7) != 0;  // One run in eight without DMA.
  if ((flags & 0x8) != 0) options.file_slots = 0x10;
  device_ = Must(fw_cfg::FwCfg::Create(memory_.guest, options));
  AddItems();
  MustOk(fw_cfg::AttachIoPorts(device_, pio_));
  MustOk(fw_cfg::AttachMmio(device_, mmio_, kMmioBase));
  Wrap(pio_, fw_cfg::kIoPortBase, Register::kPorts);
  Wrap(mmio_, kMmioBase + fw_cfg::kMmioDataOffset, Register::kMmioData);
  Wrap(mmio_, kMmioBase + fw_cfg::kMmioSelectorOffset, Register::kMmioSelector);
  if (dma_) {
    Wrap(pio_, fw_cfg::kIoPortDmaBase, Register::kDma);
    Wrap(mmio_, kMmioBase + fw_cfg::kMmioDmaOffset, Register::kDma);
  }

  files_ = device_->ListFiles();
  for (const fw_cfg::FileInfo& file : files_) {
    fw_cfg::Item* item = nullptr;
    for (const auto& [name, added] : named_) {
      if (name == file.name) item = added;
    }
    FUZZ_CHECK(item != nullptr, "unknown file %s", file.name.c_str());
    FUZZ_CHECK(file.key == fw_cfg::kFileFirst + file_items_.size(),
               "%s has key 0x%x", file.name.c_str(), file.key);
    file_items_.push_back(item);
  }
  // The directory as the guest reads it. Selecting key 0 again afterwards
  // restores the state after creation, where the model starts.
  device_->Select(fw_cfg::kFileDir);
  directory_.resize(4 + files_.size() * fw_cfg::kFileDirEntrySize);
  device_->ReadData(absl::MakeSpan(directory_));
  device_->Select(fw_cfg::kSignature);

  // The device's own keys, as copies for the model.
  owned_.push_back(Must(fw_cfg::MakeStringItem("QEMU")));
  numbered_[0][fw_cfg::kSignature] = owned_.back().get();
  owned_.push_back(fw_cfg::MakeLe32Item(fw_cfg::kFeatureTraditional |
                                        (dma_ ? fw_cfg::kFeatureDma : 0)));
  numbered_[0][fw_cfg::kId] = owned_.back().get();
  owned_.push_back(Must(fw_cfg::MakeBytesItem(directory_)));
  numbered_[0][fw_cfg::kFileDir] = owned_.back().get();
}

void Machine::Wrap(vm_device::Bus& bus, uint64_t address, Register which) {
  std::optional<vm_device::Bus::Mapping> mapping = bus.Find(address);
  FUZZ_CHECK(mapping.has_value() && mapping->range.base() == address,
             "no fw_cfg register at 0x%lx",
             static_cast<unsigned long>(address));
  MustOk(bus.Remove(address));
  MustOk(bus.Insert(std::make_shared<RegisterSpy>(mapping->device, which, this),
                    address, mapping->range.length()));
}

void Machine::AddItems() {
  auto add_file = [&](const char* name, std::shared_ptr<fw_cfg::Item> item,
                      bool read_only) {
    // With 16 slots some files do not fit; that is the point of the option.
    if (!device_->AddFile(name, item).ok()) return;
    sizes_.push_back({item, item->size()});
    named_.push_back({name, item.get()});
    if (read_only) read_only_.push_back({item, ReadAll(*item)});
  };
  auto set_key = [&](uint16_t key, std::shared_ptr<fw_cfg::Item> item) {
    MustOk(device_->SetItem(key, item));
    sizes_.push_back({item, item->size()});
    numbered_[(key & fw_cfg::kArchLocal) != 0][key & fw_cfg::kEntryMask] =
        item.get();
    read_only_.push_back({item, ReadAll(*item)});
  };

  set_key(fw_cfg::kRamSize, fw_cfg::MakeLe64Item(0x0123456789abcdefULL));
  set_key(fw_cfg::kNbCpus, fw_cfg::MakeLe16Item(2));
  set_key(fw_cfg::kKernelAddr, fw_cfg::MakeLe32Item(0x100000));
  set_key(fw_cfg::kCmdlineData,
          Must(fw_cfg::MakeStringItem("console=ttyS0", /*nul_terminated=*/
                                      true)));
  set_key(fw_cfg::kX86E820Table, Must(fw_cfg::MakeBytesItem(Pattern(40, 3))));

  add_file("etc/bytes", Must(fw_cfg::MakeBytesItem(Pattern(300, 1))), true);
  add_file("etc/empty", Must(fw_cfg::MakeBytesItem({})), true);
  add_file("opt/string", Must(fw_cfg::MakeStringItem("hello fw_cfg")), true);
  add_file("opt/file", Must(fw_cfg::MakeFileItem(HostFilePath())), true);
  add_file("opt/file-range",
           Must(fw_cfg::MakeFileRangeItem(HostFilePath(), 4093, 700)), true);
  add_file("opt/writable",
           Must(fw_cfg::MakeWritableItem(
               Pattern(kWritableSize, 9),
               [this](uint32_t offset, uint32_t length,
                      absl::Span<const uint8_t> contents) {
                 FUZZ_CHECK(contents.size() == kWritableSize,
                            "write callback saw %zu bytes", contents.size());
                 FUZZ_CHECK(offset <= contents.size() &&
                                length <= contents.size() - offset,
                            "write callback range %u+%u", offset, length);
                 ++write_callbacks_;
               })),
           false);
  std::shared_ptr<fw_cfg::Item> generated = Must(fw_cfg::MakeGeneratedItem(
      kGeneratedSize, [this](absl::Span<uint8_t> contents) {
        FUZZ_CHECK(contents.size() == kGeneratedSize, "generator got %zu bytes",
                   contents.size());
        ++generated_calls_;
        for (size_t i = 0; i < contents.size(); ++i) {
          contents[i] = static_cast<uint8_t>(generated_calls_ + i);
        }
      }));
  generated_ = generated.get();
  add_file("opt/generated", std::move(generated), false);
}

// ---- The model ----

fw_cfg::Item* Machine::Resolve(uint16_t key) const {
  const uint16_t index = key & fw_cfg::kEntryMask;
  const bool arch = (key & fw_cfg::kArchLocal) != 0;
  if (index < fw_cfg::kFileFirst) return numbered_[arch][index];
  if (arch || index - fw_cfg::kFileFirst >= file_items_.size()) return nullptr;
  return file_items_[index - fw_cfg::kFileFirst];
}

void Machine::ModelSelect(uint16_t key) {
  key_ = key;
  offset_ = 0;
  if (Resolve(key) == generated_ && generated_ != nullptr) {
    ++expected_generated_calls_;
  }
  FUZZ_CHECK(generated_calls_ == expected_generated_calls_,
             "selecting 0x%04x: the generator ran %u times, want %u", key,
             generated_calls_, expected_generated_calls_);
}

std::vector<uint8_t> Machine::ModelReadData(size_t size) {
  std::vector<uint8_t> bytes(size, 0);
  fw_cfg::Item* item = Resolve(key_);
  if (item != nullptr && offset_ < item->size()) {
    const uint32_t available =
        static_cast<uint32_t>(std::min<uint64_t>(size, item->size() - offset_));
    MustOk(item->Read(offset_, absl::MakeSpan(bytes).first(available)));
    offset_ += available;
  }
  return bytes;
}

void Machine::AfterRead(Register which, uint64_t offset,
                        absl::Span<const uint8_t> data) {
  std::vector<uint8_t> expected(data.size(), 0);
  switch (which) {
    case Register::kPorts:
      // A byte at either port is data; wider reads are 0.
      if (data.size() == 1) expected = ModelReadData(1);
      break;
    case Register::kMmioData:
      if (offset == 0) expected = ModelReadData(data.size());
      break;
    case Register::kMmioSelector:
      break;
    case Register::kDma: {
      uint8_t signature[8];
      base::StoreBe64(signature, fw_cfg::kDmaSignature);
      for (size_t i = 0; i < data.size(); ++i) {
        if (offset + i < 8) expected[i] = signature[offset + i];
      }
      break;
    }
  }
  if (std::equal(data.begin(), data.end(), expected.begin())) return;
  std::string got, want;
  for (size_t i = 0; i < data.size(); ++i) {
    got += absl::StrFormat("%02x", data[i]);
    want += absl::StrFormat("%02x", expected[i]);
  }
  FUZZ_CHECK(false,
             "%zu-byte read of register block %d at offset %lu gave %s, want "
             "%s (key 0x%04x, offset now %u)",
             data.size(), static_cast<int>(which),
             static_cast<unsigned long>(offset), got.c_str(), want.c_str(),
             key_, offset_);
}

void Machine::Write(Register which, uint64_t offset,
                    absl::Span<const uint8_t> data,
                    vm_device::BusDevice& device) {
  switch (which) {
    case Register::kPorts:
      device.Write(offset, data);
      if (data.size() == 2) ModelSelect(base::LoadLe16(data.data()));
      break;
    case Register::kMmioSelector:
      device.Write(offset, data);
      if (offset == 0 && data.size() == 2) {
        ModelSelect(base::LoadBe16(data.data()));
      }
      break;
    case Register::kMmioData:
      device.Write(offset, data);  // Ignored.
      break;
    case Register::kDma: {
      const std::optional<uint64_t> descriptor = StartsDma(offset, data);
      if (descriptor.has_value()) BeforeDma(*descriptor);
      device.Write(offset, data);
      if (descriptor.has_value()) AfterDma();
      break;
    }
  }
}

// ---- Choosing values ----

uint64_t Machine::PickAddress(Input& input) {
  const uint8_t mode = input.Byte();
  const uint8_t small = input.Byte();
  switch (mode % 10) {
    case 0:
      return kRam[0].start + input.U16() % kRam[0].size;
    case 1:
      return kRam[0].end() - 1 - small % 32;  // Straddles into the hole.
    case 2:
      return kRam[1].start + input.U16() % kRam[1].size;
    case 3:
      return kRam[1].end() - 1 - small % 32;  // Straddles into the ROM.
    case 4:
      return kRom.start + input.U16() % kRom.size;
    case 5:
      return kHole.end() - 1 - small % 32;  // Runs into RAM from the hole.
    case 6:
      return ~uint64_t{0} - small % 64;  // Wraps to 0 within 64 bytes.
    case 7:
      return last_descriptor_ + static_cast<int8_t>(small);  // Overlaps it.
    case 8:
      return (uint64_t{1} << 32) - 1 - small % 32;  // Near 4 GiB.
    default:
      return input.U64();
  }
}

uint32_t Machine::PickLength(Input& input) {
  const uint8_t mode = input.Byte();
  switch (mode % 6) {
    case 0:
      return input.Byte() % 64;
    case 1:
      return input.U16() % 0x2000;
    case 2:
      return ~uint32_t{0} - input.Byte() % 16;
    case 3:
      return 0x1000 + static_cast<int8_t>(input.Byte());
    case 4:
      return kHostFileSize + static_cast<int8_t>(input.Byte());
    default:
      return input.U32();
  }
}

uint16_t Machine::PickKey(Input& input) {
  const uint8_t mode = input.Byte();
  if (mode % 4 == 3) return input.U16();
  static constexpr uint16_t kKeys[] = {
      fw_cfg::kSignature,
      fw_cfg::kId,
      fw_cfg::kRamSize,
      fw_cfg::kNbCpus,
      fw_cfg::kKernelAddr,
      fw_cfg::kCmdlineData,
      fw_cfg::kFileDir,
      0x1a,
      fw_cfg::kX86E820Table,
      0x8001,
      0x4000,
      0xc020,
      0x3fff,
      0x8020,
      0x1f,
  };
  const uint8_t index = input.Byte();
  // Files are 0x20 + their index in the sorted directory.
  if (mode % 4 != 0 && !files_.empty()) {
    return files_[index % files_.size()].key;
  }
  return kKeys[index % std::size(kKeys)];
}

// ---- Operations ----

void Machine::PokeGuest(uint64_t address, absl::Span<const uint8_t> bytes) {
  for (uint8_t byte : bytes) {
    if (uint8_t* ram = RamByte(address)) {
      *ram = byte;
      for (int i = 0; i < 2; ++i) {
        if (address >= kRam[i].start && address < kRam[i].end()) {
          shadow_[i][address - kRam[i].start] = byte;
        }
      }
    }
    ++address;  // Wraps, as the device's accesses do.
  }
}

void Machine::PokeDescriptor(Input& input, uint64_t at) {
  uint32_t control = input.Byte() & 0x1f;
  if (input.Byte() % 2 == 0) control |= fw_cfg::kDmaSelect;
  control |= uint32_t{PickKey(input)} << 16;
  uint8_t bytes[16];
  base::StoreBe32(bytes, control);
  base::StoreBe32(bytes + 4, PickLength(input));
  base::StoreBe64(bytes + 8, PickAddress(input));
  PokeGuest(at, bytes);
  last_descriptor_ = at;
}

void Machine::StartDma(Input& input, uint64_t descriptor) {
  const uint8_t form = input.Byte();
  vm_device::Bus& bus = form % 2 == 0 ? static_cast<vm_device::Bus&>(pio_)
                                      : static_cast<vm_device::Bus&>(mmio_);
  const uint64_t base = form % 2 == 0 ? fw_cfg::kIoPortDmaBase
                                      : kMmioBase + fw_cfg::kMmioDmaOffset;
  uint8_t bytes[8];
  base::StoreBe64(bytes, descriptor);
  switch ((form >> 1) % 4) {
    case 0:  // One 8-byte write.
      bus.Write(base, absl::MakeConstSpan(bytes, 8));
      break;
    case 1:  // High half, then low half (starts).
      bus.Write(base, absl::MakeConstSpan(bytes, 4));
      bus.Write(base + 4, absl::MakeConstSpan(bytes + 4, 4));
      break;
    case 2:  // Low half only: the high half is whatever was latched.
      bus.Write(base + 4, absl::MakeConstSpan(bytes + 4, 4));
      break;
    default:  // High half on one front end, low half on the other.
      bus.Write(base, absl::MakeConstSpan(bytes, 4));
      if (form % 2 == 0) {
        mmio_.Write(kMmioBase + fw_cfg::kMmioDmaOffset + 4,
                    absl::MakeConstSpan(bytes + 4, 4));
      } else {
        pio_.Write(fw_cfg::kIoPortDmaBase + 4,
                   absl::MakeConstSpan(bytes + 4, 4));
      }
      break;
  }
}

void Machine::Run(Input& input) {
  for (size_t n = 0; n < kMaxOps && !input.empty(); ++n) {
    const uint8_t op = input.Byte();
    switch (op % kOpCount) {
      case kPioWrite: {
        const uint16_t port = 0x50e + input.Byte() % 0x10;
        const std::vector<uint8_t> value = input.Bytes(1u << (op >> 4) % 4);
        pio_.Write(port, value);
        break;
      }
      case kPioRead: {
        const uint16_t port = 0x50e + input.Byte() % 0x10;
        uint8_t value[8];
        pio_.Read(port, absl::MakeSpan(value, 1u << (op >> 4) % 4));
        break;
      }
      case kMmioWrite: {
        const uint64_t address = kMmioBase - 4 + input.Byte() % 0x20;
        const std::vector<uint8_t> value = input.Bytes(1u << (op >> 4) % 4);
        mmio_.Write(address, value);
        break;
      }
      case kMmioRead: {
        const uint64_t address = kMmioBase - 4 + input.Byte() % 0x20;
        uint8_t value[8];
        mmio_.Read(address, absl::MakeSpan(value, 1u << (op >> 4) % 4));
        break;
      }
      case kSelect: {
        const uint16_t key = PickKey(input);
        uint8_t bytes[2];
        if (op & 0x10) {
          base::StoreBe16(bytes, key);
          mmio_.Write(kMmioBase + fw_cfg::kMmioSelectorOffset, bytes);
        } else {
          base::StoreLe16(bytes, key);
          pio_.Write(fw_cfg::kIoPortBase, bytes);
        }
        break;
      }
      case kDataReads: {
        const uint8_t count = input.Byte() % 64;
        uint8_t value[8];
        for (uint8_t i = 0; i < count; ++i) {
          if (op & 0x10) {
            mmio_.Read(kMmioBase, absl::MakeSpan(value, 8));
          } else {
            pio_.Read(fw_cfg::kIoPortBase + 1, absl::MakeSpan(value, 1));
          }
        }
        break;
      }
      case kStartDma:
        StartDma(input, PickAddress(input));
        break;
      case kPokeDescriptor:
        PokeDescriptor(input, PickAddress(input));
        break;
      case kPokeBytes: {
        const uint64_t at = PickAddress(input);
        PokeGuest(at, input.Bytes(input.Byte() % 32));
        break;
      }
      case kDescriptorAndStart: {
        const uint64_t at = PickAddress(input);
        PokeDescriptor(input, at);
        StartDma(input, at);
        break;
      }
    }
  }
}

// ---- Checks ----

std::optional<uint64_t> Machine::StartsDma(uint64_t offset,
                                           absl::Span<const uint8_t> data) {
  // fw_cfg/dma_register.h: only three writes do anything.
  if (data.size() == 4 && offset == 0) {
    dma_latch_ = uint64_t{base::LoadBe32(data.data())} << 32;
  } else if (data.size() == 4 && offset == 4) {
    const uint64_t descriptor = dma_latch_ | base::LoadBe32(data.data());
    dma_latch_ = 0;
    return descriptor;
  } else if (data.size() == 8 && offset == 0) {
    dma_latch_ = 0;
    return base::LoadBe64(data.data());
  }
  return std::nullopt;
}

void Machine::CheckRamMatchesShadow(const char* when) {
  for (int i = 0; i < 2; ++i) {
    if (std::memcmp(memory_.ram_host[i], shadow_[i].data(), kRam[i].size) ==
        0) {
      continue;
    }
    for (size_t j = 0; j < kRam[i].size; ++j) {
      FUZZ_CHECK(memory_.ram_host[i][j] == shadow_[i][j],
                 "guest RAM at 0x%lx changed outside any DMA (%s): "
                 "0x%02x -> 0x%02x",
                 static_cast<unsigned long>(kRam[i].start + j), when,
                 shadow_[i][j], memory_.ram_host[i][j]);
    }
  }
  FUZZ_CHECK(std::memcmp(memory_.rom_host, memory_.rom_expected.data(),
                         kRom.size) == 0,
             "the ROM changed (%s)", when);
}

void Machine::BeforeDma(uint64_t descriptor) {
  CheckRamMatchesShadow("before a DMA");
  Pending p;
  p.descriptor = descriptor;
  p.readable = true;
  uint8_t raw[16];
  for (uint64_t i = 0; i < 16; ++i) {
    p.readable = p.readable && Readable(descriptor + i);
    raw[i] = PeekByte(descriptor + i);
  }
  p.key = key_;
  p.offset = offset_;
  p.write_callbacks = write_callbacks_;
  // An unreadable descriptor: error, and nothing else happens.
  p.status = fw_cfg::kDmaError;
  if (p.readable) {
    p.control = base::LoadBe32(raw);
    p.length = base::LoadBe32(raw + 4);
    p.address = base::LoadBe64(raw + 8);
    if ((p.control & fw_cfg::kDmaSelect) != 0) {
      p.key = static_cast<uint16_t>(p.control >> 16);
      p.offset = 0;
      p.selects_generated =
          generated_ != nullptr && Resolve(p.key) == generated_;
    }
    fw_cfg::Item* item = Resolve(p.key);
    const bool op = (p.control & kOpBits) != 0 && p.length > 0;
    // READ, WRITE and SKIP all take min(length, what is left) of the item
    // and advance by it, even when the copy fails.
    if (op && item != nullptr && p.offset < item->size()) {
      p.item_offset = p.offset;
      p.item_bytes = std::min(p.length, item->size() - p.offset);
      p.offset += p.item_bytes;
    }
    if (!op) {
      p.status = 0;
    } else if ((p.control & fw_cfg::kDmaRead) != 0) {
      // A read fills every destination byte (zeros past the item), and
      // fails exactly when one of them is not writable RAM.
      p.status = AllWritable(p.address, p.length) ? 0 : fw_cfg::kDmaError;
    } else if ((p.control & fw_cfg::kDmaWrite) != 0) {
      // Only a writable item, only within it, only from readable memory.
      p.calls_back = p.item_bytes == p.length && item->writable() &&
                     AllReadable(p.address, p.length);
      p.status = p.calls_back ? 0 : fw_cfg::kDmaError;
    } else {
      p.status = 0;  // A skip cannot fail.
    }
  }
  pending_ = p;
}

void Machine::AfterDma() {
  const Pending& p = pending_;
  auto describe = [&] {
    return absl::StrFormat(
        "DMA with descriptor 0x%x (control 0x%x, length 0x%x, address 0x%x, "
        "readable %d)",
        p.descriptor, p.control, p.length, p.address, p.readable);
  };
  const bool is_read = p.readable && (p.control & fw_cfg::kDmaRead) != 0;
  // (b) Only the control word and a read's destination may change.
  for (int i = 0; i < 2; ++i) {
    if (std::memcmp(memory_.ram_host[i], shadow_[i].data(), kRam[i].size) ==
        0) {
      continue;
    }
    for (size_t j = 0; j < kRam[i].size; ++j) {
      if (memory_.ram_host[i][j] == shadow_[i][j]) continue;
      const uint64_t address = kRam[i].start + j;
      FUZZ_CHECK(InWrappingRange(address, p.descriptor, 4) ||
                     (is_read && InWrappingRange(address, p.address, p.length)),
                 "%s changed guest byte 0x%lx", describe().c_str(),
                 static_cast<unsigned long>(address));
    }
    std::memcpy(shadow_[i].data(), memory_.ram_host[i], kRam[i].size);
  }
  FUZZ_CHECK(std::memcmp(memory_.rom_host, memory_.rom_expected.data(),
                         kRom.size) == 0,
             "%s changed the ROM", describe().c_str());

  // (a) The status, in whichever bytes of the control word are RAM.
  uint8_t status[4];
  base::StoreBe32(status, p.status);
  for (uint64_t i = 0; i < 4; ++i) {
    const uint8_t* ram = RamByte(p.descriptor + i);
    if (ram == nullptr) continue;
    FUZZ_CHECK(*ram == status[i],
               "%s: control byte %lu is 0x%02x, want 0x%02x (status %u)",
               describe().c_str(), static_cast<unsigned long>(i), *ram,
               status[i], p.status);
  }

  // A successful read: the item's bytes, then zeros, around the control
  // word (written last).
  if (is_read && p.status == 0 && p.length > 0) {
    std::vector<uint8_t> expected(p.length, 0);
    if (p.item_bytes > 0) {
      MustOk(Resolve(p.key)->Read(
          p.item_offset, absl::MakeSpan(expected).first(p.item_bytes)));
    }
    for (uint64_t i = 0; i < p.length; ++i) {
      const uint64_t address = p.address + i;
      if (InWrappingRange(address, p.descriptor, 4)) continue;
      FUZZ_CHECK(*RamByte(address) == expected[i],
                 "%s: byte %lu is 0x%02x, want 0x%02x (key 0x%04x from %u)",
                 describe().c_str(), static_cast<unsigned long>(i),
                 *RamByte(address), expected[i], p.key, p.item_offset);
    }
  }

  FUZZ_CHECK(write_callbacks_ == p.write_callbacks + (p.calls_back ? 1 : 0),
             "%s: %u write callbacks, want %u", describe().c_str(),
             write_callbacks_ - p.write_callbacks, p.calls_back ? 1 : 0);
  if (p.selects_generated) ++expected_generated_calls_;
  FUZZ_CHECK(generated_calls_ == expected_generated_calls_,
             "%s: the generator ran %u times, want %u", describe().c_str(),
             generated_calls_, expected_generated_calls_);
  key_ = p.key;
  offset_ = p.offset;
}

void Machine::FinalChecks() {
  CheckRamMatchesShadow("at the end");
  // (c) Sizes: the directory and each item.
  const std::vector<fw_cfg::FileInfo> files = device_->ListFiles();
  FUZZ_CHECK(files.size() == files_.size(), "%zu files, was %zu", files.size(),
             files_.size());
  for (size_t i = 0; i < files.size(); ++i) {
    FUZZ_CHECK(files[i].name == files_[i].name &&
                   files[i].key == files_[i].key &&
                   files[i].size == files_[i].size,
               "file %zu is now %s (key 0x%x, %u bytes), was %s (0x%x, %u)", i,
               files[i].name.c_str(), files[i].key, files[i].size,
               files_[i].name.c_str(), files_[i].key, files_[i].size);
  }
  for (const auto& [item, size] : sizes_) {
    FUZZ_CHECK(item->size() == size, "an item of %u bytes now has %u", size,
               item->size());
  }
  // (d) Read-only items, and the directory as the guest reads it.
  for (const auto& [item, bytes] : read_only_) {
    FUZZ_CHECK(ReadAll(*item) == bytes, "a read-only item of %zu bytes changed",
               bytes.size());
  }
  std::vector<uint8_t> directory(directory_.size());
  device_->Select(fw_cfg::kFileDir);
  device_->ReadData(absl::MakeSpan(directory));
  FUZZ_CHECK(directory == directory_, "the file directory changed");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  CreateHostFile();
  GetMemory();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input input(data, size);
  Machine machine(input.Byte());
  machine.Run(input);
  machine.FinalChecks();
  return 0;
}
