// Boots a tiny guest (testdata/tiny_guest.S) wrapped in a minimal bzImage
// on KVM with the real vmm binary: long-mode entry, string I/O both ways,
// fw_cfg through a vCPU, COM1 output and the i8042 reset all have to work.
// A few hundred guest instructions, so even a very slow nested KVM runs it.

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/subprocess.h"
#include "gtest/gtest.h"
#include "vmm/kvm/kvm.h"
#include "vmm/testdata/bzimage.h"

namespace {

std::string g_vmm;
std::string g_guest;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

struct Result {
  int exit_code = -1;   // as a shell shows it: 128+N if killed by signal N
  bool exited = false;  // ended by exit(), not killed by a signal
  bool timed_out = false;
};

// Runs the vmm, its stderr to `stderr_path`; once `ready` returns true
// (polled every 20 ms), sends it SIGTERM.
Result RunVmm(const std::vector<std::string>& args, int timeout_seconds,
              const std::function<bool()>& ready = nullptr,
              const std::string& stderr_path = "/dev/null") {
  std::vector<std::string> argv = {g_vmm};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<base::Subprocess> vmm =
      base::Subprocess::Start(argv, {.stderr_path = stderr_path});
  Result result;
  if (!vmm.ok()) {
    ADD_FAILURE() << vmm.status();
    return result;
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds);
  bool termed = false;
  std::optional<base::ExitStatus> how;
  while (!(how = vmm->Poll())) {
    if (!termed && ready && ready()) {
      vmm->Signal(SIGTERM);
      termed = true;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      vmm->Kill();
      result.timed_out = true;
      return result;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.exit_code = how->shell_code();
  result.exited = how->exited();
  return result;
}

class KvmBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<vmm::Kvm> kvm = vmm::Kvm::Open();
    if (!kvm.ok()) {
      GTEST_SKIP() << "no usable /dev/kvm here: " << kvm.status().message();
    }
    dir_ = ::testing::TempDir();
    kernel_ = dir_ + "/tiny_bzImage";
    std::ofstream(kernel_, std::ios::binary)
        << vmm::testing::MakeBzImage(ReadAll(g_guest));
  }
  std::string dir_;
  std::string kernel_;
};

TEST_F(KvmBootTest, TinyGuestPrintsTheFwCfgSignatureAndResets) {
  const std::string console = dir_ + "/console.txt";
  const auto start = std::chrono::steady_clock::now();
  Result result = RunVmm({"--kernel", kernel_, "--memory", "size=64M",
                          "--serial", "file=" + console},
                         120);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  ASSERT_FALSE(result.timed_out) << "the guest did not finish in 120 s";
  EXPECT_EQ(result.exit_code, 3);  // the guest reset the machine
  EXPECT_EQ(ReadAll(console), "hello QEMU\n");
  std::printf("tiny guest: VMM start to reset in %.3f s\n", seconds);
}

TEST_F(KvmBootTest, WithoutFwCfgTheSignatureReadsAllOnes) {
  const std::string console = dir_ + "/console_no_fw_cfg.txt";
  Result result =
      RunVmm({"--kernel", kernel_, "--memory", "size=64M", "--serial",
              "file=" + console, "--fw-cfg-config", "disable"},
             120);
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(ReadAll(console), "hello \xff\xff\xff\xff\n");
}

TEST_F(KvmBootTest, BadKernelIsAClearError) {
  const std::string junk = dir_ + "/junk";
  std::ofstream(junk) << std::string(4096, 'x');
  Result result = RunVmm({"--kernel", junk, "--memory", "size=64M"}, 60);
  EXPECT_EQ(result.exit_code, 1);
}

// A guest that never ends (a firmware that says "R" on COM1 and halts with
// interrupts off) is stopped by SIGTERM: the conventional status, and where
// each vCPU was. The signal goes once the guest has spoken, so the VMM is
// past its set-up whatever the host's speed (and a signal during set-up
// would wait for the run anyway: main blocks it first).
TEST_F(KvmBootTest, SigtermStopsAHungGuest) {
  const std::string firmware = dir_ + "/halt.bin";
  std::string image(64 << 10, '\xf4');
  // At the reset vector: mov al,'R'; mov dx,0x3f8; out dx,al; cli; hlt;
  // jmp back to the hlt.
  const std::string code = "\xb0R\xba\xf8\x03\xee\xfa\xf4\xeb\xfd";
  image.replace(0xfff0, code.size(), code);
  std::ofstream(firmware, std::ios::binary) << image;
  const std::string console = dir_ + "/halt_console.txt";
  const std::string log = dir_ + "/halt.stderr";
  // Four vCPUs: the boot one halted, the others waiting for INIT/SIPI;
  // every thread must be woken and joined. SIGTERM goes as soon as the
  // guest has written 'R', i.e. once set-up is over.
  Result result = RunVmm(
      {"--firmware", firmware, "--memory", "size=64M", "--cpus", "boot=4",
       "--serial", "file=" + console},
      120, [&] { return ReadAll(console) == "R"; }, log);
  ASSERT_FALSE(result.timed_out);
  EXPECT_EQ(ReadAll(console), "R");
  // The VMM caught the signal and exited with 128+15 itself, after printing
  // the vCPUs; the default action would have killed it silently.
  EXPECT_EQ(result.exit_code, 128 + SIGTERM);
  EXPECT_TRUE(result.exited);
  const std::string message = ReadAll(log);
  EXPECT_NE(message.find("stopped by signal 15 (SIGTERM)"), std::string::npos)
      << message;
  EXPECT_NE(message.find("vCPU 0: rip=0x"), std::string::npos) << message;
  EXPECT_NE(message.find("vCPU 3: rip=0x"), std::string::npos) << message;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: kvm_boot_test VMM TINY_GUEST_BIN\n");
    return 2;
  }
  g_vmm = argv[1];
  g_guest = argv[2];
  return RUN_ALL_TESTS();
}
