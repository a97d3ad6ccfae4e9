#include "vmm/options.h"

#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<VmmOptions> Parse(std::vector<std::string> args) {
  return ParseVmmOptions(args);
}

std::string Error(std::vector<std::string> args) {
  absl::StatusOr<VmmOptions> options = Parse(std::move(args));
  EXPECT_FALSE(options.ok());
  EXPECT_EQ(options.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(options.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST(VmmOptions, TheUserStory) {
  auto options = Parse({"--kernel", "vmlinuz", "--initramfs", "initrd.img",
                        "--cmdline", "console=ttyS0", "--fw-cfg-config",
                        "initramfs=off,items=[name=opt/org.mycorp/setup_info,"
                        "file=/tmp/guest_setup.txt]"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(*options->kernel, "vmlinuz");
  EXPECT_EQ(*options->initramfs, "initrd.img");
  EXPECT_EQ(options->cmdline, "console=ttyS0");
  // Parsed by the fw_cfg part (//fw_cfg/config has the parser's tests).
  ASSERT_NE(options->fw_cfg, nullptr);
  EXPECT_TRUE(FwCfgOptionWarnings(*options->fw_cfg).empty());
}

TEST(VmmOptions, FirmwareAloneOrWithAKernel) {
  auto alone = Parse({"--firmware", "bios.bin"});
  ASSERT_TRUE(alone.ok()) << alone.status();
  EXPECT_EQ(*alone->firmware, "bios.bin");
  EXPECT_FALSE(alone->kernel);
  auto both = Parse({"--firmware=bios.bin", "--kernel", "bzImage"});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(*both->firmware, "bios.bin");
  EXPECT_EQ(*both->kernel, "bzImage");
  EXPECT_THAT(Error({"--firmware", "a", "--layout", "arm-virt"}),
              HasSubstr("x86_64 layout"));
  EXPECT_THAT(Error({"--firmware"}), HasSubstr("missing value"));
}

TEST(VmmOptions, Defaults) {
  auto options = Parse({});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->memory_size, 512u << 20);
  EXPECT_EQ(options->boot_cpus, 1u);
  EXPECT_EQ(options->layout, Layout::kX86_64);
  EXPECT_EQ(options->fw_cfg, nullptr);  // the device's defaults
  EXPECT_FALSE(options->qtest.has_value());
}

TEST(VmmOptions, ValuesAfterEqualsOrAsNextArgument) {
  auto options =
      Parse({"--memory=size=256M", "--cpus", "boot=4", "--qtest=stdio",
             "--layout", "arm-virt", "--serial", "file=/tmp/console.log"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->memory_size, 256u << 20);
  EXPECT_EQ(options->boot_cpus, 4u);
  EXPECT_EQ(*options->qtest, "stdio");
  EXPECT_EQ(options->layout, Layout::kArmVirt);
  EXPECT_EQ(options->serial, SerialMode::kFile);
  EXPECT_EQ(options->serial_path, "/tmp/console.log");
  EXPECT_TRUE(Parse({"--help"})->help);
}

TEST(VmmOptions, Sizes) {
  EXPECT_EQ(*ParseSize("512M"), 512u << 20);
  EXPECT_EQ(*ParseSize("2G"), 2ull << 30);
  EXPECT_EQ(*ParseSize("4096"), 4096u);
  EXPECT_FALSE(ParseSize("").ok());
  EXPECT_FALSE(ParseSize("M").ok());
  EXPECT_FALSE(ParseSize("12X").ok());
  EXPECT_FALSE(ParseSize("99999999999T").ok());
}

TEST(VmmOptions, MistakesAreOneLineErrors) {
  EXPECT_THAT(Error({"--frobnicate"}),
              HasSubstr("unknown option '--frobnicate'"));
  EXPECT_THAT(Error({"--kernel"}), HasSubstr("missing value"));
  EXPECT_THAT(Error({"--memory", "256M"}), HasSubstr("key=value"));
  EXPECT_THAT(Error({"--memory", "size=1000"}), HasSubstr("multiple of 4 KiB"));
  EXPECT_THAT(Error({"--memory", "size=256M,shared=on"}),
              HasSubstr("'shared'"));
  EXPECT_THAT(Error({"--cpus", "boot=0"}), HasSubstr("1 to 255"));
  EXPECT_THAT(Error({"--cpus", "boot=x"}), HasSubstr("bad number"));
  EXPECT_THAT(Error({"--serial", "pty"}), HasSubstr("tty, off or file=PATH"));
  EXPECT_THAT(Error({"--layout", "riscv"}), HasSubstr("x86_64 or arm-virt"));
  EXPECT_THAT(Error({"--kernel", "a", "--kernel", "b"}), HasSubstr("twice"));
  EXPECT_THAT(Error({"--initramfs", "x"}), HasSubstr("needs --kernel"));
  EXPECT_THAT(Error({"--fw-cfg-config", "e820=maybe"}),
              HasSubstr("--fw-cfg-config"));
  EXPECT_THAT(Error({"--fw-cfg-config", "items=[name=opt/a"}),
              HasSubstr("--fw-cfg-config"));
}

TEST(VmmOptions, FwCfgConfigFromAFile) {
  const std::string path = ::testing::TempDir() + "/fw_cfg.conf";
  // Thousands of items do not fit in one argument (128 KiB); a file holds
  // them. Its final line end is not part of the option.
  std::string text = "items=[";
  for (int i = 0; i < 4000; ++i) {
    text += (i ? ":" : "") + std::string("name=opt/item") + std::to_string(i) +
            ",string=value" + std::to_string(i);
  }
  text += "]\n";
  ASSERT_GT(text.size(), 128u << 10);
  std::ofstream(path) << text;
  auto options = Parse({"--fw-cfg-config", "@" + path});
  ASSERT_TRUE(options.ok()) << options.status();
  ASSERT_NE(options->fw_cfg, nullptr);
  std::ofstream(path) << "items=[name=opt/a,string=b";  // unbalanced
  EXPECT_THAT(Error({"--fw-cfg-config", "@" + path}),
              HasSubstr("--fw-cfg-config"));
  EXPECT_THAT(Error({"--fw-cfg-config", "@/nonexistent/fw_cfg.conf"}),
              HasSubstr("@/nonexistent/fw_cfg.conf"));
  EXPECT_THAT(Error({"--fw-cfg-config", "@" + ::testing::TempDir()}),
              HasSubstr("--fw-cfg-config: @"));
}

TEST(VmmOptions, DebugconAndTrace) {
  auto options = Parse({"--debugcon", "file=/tmp/d", "--trace", "fw_cfg_[rs]*",
                        "--trace=fw_cfg_select", "--trace-file", "/tmp/t"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->debugcon_path, "/tmp/d");
  // Repeated and overlapping patterns name each event once, as QEMU's -trace.
  EXPECT_EQ(options->trace_events,
            (std::vector<std::string>{"fw_cfg_read", "fw_cfg_select"}));
  EXPECT_EQ(options->trace_file, "/tmp/t");
  EXPECT_THAT(Error({"--trace", "fw_cfg_dam*"}),
              HasSubstr("no trace event matches 'fw_cfg_dam*'"));
  // "re:" takes an RE2 expression that must match the whole name.
  options =
      Parse({"--trace", "re:fw_cfg_add_i(16|64)", "--trace", "re:.*dma.*"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->trace_events,
            (std::vector<std::string>{"fw_cfg_add_i16", "fw_cfg_add_i64",
                                      "fw_cfg_dma_transfer"}));
  EXPECT_THAT(Error({"--trace", "re:fw_cfg_add"}),
              HasSubstr("no trace event matches 're:fw_cfg_add'"));
  EXPECT_THAT(Error({"--trace", "re:fw_cfg_(add"}),
              HasSubstr("bad regular expression 'fw_cfg_(add'"));
  EXPECT_THAT(Error({"--debugcon", "/tmp/d"}), HasSubstr("file=PATH"));
  EXPECT_THAT(Error({"--trace-file", "/tmp/t"}), HasSubstr("needs --trace"));
  EXPECT_THAT(Error({"--debugcon", "file=/tmp/d", "--layout", "arm-virt"}),
              HasSubstr("x86_64"));
  EXPECT_THAT(Error({"--trace-file", "/a", "--trace-file", "/b"}),
              HasSubstr("given twice"));
}

TEST(VmmOptions, ExitStats) {
  auto options = Parse({"--exit-stats", "stderr"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->exit_stats, "");
  options = Parse({"--exit-stats=file=/tmp/exits.txt"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->exit_stats, "/tmp/exits.txt");
  EXPECT_FALSE(Parse({}).value().exit_stats.has_value());
  EXPECT_THAT(Error({"--exit-stats", "on"}),
              HasSubstr("expected stderr or file=PATH, got 'on'"));
  EXPECT_THAT(Error({"--exit-stats", "file="}), HasSubstr("file=PATH"));
  EXPECT_THAT(Error({"--exit-stats", "stderr", "--qtest", "stdio"}),
              HasSubstr("--qtest has no vCPU"));
}

TEST(VmmOptions, VmcoreinfoFileNeedsTheDevice) {
  auto options = Parse(
      {"--fw-cfg-config", "vmcoreinfo=on", "--vmcoreinfo-file", "/tmp/note"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->vmcoreinfo_file, "/tmp/note");
  EXPECT_THAT(Error({"--vmcoreinfo-file", "/tmp/note"}),
              HasSubstr("needs --fw-cfg-config vmcoreinfo=on"));
  EXPECT_THAT(
      Error({"--fw-cfg-config", "e820=off", "--vmcoreinfo-file", "/tmp/note"}),
      HasSubstr("needs --fw-cfg-config vmcoreinfo=on"));
}

TEST(VmmOptions, FwCfgMmio) {
  auto options = Parse({"--fw-cfg-mmio", "0xfe000000"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->fw_cfg_mmio, 0xfe000000u);
  EXPECT_THAT(Error({"--fw-cfg-mmio", "4261412864"}), HasSubstr("hex address"));
  EXPECT_THAT(Error({"--fw-cfg-mmio", "0xfe000004"}), HasSubstr("8-byte"));
  EXPECT_THAT(Error({"--fw-cfg-mmio", "0xfebffff8"}), HasSubstr("0xfec00000"));
  EXPECT_THAT(Error({"--fw-cfg-mmio", "0xffffffffffffffff"}),
              HasSubstr("8-byte"));
  EXPECT_THAT(Error({"--fw-cfg-mmio", "0xfe00000g"}), HasSubstr("hex address"));
  EXPECT_THAT(Error({"--fw-cfg-mmio", "0xfe000000", "--layout", "arm-virt"}),
              HasSubstr("x86_64"));
  options = Parse({"--fw-cfg-arm-mmio", "0xfe000000"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->fw_cfg_arm_mmio, 0xfe000000u);
  EXPECT_THAT(Error({"--fw-cfg-arm-mmio", "0xfebffff0"}),
              HasSubstr("0x18-byte"));
  EXPECT_THAT(
      Error({"--fw-cfg-arm-mmio", "0xfe000000", "--fw-cfg-mmio", "0xfd000000"}),
      HasSubstr("beside the ports"));
}

TEST(VmmOptions, DisableIsParsed) {
  auto options = Parse({"--fw-cfg-config", "disable"});
  ASSERT_TRUE(options.ok());
  EXPECT_NE(options->fw_cfg, nullptr);
}

TEST(VmmOptions, MachineArgsRecordTheVmWithResponseFilesReadIn) {
  const std::string path = ::testing::TempDir() + "/machine_args.conf";
  std::ofstream(path) << "items=[name=opt/a,string=b]";
  auto options = Parse({"--memory", "size=64M", "--fw-cfg-config", "@" + path,
                        "--api-socket", "/run/a.sock", "--serial=off",
                        "--qtest", "stdio", "--trace", "fw_cfg_select"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->api_socket, "/run/a.sock");
  // What a restore must not change is recorded; where the VM's outputs go
  // is not.
  EXPECT_EQ(
      options->machine_args,
      (std::vector<std::string>{
          "--memory=size=64M", "--fw-cfg-config=items=[name=opt/a,string=b]"}));
}

TEST(VmmOptions, RestoreTakesOnlyOutputOptions) {
  auto restore = Parse({"--restore", "/snap", "--api-socket=/a.sock"});
  ASSERT_TRUE(restore.ok()) << restore.status();
  EXPECT_EQ(restore->restore, "/snap");
  EXPECT_EQ(Error({"--restore", "/snap", "--memory", "size=1G"}),
            "--restore: takes the machine from the snapshot; only "
            "--api-socket, --qtest, --serial, --trace, --trace-file, "
            "--exit-stats may be "
            "given with it");
  EXPECT_EQ(Error({"--api-socket", ""}), "--api-socket: needs a path");

  const std::vector<std::string> command_line = {
      "--restore", "/snap", "--serial", "off", "--api-socket=/b.sock"};
  auto command = Parse(command_line);
  ASSERT_TRUE(command.ok());
  auto options =
      RestoreOptions({"--memory=size=64M", "--cpus=boot=2", "--kernel=/k"},
                     *command, command_line);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->memory_size, uint64_t{64} << 20);
  EXPECT_EQ(options->boot_cpus, 2u);
  EXPECT_EQ(options->kernel, "/k");
  EXPECT_EQ(options->serial, SerialMode::kOff);
  EXPECT_EQ(options->api_socket, "/b.sock");
  EXPECT_EQ(options->restore, "/snap");
  EXPECT_EQ(RestoreOptions({"memory"}, *command, command_line).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace vmm
