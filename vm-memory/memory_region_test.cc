#include "vm-memory/memory_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/status/status.h"
#include "gtest/gtest.h"

namespace vm_memory {
namespace {

const uint64_t kPage = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));

TEST(MemoryRegion, AnonymousRegionIsZeroedAndWritable) {
  auto region = MemoryRegion::CreateAnonymous(GuestAddress(0x10000), 4 * kPage);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_EQ((*region)->start(), GuestAddress(0x10000));
  EXPECT_EQ((*region)->size(), 4 * kPage);
  EXPECT_EQ((*region)->last(), GuestAddress(0x10000 + 4 * kPage - 1));
  EXPECT_FALSE((*region)->read_only());
  uint8_t* host = (*region)->host_address();
  EXPECT_EQ(host[0], 0);
  EXPECT_EQ(host[4 * kPage - 1], 0);
  host[5] = 0x5a;
  EXPECT_EQ(host[5], 0x5a);
}

// Large regions sit on 2 MiB host boundaries, so that transparent huge pages
// can back them.
TEST(MemoryRegion, LargeAnonymousRegionIsHugePageAligned) {
  const uint64_t huge = MemoryRegion::kHugePageSize;
  for (uint64_t size : {huge, 3 * huge + 5 * kPage, 64 * huge}) {
    auto region = MemoryRegion::CreateAnonymous(GuestAddress(0), size);
    ASSERT_TRUE(region.ok()) << region.status();
    const uintptr_t host =
        reinterpret_cast<uintptr_t>((*region)->host_address());
    EXPECT_EQ(host % huge, 0u) << "size 0x" << std::hex << size;
    uint8_t* bytes = (*region)->host_address();
    bytes[0] = 1;
    bytes[size - 1] = 2;
    EXPECT_EQ(bytes[0] + bytes[size - 1], 3);
    // The reservation's spare end was given back: mincore fails with ENOMEM
    // on an address that is not mapped.
    unsigned char resident;
    EXPECT_NE(mincore(reinterpret_cast<void*>(host + size), kPage, &resident),
              0);
    EXPECT_EQ(errno, ENOMEM);
  }
}

TEST(MemoryRegion, Contains) {
  auto region = MemoryRegion::CreateAnonymous(GuestAddress(kPage), kPage);
  ASSERT_TRUE(region.ok());
  EXPECT_FALSE((*region)->Contains(GuestAddress(kPage - 1)));
  EXPECT_TRUE((*region)->Contains(GuestAddress(kPage)));
  EXPECT_TRUE((*region)->Contains(GuestAddress(2 * kPage - 1)));
  EXPECT_FALSE((*region)->Contains(GuestAddress(2 * kPage)));
}

TEST(MemoryRegion, RejectsZeroSize) {
  auto region = MemoryRegion::CreateAnonymous(GuestAddress(0), 0);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(region.status().message().find("zero size"), std::string::npos);
}

TEST(MemoryRegion, RejectsMisalignment) {
  EXPECT_EQ(
      MemoryRegion::CreateAnonymous(GuestAddress(1), kPage).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      MemoryRegion::CreateAnonymous(GuestAddress(0), kPage + 1).status().code(),
      absl::StatusCode::kInvalidArgument);
}

TEST(MemoryRegion, RejectsAddressOverflow) {
  // The last page of the address space is fine; one more page wraps.
  const uint64_t last_page = std::numeric_limits<uint64_t>::max() - kPage + 1;
  auto top = MemoryRegion::CreateAnonymous(GuestAddress(last_page), kPage);
  ASSERT_TRUE(top.ok()) << top.status();
  EXPECT_EQ((*top)->last(), GuestAddress(std::numeric_limits<uint64_t>::max()));
  auto wrap = MemoryRegion::CreateAnonymous(GuestAddress(last_page), 2 * kPage);
  EXPECT_EQ(wrap.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrap.status().message().find("address space"), std::string::npos);
}

TEST(MemoryRegion, ReadOnlyAnonymousRegion) {
  auto region = MemoryRegion::CreateAnonymous(GuestAddress(0), kPage,
                                              RegionAccess::kReadOnly);
  ASSERT_TRUE(region.ok());
  EXPECT_TRUE((*region)->read_only());
}

class FileRegionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = memfd_create("memory_region_test", 0);
    ASSERT_GE(fd_, 0);
    ASSERT_EQ(ftruncate(fd_, 4 * kPage), 0);
    // Mark the start of the second page.
    const char marker[] = "page1";
    ASSERT_EQ(pwrite(fd_, marker, sizeof(marker), kPage),
              static_cast<ssize_t>(sizeof(marker)));
  }
  void TearDown() override { close(fd_); }
  int fd_ = -1;
};

TEST_F(FileRegionTest, MapsTheFileAtTheOffset) {
  auto region = MemoryRegion::CreateFromFile(GuestAddress(0x100000), 2 * kPage,
                                             fd_, kPage);
  ASSERT_TRUE(region.ok()) << region.status();
  EXPECT_STREQ(reinterpret_cast<const char*>((*region)->host_address()),
               "page1");
  // Shared with the file: a write through the mapping reaches it.
  (*region)->host_address()[kPage] = 'x';
  char byte = 0;
  ASSERT_EQ(pread(fd_, &byte, 1, 2 * kPage), 1);
  EXPECT_EQ(byte, 'x');
}

TEST_F(FileRegionTest, SurvivesClosingTheDescriptor) {
  const int copy = dup(fd_);
  auto region =
      MemoryRegion::CreateFromFile(GuestAddress(0), kPage, copy, kPage);
  close(copy);
  ASSERT_TRUE(region.ok());
  EXPECT_EQ((*region)->host_address()[0], 'p');
}

TEST_F(FileRegionTest, RejectsRangesPastTheEndOfTheFile) {
  auto region =
      MemoryRegion::CreateFromFile(GuestAddress(0), 2 * kPage, fd_, 3 * kPage);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(region.status().message().find("only 0x4000 bytes long"),
            std::string::npos)
      << region.status();
  // An offset so large that offset + size overflows.
  auto huge = MemoryRegion::CreateFromFile(
      GuestAddress(0), kPage, fd_,
      std::numeric_limits<uint64_t>::max() - kPage + 1);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileRegionTest, RejectsMisalignedOffset) {
  auto region = MemoryRegion::CreateFromFile(GuestAddress(0), kPage, fd_, 512);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileRegionTest, RejectsBadDescriptor) {
  auto region = MemoryRegion::CreateFromFile(GuestAddress(0), kPage, -1, 0);
  EXPECT_EQ(region.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FileRegionTest, WritableMappingOfReadOnlyDescriptorFails) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", fd_);
  const int read_only_fd = open(path, O_RDONLY);
  ASSERT_GE(read_only_fd, 0);
  auto writable =
      MemoryRegion::CreateFromFile(GuestAddress(0), kPage, read_only_fd, 0);
  EXPECT_EQ(writable.status().code(), absl::StatusCode::kPermissionDenied);
  auto rom = MemoryRegion::CreateFromFile(GuestAddress(0), kPage, read_only_fd,
                                          kPage, RegionAccess::kReadOnly);
  close(read_only_fd);
  ASSERT_TRUE(rom.ok()) << rom.status();
  EXPECT_TRUE((*rom)->read_only());
  EXPECT_EQ((*rom)->host_address()[1], 'a');
}

}  // namespace
}  // namespace vm_memory
