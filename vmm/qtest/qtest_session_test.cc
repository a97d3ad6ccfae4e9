// The qtest protocol on our side. Reply formats are QEMU 7.2's (checked
// against qemu-system-x86_64 -qtest stdio); malformed lines, where QEMU
// aborts, get one FAIL line here and the session goes on.

#include "vmm/qtest/qtest_session.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "vm-memory/guest_memory.h"
#include "vmm/qtest/qtest_server.h"

namespace vmm {
namespace {

using ::testing::StartsWith;

// Port 0x60 holds a byte register; MMIO 0x10000000 holds 8 bytes.
class Register : public vm_device::BusDevice {
 public:
  vm_device::AccessWidths Widths() const override { return {1, 8, false}; }
  void Read(uint64_t offset, absl::Span<uint8_t> data) override {
    for (size_t i = 0; i < data.size(); ++i) data[i] = bytes_[(offset + i) % 8];
  }
  void Write(uint64_t offset, absl::Span<const uint8_t> data) override {
    for (size_t i = 0; i < data.size(); ++i) bytes_[(offset + i) % 8] = data[i];
  }

 private:
  uint8_t bytes_[8] = {1, 2, 3, 4, 5, 6, 7, 8};
};

class QtestSessionTest : public ::testing::Test {
 protected:
  QtestSessionTest()
      : memory_(*vm_memory::GuestMemory::CreateAnonymous(
            {{vm_memory::GuestAddress(0), 1 << 20}})),
        session_(pio_, SystemAddressSpace(*memory_, mmio_)) {
    EXPECT_TRUE(pio_.Insert(std::make_shared<Register>(), 0x60, 8).ok());
    EXPECT_TRUE(mmio_.Insert(std::make_shared<Register>(), 0x10000000, 8).ok());
  }
  std::string Run(const std::string& line) { return session_.HandleLine(line); }

