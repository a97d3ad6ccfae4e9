// custom_vmm: a small VMM that embeds fwcfg-vmm from its own Bazel workspace.
//
// It composes guest RAM (@fwcfg_vmm//vm-memory), an x86 port I/O bus
// (@fwcfg_vmm//vm-device) and the fw_cfg device (@fwcfg_vmm//fw_cfg) holding
// the items of a --fw-cfg-config value (@fwcfg_vmm//fw_cfg/config), as a
// VMM's start-up does. It has no vCPU: it plays the guest instead, making the
// port accesses that firmware makes, which a vCPU loop would hand to the bus
// on port exits. It prints the signature, the RAM size and the file
// directory, reads the item NAME by DMA into guest RAM and writes what the
// guest got to OUT_FILE.
//
//   custom_vmm 'items=[name=opt/org.example/blob,file=/tmp/blob]' \
//       opt/org.example/blob OUT_FILE
//
// README.md quotes parts of this file and of its neighbours;
// //examples:readme_test fails when a quote no longer matches.

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "absl/types/span.h"
#include "base/byte_order.h"
#include "base/status_macros.h"
#include "fw_cfg/config/fw_cfg_config.h"
#include "fw_cfg/config/user_items.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/standard/standard_items.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_address.h"
#include "vm-memory/guest_memory.h"

