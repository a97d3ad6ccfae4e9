#include "acpi_tables/tables.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/aml.h"
#include "acpi_tables/test_bytes.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acpi_tables {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using test_bytes::Bytes;
using test_bytes::Slice;
using test_bytes::Sum;
using test_bytes::TextAt;
using test_bytes::U16At;
using test_bytes::U32At;
using test_bytes::U64At;

// Checks the common header of one of our tables.
void ExpectHeader(const Bytes& table, const std::string& signature,
                  uint8_t revision, const std::string& oem_table_id) {
  ASSERT_GE(table.size(), 36u);
  EXPECT_EQ(TextAt(table, 0, 4), signature);
  EXPECT_EQ(U32At(table, 4), table.size());
  EXPECT_EQ(table[8], revision);
  EXPECT_EQ(TextAt(table, 10, 6), "FWCVMM");
  EXPECT_EQ(TextAt(table, 16, 8), oem_table_id);
  EXPECT_EQ(U32At(table, 24), 1u);  // OEM revision
  EXPECT_EQ(TextAt(table, 28, 4), "FWCV");
  EXPECT_EQ(U32At(table, 32), 1u);  // creator revision
  EXPECT_EQ(Sum(table), 0) << signature << " checksum";
}

TEST(ChecksumByteTest, MakesTheSumZero) {
  EXPECT_EQ(ChecksumByte({}), 0);
  const Bytes one = {1};
  EXPECT_EQ(ChecksumByte(one), 0xff);
  const Bytes halves = {0x80, 0x80};
  EXPECT_EQ(ChecksumByte(halves), 0);
  const Bytes text = {'A', 'C', 'P', 'I'};  // 0x41+0x43+0x50+0x49 = 0x11d
  EXPECT_EQ(ChecksumByte(text), 0xe3);
}

TEST(SdtTest, HeaderBodyLengthAndChecksum) {
  absl::StatusOr<Sdt> sdt = Sdt::Create("TEST", 3, "TBL");
  ASSERT_TRUE(sdt.ok()) << sdt.status();
  sdt->AppendU8(0xaa);
  sdt->AppendLe16(0x1234);
  sdt->AppendLe32(0xdeadbeef);
  sdt->AppendLe64(0x0102030405060708);
  sdt->AppendZeros(2);
  const uint8_t raw[] = {0x55};
  sdt->Append(raw);
  EXPECT_EQ(sdt->size(), 36u + 18u);
  absl::StatusOr<Bytes> table = std::move(*sdt).Finish();
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(
      Slice(*table, 0, 36),
      ElementsAre('T', 'E', 'S', 'T', 54, 0, 0, 0, 3, (*table)[9], 'F', 'W',
                  'C', 'V', 'M', 'M', 'T', 'B', 'L', ' ', ' ', ' ', ' ', ' ', 1,
                  0, 0, 0, 'F', 'W', 'C', 'V', 1, 0, 0, 0));
  EXPECT_THAT(Slice(*table, 36, 18),
              ElementsAre(0xaa, 0x34, 0x12, 0xef, 0xbe, 0xad, 0xde, 0x08, 0x07,
                          0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0, 0, 0x55));
  EXPECT_EQ(Sum(*table), 0);
  ExpectHeader(*table, "TEST", 3, "TBL     ");
}

TEST(SdtTest, RejectsBadSignatureAndOemTableId) {
  EXPECT_EQ(Sdt::Create("TOOLONG", 1, "X").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sdt::Create("AB", 1, "X").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sdt::Create(std::string("AB\0C", 4), 1, "X").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Sdt::Create("TEST", 1, "NINECHARS").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Sdt::Create("TEST", 1, "").ok());
}

TEST(RsdpTest, Revision2LayoutAndBothChecksums) {
  const Bytes rsdp = BuildRsdp(0x00000000000e1234);
  ASSERT_EQ(rsdp.size(), 36u);
  EXPECT_EQ(TextAt(rsdp, 0, 8), "RSD PTR ");
  EXPECT_EQ(TextAt(rsdp, 9, 6), "FWCVMM");
  EXPECT_EQ(rsdp[15], 2);                // revision
  EXPECT_EQ(U32At(rsdp, 16), 0u);        // no RSDT
  EXPECT_EQ(U32At(rsdp, 20), 36u);       // length
  EXPECT_EQ(U64At(rsdp, 24), 0xe1234u);  // XSDT
  EXPECT_THAT(Slice(rsdp, 33, 3), ElementsAre(0, 0, 0));
  EXPECT_EQ(Sum(rsdp, 0, 20), 0);  // checksum at 8
  EXPECT_EQ(Sum(rsdp, 0, 36), 0);  // extended checksum at 32

  const Bytes high = BuildRsdp(0x123456789abcdef0);
  EXPECT_EQ(U64At(high, 24), 0x123456789abcdef0u);
  EXPECT_EQ(Sum(high, 0, 20), 0);
  EXPECT_EQ(Sum(high), 0);
}

