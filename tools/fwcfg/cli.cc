#include "tools/fwcfg/cli.h"

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "base/status_context.h"
#include "base/status_macros.h"
#include "tools/fwcfg/guest_platform.h"
#include "tools/fwcfg/guest_reader.h"
#include "tools/fwcfg/qtest_client.h"
#include "tools/fwcfg/qtest_reader.h"
#include "tools/fwcfg/reader.h"
#include "tools/fwcfg/sysfs_reader.h"

namespace fwcfg {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

constexpr int kDefaultTimeoutMs = 10000;

struct CliOptions {
  bool help = false;
  // Transport: exactly one of these (sysfs by default); --io and --dma fall
  // back to sysfs when they cannot work.
  std::optional<std::string> qtest;  // "unix:PATH" or "listen:PATH"
  std::optional<std::string> sysfs;  // the directory
  bool io = false;
  bool dma = false;
  bool stats = false;
  QtestReaderOptions reader;
  bool layout_given = false;
  bool dma_buffer_given = false;
  bool no_dma_given = false;
  int timeout_ms = kDefaultTimeoutMs;
  std::optional<uint64_t> size;
  std::optional<std::string> output;
  std::string command;  // list, dump, verify
  std::vector<std::string> operands;
};

absl::Status Usage(std::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrFormat("%s (see --help)", message));
}

std::string_view View(absl::string_view text) {
  return std::string_view(text.data(), text.size());
}

std::string Escaped(std::string_view text) {
  return absl::CHexEscape(absl::string_view(text.data(), text.size()));
}

// 0x-prefixed hex or decimal, the whole text, at most `max`.
bool ParseNumber(std::string_view text, uint64_t max, uint64_t* value) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    text.remove_prefix(2);
  }
  if (text.empty()) return false;
  uint64_t result = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (base == 16 && c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (base == 16 && c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    if (__builtin_mul_overflow(result, static_cast<uint64_t>(base), &result) ||
        __builtin_add_overflow(result, static_cast<uint64_t>(digit), &result)) {
      return false;
    }
  }
  if (result > max) return false;
  *value = result;
  return true;
}

// ITEM operands starting with 0x are keys; anything else is a file name.
bool IsKey(std::string_view item) {
  return item.substr(0, 2) == "0x" || item.substr(0, 2) == "0X";
}

bool IsCommand(std::string_view word) {
  return word == "list" || word == "dump" || word == "verify";
}

absl::Status ParseLayout(std::string_view value, QtestReaderOptions* reader) {
  if (value == "x86" || value == "x86_64") {
    reader->layout = QtestLayout::kX86;
    return absl::OkStatus();
  }
  if (value == "mmio" || value == "arm-virt") {
    reader->layout = QtestLayout::kMmio;
    reader->mmio_base = fw_cfg::kArmVirtMmioBase;
    return absl::OkStatus();
  }
  if (value.substr(0, 5) == "mmio:") {
    uint64_t base;
    if (!ParseNumber(value.substr(5), UINT64_MAX - 0x18, &base)) {
      return Usage(absl::StrFormat("--layout: bad MMIO base '%s'",
                                   Escaped(value.substr(5))));
    }
    reader->layout = QtestLayout::kMmio;
    reader->mmio_base = base;
    return absl::OkStatus();
  }
  return Usage(absl::StrFormat(
      "--layout: expected x86, mmio or mmio:BASE, got '%s'", Escaped(value)));
}

absl::Status ParseTimeout(const std::string& value, int* timeout_ms) {
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || errno != 0 ||
      !(seconds > 0) || seconds > 86400 || value[0] == ' ') {
    return Usage(absl::StrFormat(
        "--timeout: expected seconds between 0 and 86400, got '%s'",
        Escaped(value)));
  }
  *timeout_ms = std::max(1, static_cast<int>(std::lround(seconds * 1000)));
  return absl::OkStatus();
}

