// Kvm::Open where there is no usable KVM device: a clear Unavailable error,
// and nothing created.

#include "vmm/kvm/kvm.h"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace vmm {
namespace {

using ::testing::HasSubstr;

TEST(KvmOpen, MissingDeviceIsUnavailableAndNotCreated) {
  const std::string path = ::testing::TempDir() + "/kvm-missing";
  absl::StatusOr<Kvm> kvm = Kvm::Open(path.c_str());
  ASSERT_FALSE(kvm.ok());
  EXPECT_EQ(kvm.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(kvm.status().message(), HasSubstr("cannot open " + path));
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0) << path << " was created";
}

TEST(KvmOpen, RegularFileIsNotADevice) {
  // What a bash `<>` probe leaves at /dev/kvm when run as root on a machine
  // without KVM.
  const std::string path = ::testing::TempDir() + "/kvm-regular-file";
  std::ofstream(path) << "";
  absl::StatusOr<Kvm> kvm = Kvm::Open(path.c_str());
  ASSERT_FALSE(kvm.ok());
  EXPECT_EQ(kvm.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(kvm.status().message(), HasSubstr("not a character device"));
}

}  // namespace
}  // namespace vmm
