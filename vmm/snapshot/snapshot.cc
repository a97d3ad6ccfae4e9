#include "vmm/snapshot/snapshot.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>

#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/unique_fd.h"
#include "nlohmann/json.hpp"

namespace vmm {
namespace {

constexpr char kFormat[] = "fwcfg-vmm-snapshot";
constexpr int kVersion = 1;
constexpr uint64_t kPage = 4096;

absl::Status Errno(const std::string& what, const std::string& path) {
  return absl::ErrnoToStatus(errno, absl::StrFormat("%s %s", what, path));
}

absl::Status WriteFile(const std::string& path,
                       absl::Span<const uint8_t> bytes) {
  base::UniqueFd fd(
      open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd.valid()) return Errno("cannot create", path);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> ReadFile(const std::string& path) {
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) {
    return Errno("cannot read", path);
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = read(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("cannot read", path);
    if (n == 0) break;  // shrank meanwhile
    done += static_cast<size_t>(n);
  }
  bytes.resize(done);
  return bytes;
}

bool AllZero(const uint8_t* page) {
  static const uint8_t kZero[kPage] = {};
  return std::memcmp(page, kZero, kPage) == 0;
}

// Typed members, without nlohmann's exceptions on a type mismatch.
std::optional<std::string> StringField(const nlohmann::json& object,
                                       const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<uint64_t> UintField(const nlohmann::json& object,
                                  const char* name) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(name);
  if (it == object.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<uint64_t>();
}

uint64_t DiskBytes(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? uint64_t(st.st_blocks) * 512 : 0;
}

}  // namespace

absl::StatusOr<SnapshotReport> WriteSnapshot(
    const std::string& dir, const SnapshotContents& contents,
    const vm_memory::GuestMemory& memory) {
  const auto start = std::chrono::steady_clock::now();
  if (mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) return Errno("cannot create the directory", dir);
    DIR* listing = opendir(dir.c_str());
    if (listing == nullptr) return Errno("cannot open the directory", dir);
    int entries = 0;
    while (dirent* entry = readdir(listing)) {
      if (std::strcmp(entry->d_name, ".") != 0 &&
          std::strcmp(entry->d_name, "..") != 0)
        ++entries;
    }
    closedir(listing);
    if (entries != 0) {
      return absl::FailedPreconditionError(
          absl::StrFormat("snapshot directory %s is not empty", dir));
    }
  }

  SnapshotReport report;
  nlohmann::json regions = nlohmann::json::array();
  const std::string memory_path = dir + "/memory.bin";
  {
    base::UniqueFd fd(open(memory_path.c_str(),
                           O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd.valid()) return Errno("cannot create", memory_path);
    uint64_t file_offset = 0;
    for (const auto& region : memory.regions()) {
      if (region->read_only()) continue;  // ROM comes from its image again
      regions.push_back({{"start", region->start().raw()},
                         {"size", region->size()},
                         {"file_offset", file_offset}});
      const uint8_t* host = region->host_address();
      // Runs of non-zero pages, written with one pwrite each.
      uint64_t page = 0;
      while (page < region->size()) {
        if (AllZero(host + page)) {
          page += kPage;
          continue;
        }
        uint64_t end = page + kPage;
        while (end < region->size() && !AllZero(host + end)) end += kPage;
        uint64_t done = page;
        while (done < end) {
          const ssize_t n = pwrite(fd.get(), host + done, end - done,
                                   static_cast<off_t>(file_offset + done));
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0) return Errno("cannot write", memory_path);
          done += static_cast<uint64_t>(n);
        }
        report.memory_data_bytes += end - page;
        page = end;
      }
      file_offset += region->size();
      report.memory_bytes += region->size();
    }
    if (ftruncate(fd.get(), static_cast<off_t>(file_offset)) != 0) {
      return Errno("cannot size", memory_path);
    }
  }
  RETURN_IF_ERROR(WriteFile(dir + "/devices.bin", contents.devices));
  if (contents.cpu) RETURN_IF_ERROR(WriteFile(dir + "/cpu.bin", *contents.cpu));
  const nlohmann::json config = {{"format", kFormat},
                                 {"version", kVersion},
                                 {"machine_args", contents.machine_args},
                                 {"vcpus", contents.vcpus},
                                 {"memory", regions}};
  const std::string text = config.dump(2) + "\n";
  RETURN_IF_ERROR(WriteFile(
      dir + "/config.json",
      absl::MakeConstSpan(reinterpret_cast<const uint8_t*>(text.data()),
                          text.size())));
  for (const char* name :
       {"/config.json", "/memory.bin", "/devices.bin", "/cpu.bin"}) {
    report.disk_bytes += DiskBytes(dir + name);
  }
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  return report;
}

absl::StatusOr<SnapshotContents> ReadSnapshot(const std::string& dir) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> text, ReadFile(dir + "/config.json"));
  const nlohmann::json config =
      nlohmann::json::parse(text.begin(), text.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (config.is_discarded() || StringField(config, "format") != kFormat) {
    return absl::DataLossError(
        absl::StrFormat("%s/config.json is not a fwcfg-vmm snapshot", dir));
  }
  if (UintField(config, "version") != uint64_t{kVersion}) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: snapshot version %s; this vmm reads version %d", dir,
        config.contains("version") ? config["version"].dump() : "?", kVersion));
  }
  SnapshotContents contents;
  const auto args = config.find("machine_args");
  const std::optional<uint64_t> vcpus = UintField(config, "vcpus");
  if (args == config.end() || !args->is_array() || !vcpus || *vcpus > 1024) {
    return absl::DataLossError(
        absl::StrFormat("%s/config.json: malformed", dir));
  }
  for (const auto& arg : *args) {
    if (!arg.is_string()) {
      return absl::DataLossError(
          absl::StrFormat("%s/config.json: malformed machine_args", dir));
    }
    contents.machine_args.push_back(arg.get<std::string>());
  }
  contents.vcpus = static_cast<uint32_t>(*vcpus);
  ASSIGN_OR_RETURN(contents.devices, ReadFile(dir + "/devices.bin"));
  if (contents.vcpus > 0) {
    ASSIGN_OR_RETURN(contents.cpu, ReadFile(dir + "/cpu.bin"));
  }
  return contents;
}