absl::StatusOr<CliOptions> ParseArgs(const std::vector<std::string>& args) {
  CliOptions options;
  std::vector<std::string> seen;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    if (name.empty() || name[0] != '-' || name == "-") {
      if (options.command.empty()) {
        if (!IsCommand(name)) {
          return Usage(absl::StrFormat(
              "unknown command '%s' (expected list, dump or verify)",
              Escaped(name)));
        }
        options.command = name;
      } else {
        options.operands.push_back(name);
      }
      continue;
    }
    std::optional<std::string> value;
    if (const size_t equals = name.find('=');
        name.rfind("--", 0) == 0 && equals != std::string::npos) {
      value = name.substr(equals + 1);
      name.resize(equals);
    }
    if (name == "--output") name = "-o";
    if (name == "-h" || name == "--help") {
      options.help = true;
      continue;
    }
    static constexpr std::string_view kFlags[] = {"--no-dma", "--sysfs", "--io",
                                                  "--dma", "--stats"};
    static constexpr std::string_view kWithValue[] = {
        "--qtest", "--layout", "--dma-buffer", "--timeout", "--size", "-o"};
    bool flag = false, with_value = false;
    for (std::string_view known : kFlags) flag |= name == known;
    for (std::string_view known : kWithValue) with_value |= name == known;
    if (!flag && !with_value) {
      return Usage(absl::StrFormat("unknown option '%s'", Escaped(args[i])));
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) {
      return Usage(absl::StrFormat("%s given twice", name));
    }
    seen.push_back(name);

    if (name == "--no-dma" || name == "--io" || name == "--dma" ||
        name == "--stats") {
      if (value) return Usage(absl::StrFormat("%s takes no value", name));
      if (name == "--no-dma") {
        options.reader.allow_dma = false;
        options.no_dma_given = true;
      }
      options.io |= name == "--io";
      options.dma |= name == "--dma";
      options.stats |= name == "--stats";
      continue;
    }
    if (name == "--sysfs") {
      // `--sysfs DIR` before the command; after it only `--sysfs=DIR`, so
      // that `verify NAME --sysfs FILE` cannot take FILE for the directory.
      if (!value && options.command.empty() && i + 1 < args.size() &&
          !args[i + 1].empty() && args[i + 1][0] != '-' &&
          !IsCommand(args[i + 1])) {
        value = args[++i];
      }
      if (value && value->empty()) return Usage("--sysfs: empty directory");
      options.sysfs = value.value_or(kDefaultSysfsDir);
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return Usage(absl::StrFormat("%s needs a value", name));
      }
      value = args[++i];
    }
    if (name == "--qtest") {
      const bool unix_spec = value->rfind("unix:", 0) == 0;
      const bool listen_spec = value->rfind("listen:", 0) == 0;
      if ((!unix_spec && !listen_spec) ||
          value->size() == (unix_spec ? 5u : 7u)) {
        return Usage(absl::StrFormat(
            "--qtest: expected unix:PATH or listen:PATH, got '%s'",
            Escaped(*value)));
      }
      const size_t path_length = value->size() - (unix_spec ? 5 : 7);
      if (path_length >= sizeof(sockaddr_un::sun_path)) {
        return Usage(absl::StrFormat(
            "--qtest: the socket path is %d bytes, longer than %d", path_length,
            sizeof(sockaddr_un::sun_path) - 1));
      }
      options.qtest = *value;
    } else if (name == "--layout") {
      RETURN_IF_ERROR(ParseLayout(*value, &options.reader));
      options.layout_given = true;
    } else if (name == "--dma-buffer") {
      uint64_t address;
      if (!ParseNumber(*value, UINT64_MAX, &address)) {
        return Usage(
            absl::StrFormat("--dma-buffer: bad address '%s'", Escaped(*value)));
      }
      options.reader.dma_buffer = address;
      options.dma_buffer_given = true;
    } else if (name == "--timeout") {
      RETURN_IF_ERROR(ParseTimeout(*value, &options.timeout_ms));
    } else if (name == "--size") {
      uint64_t size;
      if (!ParseNumber(*value, UINT32_MAX, &size)) {
        return Usage(absl::StrFormat(
            "--size: expected a byte count up to 4294967295, got '%s'",
            Escaped(*value)));
      }
      options.size = size;
    } else if (name == "-o") {
      if (value->empty()) return Usage("-o: empty file name");
      options.output = *value;
    }
  }
  if (options.help) return options;

  if (options.qtest && options.sysfs) {
    return Usage("--qtest and --sysfs are alternatives: give one");
  }
  if (options.io && options.dma) {
    return Usage("--io and --dma are alternatives: give one");
  }
  if ((options.io || options.dma) && options.qtest) {
    return Usage("--io and --dma read inside a guest: not with --qtest");
  }
  if (!options.qtest) {
    if (options.layout_given || options.dma_buffer_given ||
        options.no_dma_given) {
      return Usage("--layout, --dma-buffer and --no-dma need --qtest");
    }
    if (!options.sysfs) options.sysfs = kDefaultSysfsDir;
  }

  if (options.command.empty()) {
    return Usage("no command (expected list, dump or verify)");
  }
  const size_t wanted = options.command == "list"   ? 0
                        : options.command == "dump" ? 1
                                                    : 2;
  if (options.operands.size() != wanted) {
    static constexpr std::string_view kSynopsis[] = {
        "list takes no arguments", "dump takes one ITEM (a name or 0xKEY)",
        "verify takes ITEM and FILE"};
    return Usage(kSynopsis[wanted]);
  }
  if (options.output && options.command != "dump") {
    return Usage("-o is only for dump");
  }
  if (options.size && options.command == "list") {
    return Usage("--size is only for dump and verify");
  }
  if (options.command != "list") {
    const std::string& item = options.operands[0];
    uint64_t key;
    if (IsKey(item) && !ParseNumber(item, 0xffff, &key)) {
      return Usage(absl::StrFormat("bad key '%s' (expected 0x0000 to 0xffff)",
                                   Escaped(item)));
    }
    if (options.size && !IsKey(item)) {
      return Usage(
          "--size is only for numbered keys (a named file's size comes from "
          "the directory)");
    }
  }
  return options;
}

