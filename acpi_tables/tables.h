// ACPI tables (ACPI 6.3 layouts): a generic System Description Table builder
// and the RSDP, XSDT, FACS, FADT, MADT and DSDT, mirroring rust-vmm's
// acpi_tables crate. Every multi-byte field is little-endian and written with
// base/byte_order.h; no struct is ever laid over the bytes.
//
// Builders that take guest addresses write them as given: the caller passes
// final addresses (a VMM that loads the tables itself) or offsets within a
// blob that firmware relocates (see x86_acpi.h and the BIOS linker/loader).
// Every table comes back with its checksum(s) final for the bytes written.
//
//   ASSIGN_OR_RETURN(std::vector<uint8_t> dsdt, BuildDsdt(body));
//   ASSIGN_OR_RETURN(std::vector<uint8_t> xsdt, BuildXsdt({fadt_at, madt_at}));
//   std::vector<uint8_t> rsdp = BuildRsdp(xsdt_at);

#ifndef ACPI_TABLES_TABLES_H_
#define ACPI_TABLES_TABLES_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "acpi_tables/aml.h"

namespace acpi_tables {

// Identification in every table header (and the RSDP's OEM ID).
inline constexpr char kOemId[] = "FWCVMM";    // 6 characters
inline constexpr char kCreatorId[] = "FWCV";  // 4 characters
inline constexpr uint32_t kOemRevision = 1;
inline constexpr uint32_t kCreatorRevision = 1;

// The byte that makes `bytes` sum to 0 mod 256 when added to them.
uint8_t ChecksumByte(absl::Span<const uint8_t> bytes);

// --- The System Description Table header (ACPI 6.3, 5.2.6) -------------------
//
//   0 Signature[4]  4 Length u32  8 Revision u8  9 Checksum u8
//  10 OEMID[6]     16 OEM Table ID[8]  24 OEM Revision u32
//  28 Creator ID[4]  32 Creator Revision u32  36 table-specific data
inline constexpr size_t kSdtHeaderSize = 36;
inline constexpr size_t kSdtLengthOffset = 4;
inline constexpr size_t kSdtRevisionOffset = 8;
inline constexpr size_t kSdtChecksumOffset = 9;
inline constexpr size_t kSdtOemIdOffset = 10;
inline constexpr size_t kSdtOemTableIdOffset = 16;

// A table under construction: the header, then whatever is appended.
// Finish() stores the length and the checksum that makes the whole table sum
// to 0 mod 256.
class Sdt {
 public:
  // `signature`: exactly 4 printable ASCII characters; `oem_table_id`: at
  // most 8, padded with spaces.
  static absl::StatusOr<Sdt> Create(absl::string_view signature,
                                    uint8_t revision,
                                    absl::string_view oem_table_id);

  size_t size() const { return bytes_.size(); }
  void Append(absl::Span<const uint8_t> bytes);
  void AppendU8(uint8_t value);
  void AppendLe16(uint16_t value);
  void AppendLe32(uint32_t value);
  void AppendLe64(uint64_t value);
  void AppendZeros(size_t count);

  // The table with its length and checksum; fails past 4 GiB.
  absl::StatusOr<std::vector<uint8_t>> Finish() &&;