absl::Status RestoreMemory(const std::string& dir,
                           const vm_memory::GuestMemory& memory) {
  ASSIGN_OR_RETURN(std::vector<uint8_t> text, ReadFile(dir + "/config.json"));
  const nlohmann::json config =
      nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (config.is_discarded() || !config.is_object()) {
    return absl::DataLossError(
        absl::StrFormat("%s/config.json is not a fwcfg-vmm snapshot", dir));
  }
  const std::string path = dir + "/memory.bin";
  base::UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return Errno("cannot open", path);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return Errno("cannot stat", path);
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);

  std::vector<const vm_memory::MemoryRegion*> writable;
  for (const auto& region : memory.regions()) {
    if (!region->read_only()) writable.push_back(region.get());
  }
  const auto found = config.find("memory");
  if (found == config.end() || !found->is_array() ||
      found->size() != writable.size()) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "%s: the snapshot's RAM layout differs from this machine's", dir));
  }
  for (size_t i = 0; i < writable.size(); ++i) {
    const nlohmann::json& entry = (*found)[i];
    if (UintField(entry, "start") != writable[i]->start().raw() ||
        UintField(entry, "size") != writable[i]->size()) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "%s: the snapshot's RAM region %d differs from this machine's", dir,
          i));
    }
    const uint64_t base =
        UintField(entry, "file_offset").value_or(~uint64_t{0});
    const uint64_t size = writable[i]->size();
    if (base > file_size || size > file_size - base) {
      return absl::DataLossError(
          absl::StrFormat("%s is shorter than its RAM region %d", path, i));
    }
    // Only the data extents: holes are zero pages, and fresh RAM is zero.
    uint8_t* host = writable[i]->host_address();
    off_t at = static_cast<off_t>(base);
    const off_t end = static_cast<off_t>(base + size);
    while (at < end) {
      const off_t data = lseek(fd.get(), at, SEEK_DATA);
      if (data < 0 || data >= end) break;  // ENXIO: no data after `at`
      off_t hole = lseek(fd.get(), data, SEEK_HOLE);
      if (hole < 0 || hole > end) hole = end;
      off_t done = data;
      while (done < hole) {
        const ssize_t n = pread(fd.get(), host + (done - base),
                                static_cast<size_t>(hole - done), done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Errno("cannot read", path);
        done += n;
      }
      at = hole;
    }
  }
  return absl::OkStatus();
}

}  // namespace vmm
