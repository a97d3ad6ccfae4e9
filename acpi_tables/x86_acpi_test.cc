#include "acpi_tables/x86_acpi.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader.h"
#include "acpi_tables/bios_linker_loader_testing.h"
#include "acpi_tables/test_bytes.h"
#include "acpi_tables/x86_acpi_firmware.h"
#include "base/status_macros.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acpi_tables {
namespace {

using ::acpi_tables::LinkerAddChecksum;
using ::acpi_tables::LinkerAddPointer;
using ::acpi_tables::LinkerAllocate;
using ::acpi_tables::LinkerCommand;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using test_bytes::Bytes;
using test_bytes::Sum;
using test_bytes::TextAt;
using test_bytes::U16At;
using test_bytes::U32At;
using test_bytes::U64At;

constexpr char kTables[] = "etc/acpi/tables";
constexpr char kRsdp[] = "etc/acpi/rsdp";

// The default DSDT's AML, assembled by hand from this ASL (iasl 20200925
// compiles it to the same bytes):
//
//   Scope (\_SB) {
//       Device (COM1) {
//           Name (_HID, EisaId ("PNP0501"))
//           Name (_UID, Zero)
//           Name (_CRS, ResourceTemplate () {
//               IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, )
//               IRQNoFlags () {4}
//           })
//       }
//       Device (FWCF) {
//           Name (_HID, "QEMU0002")
//           Name (_STA, 0x0B)
//           Name (_CRS, ResourceTemplate () {
//               IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C, )
//           })
//       }
//   }
//   Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })
const Bytes kScopeHead = {0x10, 0x44, 0x06, 0x5c, '_', 'S', 'B', '_'};
const Bytes kCom1 = {
    0x5b, 0x82, 0x2b, 'C',  'O',  'M',  '1',                     //
    0x08, '_',  'H',  'I',  'D',  0x0c, 0x41, 0xd0, 0x05, 0x01,  //
    0x08, '_',  'U',  'I',  'D',  0x00,                          //
    0x08, '_',  'C',  'R',  'S',  0x11, 0x10, 0x0a, 0x0d,        //
    0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,              //
    0x22, 0x10, 0x00, 0x79, 0x00,                                //
};
const Bytes kFwcf = {
    0x5b, 0x82, 0x2e, 'F',  'W',  'C',  'F',  //
    0x08, '_',  'H',  'I',  'D',  0x0d, 'Q',  'E',  'M',  'U',
    '0',  '0',  '0',  '2',
    0x00,                                                        //
    0x08, '_',  'S',  'T',  'A',  0x0a, 0x0b,                    //
    0x08, '_',  'C',  'R',  'S',  0x11, 0x0d, 0x0a, 0x0a,        //
    0x47, 0x01, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c, 0x79, 0x00,  //
};
const Bytes kS5 = {0x08, '_',  'S',  '5',  '_',  0x12,
                   0x06, 0x04, 0x00, 0x00, 0x00, 0x00};

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes Body(const Bytes& table) {
  return Bytes(table.begin() + 36, table.end());
}

// Both forms of the tables, to compare one with the other.
struct BothForms {
  std::vector<AcpiGuestBlob> direct_boot;
  AcpiFirmwareFiles fw_cfg;
};

absl::StatusOr<BothForms> BuildBoth(const X86AcpiConfig& config) {
  BothForms both;
  ASSIGN_OR_RETURN(both.direct_boot, BuildX86AcpiTables(config));
  ASSIGN_OR_RETURN(both.fw_cfg, BuildX86AcpiFirmwareFiles(config));
  return both;
}

TEST(X86DsdtTest, DefaultMachineBytes) {
  absl::StatusOr<Bytes> dsdt = BuildX86Dsdt({});
  ASSERT_TRUE(dsdt.ok()) << dsdt.status();
  EXPECT_EQ(TextAt(*dsdt, 0, 4), "DSDT");
  EXPECT_EQ(U32At(*dsdt, 4), dsdt->size());
  EXPECT_EQ((*dsdt)[8], 2);
  EXPECT_EQ(Sum(*dsdt, 0, dsdt->size()), 0);
  EXPECT_THAT(Body(*dsdt),
              ElementsAreArray(Concat({kScopeHead, kCom1, kFwcf, kS5})));
}

TEST(X86DsdtTest, WithoutFwCfgOrCom1) {
  absl::StatusOr<Bytes> no_fw_cfg = BuildX86Dsdt({.fw_cfg = std::nullopt});
  ASSERT_TRUE(no_fw_cfg.ok()) << no_fw_cfg.status();
  // Scope payload 5 + 45 = 50 -> PkgLength 51 = 0x33.
  EXPECT_THAT(Body(*no_fw_cfg),
              ElementsAreArray(Concat(
                  {{0x10, 0x33, 0x5c, '_', 'S', 'B', '_'}, kCom1, kS5})));

  absl::StatusOr<Bytes> no_com1 = BuildX86Dsdt({.com1 = false});
  ASSERT_TRUE(no_com1.ok()) << no_com1.status();
  // Scope payload 5 + 48 = 53 -> PkgLength 54 = 0x36.
  EXPECT_THAT(Body(*no_com1),
              ElementsAreArray(Concat(
                  {{0x10, 0x36, 0x5c, '_', 'S', 'B', '_'}, kFwcf, kS5})));
}

// With the keyboard controller and the RTC (the VMM's x86 machine), from
//   Device (KBD) {
//       Name (_HID, EisaId ("PNP0303"))
//       Name (_STA, 0x0F)
//       Name (_CRS, ResourceTemplate () {
//           IO (Decode16, 0x0060, 0x0060, 0x01, 0x01, )
//           IO (Decode16, 0x0064, 0x0064, 0x01, 0x01, )
//           IRQNoFlags () {1}
//       })
//   }
//   Device (RTC) {
//       Name (_HID, EisaId ("PNP0B00"))
//       Name (_CRS, ResourceTemplate () {
//           IO (Decode16, 0x0070, 0x0070, 0x01, 0x08, )
//           IRQNoFlags () {8}
//       })
//   }
TEST(X86DsdtTest, KeyboardControllerAndRtc) {
  const Bytes kbd = {
      0x5b, 0x82, 0x34, 'K',  'B',  'D',  '_',                     //
      0x08, '_',  'H',  'I',  'D',  0x0c, 0x41, 0xd0, 0x03, 0x03,  //
      0x08, '_',  'S',  'T',  'A',  0x0a, 0x0f,                    //
      0x08, '_',  'C',  'R',  'S',  0x11, 0x18, 0x0a, 0x15,        //
      0x47, 0x01, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01,              //
      0x47, 0x01, 0x64, 0x00, 0x64, 0x00, 0x01, 0x01,              //
      0x22, 0x02, 0x00, 0x79, 0x00,                                //
  };
  const Bytes rtc = {
      0x5b, 0x82, 0x25, 'R',  'T',  'C',  '_',                     //
      0x08, '_',  'H',  'I',  'D',  0x0c, 0x41, 0xd0, 0x0b, 0x00,  //
      0x08, '_',  'C',  'R',  'S',  0x11, 0x10, 0x0a, 0x0d,        //
      0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x08,              //
      0x22, 0x00, 0x01, 0x79, 0x00,                                //
  };
  absl::StatusOr<Bytes> dsdt = BuildX86Dsdt(
      {.fw_cfg = std::nullopt, .com1 = false, .cmos_rtc = true, .i8042 = true});
  ASSERT_TRUE(dsdt.ok()) << dsdt.status();
  // Scope payload 5 + 54 + 39 = 98 -> PkgLength 100 (two bytes): 0x44 0x06.
  EXPECT_THAT(
      Body(*dsdt),
      ElementsAreArray(Concat(
          {{0x10, 0x44, 0x06, 0x5c, '_', 'S', 'B', '_'}, kbd, rtc, kS5})));
}

TEST(X86DsdtTest, FwCfgWithoutDmaAndOtherBase) {
  absl::StatusOr<Bytes> dsdt = BuildX86Dsdt(
      {.fw_cfg = FwCfgPortRange{.base = 0x1510, .size = 0x02}, .com1 = false});
  ASSERT_TRUE(dsdt.ok()) << dsdt.status();
  Bytes fwcf = kFwcf;
  // IO (Decode16, 0x1510, 0x1510, 0x01, 0x02, )
  const size_t io = fwcf.size() - 10;
  fwcf[io + 3] = 0x15;
  fwcf[io + 5] = 0x15;
  fwcf[io + 7] = 0x02;
  EXPECT_THAT(Body(*dsdt),
              ElementsAreArray(
                  Concat({{0x10, 0x36, 0x5c, '_', 'S', 'B', '_'}, fwcf, kS5})));
}

// The registers on the MMIO bus instead of the ports: Memory32Fixed
// (ReadWrite, base, 0x0c) in the node's _CRS, and no IO descriptor.
TEST(X86DsdtTest, FwCfgOnMmio) {
  absl::StatusOr<Bytes> dsdt =
      BuildX86Dsdt({.fw_cfg_mmio_base = 0xfe000000, .com1 = false});
  ASSERT_TRUE(dsdt.ok()) << dsdt.status();
  const Bytes memory32 = {0x86, 0x09, 0x00, 0x01, 0x00, 0x00,
                          0x00, 0xfe, 0x0c, 0x00, 0x00, 0x00};
  EXPECT_NE(
      std::search(dsdt->begin(), dsdt->end(), memory32.begin(), memory32.end()),
      dsdt->end());
  const Bytes io = {0x47, 0x01, 0x10, 0x05};
  EXPECT_EQ(std::search(dsdt->begin(), dsdt->end(), io.begin(), io.end()),
            dsdt->end());
  EXPECT_EQ(
      BuildX86AcpiTables({.fw_cfg_mmio_base = 0xfffffff8}).status().code(),
      absl::StatusCode::kInvalidArgument);
  // The ports may then overlap others: they are not used.
  EXPECT_TRUE(BuildX86AcpiTables({.fw_cfg = FwCfgPortRange{.base = 0x605},
                                  .fw_cfg_mmio_base = 0xfe000000})
                  .ok());
}

// A guest memory made of the blobs written into it.
class FakeMemory {
 public:
  void Put(uint64_t address, const Bytes& bytes) {
    for (const auto& [at, blob] : blobs_) {
      ASSERT_TRUE(address + bytes.size() <= at || at + blob.size() <= address)
          << "blob at 0x" << std::hex << address << " overlaps one at 0x" << at;
    }
    blobs_[address] = bytes;
  }
  // The `size` bytes at `address`, which must lie in one blob.
  Bytes Read(uint64_t address, size_t size) const {
    auto it = blobs_.upper_bound(address);
    if (it == blobs_.begin()) {
      ADD_FAILURE() << "nothing at 0x" << std::hex << address;
      return Bytes(size, 0);
    }
    --it;
    const uint64_t offset = address - it->first;
    if (offset + size > it->second.size()) {
      ADD_FAILURE() << "0x" << std::hex << address << "+0x" << size
                    << " leaves the blob at 0x" << it->first;
      return Bytes(size, 0);
    }
    return Bytes(
        it->second.begin() + static_cast<std::ptrdiff_t>(offset),
        it->second.begin() + static_cast<std::ptrdiff_t>(offset + size));
  }

