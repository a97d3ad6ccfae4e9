// Fuzzes the qtest protocol (vmm/qtest/qtest_session.h) over a small machine:
// 64 KiB of RAM at 0, a PioBus with fw_cfg's ports at 0x510/0x514 and an
// MmioBus with its MMIO block at 0x9020000, one FwCfg behind both. The input
// is the text a client sends, one command per line.
//
// Checks: every command line gets exactly one reply line, and its form is the
// documented one (OK / OK 0x... with the width's digits / FAIL ... / ERR ...);
// the real server loop (ServeQtest, over memfds) answers the same input with
// exactly those replies, one per newline-terminated line.
//
// Transfers are bounded: each input may move at most kTransferBudget bytes
// through read/write/memset commands (QtestSession allows 64 MiB per
// command, which would make executions slow without finding more); commands
// over the budget are skipped, which also skips the server comparison.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/escaping.h"
#include "fuzz/fuzz_check.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "fw_cfg/mmio.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"
#include "vmm/qtest/address_space.h"
#include "vmm/qtest/qtest_server.h"
#include "vmm/qtest/qtest_session.h"

namespace {

constexpr size_t kMaxInput = 64 << 10;
constexpr uint64_t kTransferBudget = 256 << 10;
constexpr uint64_t kRamSize = 64 << 10;

// Created once; the device of each run shares it.
const std::shared_ptr<const vm_memory::GuestMemory>& RamPointer() {
  static const auto* memory = [] {
    auto created = vm_memory::GuestMemory::CreateAnonymous(
        {{vm_memory::GuestAddress(0), kRamSize}});
    FUZZ_CHECK(created.ok(), "%s", created.status().ToString().c_str());
    return new std::shared_ptr<const vm_memory::GuestMemory>(
        std::move(*created));
  }();
  return *memory;
}

const vm_memory::GuestMemory& Ram() { return *RamPointer(); }

// A fresh machine on cleared RAM: each run starts from the same state.
class Machine {
 public:
  Machine() {
    const vm_memory::MemoryRegion& region = *Ram().regions()[0];
    std::memset(region.host_address(), 0, region.size());
    auto device = fw_cfg::FwCfg::Create(RamPointer());
    FUZZ_CHECK(device.ok(), "%s", device.status().ToString().c_str());
    device_ = *device;
    Check(device_->AddFile("opt/hello", *fw_cfg::MakeStringItem("hello")));
    Check(device_->AddFile(
        "opt/writable", *fw_cfg::MakeWritableItem(std::vector<uint8_t>(16))));
    Check(device_->SetItem(fw_cfg::kNbCpus, fw_cfg::MakeLe16Item(1)));
    Check(fw_cfg::AttachIoPorts(device_, pio_));
    Check(fw_cfg::AttachMmio(device_, mmio_, fw_cfg::kArmVirtMmioBase));
  }

  vmm::QtestSession Session() const {
    return vmm::QtestSession(pio_, vmm::SystemAddressSpace(Ram(), mmio_));
  }

 private:
  static void Check(const absl::Status& status) {
    FUZZ_CHECK(status.ok(), "%s", status.ToString().c_str());
  }