// A transport and the reader on it. --io and --dma that cannot work say why
// on `err` and fall back to sysfs.
absl::StatusOr<std::unique_ptr<FwCfgReader>> OpenReader(
    const CliOptions& options, GuestPlatform& platform, std::FILE* err) {
  if (options.io || options.dma) {
    absl::StatusOr<std::unique_ptr<GuestReader>> guest =
        GuestReader::Open(platform, {.dma = options.dma});
    if (guest.ok()) return std::unique_ptr<FwCfgReader>(*std::move(guest));
    std::string reason(View(guest.status().message()));
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    std::fprintf(err, "fwcfg: warning: %s: %s; reading through sysfs instead\n",
                 options.dma ? "--dma" : "--io", reason.c_str());
  }
  if (options.sysfs) {
    ASSIGN_OR_RETURN(std::unique_ptr<SysfsReader> reader,
                     SysfsReader::Open(*options.sysfs));
    return std::unique_ptr<FwCfgReader>(std::move(reader));
  }
  std::unique_ptr<QtestClient> client;
  const std::string& spec = *options.qtest;
  if (spec.rfind("unix:", 0) == 0) {
    ASSIGN_OR_RETURN(client,
                     QtestClient::Connect(spec.substr(5), options.timeout_ms));
  } else {
    ASSIGN_OR_RETURN(std::unique_ptr<QtestListener> listener,
                     QtestListener::Create(spec.substr(7)));
    ASSIGN_OR_RETURN(client, listener->Accept(options.timeout_ms));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<QtestReader> reader,
                   QtestReader::Create(std::move(client), options.reader));
  return std::unique_ptr<FwCfgReader>(std::move(reader));
}

// What an ITEM operand designates.
struct Item {
  uint16_t key = 0;
  uint64_t size = 0;
  std::string label;  // for messages: the name, or 0xKEY
};

