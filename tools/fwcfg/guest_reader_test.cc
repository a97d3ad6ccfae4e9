// GuestReader (--io, --dma) against our fw_cfg device model through a fake
// GuestPlatform: port accesses go to a PioBus with the device's ports, and
// "physical memory" is a memfd that is both the device's guest RAM and,
// page by page in a scrambled order, the reader's locked buffers, so that
// a DMA request lands exactly where a real guest's would and the reader
// must split its buffer into physically contiguous runs.

#include "tools/fwcfg/guest_reader.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "fw_cfg/fw_cfg.h"
#include "fw_cfg/io_ports.h"
#include "fw_cfg/item.h"
#include "fw_cfg/keys.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/fwcfg/cli.h"
#include "tools/fwcfg/test_util.h"
#include "vm-device/bus.h"
#include "vm-memory/guest_memory.h"
#include "vm-memory/memory_region.h"

namespace fwcfg {
namespace {

using ::testing::HasSubstr;

constexpr size_t kPages = 8192;  // 32 MiB of "guest RAM"

class DevicePlatform : public GuestPlatform {
 public:
  explicit DevicePlatform(bool dma = true) {
    memfd_ = memfd_create("guest-ram", 0);
    EXPECT_GE(memfd_, 0);
    EXPECT_EQ(ftruncate(memfd_, kPages * kGuestPageSize), 0);
    std::vector<std::unique_ptr<vm_memory::MemoryRegion>> regions;
    regions.push_back(*vm_memory::MemoryRegion::CreateFromFile(
        vm_memory::GuestAddress(0), kPages * kGuestPageSize, memfd_, 0));
    memory_ = *vm_memory::GuestMemory::Create(std::move(regions));
    device_ = *fw_cfg::FwCfg::Create(memory_, {.dma = dma});
    EXPECT_TRUE(fw_cfg::AttachIoPorts(device_, pio_).ok());
    // Frames are handed out in runs of 1, 2, 3, 4 and 5 pages, each run
    // somewhere else in RAM (page 0 stays unused).
    for (size_t run = 1, next = 1; next + run < kPages; run = run % 5 + 1) {
      for (size_t i = 0; i < run; ++i) free_frames_.push_back(next + i);
      next += run + 7;
    }
  }
  ~DevicePlatform() override { close(memfd_); }

  fw_cfg::FwCfg& device() { return *device_; }
  absl::Status ports_error = absl::OkStatus();
  absl::Status pagemap_error = absl::OkStatus();
  int port_writes = 0;
  int locks = 0;

  absl::Status EnablePorts(uint16_t first, uint16_t count) override {
    EXPECT_EQ(first, 0x510);
    EXPECT_EQ(count, 0x0c);
    return ports_error;
  }
  base::UniqueFd LockDevice() override {
    ++locks;
    return base::UniqueFd();
  }
  void Out16(uint16_t port, uint16_t value) override {
    const uint8_t bytes[2] = {static_cast<uint8_t>(value),
                              static_cast<uint8_t>(value >> 8)};
    pio_.Write(port, bytes);
    ++port_writes;
  }
  void Out32(uint16_t port, uint32_t value) override {
    uint8_t bytes[4];
    std::memcpy(bytes, &value, 4);  // x86: little-endian
    pio_.Write(port, bytes);
    ++port_writes;
  }
  void InBytes(uint16_t port, absl::Span<uint8_t> out) override {
    for (uint8_t& byte : out) pio_.Read(port, absl::MakeSpan(&byte, 1));
  }