 private:
  std::map<uint64_t, Bytes> blobs_;
};

// A table (with the common header) at `address`, checked for its signature,
// its length and its checksum.
Bytes ReadTable(const FakeMemory& memory, uint64_t address,
                const std::string& signature) {
  const Bytes header = memory.Read(address, 36);
  EXPECT_EQ(TextAt(header, 0, 4), signature) << "at 0x" << std::hex << address;
  const Bytes table = memory.Read(address, U32At(header, 4));
  EXPECT_EQ(Sum(table, 0, table.size()), 0) << signature << " checksum";
  return table;
}

// Follows every pointer from the RSDP at `rsdp_address` as a guest would and
// checks every table on the way; returns the tables by signature.
std::map<std::string, Bytes> WalkTables(const FakeMemory& memory,
                                        uint64_t rsdp_address,
                                        uint32_t num_vcpus) {
  std::map<std::string, Bytes> found;
  EXPECT_EQ(rsdp_address % 16, 0u);
  const Bytes rsdp = memory.Read(rsdp_address, 36);
  found["RSDP"] = rsdp;
  EXPECT_EQ(TextAt(rsdp, 0, 8), "RSD PTR ");
  EXPECT_EQ(rsdp[15], 2);
  EXPECT_EQ(U32At(rsdp, 20), 36u);
  EXPECT_EQ(Sum(rsdp, 0, 20), 0) << "RSDP checksum";
  EXPECT_EQ(Sum(rsdp, 0, 36), 0) << "RSDP extended checksum";

  const Bytes xsdt = ReadTable(memory, U64At(rsdp, 24), "XSDT");
  found["XSDT"] = xsdt;
  EXPECT_EQ(xsdt.size(), 36u + 2 * 8);
  for (size_t at = 36; at + 8 <= xsdt.size(); at += 8) {
    const uint64_t address = U64At(xsdt, at);
    const std::string signature = TextAt(memory.Read(address, 4), 0, 4);
    found[signature] = ReadTable(memory, address, signature);
  }
  EXPECT_EQ(found.count("FACP"), 1u);
  EXPECT_EQ(found.count("APIC"), 1u);
  if (found.count("FACP") == 0 || found.count("APIC") == 0) return found;

  const Bytes& fadt = found["FACP"];
  EXPECT_EQ(fadt.size(), 276u);
  EXPECT_EQ(fadt[8], 6);
  EXPECT_EQ(U64At(fadt, 140), U32At(fadt, 40)) << "X_DSDT != DSDT";
  found["DSDT"] = ReadTable(memory, U64At(fadt, 140), "DSDT");
  const uint64_t facs_address = U32At(fadt, 36);
  EXPECT_EQ(facs_address % 64, 0u) << "FACS alignment";
  const Bytes facs = memory.Read(facs_address, 64);
  EXPECT_EQ(TextAt(facs, 0, 4), "FACS");
  EXPECT_EQ(U32At(facs, 4), 64u);
  found["FACS"] = facs;

  const Bytes& madt = found["APIC"];
  uint32_t lapics = 0;
  size_t at = 44;
  while (at + 2 <= madt.size()) {
    EXPECT_GE(madt[at + 1], 2);
    if (madt[at] == 0) {
      EXPECT_EQ(madt[at + 2], lapics);     // UID
      EXPECT_EQ(madt[at + 3], lapics);     // APIC ID
      EXPECT_EQ(U32At(madt, at + 4), 1u);  // enabled
      ++lapics;
    }
    at += std::max<size_t>(madt[at + 1], 2);
  }
  EXPECT_EQ(at, madt.size());
  EXPECT_EQ(lapics, num_vcpus);
  return found;
}

FakeMemory DirectBootMemory(const BothForms& tables) {
  FakeMemory memory;
  for (const AcpiGuestBlob& blob : tables.direct_boot) {
    memory.Put(blob.address, blob.bytes);
  }
  return memory;
}

TEST(X86AcpiTest, DirectBootPlacementAndPointers) {
  absl::StatusOr<BothForms> tables = BuildBoth({.num_vcpus = 2});
  ASSERT_TRUE(tables.ok()) << tables.status();
  std::vector<std::string> names;
  for (const AcpiGuestBlob& blob : tables->direct_boot) {
    names.push_back(blob.name);
  }
  EXPECT_THAT(names,
              ElementsAre("RSDP", "FACS", "DSDT", "FACP", "APIC", "XSDT"));
  const auto& blobs = tables->direct_boot;
  EXPECT_EQ(blobs[0].address, 0xe0000u);
  EXPECT_EQ(blobs[1].address, 0xe1000u);
  EXPECT_EQ(blobs[2].address, 0xe1040u);
  // DSDT: 36 + 113 bytes; each table starts 8-byte aligned.
  EXPECT_EQ(blobs[2].bytes.size(), 149u);
  EXPECT_EQ(blobs[3].address, 0xe1040u + 152);
  for (const AcpiGuestBlob& blob : blobs) {
    EXPECT_EQ(blob.address % 8, 0u) << blob.name;
  }
  // Everything stays in the BIOS area below 0xf0000.
  const AcpiGuestBlob& last = blobs.back();
  EXPECT_LT(last.address + last.bytes.size(), 0xf0000u);

  const FakeMemory memory = DirectBootMemory(*tables);
  std::map<std::string, Bytes> found = WalkTables(memory, 0xe0000, 2);
  for (const AcpiGuestBlob& blob : blobs) {
    EXPECT_EQ(found[blob.name], blob.bytes) << blob.name;
  }
}

TEST(X86AcpiTest, FadtAndMadtDescribeThePc) {
  absl::StatusOr<BothForms> tables = BuildBoth({});
  ASSERT_TRUE(tables.ok()) << tables.status();
  const Bytes& fadt = tables->direct_boot[3].bytes;
  ASSERT_EQ(TextAt(fadt, 0, 4), "FACP");
  EXPECT_EQ(U16At(fadt, 46), 9u);                // SCI_INT
  EXPECT_EQ(U32At(fadt, 48), 0u);                // no SMI_CMD
  EXPECT_EQ(U32At(fadt, 56), 0x600u);            // PM1a_EVT_BLK
  EXPECT_EQ(U32At(fadt, 64), 0x604u);            // PM1a_CNT_BLK
  EXPECT_EQ(U32At(fadt, 76), 0u);                // no PM timer
  EXPECT_EQ(U32At(fadt, 112) & (1u << 20), 0u);  // not HW_REDUCED_ACPI
  EXPECT_EQ(U32At(fadt, 112), 0x35u);
  // LEGACY_DEVICES | 8042 | VGA Not Present | CMOS RTC Not Present.
  EXPECT_EQ(U16At(fadt, 109), 0x27u);

  const Bytes& madt = tables->direct_boot[4].bytes;
  ASSERT_EQ(TextAt(madt, 0, 4), "APIC");
  EXPECT_EQ(U32At(madt, 36), 0xfee00000u);
  EXPECT_EQ(U32At(madt, 40), 1u);  // PCAT_COMPAT
  // One local APIC, the I/O APIC, IRQ0 -> GSI2, IRQ9 level/high.
  const Bytes expected = {
      0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,                    //
      0x01, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00,  //
      0x00,                                                              //
      0x02, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,        //
      0x02, 0x0a, 0x00, 0x09, 0x09, 0x00, 0x00, 0x00, 0x0d, 0x00,        //
  };
  EXPECT_THAT(Bytes(madt.begin() + 44, madt.end()), ElementsAreArray(expected));

  absl::StatusOr<BothForms> with_rtc = BuildBoth({.cmos_rtc = true});
  ASSERT_TRUE(with_rtc.ok());
  EXPECT_EQ(U16At(with_rtc->direct_boot[3].bytes, 109), 0x07u);
}

TEST(X86AcpiTest, MaximumVcpus) {
  absl::StatusOr<BothForms> tables = BuildBoth({.num_vcpus = 255});
  ASSERT_TRUE(tables.ok()) << tables.status();
  WalkTables(DirectBootMemory(*tables), 0xe0000, 255);
  // The size x86_acpi.h documents.
  EXPECT_EQ(tables->fw_cfg.tables.size(), 0xa6cu);
  EXPECT_EQ(BuildX86AcpiTables({.num_vcpus = 256}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildX86AcpiTables({.num_vcpus = 0}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(X86AcpiTest, OtherPlacement) {
  absl::StatusOr<BothForms> tables =
      BuildBoth({.rsdp_address = 0xf0010, .tables_address = 0x7ff0000});
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_EQ(tables->direct_boot[0].address, 0xf0010u);
  EXPECT_EQ(tables->direct_boot[1].address, 0x7ff0000u);
  EXPECT_EQ(tables->fw_cfg.tables.size(), 0x27cu);  // as x86_acpi.h says
  std::map<std::string, Bytes> found =
      WalkTables(DirectBootMemory(*tables), 0xf0010, 1);
  EXPECT_EQ(U64At(found["RSDP"], 24), tables->direct_boot[5].address);
}

TEST(X86AcpiTest, RejectsBadPlacement) {
  const auto code = [](const X86AcpiConfig& config) {
    return BuildX86AcpiTables(config).status().code();
  };
  EXPECT_EQ(code({.tables_address = 0}), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.tables_address = 0xe1008}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.rsdp_address = 0xe0008}),
            absl::StatusCode::kInvalidArgument);
  // Overlaps: the RSDP inside the tables, or just before their start.
  EXPECT_EQ(code({.rsdp_address = 0xe1100}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.rsdp_address = 0xe0ff0}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(BuildX86AcpiTables({.rsdp_address = 0xe0fd0}).ok());
  // The FADT's 32-bit pointers need the tables below 4 GiB.
  const absl::Status high =
      BuildX86AcpiTables({.tables_address = 0xffffff00}).status();
  EXPECT_EQ(high.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(high.message(), HasSubstr("4 GiB"));
  EXPECT_EQ(code({.tables_address = 0xffffffffffffffc0}),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.rsdp_address = 0xfffffffffffffff0}),
            absl::StatusCode::kInvalidArgument);
}

TEST(X86AcpiTest, RejectsPortConflicts) {
  const auto error = [](const X86AcpiConfig& config) {
    return BuildX86AcpiTables(config).status();
  };
  EXPECT_THAT(error({.pm_io_base = 0x3f6}).message(), HasSubstr("COM1"));
  EXPECT_TRUE(BuildX86AcpiTables({.com1 = false, .pm_io_base = 0x3f6}).ok());
  EXPECT_THAT(error({.fw_cfg = FwCfgPortRange{.base = 0x605}}).message(),
              HasSubstr("PM1"));
  EXPECT_EQ(error({.fw_cfg = FwCfgPortRange{.size = 1}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error({.fw_cfg = FwCfgPortRange{.base = 0xfffc, .size = 8}}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error({.pm_io_base = 0xfffc}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(error({.pm_io_base = 0}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BuildX86Dsdt({.pm_io_base = 0x3f8}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// --- The fw_cfg files
// ---------------------------------------------------------

TEST(X86AcpiFwCfgTest, BlobsHoldOffsetsAndZeroChecksums) {
  absl::StatusOr<BothForms> tables = BuildBoth({.num_vcpus = 2});
  ASSERT_TRUE(tables.ok()) << tables.status();
  const Bytes& blob = tables->fw_cfg.tables;
  const Bytes& rsdp = tables->fw_cfg.rsdp;
  ASSERT_EQ(rsdp.size(), 36u);
  EXPECT_EQ(TextAt(rsdp, 0, 8), "RSD PTR ");
  // Checksum bytes are left 0 for firmware (OVMF stores the range's sum).
  EXPECT_EQ(rsdp[8], 0);
  EXPECT_EQ(rsdp[32], 0);

  // Pointers hold offsets into etc/acpi/tables; follow them.
  const uint64_t xsdt = U64At(rsdp, 24);
  ASSERT_LT(xsdt + 36, blob.size());
  EXPECT_EQ(TextAt(blob, xsdt, 4), "XSDT");
  const uint64_t fadt = U64At(blob, xsdt + 36);
  const uint64_t madt = U64At(blob, xsdt + 44);
  EXPECT_EQ(TextAt(blob, fadt, 4), "FACP");
  EXPECT_EQ(TextAt(blob, madt, 4), "APIC");
  EXPECT_EQ(U32At(blob, fadt + 36), 0u);  // FACS at offset 0
  EXPECT_EQ(TextAt(blob, 0, 4), "FACS");
  const uint32_t dsdt = U32At(blob, fadt + 40);
  EXPECT_EQ(U64At(blob, fadt + 140), dsdt);
  EXPECT_EQ(TextAt(blob, dsdt, 4), "DSDT");
  for (const uint64_t table : {uint64_t{dsdt}, fadt, madt, xsdt}) {
    EXPECT_EQ(blob[table + 9], 0) << TextAt(blob, table, 4) << " checksum";
  }

  // Same layout as the direct-boot tables, which sit at tables_address.
  for (size_t i = 1; i < tables->direct_boot.size(); ++i) {
    const AcpiGuestBlob& table = tables->direct_boot[i];
    const uint64_t offset = table.address - 0xe1000;
    EXPECT_EQ(TextAt(blob, offset, 4), TextAt(table.bytes, 0, 4));
    EXPECT_EQ(U32At(blob, offset + 4),
              table.name == "FACS" ? 64u : table.bytes.size());
  }
  EXPECT_EQ(blob.size(), tables->direct_boot.back().address - 0xe1000 +
                             tables->direct_boot.back().bytes.size());
}

TEST(X86AcpiFwCfgTest, TableLoaderScript) {
  absl::StatusOr<BothForms> tables = BuildBoth({});
  ASSERT_TRUE(tables.ok()) << tables.status();
  EXPECT_EQ(tables->fw_cfg.table_loader.size(), 4096u);
  absl::StatusOr<std::vector<LinkerCommand>> commands =
      DecodeBiosLinkerLoader(tables->fw_cfg.table_loader);
  ASSERT_TRUE(commands.ok()) << commands.status();

  // Offsets in etc/acpi/tables, from the direct-boot layout.
  std::map<std::string, uint32_t> at;
  std::map<std::string, uint32_t> size;
  for (const AcpiGuestBlob& blob : tables->direct_boot) {
    at[blob.name] = static_cast<uint32_t>(blob.address - 0xe1000);
    size[blob.name] = static_cast<uint32_t>(blob.bytes.size());
  }
  const auto checksum = [&](const std::string& name) -> LinkerCommand {
    return LinkerAddChecksum{.file = kTables,
                             .offset = at[name] + 9,
                             .start = at[name],
                             .length = size[name]};
  };
  const auto pointer = [&](uint32_t offset, uint8_t bytes) -> LinkerCommand {
    return LinkerAddPointer{.dest_file = kTables,
                            .src_file = kTables,
                            .offset = offset,
                            .size = bytes};
  };
  const std::vector<LinkerCommand> expected = {
      // QEMU's order: the RSDP's ALLOCATE comes first.
      LinkerAllocate{.file = kRsdp, .align = 16, .zone = 2},
      LinkerAllocate{.file = kTables, .align = 64, .zone = 1},
      checksum("DSDT"),
      pointer(at["FACP"] + 36, 4),   // FIRMWARE_CTRL
      pointer(at["FACP"] + 40, 4),   // DSDT
      pointer(at["FACP"] + 140, 8),  // X_DSDT
      checksum("FACP"),
      checksum("APIC"),
      pointer(at["XSDT"] + 36, 8),
      pointer(at["XSDT"] + 44, 8),
      checksum("XSDT"),
      LinkerAddPointer{
          .dest_file = kRsdp, .src_file = kTables, .offset = 24, .size = 8},
      LinkerAddChecksum{.file = kRsdp, .offset = 8, .start = 0, .length = 20},
      LinkerAddChecksum{.file = kRsdp, .offset = 32, .start = 0, .length = 36},
  };
  EXPECT_EQ(*commands, expected);
}

// Runs etc/table-loader over the fw_cfg files as SeaBIOS/OVMF would and
// returns the guest memory it leaves.
FakeMemory RunLoader(const BothForms& tables, const LinkerAllocator& allocator,
                     uint64_t* rsdp_address) {
  FakeMemory memory;
  absl::StatusOr<std::vector<LinkerCommand>> commands =
      DecodeBiosLinkerLoader(tables.fw_cfg.table_loader);
  EXPECT_TRUE(commands.ok()) << commands.status();
  if (!commands.ok()) return memory;
  LinkerFiles files;
  files[kTables] = tables.fw_cfg.tables;
  files[kRsdp] = tables.fw_cfg.rsdp;
  absl::StatusOr<LinkerExecution> execution =
      ExecuteBiosLinkerLoader(*commands, &files, allocator);
  EXPECT_TRUE(execution.ok()) << execution.status();
  if (!execution.ok()) return memory;
  EXPECT_TRUE(execution->written_pointers.empty());
  for (const auto& [name, address] : execution->addresses) {
    memory.Put(address, files[name]);
  }
  *rsdp_address = execution->addresses[kRsdp];
  return memory;
}

TEST(X86AcpiFwCfgTest, LoaderResultPassesEveryPointerAndChecksum) {
  for (const uint32_t vcpus : {1u, 4u, 255u}) {
    absl::StatusOr<BothForms> tables = BuildBoth({.num_vcpus = vcpus});
    ASSERT_TRUE(tables.ok()) << tables.status();
    // SeaBIOS-like placement: tables from 1 MiB, the RSDP in the F segment.
    uint64_t rsdp_address = 0;
    const FakeMemory memory =
        RunLoader(*tables, BumpLinkerAllocator(), &rsdp_address);
    EXPECT_GE(rsdp_address, 0xf0000u);
    EXPECT_LT(rsdp_address, 0x100000u);
    WalkTables(memory, rsdp_address, vcpus);
  }
}

TEST(X86AcpiFwCfgTest, LoaderAtDirectBootAddressesGivesTheSameBytes) {
  const X86AcpiConfig config = {.num_vcpus = 3};
  absl::StatusOr<BothForms> tables = BuildBoth(config);
  ASSERT_TRUE(tables.ok()) << tables.status();
  const LinkerAllocator at_direct_boot_addresses =
      [&](const LinkerAllocate& command, uint64_t) -> absl::StatusOr<uint64_t> {
    return command.file == kRsdp ? config.rsdp_address : config.tables_address;
  };
  uint64_t rsdp_address = 0;
  const FakeMemory memory =
      RunLoader(*tables, at_direct_boot_addresses, &rsdp_address);
  EXPECT_EQ(rsdp_address, config.rsdp_address);
  for (const AcpiGuestBlob& blob : tables->direct_boot) {
    EXPECT_EQ(memory.Read(blob.address, blob.bytes.size()), blob.bytes)
        << blob.name;
  }
}

}  // namespace
}  // namespace acpi_tables
