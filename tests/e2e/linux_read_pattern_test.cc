// Linux's sysfs read of a 64 KiB fw_cfg item, as port accesses through a
// real vCPU on our VMM and device: a bare-metal probe (testdata/
// linux_read_probe.S) does exactly what Linux's qemu_fw_cfg driver does for
// each page of a read (select the item, discard the bytes before the page
// one `inb` at a time, `rep insb` the page), checks the bytes' sum and
// prints timing markers. Needs only /dev/kvm, not a Linux boot, so it also
// runs where KVM is too slow or too limited (kvm_pvm) to boot Linux; its time
// is what a Linux guest on this host spends in the fw_cfg I/O path. Skips,
// saying so, where /dev/kvm cannot be opened. (The Linux guest itself runs in
// linux_boot_test.sh, on every machine.)

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
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

std::string g_vmm, g_read_probe;
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

// Runs a program, its stderr to `stderr_path`; returns its exit code (128 +
// N if signal N killed it), or -1 if it ran past `timeout` (then it is
// killed). `on_poll` runs every couple of milliseconds meanwhile.
int RunProgram(const std::vector<std::string>& argv,
               std::chrono::seconds timeout, const std::string& stderr_path,
               const std::function<void()>& on_poll) {
  absl::StatusOr<base::Subprocess> child =
      base::Subprocess::Start(argv, {.stderr_path = stderr_path});
  if (!child.ok()) {
    ADD_FAILURE() << child.status();
    return -1;
  }
  const auto deadline = Clock::now() + timeout;
  std::optional<base::ExitStatus> how;
  while (!(how = child->Poll())) {
    if (Clock::now() > deadline) return -1;  // ~Subprocess kills and reaps
    on_poll();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  on_poll();
  return how->shell_code();
}

// Linux's sysfs read of a 64 KiB item, as port accesses on our VMM and
// fw_cfg device: 16 page reads, each selecting the item, discarding the bytes
// before the page with one `inb` each (491520 in all) and `rep insb`-ing the
// page. Needs only KVM, not a Linux boot, so it runs on slow hosts too; its
// time is what a Linux guest on this host would spend in the I/O path.
TEST(LinuxReadPatternTest, SixtyFourKiBItemReadsBackIntact) {
  absl::StatusOr<vmm::Kvm> kvm = vmm::Kvm::Open();
  if (!kvm.ok())
    GTEST_SKIP() << "no usable /dev/kvm: " << kvm.status().message();
  const std::string dir = ::testing::TempDir();
  std::string item(64 << 10, '\0');
  uint32_t sum = 0;
  for (size_t i = 0; i < item.size(); ++i) {
    item[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    sum += static_cast<uint8_t>(item[i]);
  }
  const std::string item_path = dir + "/item64k";
  const std::string kernel = dir + "/read_probe_bzImage";
  const std::string console = dir + "/read_probe_console";
  WriteFile(item_path, item);
  WriteFile(kernel, vmm::testing::MakeBzImage(ReadAll(g_read_probe)));
  WriteFile(console, "");
  std::map<char, Clock::time_point> seen;
  size_t length = 0;
  const int code =
      RunProgram({g_vmm, "--kernel", kernel, "--initramfs", item_path,
                  "--memory", "size=64M", "--serial", "file=" + console},
                 std::chrono::seconds(120), dir + "/vmm.stderr", [&] {
                   const std::string text = ReadAll(console);
                   for (; length < text.size(); ++length)
                     seen.emplace(text[length], Clock::now());
                 });
  const std::string text = ReadAll(console);
  // The probe ends by resetting the machine.
  ASSERT_EQ(code, 3) << text << ReadAll(dir + "/vmm.stderr");
  ASSERT_TRUE(seen.count('S') && seen.count('F')) << text;
  char expected[16];
  std::snprintf(expected, sizeof(expected), "F%08x\n", sum);
  EXPECT_NE(text.find(expected), std::string::npos)
      << "want " << expected << " in " << text;
  const double seconds =
      std::chrono::duration<double>(seen['F'] - seen['S']).count();
  std::printf(
      "Linux-pattern read of a 64 KiB item: %.3f s, %.2f us per data-port "
      "read (491520 single-byte reads + 16 pages of rep insb)\n",
      seconds, seconds * 1e6 / 491520);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) {
    std::fprintf(stderr,
                 "usage: linux_read_pattern_test VMM LINUX_READ_PROBE_BIN\n");
    return 2;
  }
  g_vmm = argv[1];
  g_read_probe = argv[2];
  return RUN_ALL_TESTS();
}