  absl::StatusOr<absl::Span<uint8_t>> AllocateLocked(size_t size) override {
    const size_t pages = size / kGuestPageSize;
    if (pages > free_frames_.size()) {
      return absl::ResourceExhaustedError("out of frames");
    }
    auto* base = static_cast<uint8_t*>(
        mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    for (size_t i = 0; i < pages; ++i) {
      const size_t frame = free_frames_.front();
      free_frames_.erase(free_frames_.begin());
      uint8_t* page = base + i * kGuestPageSize;
      EXPECT_NE(mmap(page, kGuestPageSize, PROT_READ | PROT_WRITE,
                     MAP_SHARED | MAP_FIXED, memfd_, frame * kGuestPageSize),
                MAP_FAILED);
      frames_[page] = frame;
    }
    return absl::MakeSpan(base, size);
  }
  void Free(absl::Span<uint8_t> memory) override {
    munmap(memory.data(), memory.size());
  }
  absl::StatusOr<uint64_t> PhysicalAddress(const void* address) override {
    RETURN_IF_ERROR(pagemap_error);
    const auto* byte = static_cast<const uint8_t*>(address);
    const uintptr_t offset = reinterpret_cast<uintptr_t>(byte) % kGuestPageSize;
    auto it = frames_.find(const_cast<uint8_t*>(byte - offset));
    if (it == frames_.end()) return absl::NotFoundError("not a locked page");
    return it->second * kGuestPageSize + offset;
  }

 private:
  int memfd_ = -1;
  std::shared_ptr<const vm_memory::GuestMemory> memory_;
  std::shared_ptr<fw_cfg::FwCfg> device_;
  vm_device::PioBus pio_;
  std::vector<size_t> free_frames_;
  std::map<uint8_t*, size_t> frames_;
};

std::string Pattern(size_t size, uint32_t seed) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) {
    seed = seed * 1103515245 + 12345;
    bytes[i] = static_cast<char>(seed >> 16);
  }
  return bytes;
}

class GuestReaderTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    small_ = Pattern(3001, 1);
    big_ = Pattern(3 << 20, 2);  // several 1 MiB buffer fills
    Add("opt/small", small_);
    Add("opt/big", big_);
    Add("opt/empty", "");
  }
  void Add(const std::string& name, const std::string& data) {
    ASSERT_TRUE(platform_.device()
                    .AddFile(name, *fw_cfg::MakeBytesItem(std::vector<uint8_t>(
                                       data.begin(), data.end())))
                    .ok());
  }
  std::string Read(FwCfgReader& reader, const std::string& name) {
    absl::StatusOr<FileEntry> file = FindFile(reader, name);
    EXPECT_TRUE(file.ok()) << file.status();
    if (!file.ok()) return "";
    absl::StatusOr<std::vector<uint8_t>> bytes =
        ReadItemBytes(reader, file->key, file->size);
    EXPECT_TRUE(bytes.ok()) << bytes.status();
    return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : "";
  }

  DevicePlatform platform_;
  std::string small_, big_;
};

TEST_P(GuestReaderTest, ListsAndReadsEveryItem) {
  const bool dma = GetParam();
  absl::StatusOr<std::unique_ptr<GuestReader>> reader =
      GuestReader::Open(platform_, {.dma = dma, .dma_buffer_size = 1 << 20});
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<FileEntry>> files = (*reader)->ListFiles();
  ASSERT_TRUE(files.ok()) << files.status();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].name, "opt/big");
  EXPECT_EQ((*files)[0].size, big_.size());
  EXPECT_EQ(Read(**reader, "opt/small"), small_);
  EXPECT_EQ(Read(**reader, "opt/empty"), "");
  absl::StatusOr<FileEntry> big = FindFile(**reader, "opt/big");
  ASSERT_TRUE(big.ok()) << big.status();
  const uint64_t before = (*reader)->requests();
  absl::StatusOr<std::vector<uint8_t>> bytes =
      ReadItemBytes(**reader, big->key, big->size);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_TRUE(std::string(bytes->begin(), bytes->end()) == big_);
  const uint64_t requests = (*reader)->requests() - before;
  if (dma) {
    // 768 pages in runs of at most 5 (the buffer is 256 pages, refilled):
    // more than one request per buffer, far fewer than one per page.
    EXPECT_GT(requests, 3u);
    EXPECT_LT(requests, 768u / 2);
    EXPECT_EQ((*reader)->Describe(), "x86 ports 0x510, DMA into locked pages");
  } else {
    // One select, then one `rep insb` per 64 KiB.
    EXPECT_EQ(requests, 1u + (3 << 20) / (64 << 10));
    EXPECT_EQ((*reader)->Describe(), "x86 ports 0x510, rep insb");
  }
}