 private:
  Sdt() = default;
  std::vector<uint8_t> bytes_;
};

// --- RSDP (ACPI 6.3, 5.2.5.3): revision 2, 36 bytes --------------------------
//
//   0 "RSD PTR "  8 Checksum (bytes 0-19)  9 OEMID[6]  15 Revision = 2
//  16 RsdtAddress u32 = 0 (no RSDT)  20 Length u32 = 36
//  24 XsdtAddress u64  32 Extended Checksum (bytes 0-35)  33 Reserved[3]
inline constexpr size_t kRsdpSize = 36;
inline constexpr size_t kRsdpChecksumOffset = 8;
inline constexpr size_t kRsdpChecksumLength = 20;
inline constexpr size_t kRsdpRsdtAddressOffset = 16;
inline constexpr size_t kRsdpXsdtAddressOffset = 24;
inline constexpr size_t kRsdpExtendedChecksumOffset = 32;
// Where it must lie in guest memory: 16-byte aligned (Linux scans
// 0xe0000-0xfffff and the EBDA on 16-byte boundaries).
inline constexpr uint64_t kRsdpAlignment = 16;

std::vector<uint8_t> BuildRsdp(uint64_t xsdt_address);

// --- XSDT (ACPI 6.3, 5.2.8): revision 1, one u64 per table -------------------
inline constexpr size_t kXsdtEntriesOffset = kSdtHeaderSize;

absl::StatusOr<std::vector<uint8_t>> BuildXsdt(
    absl::Span<const uint64_t> table_addresses);

// --- FACS (ACPI 6.3, 5.2.10): 64 bytes, version 2, no checksum ---------------
//
// It holds the Global Lock that Linux's fw_cfg driver takes around every
// access; firmware (or the VMM) places it 64-byte aligned.
inline constexpr size_t kFacsSize = 64;
inline constexpr uint64_t kFacsAlignment = 64;

std::vector<uint8_t> BuildFacs();

// --- DSDT (ACPI 6.3, 5.2.11.1): revision 2 (64-bit AML integers) -------------

absl::StatusOr<std::vector<uint8_t>> BuildDsdt(const AmlObject& body);

// --- FADT (ACPI 6.3, 5.2.9): revision 6, minor version 3, 276 bytes ----------
inline constexpr size_t kFadtSize = 276;
inline constexpr uint8_t kFadtRevision = 6;
inline constexpr uint8_t kFadtMinorVersion = 3;
inline constexpr size_t kFadtFirmwareCtrlOffset = 36;    // u32 -> FACS
inline constexpr size_t kFadtDsdtOffset = 40;            // u32 -> DSDT
inline constexpr size_t kFadtSciIntOffset = 46;          // u16
inline constexpr size_t kFadtPm1aEvtBlkOffset = 56;      // u32 port
inline constexpr size_t kFadtPm1aCntBlkOffset = 64;      // u32 port
inline constexpr size_t kFadtIapcBootArchOffset = 109;   // u16
inline constexpr size_t kFadtFlagsOffset = 112;          // u32
inline constexpr size_t kFadtMinorVersionOffset = 131;   // u8
inline constexpr size_t kFadtXFirmwareCtrlOffset = 132;  // u64, left 0
inline constexpr size_t kFadtXDsdtOffset = 140;          // u64 -> DSDT
inline constexpr size_t kFadtXPm1aEvtBlkOffset = 148;    // GAS
inline constexpr size_t kFadtXPm1aCntBlkOffset = 172;    // GAS

// FADT Fixed Feature Flags.
inline constexpr uint32_t kFadtWbinvd = 1u << 0;
inline constexpr uint32_t kFadtProcC1 = 1u << 2;
inline constexpr uint32_t kFadtPowerButton = 1u << 4;  // 1: no fixed button
inline constexpr uint32_t kFadtSleepButton = 1u << 5;  // 1: no fixed button
inline constexpr uint32_t kFadtResetRegSup = 1u << 10;
inline constexpr uint32_t kFadtHwReducedAcpi = 1u << 20;

// IA-PC Boot Architecture Flags.
inline constexpr uint16_t kIapcLegacyDevices = 1u << 0;
inline constexpr uint16_t kIapc8042 = 1u << 1;
inline constexpr uint16_t kIapcVgaNotPresent = 1u << 2;
inline constexpr uint16_t kIapcMsiNotSupported = 1u << 3;
inline constexpr uint16_t kIapcCmosRtcNotPresent = 1u << 5;

// The fields this builder sets; every other field is 0, except P_LVL2_LAT
// and P_LVL3_LAT, which are 0x0fff ("C2/C3 not supported", as QEMU sets).
struct FadtConfig {
  // FIRMWARE_CTRL, 32 bits (X_FIRMWARE_CTRL stays 0, as in QEMU); 0: none.
  uint64_t facs_address = 0;
  // DSDT (must fit 32 bits) and X_DSDT.
  uint64_t dsdt_address = 0;
  uint8_t preferred_pm_profile = 0;  // 0: unspecified
  uint16_t sci_interrupt = 0;
  // System I/O ports of the PM1a event block (4 bytes: PM1_STS, PM1_EN)
  // and the PM1a control block (2 bytes), in both the 32-bit fields and the
  // X_ Generic Address Structures. Required unless HW_REDUCED_ACPI is set.
  uint16_t pm1a_event_block = 0;
  uint16_t pm1a_control_block = 0;
  uint32_t flags = 0;
  uint16_t iapc_boot_arch = 0;
};

absl::StatusOr<std::vector<uint8_t>> BuildFadt(const FadtConfig& config);

// --- MADT (ACPI 6.3, 5.2.12): revision 5
// --------------------------------------
//
//  36 Local Interrupt Controller Address u32  40 Flags u32  44 structures:
//   type 0 Processor Local APIC (8 bytes), 1 I/O APIC (12 bytes),
//   2 Interrupt Source Override (10 bytes).
inline constexpr size_t kMadtStructuresOffset = 44;
inline constexpr uint32_t kMadtPcatCompat = 1u << 0;
inline constexpr uint32_t kDefaultLocalApicAddress = 0xfee00000;
inline constexpr uint32_t kDefaultIoApicAddress = 0xfec00000;

// MPS INTI flags of an Interrupt Source Override: 0 conforms
// to the bus (ISA: edge, active high).
inline constexpr uint16_t kMpsIntiConforms = 0x0;
inline constexpr uint16_t kMpsIntiActiveHigh = 0x1;
inline constexpr uint16_t kMpsIntiActiveLow = 0x3;
inline constexpr uint16_t kMpsIntiEdge = 0x1 << 2;
inline constexpr uint16_t kMpsIntiLevel = 0x3 << 2;

struct MadtLocalApic {
  uint8_t processor_uid = 0;
  uint8_t apic_id = 0;
  bool enabled = true;
};

struct MadtIoApic {
  uint8_t id = 0;
  uint32_t address = kDefaultIoApicAddress;
  uint32_t gsi_base = 0;
};

// An ISA (bus 0) IRQ routed to `gsi` with `flags` (kMpsInti*).
struct MadtInterruptOverride {
  uint8_t source = 0;
  uint32_t gsi = 0;
  uint16_t flags = kMpsIntiConforms;
};

struct MadtConfig {
  uint32_t local_apic_address = kDefaultLocalApicAddress;
  uint32_t flags = kMadtPcatCompat;
  std::vector<MadtLocalApic> local_apics;
  std::vector<MadtIoApic> io_apics;
  std::vector<MadtInterruptOverride> overrides;
};

absl::StatusOr<std::vector<uint8_t>> BuildMadt(const MadtConfig& config);

}  // namespace acpi_tables

#endif  // ACPI_TABLES_TABLES_H_