// Resolves ITEM. Sets *usage when the command line is at fault (a numbered
// key that is not a file, without --size).
absl::StatusOr<Item> ResolveItem(FwCfgReader& reader, const CliOptions& options,
                                 const std::string& spec, bool* usage) {
  *usage = false;
  if (IsKey(spec)) {
    uint64_t key = 0;
    ParseNumber(spec, 0xffff, &key);  // checked by ParseArgs
    Item item{.key = static_cast<uint16_t>(key),
              .size = 0,
              .label = absl::StrFormat("0x%04x", key)};
    if (options.size) {
      item.size = *options.size;
      return item;
    }
    ASSIGN_OR_RETURN(const std::vector<FileEntry> files, reader.ListFiles());
    for (const FileEntry& file : files) {
      if (file.key == key) {
        item.size = file.size;
        return item;
      }
    }
    *usage = true;
    return Usage(absl::StrFormat(
        "key %s is not a file in the directory: give its size with --size N",
        item.label));
  }
  ASSIGN_OR_RETURN(const FileEntry file, FindFile(reader, spec));
  return Item{.key = file.key, .size = file.size, .label = file.name};
}

int Report(std::FILE* err, const absl::Status& status, int code) {
  std::string message(View(status.message()));
  std::replace(message.begin(), message.end(), '\n', ' ');
  std::fprintf(err, "fwcfg: %s\n", message.c_str());
  return code;
}

int List(FwCfgReader& reader, std::FILE* out, std::FILE* err) {
  absl::StatusOr<std::vector<FileEntry>> files = reader.ListFiles();
  if (!files.ok()) return Report(err, files.status(), kExitFailure);
  std::sort(
      files->begin(), files->end(),
      [](const FileEntry& a, const FileEntry& b) { return a.key < b.key; });
  int width = 1;
  for (const FileEntry& file : *files) {
    width = std::max(width,
                     static_cast<int>(absl::StrFormat("%d", file.size).size()));
  }
  for (const FileEntry& file : *files) {
    std::fprintf(out, "0x%04x  %*u  %s\n", file.key, width, file.size,
                 Escaped(file.name).c_str());
  }
  if (std::fflush(out) != 0 || std::ferror(out)) {
    return Report(err,
                  absl::UnavailableError(absl::StrFormat(
                      "writing the listing: %s", std::strerror(errno))),
                  kExitFailure);
  }
  return kExitOk;
}

int Dump(FwCfgReader& reader, const CliOptions& options, std::FILE* out,
         std::FILE* err) {
  bool usage;
  absl::StatusOr<Item> item =
      ResolveItem(reader, options, options.operands[0], &usage);
  if (!item.ok()) {
    return Report(err, item.status(), usage ? kExitUsage : kExitFailure);
  }
  std::FILE* target = out;
  std::string target_name = "standard output";
  if (options.output) {
    target_name = *options.output;
    target = std::fopen(options.output->c_str(), "wb");
    if (target == nullptr) {
      return Report(err,
                    absl::UnavailableError(absl::StrFormat(
                        "%s: %s", target_name, std::strerror(errno))),
                    kExitFailure);
    }
  }
  absl::Status status = reader.ReadItem(
      item->key, item->size, [&](absl::Span<const uint8_t> chunk) {
        if (std::fwrite(chunk.data(), 1, chunk.size(), target) !=
            chunk.size()) {
          return absl::UnavailableError(absl::StrFormat(
              "writing %s: %s", target_name, std::strerror(errno)));
        }
        return absl::OkStatus();
      });
  if (status.ok() && std::fflush(target) != 0) {
    status = absl::UnavailableError(
        absl::StrFormat("writing %s: %s", target_name, std::strerror(errno)));
  }
  if (options.output) {
    struct stat info;
    const bool regular =
        fstat(fileno(target), &info) == 0 && S_ISREG(info.st_mode);
    if (std::fclose(target) != 0 && status.ok()) {
      status = absl::UnavailableError(
          absl::StrFormat("writing %s: %s", target_name, std::strerror(errno)));
    }
    // Leave no truncated copy behind that could pass for the item.
    if (!status.ok() && regular) unlink(options.output->c_str());
  }
  if (!status.ok()) {
    return Report(err, base::WithContext(status, item->label), kExitFailure);
  }
  return kExitOk;
}