  std::shared_ptr<const vm_memory::GuestMemory> memory_;
  vm_device::PioBus pio_;
  vm_device::MmioBus mmio_;
  QtestSession session_;
};

TEST_F(QtestSessionTest, PortCommands) {
  EXPECT_EQ(Run("inb 0x60"), "OK 0x0001");
  EXPECT_EQ(Run("inw 0x60"), "OK 0x0201");
  EXPECT_EQ(Run("inl 0x60"), "OK 0x4030201");  // %04x, as QEMU
  EXPECT_EQ(Run("inb 0x512"), "OK 0x00ff");    // Unassigned.
  EXPECT_EQ(Run("outw 0x60 0x1aabb"), "OK");   // Truncated to 16 bits.
  EXPECT_EQ(Run("inl 0x60"), "OK 0x403aabb");
  EXPECT_EQ(Run("outb 96 255"), "OK");      // Decimal.
  EXPECT_EQ(Run("inb 0140"), "OK 0x00ff");  // Octal 0140 = 0x60.
}

TEST_F(QtestSessionTest, MemoryCommands) {
  EXPECT_EQ(Run("writel 0x100 0x11223344"), "OK");
  EXPECT_EQ(Run("readb 0x100"), "OK 0x0000000000000044");
  EXPECT_EQ(Run("readq 0x100"), "OK 0x0000000011223344");
  EXPECT_EQ(Run("read 0x100 3"), "OK 0x443322");
  EXPECT_EQ(Run("write 0x200 3 0x010203"), "OK");
  EXPECT_EQ(Run("read 0x200 3"), "OK 0x010203");
  // Fewer digits than bytes: the rest are zeros, as QEMU.
  EXPECT_EQ(Run("write 0x200 3 0xff"), "OK");
  EXPECT_EQ(Run("read 0x200 3"), "OK 0xff0000");
  EXPECT_EQ(Run("write 0x200 2 0x1"), "OK");
  EXPECT_EQ(Run("read 0x200 2"), "OK 0x0000");
  EXPECT_EQ(Run("write 0x200 1 0x"), "ERR invalid argument size");
  EXPECT_EQ(Run("memset 0x200 2 0x1ff"), "OK");
  EXPECT_EQ(Run("read 0x200 3"), "OK 0xffff00");
  EXPECT_EQ(Run("memset 0x200 0 0x1"), "OK");
  EXPECT_EQ(Run("b64write 0x300 3 AQID"), "OK");
  // LEN 0 writes nothing (qtest_fuzzer found undefined behaviour here;
  // :qtest_session_ubsan_test runs this under UBSan).
  EXPECT_EQ(Run("b64write 0x300 0 AAAA"), "OK");
  EXPECT_EQ(Run("b64read 0x300 3"), "OK AQID");
  EXPECT_EQ(Run("b64read 0x300 0"), "OK ");
  EXPECT_EQ(Run("endianness"), "OK little");
}

TEST_F(QtestSessionTest, MemoryCommandsReachMmioDevices) {
  EXPECT_EQ(Run("readq 0x10000000"), "OK 0x0807060504030201");
  EXPECT_EQ(Run("writew 0x10000002 0xbeef"), "OK");
  EXPECT_EQ(Run("read 0x10000000 4"), "OK 0x0102efbe");
  // Beyond RAM and devices: zeros (the MMIO bus's unassigned value).
  EXPECT_EQ(Run("readl 0x20000000"), "OK 0x0000000000000000");
  // RAM and a device in one access.
  EXPECT_EQ(Run("read 0xffffe 2"), "OK 0x0000");
  EXPECT_EQ(Run("writeb 0xffffffffffffffff 0x1"), "OK");     // Nothing there.
  EXPECT_EQ(Run("read 0xffffffffffffffff 2"), "OK 0x0000");  // No wrap.
}

// A transfer over kMaxTransfer is refused by name before anything moves.
TEST_F(QtestSessionTest, TransfersOverTheLimitAreRefused) {
  const std::string over = "0x4000001";  // kMaxTransfer + 1
  EXPECT_EQ(Run("read 0x0 " + over),
            "FAIL read: length 67108865 over the 67108864-byte limit");
  EXPECT_EQ(Run("b64read 0x0 " + over),
            "FAIL b64read: length 67108865 over the 67108864-byte limit");
  EXPECT_EQ(Run("write 0x0 " + over + " 0x01"),
            "FAIL write: length 67108865 over the 67108864-byte limit");
  EXPECT_EQ(Run("b64write 0x0 " + over + " AAAA"),
            "FAIL b64write: length 67108865 over the 67108864-byte limit");
  EXPECT_EQ(Run("memset 0x100 " + over + " 0xaa"),
            "FAIL memset: length 67108865 over the 67108864-byte limit");
  EXPECT_EQ(Run("readb 0x100"), "OK 0x0000000000000000");  // Untouched.
}

TEST_F(QtestSessionTest, UnknownCommandsAsQemu) {
  EXPECT_EQ(Run("foo 1 2"), "FAIL Unknown command 'foo'");
  EXPECT_EQ(Run("clock_step"), "FAIL Unknown command 'clock_step'");
}

TEST_F(QtestSessionTest, MalformedLinesFailAndTheSessionGoesOn) {
  for (const char* line :
       {"", " inb 0x60", "inb", "inb zz", "inb 0x10000", "inb  0x60",
        "outb 0x60", "outb 0x60 0xg", "read 0x0 0", "read 0x0",
        "readq 99999999999999999999999", "write 0x0 2", "write 0x0 2 1234",
        "write 0x0 2 0xzz12", "b64write 0x0 2 !!!!", "memset 0x0 1",
        "read 0x0 0x10000001", "memset 0x0 0xffffffffffffffff 0"}) {
    EXPECT_THAT(Run(line), StartsWith("FAIL ")) << "'" << line << "'";
  }
  EXPECT_EQ(Run("inb 0x60"), "OK 0x0001");
  EXPECT_EQ(Run("inb 0x60\r"), "OK 0x0001");  // CRLF tolerated.
}

TEST(QtestNumber, Syntax) {
  uint64_t v = 0;
  EXPECT_TRUE(ParseQtestNumber("0x1F", &v));
  EXPECT_EQ(v, 0x1fu);
  EXPECT_TRUE(ParseQtestNumber("017", &v));
  EXPECT_EQ(v, 15u);
  EXPECT_TRUE(ParseQtestNumber("0", &v));
  EXPECT_EQ(v, 0u);
  EXPECT_TRUE(ParseQtestNumber("0xffffffffffffffff", &v));
  EXPECT_EQ(v, ~uint64_t{0});
  EXPECT_TRUE(ParseQtestNumber("-2", &v));
  EXPECT_EQ(v, ~uint64_t{0} - 1);
  EXPECT_TRUE(ParseQtestNumber("-0x10", &v));
  EXPECT_EQ(v, ~uint64_t{0} - 15);
  for (const char* bad :
       {"", "0x", "08", "1a", "-", "--1", "0x10000000000000000",
        "18446744073709551616", " 1"}) {
    EXPECT_FALSE(ParseQtestNumber(bad, &v)) << bad;
  }
}

// A session over 1 MiB of RAM and empty buses, served through two pipes:
// the test writes commands to in[1] and reads replies from out[0].
class QtestServer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe(in), 0);
    ASSERT_EQ(pipe(out), 0);
  }
  std::shared_ptr<const vm_memory::GuestMemory> memory =
      *vm_memory::GuestMemory::CreateAnonymous(
          {{vm_memory::GuestAddress(0), 1 << 20}});
  vm_device::PioBus pio;
  vm_device::MmioBus mmio;
  QtestSession session{pio, SystemAddressSpace(*memory, mmio)};
  int in[2], out[2];
};

