#include "vmm/options.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<VmmOptions> Parse(std::vector<std::string> args,
                                 bool fw_cfg_built_in = true) {
  return ParseVmmOptions(args, fw_cfg_built_in);
}

std::string Error(std::vector<std::string> args, bool fw_cfg_built_in = true) {
  absl::StatusOr<VmmOptions> options = Parse(std::move(args), fw_cfg_built_in);
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
  EXPECT_FALSE(options->fw_cfg.initramfs);
  EXPECT_TRUE(options->fw_cfg.kernel);
  ASSERT_EQ(options->fw_cfg.items.size(), 1u);
  EXPECT_EQ(options->fw_cfg.items[0].value, "/tmp/guest_setup.txt");
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
  EXPECT_TRUE(options->fw_cfg.enabled);
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

TEST(VmmOptions, BuildWithoutFwCfgRejectsTheOption) {
  EXPECT_THAT(Error({"--fw-cfg-config", "disable"}, false),
              HasSubstr("built without fw_cfg"));
  auto options = Parse({}, false);
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->fw_cfg.enabled);
}

TEST(VmmOptions, DisableTurnsFwCfgOff) {
  auto options = Parse({"--fw-cfg-config", "disable"});
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->fw_cfg.enabled);
}

}  // namespace
}  // namespace vmm