  std::shared_ptr<fw_cfg::FwCfg> device_;
  vm_device::PioBus pio_;
  vm_device::MmioBus mmio_;
};

bool IsHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Bytes the command would move, if it is a transfer with a valid length.
uint64_t TransferSize(const std::vector<std::string_view>& words) {
  const std::string_view command = words[0];
  if (command != "read" && command != "b64read" && command != "write" &&
      command != "b64write" && command != "memset") {
    return 0;
  }
  uint64_t length = 0;
  if (words.size() < 3 || !vmm::ParseQtestNumber(words[2], &length) ||
      length > vmm::QtestSession::kMaxTransfer) {
    return 0;  // Refused before anything moves.
  }
  return length;
}

// The reply's form, from the command alone.
void CheckReply(std::string_view line, const std::string& reply) {
  FUZZ_CHECK(reply.find('\n') == std::string::npos,
             "reply to '%s' has a newline: '%s'",
             absl::CHexEscape(std::string(line)).c_str(),
             absl::CHexEscape(reply).c_str());
  if (reply.rfind("FAIL ", 0) == 0 && reply.size() > 5) return;
  if (reply == "ERR invalid argument size") return;
  FUZZ_CHECK(reply == "OK" || reply.rfind("OK ", 0) == 0,
             "reply to '%s' is neither OK, FAIL nor ERR: '%s'",
             absl::CHexEscape(std::string(line)).c_str(),
             absl::CHexEscape(reply).c_str());

  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::vector<std::string_view> words = vmm::SplitQtestWords(line);
  const std::string_view command = words[0];
  const std::string_view value =
      reply.size() > 3 ? std::string_view(reply).substr(3) : "";
  auto fail = [&](const char* what) {
    FUZZ_CHECK(false, "reply to '%s' %s: '%s'",
               absl::CHexEscape(std::string(line)).c_str(), what,
               absl::CHexEscape(reply).c_str());
  };
  if (command == "inb" || command == "inw" || command == "inl") {
    // QEMU's %04x: at least 4 digits, at most the width's.
    const size_t digits = value.size() - 2;
    if (value.substr(0, 2) != "0x" || !IsHex(value.substr(2)) || digits < 4 ||
        digits > std::max<size_t>(4, 2 * vmm::QtestAccessWidth(command)) ||
        (digits > 4 && value[2] == '0')) {
      fail("is not OK 0x%04x");
    }
  } else if (command == "readb" || command == "readw" || command == "readl" ||
             command == "readq") {
    if (value.size() != 18 || value.substr(0, 2) != "0x" ||
        !IsHex(value.substr(2)) ||
        value.substr(2, 16 - 2 * vmm::QtestAccessWidth(command)) !=
            std::string(16 - 2 * vmm::QtestAccessWidth(command), '0')) {
      fail("is not OK 0x%016x within the width");
    }
  } else if (command == "read" || command == "b64read") {
    uint64_t length = 0;
    FUZZ_CHECK(words.size() >= 3 && vmm::ParseQtestNumber(words[2], &length),
               "OK for a missing or bad length: '%s'",
               absl::CHexEscape(std::string(line)).c_str());
    if (command == "read") {
      if (value.size() != 2 + 2 * length || value.substr(0, 2) != "0x" ||
          !IsHex(value.substr(2))) {
        fail("does not hold 2*LEN hex digits");
      }
    } else {
      std::string decoded;
      if (reply.size() < 3 ||
          !absl::Base64Unescape(
              absl::string_view(reply.data() + 3, reply.size() - 3),
              &decoded) ||
          decoded.size() != length) {
        fail("does not hold LEN bytes of base64");
      }
    }
  } else if (command == "endianness") {
    if (reply != "OK little") fail("is not OK little");
  } else if (reply != "OK") {
    fail("should be a bare OK");
  }
}

// Runs the input through ServeQtest on a fresh machine: the replies must be
// `expected`.
void CheckServer(std::string_view input, const std::string& expected) {
  Machine machine;
  vmm::QtestSession session = machine.Session();
  const int in = memfd_create("qtest_in", MFD_CLOEXEC);
  const int out = memfd_create("qtest_out", MFD_CLOEXEC);
  FUZZ_CHECK(in >= 0 && out >= 0, "memfd_create failed");
  FUZZ_CHECK(write(in, input.data(), input.size()) ==
                 static_cast<ssize_t>(input.size()),
             "write to memfd failed");
  lseek(in, 0, SEEK_SET);
  const absl::Status status = vmm::ServeQtest(session, in, out);
  FUZZ_CHECK(status.ok(), "%s", status.ToString().c_str());
  std::string served(static_cast<size_t>(lseek(out, 0, SEEK_END)), '\0');
  FUZZ_CHECK(pread(out, served.data(), served.size(), 0) ==
                 static_cast<ssize_t>(served.size()),
             "read from memfd failed");
  close(in);
  close(out);
  FUZZ_CHECK(served == expected, "ServeQtest answered\n%s\ninstead of\n%s",
             absl::CHexEscape(served).c_str(),
             absl::CHexEscape(expected).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > kMaxInput) return -1;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  Machine machine;
  vmm::QtestSession session = machine.Session();
  uint64_t budget = kTransferBudget;
  bool skipped = false;
  // What the server must send: one reply per newline-terminated line.
  std::string expected;
  size_t start = 0;
  while (start < input.size()) {
    const size_t newline = input.find('\n', start);
    const bool terminated = newline != std::string_view::npos;
    const std::string_view line =
        input.substr(start, terminated ? newline - start : std::string::npos);
    start = terminated ? newline + 1 : input.size();

    // The session drops one trailing '\r' before it splits the words.
    std::string_view bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.remove_suffix(1);
    const std::vector<std::string_view> words = vmm::SplitQtestWords(bare);
    const uint64_t transfer = TransferSize(words);
    if (transfer > budget) {
      skipped = true;
      continue;
    }
    budget -= transfer;
    const std::string reply = session.HandleLine(line);
    CheckReply(line, reply);
    if (terminated) expected += reply + "\n";
  }
  if (!skipped) CheckServer(input, expected);
  return 0;
}