int Verify(FwCfgReader& reader, const CliOptions& options, std::FILE* out,
           std::FILE* err) {
  const std::string& path = options.operands[1];
  std::FILE* host = std::fopen(path.c_str(), "rb");
  if (host == nullptr) {
    return Report(err,
                  absl::UnavailableError(
                      absl::StrFormat("%s: %s", path, std::strerror(errno))),
                  kExitFailure);
  }
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(host, &std::fclose);

  bool usage;
  absl::StatusOr<Item> item =
      ResolveItem(reader, options, options.operands[0], &usage);
  if (!item.ok()) {
    return Report(err, item.status(), usage ? kExitUsage : kExitFailure);
  }

  uint64_t compared = 0;  // bytes of the host file consumed so far
  std::optional<uint64_t> difference;
  std::vector<uint8_t> expected;
  absl::Status host_error;
  absl::Status status = reader.ReadItem(
      item->key, item->size, [&](absl::Span<const uint8_t> chunk) {
        expected.resize(chunk.size());
        const size_t got = std::fread(expected.data(), 1, chunk.size(), host);
        if (got < chunk.size() && std::ferror(host)) {
          host_error = absl::UnavailableError(
              absl::StrFormat("reading %s: %s", path, std::strerror(errno)));
          return absl::CancelledError("stop");
        }
        for (size_t i = 0; i < chunk.size(); ++i) {
          if (i >= got || expected[i] != chunk[i]) {
            difference = compared + i;
            compared += got;
            return absl::CancelledError("stop");  // the rest cannot matter
          }
        }
        compared += got;
        return absl::OkStatus();
      });
  if (!host_error.ok()) return Report(err, host_error, kExitFailure);
  if (!status.ok() && !difference) {
    return Report(err, base::WithContext(status, item->label), kExitFailure);
  }
  // The host file's size: what was compared plus whatever is left.
  uint64_t host_size = compared;
  char chunk[65536];
  while (size_t n = std::fread(chunk, 1, sizeof(chunk), host)) host_size += n;
  if (std::ferror(host)) {
    return Report(err,
                  absl::UnavailableError(absl::StrFormat("reading %s: %s", path,
                                                         std::strerror(errno))),
                  kExitFailure);
  }
  if (!difference && host_size != item->size) difference = item->size;
  if (!difference) {
    std::fprintf(out, "match\n");
    std::fflush(out);
    return kExitOk;
  }
  std::fputs(absl::StrFormat("differ: %s and %s first differ at offset %d "
                             "(0x%x); item %d bytes, file %d bytes\n",
                             Escaped(item->label), Escaped(path), *difference,
                             *difference, item->size, host_size)
                 .c_str(),
             out);
  std::fflush(out);
  return kExitFailure;
}

}  // namespace