// Past the end reads as zeros, as for a guest; a numbered key reads too.
TEST_P(GuestReaderTest, NumberedKeysAndPastTheEnd) {
  absl::StatusOr<std::unique_ptr<GuestReader>> reader = GuestReader::Open(
      platform_, {.dma = GetParam(), .dma_buffer_size = 1 << 20});
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<uint8_t>> signature =
      ReadItemBytes(**reader, fw_cfg::kSignature, 6);
  ASSERT_TRUE(signature.ok()) << signature.status();
  EXPECT_EQ(std::string(signature->begin(), signature->end()),
            std::string("QEMU\0\0", 6));
}

INSTANTIATE_TEST_SUITE_P(IoAndDma, GuestReaderTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Dma" : "Io";
                         });

TEST(GuestReader, RefusesWithTheReason) {
  {
    DevicePlatform platform;
    platform.ports_error =
        absl::PermissionDeniedError("port access needs root");
    EXPECT_THAT(GuestReader::Open(platform, {}).status().message(),
                HasSubstr("needs root"));
  }
  {
    DevicePlatform platform(/*dma=*/false);
    absl::StatusOr<std::unique_ptr<GuestReader>> reader =
        GuestReader::Open(platform, {.dma = true});
    EXPECT_EQ(reader.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(reader.status().message(), HasSubstr("does not offer DMA"));
    // The ports alone work.
    EXPECT_TRUE(GuestReader::Open(platform, {}).ok());
  }
  {
    DevicePlatform platform;
    platform.pagemap_error =
        absl::PermissionDeniedError("pagemap shows no page frame numbers");
    EXPECT_THAT(GuestReader::Open(platform, {.dma = true}).status().message(),
                HasSubstr("no page frame numbers"));
  }
}

// No device: nothing answers at 0x510, the bus reads 0xff.
TEST(GuestReader, NoDeviceIsNotFound) {
  class Empty : public DevicePlatform {
    void InBytes(uint16_t, absl::Span<uint8_t> out) override {
      std::memset(out.data(), 0xff, out.size());
    }
  } platform;
  absl::StatusOr<std::unique_ptr<GuestReader>> reader =
      GuestReader::Open(platform, {});
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(reader.status().message(), HasSubstr("ff ff ff ff"));
}

// The command line: --dma works through the platform, and one that cannot
// work warns and falls back to sysfs.
TEST(GuestReader, CliUsesThePlatformAndFallsBack) {
  DevicePlatform platform;
  ASSERT_TRUE(platform.device()
                  .AddFile("opt/a", *fw_cfg::MakeStringItem("hello"))
                  .ok());
  testing::TempDir dir(testing::TempDir::Use::kFiles);
  const std::string out_path = dir.Join("out");
  const std::string err_path = dir.Join("err");
  auto run = [&](std::vector<std::string> args) {
    std::FILE* out = std::fopen(out_path.c_str(), "w");
    std::FILE* err = std::fopen(err_path.c_str(), "w");
    const int status = RunFwcfg(args, out, err, platform);
    std::fclose(out);
    std::fclose(err);
    return status;
  };
  EXPECT_EQ(run({"--dma", "--stats", "dump", "opt/a"}), 0);
  EXPECT_EQ(*testing::ReadFile(out_path), "hello");
  EXPECT_EQ(platform.locks, 1);  // through the platform, never a host file
  EXPECT_THAT(*testing::ReadFile(err_path),
              HasSubstr("fwcfg: stats: reader=\"x86 ports 0x510, DMA into "
                        "locked pages\""));

  platform.ports_error = absl::PermissionDeniedError("port access needs root");
  EXPECT_EQ(run({"--io", "--sysfs=" + dir.Join("none"), "list"}), 1);
  const std::string err = *testing::ReadFile(err_path);
  EXPECT_THAT(err, HasSubstr("fwcfg: warning: --io: port access needs root; "
                             "reading through sysfs instead"));
  EXPECT_THAT(err, HasSubstr(dir.Join("none")));

  EXPECT_EQ(run({"--io", "--dma", "list"}), 2);
  EXPECT_EQ(run({"--dma", "--qtest", "unix:/x", "list"}), 2);
}

}  // namespace
}  // namespace fwcfg