TEST_F(QtestServer, OneReplyPerLineAndBoundedLines) {
  // Commands split across writes, an over-long line, then a normal one.
  std::thread writer([&] {
    const std::string part1 = "endiann";
    const std::string part2 = "ess\nbogus\n";
    (void)!write(in[1], part1.data(), part1.size());
    (void)!write(in[1], part2.data(), part2.size());
    const std::string huge(kMaxLineLength + 10, 'x');
    for (size_t done = 0; done < huge.size();) {
      const ssize_t n = write(in[1], huge.data() + done, huge.size() - done);
      if (n <= 0) break;
      done += n;
    }
    (void)!write(in[1], "\nendianness\n", 12);
    close(in[1]);
  });
  std::string replies;
  std::thread reader([&] {
    char buffer[256];
    ssize_t n;
    while ((n = read(out[0], buffer, sizeof(buffer))) > 0)
      replies.append(buffer, n);
  });
  EXPECT_TRUE(ServeQtest(session, in[0], out[1]).ok());
  close(out[1]);
  writer.join();
  reader.join();
  close(in[0]);
  close(out[0]);
  // (Compare only short output: a failure must not print 128 MiB.)
  ASSERT_LT(replies.size(), 200u);
  EXPECT_EQ(replies,
            "OK little\nFAIL Unknown command 'bogus'\nFAIL line too long\nOK "
            "little\n");
}

// A client that goes away in the middle of a command: the unfinished line
// gets no reply and the server returns cleanly.
TEST_F(QtestServer, ClientLeavingMidCommandEndsTheSession) {
  const std::string sent = "endianness\nwriteb 0x10";
  ASSERT_EQ(write(in[1], sent.data(), sent.size()),
            static_cast<ssize_t>(sent.size()));
  close(in[1]);
  EXPECT_TRUE(ServeQtest(session, in[0], out[1]).ok());
  close(out[1]);
  char buffer[256];
  const ssize_t n = read(out[0], buffer, sizeof(buffer));
  close(in[0]);
  close(out[0]);
  EXPECT_EQ(std::string(buffer, n > 0 ? n : 0), "OK little\n");
  uint8_t byte = 0xaa;
  ASSERT_TRUE(memory->Read(vm_memory::GuestAddress(0x10), {&byte, 1}).ok());
  EXPECT_EQ(byte, 0);  // The unfinished write never ran.
}

}  // namespace
}  // namespace vmm
