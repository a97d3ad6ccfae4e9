// End to end: the Debian test guest (tools/test_guest) boots on our vmm
// under KVM, loads qemu_fw_cfg through the ACPI tables, and lists the items
// it sees in /sys/firmware/qemu_fw_cfg; the listing must hold the user's
// items with the host files' sizes and SHA-256 sums.
//
// Where /dev/kvm cannot be opened the test skips and says so. Where it can,
// it first measures KVM (a 2^22-iteration guest loop and 4096 port exits, by
// the speed probe guest) and skips, printing the figures, when a Linux boot
// would take too long there (nested software KVM such as kvm_pvm). It never
// hangs: every run has a deadline.
//
// The guest is built with tools/test_guest/build.sh (Debian's kernel and
// busybox-static, fetched with apt-get download) into
// $FWCFG_TEST_GUEST_DIR, or into ~/.cache/fwcfg-vmm/test-guest.

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "vmm/kvm/kvm.h"
#include "vmm/testdata/bzimage.h"

namespace {

std::string g_vmm, g_probe, g_build_script;
using Clock = std::chrono::steady_clock;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Runs a program; returns its exit code, or -1 if it ran past `timeout`
// (then it is killed). `on_poll` runs every few milliseconds meanwhile.
int RunProgram(const std::vector<std::string>& argv,
               std::chrono::seconds timeout,
               const std::function<void()>& on_poll = nullptr) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  const auto deadline = Clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    if (on_poll) on_poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (on_poll) on_poll();
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string Sha256(const std::string& path) {
  const std::string out = path + ".sha256";
  const std::string command = "sha256sum '" + path + "' > '" + out + "'";
  if (std::system(command.c_str()) != 0) return "";
  return ReadAll(out).substr(0, 64);
}

struct KvmSpeed {
  double loop_seconds = -1;       // 2^22 iterations of dec/jnz
  double exit_microseconds = -1;  // one port-I/O exit
};

// Boots the speed probe and times its markers on the console.
KvmSpeed MeasureKvm(const std::string& dir) {
  const std::string kernel = dir + "/speed_probe_bzImage";
  const std::string console = dir + "/speed_probe_console";
  WriteFile(kernel, vmm::testing::MakeBzImage(ReadAll(g_probe)));
  WriteFile(console, "");
  std::map<char, Clock::time_point> seen;
  size_t length = 0;
  const int code = RunProgram({g_vmm, "--kernel", kernel, "--memory",
                               "size=64M", "--serial", "file=" + console},
                              std::chrono::seconds(60), [&] {
                                const std::string text = ReadAll(console);
                                for (; length < text.size(); ++length) {
                                  seen.emplace(text[length], Clock::now());
                                }
                              });
  KvmSpeed speed;
  if (code != 0 || !seen.count('L') || !seen.count('E') || !seen.count('D')) {
    return speed;
  }
  speed.loop_seconds =
      std::chrono::duration<double>(seen['E'] - seen['L']).count();
  if (seen.count('D')) {
    speed.exit_microseconds =
        std::chrono::duration<double, std::micro>(seen['D'] - seen['E'])
            .count() /
        4096;
  }
  return speed;
}

class LinuxBootTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<vmm::Kvm> kvm = vmm::Kvm::Open();
    if (!kvm.ok())
      GTEST_SKIP() << "no usable /dev/kvm: " << kvm.status().message();
    dir_ = ::testing::TempDir();
    static const KvmSpeed speed = MeasureKvm(dir_);  // Once per process.
    std::printf(
        "KVM speed: 2^22-iteration loop %.3f s, port-I/O exit %.2f us\n",
        speed.loop_seconds, speed.exit_microseconds);
    // A Linux boot runs ~10^10 instructions; a host that needs more than
    // 0.25 s for this loop (~10^7 instructions) would take many minutes.
    if (speed.loop_seconds < 0 || speed.loop_seconds > 0.25) {
      GTEST_SKIP() << "KVM here is too slow to boot Linux: the 2^22-iteration "
                   << "loop took " << speed.loop_seconds << " s and one port "
                   << "exit " << speed.exit_microseconds << " us";
    }
    const char* prebuilt = std::getenv("FWCFG_TEST_GUEST_DIR");
    const char* home = std::getenv("HOME");
    guest_ = prebuilt ? prebuilt
                      : std::string(home ? home : "/tmp") +
                            "/.cache/fwcfg-vmm/test-guest";
    if (!prebuilt) {
      ASSERT_EQ(RunProgram({"/bin/bash", g_build_script, guest_},
                           std::chrono::seconds(600)),
                0)
          << "building the test guest failed";
    }
  }

  // Boots the guest; returns the console text.
  std::string Boot(const std::string& fw_cfg_config, double* seconds_to_init) {
    const std::string console = dir_ + "/linux_console";
    WriteFile(console, "");
    const auto start = Clock::now();
    *seconds_to_init = -1;
    const int code = RunProgram(
        {g_vmm, "--kernel", guest_ + "/vmlinuz", "--initramfs",
         guest_ + "/initramfs.cpio.gz", "--cmdline",
         "console=ttyS0 panic=-1 quiet", "--memory", "size=512M", "--serial",
         "file=" + console, "--fw-cfg-config", fw_cfg_config},
        std::chrono::seconds(180), [&] {
          if (*seconds_to_init < 0 &&
              ReadAll(console).find("FWCFG-GUEST: start") !=
                  std::string::npos) {
            *seconds_to_init =
                std::chrono::duration<double>(Clock::now() - start).count();
          }
        });
    EXPECT_EQ(code, 0) << "the guest did not power off cleanly:\n"
                       << ReadAll(console);
    return ReadAll(console);
  }

  std::string dir_;
  std::string guest_;
};

