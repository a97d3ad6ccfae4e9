// Test machines for fw_cfg: guest RAM plus a bus with the device attached,
// driven with the same operations QEMU's qtest protocol offers (outw, inb,
// readq, ...), so tests read like the observations they check.

#ifndef FW_CFG_TEST_SUPPORT_H_
#define FW_CFG_TEST_SUPPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/mmio.h"
#include "gtest/gtest.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"

namespace fw_cfg::testing {

// Builds an N-byte little-endian value from a bus read, as qtest prints it.
inline uint64_t ReadBus(const vm_device::Bus& bus, uint64_t address, int size) {
  uint8_t bytes[8] = {};
  bus.Read(address, absl::MakeSpan(bytes, size));
  uint64_t value = 0;
  for (int i = size - 1; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

inline void WriteBus(const vm_device::Bus& bus, uint64_t address, int size,
                     uint64_t value) {
  uint8_t bytes[8];
  for (int i = 0; i < size; ++i)
    bytes[i] = static_cast<uint8_t>(value >> (8 * i));
  bus.Write(address, absl::MakeConstSpan(bytes, size));
}

// A device without guest memory or DMA, for tests of what is added to it.
inline std::shared_ptr<FwCfg> DeviceWithoutMemory() {
  return *FwCfg::Create(nullptr, FwCfgOptions{.dma = false});
}

// Selects `key` and reads `n` bytes through the device's data register.
inline std::vector<uint8_t> ReadKey(FwCfg& device, uint16_t key, size_t n) {
  std::vector<uint8_t> bytes(n);
  device.Select(key);
  device.ReadData(absl::MakeSpan(bytes));
  return bytes;
}

// The key of the file `name`; a test failure (and 0) if there is none.
inline uint16_t KeyOf(FwCfg& device, const std::string& name) {
  for (const FileInfo& file : device.ListFiles()) {
    if (file.name == name) return file.key;
  }
  ADD_FAILURE() << "no file " << name;
  return 0;
}

// Guest RAM and a device, shared by both machine kinds.
class MachineBase {
 public:
  const vm_memory::GuestMemory& memory() const { return *memory_; }
  FwCfg& device() { return *device_; }
  std::shared_ptr<FwCfg> device_ptr() { return device_; }

  // qtest's `write ADDR LEN 0xHEX` / `read ADDR LEN`.
  void WriteRam(uint64_t address, const std::vector<uint8_t>& bytes) {
    ASSERT_TRUE(memory_->Write(vm_memory::GuestAddress(address), bytes).ok());
  }
  std::vector<uint8_t> ReadRam(uint64_t address, size_t length) {
    std::vector<uint8_t> bytes(length);
    EXPECT_TRUE(
        memory_->Read(vm_memory::GuestAddress(address), absl::MakeSpan(bytes))
            .ok());
    return bytes;
  }
  // Writes a FWCfgDmaAccess descriptor from raw numbers (big-endian).
  void WriteDescriptor(uint64_t at, uint32_t control, uint32_t length,
                       uint64_t address) {
    std::vector<uint8_t> bytes(16);
    for (int i = 0; i < 4; ++i) bytes[i] = control >> (24 - 8 * i);
    for (int i = 0; i < 4; ++i) bytes[4 + i] = length >> (24 - 8 * i);
    for (int i = 0; i < 8; ++i) bytes[8 + i] = address >> (56 - 8 * i);
    WriteRam(at, bytes);
  }
  // The control word written back to a descriptor.
  uint32_t DescriptorControl(uint64_t at) {
    return *memory_->ReadBe32(vm_memory::GuestAddress(at));
  }

 protected:
  MachineBase(uint64_t ram_base, uint64_t ram_size, FwCfgOptions options) {
    auto memory = vm_memory::GuestMemory::CreateAnonymous(
        {{vm_memory::GuestAddress(ram_base), ram_size}});
    EXPECT_TRUE(memory.ok()) << memory.status();
    memory_ = *memory;
    auto device = FwCfg::Create(memory_, options);
    EXPECT_TRUE(device.ok()) << device.status();
    device_ = *device;
  }

  std::shared_ptr<const vm_memory::GuestMemory> memory_;
  std::shared_ptr<FwCfg> device_;
};

// QEMU q35's layout: RAM from 0, fw_cfg at ports 0x510/0x514.
class X86Machine : public MachineBase {
 public:
  static constexpr uint64_t kRamSize = 16 << 20;

  explicit X86Machine(FwCfgOptions options = {})
      : MachineBase(0, kRamSize, options) {
    EXPECT_TRUE(AttachIoPorts(device_, pio_).ok());
  }

  void outb(uint16_t port, uint8_t v) { WriteBus(pio_, port, 1, v); }
  void outw(uint16_t port, uint16_t v) { WriteBus(pio_, port, 2, v); }
  void outl(uint16_t port, uint32_t v) { WriteBus(pio_, port, 4, v); }
  uint8_t inb(uint16_t port) { return ReadBus(pio_, port, 1); }
  uint16_t inw(uint16_t port) { return ReadBus(pio_, port, 2); }
  uint32_t inl(uint16_t port) { return ReadBus(pio_, port, 4); }

  // Starts a DMA transfer with the descriptor at `descriptor`, the way a
  // guest does: high half, then low half (bytes swapped, as qtest's outl
  // delivers a big-endian register).
  void StartDma(uint64_t descriptor) {
    outl(0x514, __builtin_bswap32(static_cast<uint32_t>(descriptor >> 32)));
    outl(0x518, __builtin_bswap32(static_cast<uint32_t>(descriptor)));
  }

  // Selects `key` and reads `n` bytes through the data port.
  std::string ReadItem(uint16_t key, size_t n) {
    outw(0x510, key);
    std::string bytes;
    for (size_t i = 0; i < n; ++i)
      bytes.push_back(static_cast<char>(inb(0x511)));
    return bytes;
  }

  vm_device::PioBus& pio() { return pio_; }

 private:
  vm_device::PioBus pio_;
};

// QEMU arm `virt`'s layout: RAM from 0x40000000, fw_cfg MMIO at 0x09020000.
class ArmMachine : public MachineBase {
 public:
  static constexpr uint64_t kRamBase = 0x40000000;
  static constexpr uint64_t kRamSize = 16 << 20;
  static constexpr uint64_t kBase = 0x09020000;

  explicit ArmMachine(FwCfgOptions options = {})
      : MachineBase(kRamBase, kRamSize, options) {
    EXPECT_TRUE(AttachMmio(device_, mmio_, kBase).ok());
  }

  uint8_t readb(uint64_t a) { return ReadBus(mmio_, a, 1); }
  uint16_t readw(uint64_t a) { return ReadBus(mmio_, a, 2); }
  uint32_t readl(uint64_t a) { return ReadBus(mmio_, a, 4); }
  uint64_t readq(uint64_t a) { return ReadBus(mmio_, a, 8); }
  void writeb(uint64_t a, uint8_t v) { WriteBus(mmio_, a, 1, v); }
  void writew(uint64_t a, uint16_t v) { WriteBus(mmio_, a, 2, v); }
  void writel(uint64_t a, uint32_t v) { WriteBus(mmio_, a, 4, v); }
  void writeq(uint64_t a, uint64_t v) { WriteBus(mmio_, a, 8, v); }

  vm_device::MmioBus& mmio() { return mmio_; }

 private:
  vm_device::MmioBus mmio_;
};

}  // namespace fw_cfg::testing

#endif  // FW_CFG_TEST_SUPPORT_H_