TEST(XsdtTest, OneQWordPerTable) {
  const uint64_t entries[] = {0xe1100, 0x100000000};
  absl::StatusOr<Bytes> xsdt = BuildXsdt(entries);
  ASSERT_TRUE(xsdt.ok()) << xsdt.status();
  ASSERT_EQ(xsdt->size(), 36u + 16u);
  ExpectHeader(*xsdt, "XSDT", 1, "FWCVXSDT");
  EXPECT_EQ(U64At(*xsdt, 36), 0xe1100u);
  EXPECT_EQ(U64At(*xsdt, 44), 0x100000000u);

  absl::StatusOr<Bytes> empty = BuildXsdt({});
  ASSERT_TRUE(empty.ok());
  ExpectHeader(*empty, "XSDT", 1, "FWCVXSDT");
}

TEST(FacsTest, SixtyFourBytesVersion2) {
  const Bytes facs = BuildFacs();
  Bytes expected(64, 0);
  expected[0] = 'F';
  expected[1] = 'A';
  expected[2] = 'C';
  expected[3] = 'S';
  expected[4] = 64;
  expected[32] = 2;  // version
  EXPECT_EQ(facs, expected);
}

TEST(DsdtTest, HeaderAndAmlBody) {
  TermList body;
  body.Add(Name("_S5", Integer(5)));
  absl::StatusOr<Bytes> dsdt = BuildDsdt(body);
  ASSERT_TRUE(dsdt.ok()) << dsdt.status();
  ExpectHeader(*dsdt, "DSDT", 2, "FWCVDSDT");
  EXPECT_THAT(Slice(*dsdt, 36, dsdt->size() - 36),
              ElementsAre(0x08, '_', 'S', '5', '_', 0x0a, 0x05));

  TermList bad;
  bad.Add(Name("bad", Integer(0)));
  EXPECT_EQ(BuildDsdt(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

FadtConfig PcFadt() {
  return {
      .facs_address = 0xe1000,
      .dsdt_address = 0xe1040,
      .sci_interrupt = 9,
      .pm1a_event_block = 0x600,
      .pm1a_control_block = 0x604,
      .flags = kFadtWbinvd | kFadtProcC1 | kFadtPowerButton | kFadtSleepButton,
      .iapc_boot_arch = kIapcLegacyDevices | kIapc8042 | kIapcVgaNotPresent |
                        kIapcCmosRtcNotPresent};
}

TEST(FadtTest, Revision6FieldsAtTheirOffsets) {
  absl::StatusOr<Bytes> fadt = BuildFadt(PcFadt());
  ASSERT_TRUE(fadt.ok()) << fadt.status();
  ASSERT_EQ(fadt->size(), 276u);
  ExpectHeader(*fadt, "FACP", 6, "FWCVFACP");
  const Bytes& f = *fadt;
  EXPECT_EQ(U32At(f, 36), 0xe1000u);  // FIRMWARE_CTRL
  EXPECT_EQ(U32At(f, 40), 0xe1040u);  // DSDT
  EXPECT_EQ(f[44], 0);                // reserved
  EXPECT_EQ(f[45], 0);                // Preferred_PM_Profile
  EXPECT_EQ(U16At(f, 46), 9u);        // SCI_INT
  EXPECT_EQ(U32At(f, 48), 0u);        // SMI_CMD
  EXPECT_THAT(Slice(f, 52, 4), ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(U32At(f, 56), 0x600u);  // PM1a_EVT_BLK
  EXPECT_EQ(U32At(f, 60), 0u);      // PM1b_EVT_BLK
  EXPECT_EQ(U32At(f, 64), 0x604u);  // PM1a_CNT_BLK
  for (size_t at = 68; at < 88; at += 4) EXPECT_EQ(U32At(f, at), 0u) << at;
  EXPECT_EQ(f[88], 4);  // PM1_EVT_LEN
  EXPECT_EQ(f[89], 2);  // PM1_CNT_LEN
  EXPECT_THAT(Slice(f, 90, 6), ElementsAre(0, 0, 0, 0, 0, 0));
  EXPECT_EQ(U16At(f, 96), 0x0fffu);  // P_LVL2_LAT
  EXPECT_EQ(U16At(f, 98), 0x0fffu);  // P_LVL3_LAT
  EXPECT_THAT(Slice(f, 100, 9), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(U16At(f, 109), 0x27u);  // IAPC_BOOT_ARCH
  EXPECT_EQ(f[111], 0);
  EXPECT_EQ(U32At(f, 112), 0x35u);             // Flags
  EXPECT_EQ(Slice(f, 116, 15), Bytes(15, 0));  // RESET_REG, value, ARM
  EXPECT_EQ(f[131], 3);                        // FADT minor version
  EXPECT_EQ(U64At(f, 132), 0u);                // X_FIRMWARE_CTRL
  EXPECT_EQ(U64At(f, 140), 0xe1040u);          // X_DSDT
  // X_PM1a_EVT_BLK: System I/O, 32 bits, offset 0, access undefined.
  EXPECT_THAT(Slice(f, 148, 12),
              ElementsAre(1, 32, 0, 0, 0x00, 0x06, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(Slice(f, 160, 12), Bytes(12, 0));  // X_PM1b_EVT_BLK
  // X_PM1a_CNT_BLK: System I/O, 16 bits.
  EXPECT_THAT(Slice(f, 172, 12),
              ElementsAre(1, 16, 0, 0, 0x04, 0x06, 0, 0, 0, 0, 0, 0));
  EXPECT_EQ(Slice(f, 184, 92), Bytes(92, 0));  // other GAS, hypervisor ID
}

TEST(FadtTest, RequiresPm1BlocksUnlessHardwareReduced) {
  FadtConfig config = PcFadt();
  config.pm1a_event_block = 0;
  EXPECT_EQ(BuildFadt(config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config = PcFadt();
  config.pm1a_control_block = 0;
  EXPECT_EQ(BuildFadt(config).status().code(),
            absl::StatusCode::kInvalidArgument);

  config.pm1a_event_block = 0;
  config.flags = kFadtHwReducedAcpi;
  absl::StatusOr<Bytes> reduced = BuildFadt(config);
  ASSERT_TRUE(reduced.ok()) << reduced.status();
  EXPECT_EQ(U32At(*reduced, 56), 0u);
  EXPECT_EQ((*reduced)[88], 0);
  EXPECT_EQ((*reduced)[89], 0);
  EXPECT_EQ(Slice(*reduced, 148, 36), Bytes(36, 0));
  EXPECT_EQ(U32At(*reduced, 112), 1u << 20);
}

TEST(FadtTest, PointersMustFit32Bits) {
  FadtConfig config = PcFadt();
  config.dsdt_address = 0x100000000;
  absl::Status status = BuildFadt(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("DSDT"));
  config = PcFadt();
  config.facs_address = 0x100000000;
  status = BuildFadt(config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("FACS"));
  config.facs_address = 0xffffffff;
  EXPECT_TRUE(BuildFadt(config).ok());
}

TEST(MadtTest, StructuresByteByByte) {
  MadtConfig config;
  config.local_apics = {{.processor_uid = 0, .apic_id = 0},
                        {.processor_uid = 1, .apic_id = 1},
                        {.processor_uid = 2, .apic_id = 4, .enabled = false}};
  config.io_apics = {{.id = 0, .address = 0xfec00000, .gsi_base = 0}};
  config.overrides = {{.source = 0, .gsi = 2, .flags = 0},
                      {.source = 9, .gsi = 9, .flags = 0x000d}};
  absl::StatusOr<Bytes> madt = BuildMadt(config);
  ASSERT_TRUE(madt.ok()) << madt.status();
  ExpectHeader(*madt, "APIC", 5, "FWCVAPIC");
  const Bytes expected = {
      0x00, 0x00, 0xe0, 0xfe,  // Local APIC address
      0x01, 0x00, 0x00, 0x00,  // PCAT_COMPAT
      // Processor Local APIC: type, length, UID, APIC ID, flags.
      0x00, 0x08, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,  //
      0x00, 0x08, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,  //
      0x00, 0x08, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00,  //
      // I/O APIC: type, length, ID, reserved, address, GSI base.
      0x01, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xfe, 0x00, 0x00, 0x00, 0x00,
      // Interrupt Source Override: type, length, bus, source, GSI, flags.
      0x02, 0x0a, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,  //
      0x02, 0x0a, 0x00, 0x09, 0x09, 0x00, 0x00, 0x00, 0x0d, 0x00,  //
  };
  EXPECT_THAT(Slice(*madt, 36, madt->size() - 36), ElementsAreArray(expected));
}

TEST(MadtTest, RejectsInconsistentStructures) {
  MadtConfig none;
  EXPECT_EQ(BuildMadt(none).status().code(),
            absl::StatusCode::kInvalidArgument);
  MadtConfig twice;
  twice.local_apics = {{.processor_uid = 0, .apic_id = 0},
                       {.processor_uid = 0, .apic_id = 1}};
  EXPECT_EQ(BuildMadt(twice).status().code(),
            absl::StatusCode::kInvalidArgument);
  twice.local_apics = {{.processor_uid = 0, .apic_id = 3},
                       {.processor_uid = 1, .apic_id = 3}};
  EXPECT_EQ(BuildMadt(twice).status().code(),
            absl::StatusCode::kInvalidArgument);
  MadtConfig broadcast;
  broadcast.local_apics = {{.processor_uid = 0, .apic_id = 0xff}};
  EXPECT_EQ(BuildMadt(broadcast).status().code(),
            absl::StatusCode::kInvalidArgument);
  MadtConfig bad_override;
  bad_override.local_apics = {{}};
  bad_override.overrides = {{.source = 16, .gsi = 16}};
  EXPECT_EQ(BuildMadt(bad_override).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad_override.overrides = {{.source = 9, .gsi = 9, .flags = 0x2}};
  EXPECT_EQ(BuildMadt(bad_override).status().code(),
            absl::StatusCode::kInvalidArgument);
  bad_override.overrides = {{.source = 9, .gsi = 9, .flags = 0x10}};
  EXPECT_EQ(BuildMadt(bad_override).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace acpi_tables