std::string FwcfgUsage() {
  return absl::StrFormat(
      R"(Usage: fwcfg [TRANSPORT] [OPTIONS] list
       fwcfg [TRANSPORT] [OPTIONS] dump ITEM [-o FILE]
       fwcfg [TRANSPORT] [OPTIONS] verify ITEM FILE

Inspect a QEMU-compatible fw_cfg device: from the host through qtest (QEMU
or our vmm), or inside a Linux guest through /sys/firmware/qemu_fw_cfg.

Commands:
  list              print the file directory, sorted by key, one line per
                    file: KEY (0x%%04x), two spaces, SIZE (bytes, decimal,
                    right-aligned to the widest), two spaces, NAME
                    (non-printable bytes C-escaped), e.g.
                      0x0020      40  etc/e820
                      0x0021  131072  etc/acpi/tables
  dump ITEM         write the item's bytes to standard output, or to FILE
                    with -o FILE (removed again if the read fails)
  verify ITEM FILE  compare the item with a host file: prints "match" and
                    exits 0, or prints one "differ: ..." line with the first
                    differing offset and both sizes and exits 1

ITEM is a file name from the directory (etc/e820) or a key in hex (0x0000,
0x8003). A key that is not a directory file needs its size: --size N. Over
qtest, bytes past an item's end read as zeros, as a guest sees them.

Transports (one; the default is --sysfs):
  --io                  inside an x86 guest, as root: drive the fw_cfg ports
                        itself, `rep insb` from the data port (linear time;
                        sysfs needs size^2/8192 port reads)
  --dma                 the same with DMA requests into locked pages
                        (addresses from /proc/self/pagemap): one request per
                        physically contiguous run; needs the DMA feature
                        --io and --dma say why when they cannot work (not
                        root, kernel lockdown, no DMA, no page frame numbers
                        in pagemap) and fall back to --sysfs. They take an
                        exclusive lock (/run/fwcfg.lock or /tmp/fwcfg.lock)
                        against other fwcfg runs, but cannot lock out the
                        kernel's driver: do not read its sysfs files
                        meanwhile.
  --qtest unix:PATH     connect to a qtest server listening on PATH
                        (vmm --qtest unix:PATH,server, or QEMU with
                        -qtest unix:PATH,server=on,wait=off)
  --qtest listen:PATH   listen on PATH (which must not exist) and wait for
                        QEMU started with -qtest unix:PATH to connect
  --sysfs [DIR]         read the Linux guest driver's tree (default
                        %s); after the command word write --sysfs=DIR

qtest options:
  --layout x86|mmio[:BASE]
                        x86: ports 0x510 (selector), 0x511 (data), 0x514
                        (DMA), as on q35/i440fx (default); mmio: registers at
                        BASE (default 0x%08x, arm virt): data +0, selector
                        +8, DMA +16
  --dma-buffer ADDR     guest RAM the DMA path may overwrite: 16 bytes of
                        descriptor and up to %d KiB of data (default 0x%x on
                        x86, 0x%x on mmio)
  --no-dma              read through the data register even if the device
                        offers DMA (slow: one qtest command per 1 or 8 bytes)
  --timeout SECONDS     give up when the peer is silent this long, and bound
                        connect/accept waits (default %d)

Other options:
  --size N              bytes to read of a numbered key (dump and verify)
  --stats               after the command, print one line on standard error:
                        the reader, the seconds taken and (--io, --dma) the
                        register requests made (each at least one VM exit)
  -o, --output FILE     dump into FILE instead of standard output
  -h, --help            this text

Over qtest the tool changes the machine it inspects: the selected key and
its read offset, and (with DMA) the guest RAM at the DMA buffer. Nothing is
restored; run it on a stopped guest (QEMU -S) or one that does not mind.

Exit status: 0 success or match; 1 runtime failure (no device, no such
item, socket error, FAIL reply, timeout) or mismatch; 2 usage error. Every
error is one line "fwcfg: ..." on standard error.
)",
      kDefaultSysfsDir, fw_cfg::kArmVirtMmioBase, kDmaChunk >> 10,
      kDefaultX86DmaBuffer, kDefaultMmioDmaBuffer, kDefaultTimeoutMs / 1000);
}

int RunFwcfg(const std::vector<std::string>& args, std::FILE* out,
             std::FILE* err) {
  std::unique_ptr<GuestPlatform> platform = LinuxGuestPlatform();
  return RunFwcfg(args, out, err, *platform);
}

int RunFwcfg(const std::vector<std::string>& args, std::FILE* out,
             std::FILE* err, GuestPlatform& platform) {
  absl::StatusOr<CliOptions> options = ParseArgs(args);
  if (!options.ok()) return Report(err, options.status(), kExitUsage);
  if (options->help) {
    std::fputs(FwcfgUsage().c_str(), out);
    std::fflush(out);
    return kExitOk;
  }
  absl::StatusOr<std::unique_ptr<FwCfgReader>> reader =
      OpenReader(*options, platform, err);
  if (!reader.ok()) {
    const bool usage =
        reader.status().code() == absl::StatusCode::kInvalidArgument;
    return Report(err, reader.status(), usage ? kExitUsage : kExitFailure);
  }
  const auto start = std::chrono::steady_clock::now();
  const int status = options->command == "list" ? List(**reader, out, err)
                     : options->command == "dump"
                         ? Dump(**reader, *options, out, err)
                         : Verify(**reader, *options, out, err);
  if (options->stats) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    const auto* guest = dynamic_cast<const GuestReader*>(reader->get());
    std::fprintf(
        err, "fwcfg: stats: reader=\"%s\" seconds=%.3f requests=%s\n",
        (*reader)->Describe().c_str(), seconds,
        guest ? absl::StrFormat("%d", guest->requests()).c_str() : "-");
  }
  return status;
}

}  // namespace fwcfg