TEST_F(LinuxBootTest, GuestSeesTheUsersItems) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i % 251);
  const std::string file = dir_ + "/setup_info.txt";
  const std::string empty = dir_ + "/empty";
  const std::string mib = dir_ + "/1mib";
  const std::string k64 = dir_ + "/64k";
  WriteFile(file, "guest setup information\n");
  WriteFile(empty, "");
  WriteFile(mib, big);
  WriteFile(k64, big.substr(0, 64 << 10));
  const std::string name55 = "opt/org.fwcfg-vmm/" + std::string(37, 'n');
  double to_init = 0;
  const std::string console =
      Boot("initramfs=off,items=[name=opt/org.mycorp/setup_info,file=" + file +
               ":name=opt/org.fwcfg-vmm/string,string=hello-fw_cfg"
               ":name=opt/org.fwcfg-vmm/empty,file=" +
               empty + ":name=opt/org.fwcfg-vmm/1mib,file=" + mib +
               ":name=opt/org.fwcfg-vmm/64k,file=" + k64 + ":name=" + name55 +
               ",string=0123456789]",
           &to_init);
  ASSERT_NE(console.find("FWCFG-GUEST: done"), std::string::npos) << console;
  std::printf("VMM start to guest init: %.3f s\n", to_init);
  WriteFile(dir_ + "/string", "hello-fw_cfg");
  WriteFile(dir_ + "/digits", "0123456789");
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"opt/org.mycorp/setup_info", file},
      {"opt/org.fwcfg-vmm/string", dir_ + "/string"},
      {"opt/org.fwcfg-vmm/empty", empty},
      {"opt/org.fwcfg-vmm/1mib", mib},
      {"opt/org.fwcfg-vmm/64k", k64},
      {name55, dir_ + "/digits"}};
  for (const auto& [name, path] : expected) {
    struct stat st;
    ASSERT_EQ(stat(path.c_str(), &st), 0);
    const std::string line = "size=" + std::to_string(st.st_size) +
                             " name=" + name + " sum=" + Sha256(path);
    EXPECT_NE(console.find(line), std::string::npos) << "missing: " << line;
  }
}

TEST_F(LinuxBootTest, DisabledFwCfgIsInvisible) {
  double to_init = 0;
  const std::string console = Boot("disable", &to_init);
  EXPECT_NE(console.find("FWCFG-GUEST: no fw_cfg"), std::string::npos)
      << console;
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 4) {
    std::fprintf(stderr,
                 "usage: linux_boot_test VMM SPEED_PROBE_BIN BUILD_SH\n");
    return 2;
  }
  g_vmm = argv[1];
  g_probe = argv[2];
  g_build_script = argv[3];
  return RUN_ALL_TESTS();
}