namespace {

using vm_memory::GuestAddress;
using vm_memory::GuestMemory;

constexpr uint64_t kRamSize = uint64_t{64} << 20;

// The VMM: guest RAM from 0, the device with QEMU's machine keys and the
// user's items, its ports at 0x510 (selector, data) and 0x514 (DMA).
absl::StatusOr<std::shared_ptr<const GuestMemory>> BuildMachine(
    std::string_view fw_cfg_config, vm_device::PioBus& pio) {
  ASSIGN_OR_RETURN(fw_cfg::FwCfgConfig config,
                   fw_cfg::ParseFwCfgConfig(fw_cfg_config));
  if (!config.enabled) return absl::InvalidArgumentError("fw_cfg is needed");
  for (const std::string& warning : config.warnings) {
    absl::FPrintF(stderr, "warning: %s\n", warning);
  }
  RETURN_IF_ERROR(fw_cfg::CheckFwCfgItemFiles(config));
  ASSIGN_OR_RETURN(std::shared_ptr<const GuestMemory> memory,
                   GuestMemory::CreateAnonymous({{GuestAddress(0), kRamSize}}));
  ASSIGN_OR_RETURN(std::shared_ptr<fw_cfg::FwCfg> device,
                   fw_cfg::FwCfg::Create(memory));
  RETURN_IF_ERROR(fw_cfg::AddMachineInfo(*device, {.ram_size = kRamSize}));
  RETURN_IF_ERROR(fw_cfg::AddUserItems(*device, config));
  RETURN_IF_ERROR(fw_cfg::AttachIoPorts(device, pio));
  return memory;
}

// The guest's side. Selecting: outw to 0x510 (port I/O is little-endian).
void Select(const vm_device::PioBus& pio, uint16_t key) {
  uint8_t selector[2];
  base::StoreLe16(selector, key);
  pio.Write(fw_cfg::kIoPortBase, selector);
}

// `size` bytes of the selected item, one inb from the data port each.
std::vector<uint8_t> ReadDataPort(const vm_device::PioBus& pio, size_t size) {
  std::vector<uint8_t> bytes(size);
  for (uint8_t& byte : bytes) {
    pio.Read(fw_cfg::kIoPortBase + 1, absl::MakeSpan(&byte, 1));
  }
  return bytes;
}

// Reads item `key` by DMA into guest RAM at 0x2000 and returns those bytes.
// The descriptor at 0x1000 is big-endian, and so is the DMA register: its
// address goes out as two outl, the high half first; the low half starts it.
absl::StatusOr<std::vector<uint8_t>> ReadByDma(const vm_device::PioBus& pio,
                                               const GuestMemory& memory,
                                               uint16_t key, uint32_t size) {
  constexpr uint64_t kDescriptor = 0x1000, kBuffer = 0x2000;
  const uint32_t control =
      uint32_t{key} << 16 | fw_cfg::kDmaSelect | fw_cfg::kDmaRead;
  RETURN_IF_ERROR(memory.WriteBe32(GuestAddress(kDescriptor), control));
  RETURN_IF_ERROR(memory.WriteBe32(GuestAddress(kDescriptor + 4), size));
  RETURN_IF_ERROR(memory.WriteBe64(GuestAddress(kDescriptor + 8), kBuffer));
  uint8_t half[4];
  base::StoreBe32(half, kDescriptor >> 32);
  pio.Write(fw_cfg::kIoPortDmaBase, half);
  base::StoreBe32(half, kDescriptor & 0xffffffff);
  pio.Write(fw_cfg::kIoPortDmaBase + 4, half);
  ASSIGN_OR_RETURN(uint32_t status, memory.ReadBe32(GuestAddress(kDescriptor)));
  if (status != 0) return absl::DataLossError("DMA set the error bit");
  std::vector<uint8_t> bytes(size);
  RETURN_IF_ERROR(memory.Read(GuestAddress(kBuffer), absl::MakeSpan(bytes)));
  return bytes;
}

absl::Status Run(std::string_view fw_cfg_config, std::string_view name,
                 const char* out_file) {
  vm_device::PioBus pio;
  ASSIGN_OR_RETURN(std::shared_ptr<const GuestMemory> memory,
                   BuildMachine(fw_cfg_config, pio));

  Select(pio, fw_cfg::kSignature);
  const std::vector<uint8_t> signature = ReadDataPort(pio, 4);
  absl::PrintF("signature: %s\n",
               std::string(signature.begin(), signature.end()));
  Select(pio, fw_cfg::kRamSize);
  absl::PrintF("RAM: %d MiB\n",
               base::LoadLe64(ReadDataPort(pio, 8).data()) >> 20);

  // The directory: a big-endian count, then 64-byte entries (size, key, name).
  Select(pio, fw_cfg::kFileDir);
  const uint32_t count = base::LoadBe32(ReadDataPort(pio, 4).data());
  std::optional<fw_cfg::FileInfo> wanted;
  for (uint32_t i = 0; i < count; ++i) {
    const std::vector<uint8_t> entry =
        ReadDataPort(pio, fw_cfg::kFileDirEntrySize);
    const char* entry_name = reinterpret_cast<const char*>(&entry[8]);
    const fw_cfg::FileInfo file = {
        .name =
            std::string(entry_name, strnlen(entry_name, fw_cfg::kFileNameSize)),
        .key = base::LoadBe16(&entry[4]),
        .size = base::LoadBe32(&entry[0]),
    };
    absl::PrintF("file 0x%04x %10d %s\n", file.key, file.size, file.name);
    if (file.name == name) wanted = file;
  }
  if (!wanted) {
    return absl::NotFoundError(absl::StrFormat("no fw_cfg file %s", name));
  }

  ASSIGN_OR_RETURN(std::vector<uint8_t> bytes,
                   ReadByDma(pio, *memory, wanted->key, wanted->size));
  std::ofstream out(out_file, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  out.close();
  if (!out) {
    return absl::UnknownError(absl::StrFormat("cannot write %s", out_file));
  }
  absl::PrintF("read %s by DMA: %d bytes\n", name, bytes.size());
  return absl::OkStatus();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    absl::FPrintF(stderr, "usage: %s FW_CFG_CONFIG NAME OUT_FILE\n", argv[0]);
    return 2;
  }
  const absl::Status status = Run(argv[1], argv[2], argv[3]);
  if (!status.ok()) {
    absl::FPrintF(stderr, "custom_vmm: %s\n", status.ToString());
    return 1;
  }
  return 0;
}
