#include "acpi_tables/aml.h"

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

// Expected bytes are assembled by hand from the ACPI 6.4 grammar (chapter 20)
// and match what iasl 20200925 emits for the ASL quoted beside them.

namespace acpi_tables {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

using Bytes = std::vector<uint8_t>;

Bytes Encode(const AmlObject& object) {
  absl::StatusOr<Bytes> bytes = EncodeAml(object);
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.ok() ? *bytes : Bytes{};
}

absl::Status EncodeError(const AmlObject& object) {
  absl::StatusOr<Bytes> bytes = EncodeAml(object);
  EXPECT_FALSE(bytes.ok());
  return bytes.status();
}

Bytes Concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

TEST(AmlIntegerTest, ShortestEncodingByValue) {
  EXPECT_THAT(Encode(Integer(0)), ElementsAre(0x00));  // ZeroOp
  EXPECT_THAT(Encode(Integer(1)), ElementsAre(0x01));  // OneOp
  EXPECT_THAT(Encode(Integer(2)), ElementsAre(0x0a, 0x02));
  EXPECT_THAT(Encode(Integer(0xff)), ElementsAre(0x0a, 0xff));
  EXPECT_THAT(Encode(Integer(0x100)), ElementsAre(0x0b, 0x00, 0x01));
  EXPECT_THAT(Encode(Integer(0xffff)), ElementsAre(0x0b, 0xff, 0xff));
  EXPECT_THAT(Encode(Integer(0x10000)),
              ElementsAre(0x0c, 0x00, 0x00, 0x01, 0x00));
  EXPECT_THAT(Encode(Integer(0xfec00000)),
              ElementsAre(0x0c, 0x00, 0x00, 0xc0, 0xfe));
  EXPECT_THAT(Encode(Integer(0xffffffff)),
              ElementsAre(0x0c, 0xff, 0xff, 0xff, 0xff));
  EXPECT_THAT(
      Encode(Integer(0x100000000)),
      ElementsAre(0x0e, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00));
  EXPECT_THAT(
      Encode(Integer(0x0123456789abcdef)),
      ElementsAre(0x0e, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01));
}

TEST(AmlStringTest, PrefixAsciiAndNul) {
  // "QEMU0002"
  EXPECT_THAT(Encode(String("QEMU0002")),
              ElementsAre(0x0d, 'Q', 'E', 'M', 'U', '0', '0', '0', '2', 0x00));
  EXPECT_THAT(Encode(String("")), ElementsAre(0x0d, 0x00));
}

TEST(AmlStringTest, RejectsNulAndNonAscii) {
  EXPECT_EQ(EncodeError(String(std::string("a\0b", 3))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeError(String("caf\xc3\xa9")).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmlEisaIdTest, CompressesToDWord) {
  // EisaId ("PNP0501") == 0x0105D041.
  EXPECT_THAT(Encode(EisaId("PNP0501")),
              ElementsAre(0x0c, 0x41, 0xd0, 0x05, 0x01));
  // EisaId ("PNP0A03") == 0x030AD041 (PCI host bridge).
  EXPECT_THAT(Encode(EisaId("PNP0A03")),
              ElementsAre(0x0c, 0x41, 0xd0, 0x0a, 0x03));
  // EisaId ("PNP0303") == 0x0303D041 (i8042 keyboard).
  EXPECT_THAT(Encode(EisaId("PNP0303")),
              ElementsAre(0x0c, 0x41, 0xd0, 0x03, 0x03));
  // EisaId ("QEM0001"): Q=17, E=5, M=13 -> 0x44ad0001 byte-swapped.
  EXPECT_THAT(Encode(EisaId("QEM0001")),
              ElementsAre(0x0c, 0x44, 0xad, 0x00, 0x01));
  EXPECT_EQ(*EisaId::Compress("PNP0501"), 0x0105d041u);
}

TEST(AmlEisaIdTest, RejectsMalformedIds) {
  for (const char* id :
       {"", "PNP050", "PNP05011", "pnp0501", "PNP05G1", "PNP05a1", "P1P0501"}) {
    EXPECT_EQ(EncodeError(EisaId(id)).code(),
              absl::StatusCode::kInvalidArgument)
        << id;
  }
}

TEST(AmlNameStringTest, SegmentsArePaddedWithUnderscores) {
  EXPECT_THAT(*EncodeNameString("_SB"), ElementsAre('_', 'S', 'B', '_'));
  EXPECT_THAT(*EncodeNameString("_SB_"), ElementsAre('_', 'S', 'B', '_'));
  EXPECT_THAT(*EncodeNameString("COM1"), ElementsAre('C', 'O', 'M', '1'));
  EXPECT_THAT(*EncodeNameString("A"), ElementsAre('A', '_', '_', '_'));
}

TEST(AmlNameStringTest, RootAndParentPrefixes) {
  EXPECT_THAT(*EncodeNameString("\\_SB_"),
              ElementsAre(0x5c, '_', 'S', 'B', '_'));
  EXPECT_THAT(*EncodeNameString("^^FOO"),
              ElementsAre(0x5e, 0x5e, 'F', 'O', 'O', '_'));
  // Scope (\): RootChar NullName.
  EXPECT_THAT(*EncodeNameString("\\"), ElementsAre(0x5c, 0x00));
}

TEST(AmlNameStringTest, DualAndMultiNamePrefixes) {
  // \_SB.PCI0: RootChar DualNamePrefix seg seg.
  EXPECT_THAT(*EncodeNameString("\\_SB_.PCI0"),
              ElementsAre(0x5c, 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'));
  EXPECT_THAT(*EncodeNameString("_SB.PCI0"),
              ElementsAre(0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0'));
  // \_SB.PCI0.ISA: RootChar MultiNamePrefix SegCount(3) segs.
  EXPECT_THAT(*EncodeNameString("\\_SB.PCI0.ISA"),
              ElementsAre(0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C', 'I',
                          '0', 'I', 'S', 'A', '_'));
  EXPECT_THAT(*EncodeNameString("^A.B.C.D"),
              ElementsAre(0x5e, 0x2f, 0x04, 'A', '_', '_', '_', 'B', '_', '_',
                          '_', 'C', '_', '_', '_', 'D', '_', '_', '_'));
}

TEST(AmlNameStringTest, RejectsInvalidNames) {
  for (const char* path : {"", "^", "^^", "_sb", "FIVE5", "1ABC", "A..B", "A.",
                           ".A", "\\\\A", "A-B", "A B", "\\^A"}) {
    EXPECT_EQ(EncodeNameString(path).status().code(),
              absl::StatusCode::kInvalidArgument)
        << path;
  }
  std::string many = "A";
  for (int i = 0; i < 255; ++i) many += ".A";  // 256 segments
  EXPECT_EQ(EncodeNameString(many).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmlPkgLengthTest, OneToFourBytesAtTheBoundaries) {
  // The PkgLength counts its own bytes.
  EXPECT_THAT(*EncodePkgLength(0), ElementsAre(0x01));
  EXPECT_THAT(*EncodePkgLength(8), ElementsAre(0x09));
  EXPECT_THAT(*EncodePkgLength(62), ElementsAre(0x3f));
  // 63 + 2 = 65 = 0x041: lead byte 0b01 << 6 | 0x1, then 0x04.
  EXPECT_THAT(*EncodePkgLength(63), ElementsAre(0x41, 0x04));
  EXPECT_THAT(*EncodePkgLength(98), ElementsAre(0x44, 0x06));     // 100
  EXPECT_THAT(*EncodePkgLength(0xffd), ElementsAre(0x4f, 0xff));  // 0xfff
  // 0xffe + 3 = 0x1001.
  EXPECT_THAT(*EncodePkgLength(0xffe), ElementsAre(0x81, 0x00, 0x01));
  EXPECT_THAT(*EncodePkgLength(0xffffc), ElementsAre(0x8f, 0xff, 0xff));
  // 0xffffd + 4 = 0x100001.
  EXPECT_THAT(*EncodePkgLength(0xffffd), ElementsAre(0xc1, 0x00, 0x00, 0x01));
  EXPECT_THAT(*EncodePkgLength(0xffffffb), ElementsAre(0xcf, 0xff, 0xff, 0xff));
  EXPECT_EQ(EncodePkgLength(0xffffffc).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(AmlNameTest, NameWithIntegerAndEisaId) {
  // Name (_UID, Zero)
  EXPECT_THAT(Encode(Name("_UID", Integer(0))),
              ElementsAre(0x08, '_', 'U', 'I', 'D', 0x00));
  // Name (_STA, 0x0B)
  EXPECT_THAT(Encode(Name("_STA", Integer(0x0b))),
              ElementsAre(0x08, '_', 'S', 'T', 'A', 0x0a, 0x0b));
  // Name (_HID, EisaId ("PNP0501"))
  EXPECT_THAT(
      Encode(Name("_HID", EisaId("PNP0501"))),
      ElementsAre(0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01));
  // Name (\_SB.PCI0.FOO, One)
  EXPECT_THAT(Encode(Name("\\_SB.PCI0.FOO", Integer(1))),
              ElementsAre(0x08, 0x5c, 0x2f, 0x03, '_', 'S', 'B', '_', 'P', 'C',
                          'I', '0', 'F', 'O', 'O', '_', 0x01));
}

TEST(AmlNameTest, BadNameFails) {
  EXPECT_EQ(EncodeError(Name("_hid", Integer(0))).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmlPackageTest, S5Package) {
  // Name (_S5, Package (0x04) { Zero, Zero, Zero, Zero })
  Package s5;
  for (int i = 0; i < 4; ++i) s5.Add(Integer(0));
  EXPECT_THAT(Encode(Name("_S5", std::move(s5))),
              ElementsAre(0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00,
                          0x00, 0x00, 0x00));
}

TEST(AmlPackageTest, MixedElementsAndNesting) {
  // Package (0x03) { 0x0F, "A", Package (0x00) {} }
  Package inner;
  Package outer;
  outer.Add(Integer(0x0f)).Add(String("A")).Add(std::move(inner));
  EXPECT_THAT(Encode(outer), ElementsAre(0x12, 0x0a, 0x03, 0x0a, 0x0f, 0x0d,
                                         'A', 0x00, 0x12, 0x02, 0x00));
}

TEST(AmlPackageTest, AtMost255Elements) {
  Package full;
  for (int i = 0; i < 255; ++i) full.Add(Integer(1));
  const Bytes bytes = Encode(full);
  // 255 elements + NumElements = 256 bytes: a 2-byte PkgLength (258).
  ASSERT_EQ(bytes.size(), 1 + 2 + 256u);
  EXPECT_THAT(Bytes(bytes.begin(), bytes.begin() + 4),
              ElementsAre(0x12, 0x42, 0x10, 0xff));
  full.Add(Integer(1));
  EXPECT_EQ(EncodeError(full).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AmlBufferTest, SizeThenBytes) {
  // Buffer () { 0x01, 0x02, 0x03 }
  EXPECT_THAT(Encode(Buffer({1, 2, 3})),
              ElementsAre(0x11, 0x06, 0x0a, 0x03, 0x01, 0x02, 0x03));
  // 100 bytes: BufferSize 0x64, payload 102, PkgLength 104 = 0x68.
  const Bytes hundred(100, 0xaa);
  EXPECT_EQ(Encode(Buffer(hundred)),
            Concat({{0x11, 0x48, 0x06, 0x0a, 0x64}, hundred}));
  // 0x300 bytes: BufferSize WordPrefix 0x0300, payload 0x303 -> 0x305.
  const Bytes big(0x300, 0x55);
  EXPECT_EQ(Encode(Buffer(big)),
            Concat({{0x11, 0x45, 0x30, 0x0b, 0x00, 0x03}, big}));
}

TEST(AmlResourceTest, IoDescriptor) {
  // IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, )
  EXPECT_THAT(Encode(Io(IoDecode::k16, 0x3f8, 0x3f8, 0x00, 0x08)),
              ElementsAre(0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08));
  // IO (Decode10, 0x0060, 0x0060, 0x01, 0x01, )
  EXPECT_THAT(Encode(Io(IoDecode::k10, 0x60, 0x60, 0x01, 0x01)),
              ElementsAre(0x47, 0x00, 0x60, 0x00, 0x60, 0x00, 0x01, 0x01));
  EXPECT_EQ(EncodeError(Io(IoDecode::k16, 0x100, 0xff, 1, 1)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmlResourceTest, IrqNoFlagsDescriptor) {
  // IRQNoFlags () {4}
  EXPECT_THAT(Encode(IrqNoFlags(4)), ElementsAre(0x22, 0x10, 0x00));
  // IRQNoFlags () {0} and {15}
  EXPECT_THAT(Encode(IrqNoFlags(0)), ElementsAre(0x22, 0x01, 0x00));
  EXPECT_THAT(Encode(IrqNoFlags(15)), ElementsAre(0x22, 0x00, 0x80));
  EXPECT_EQ(EncodeError(IrqNoFlags(16)).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(AmlResourceTest, Memory32FixedDescriptor) {
  // Memory32Fixed (ReadOnly, 0xFED00000, 0x00000400, )
  EXPECT_THAT(Encode(Memory32Fixed(false, 0xfed00000, 0x400)),
              ElementsAre(0x86, 0x09, 0x00, 0x00, 0x00, 0x00, 0xd0, 0xfe, 0x00,
                          0x04, 0x00, 0x00));
  // Memory32Fixed (ReadWrite, 0xFEE00000, 0x00100000, )
  EXPECT_THAT(Encode(Memory32Fixed(true, 0xfee00000, 0x100000)),
              ElementsAre(0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0xe0, 0xfe, 0x00,
                          0x00, 0x10, 0x00));
}

TEST(AmlResourceTest, TemplateIsABufferEndingWithEndTag) {
  // Name (_CRS, ResourceTemplate () {
  //     IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, )
  //     IRQNoFlags () {4}
  // })
  ResourceTemplate crs;
  crs.Add(Io(IoDecode::k16, 0x3f8, 0x3f8, 0x00, 0x08)).Add(IrqNoFlags(4));
  EXPECT_THAT(Encode(Name("_CRS", std::move(crs))),
              ElementsAre(0x08, '_', 'C', 'R', 'S',                        //
                          0x11, 0x10, 0x0a, 0x0d,                          //
                          0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,  //
                          0x22, 0x10, 0x00,                                //
                          0x79, 0x00));
  // ResourceTemplate () {}: the End Tag alone.
  EXPECT_THAT(Encode(ResourceTemplate()),
              ElementsAre(0x11, 0x05, 0x0a, 0x02, 0x79, 0x00));
  // ResourceTemplate () { Memory32Fixed (ReadOnly, 0xFED00000, 0x400, ) }
  ResourceTemplate hpet;
  hpet.Add(Memory32Fixed(false, 0xfed00000, 0x400));
  EXPECT_THAT(Encode(hpet), ElementsAre(0x11, 0x11, 0x0a, 0x0e, 0x86, 0x09,
                                        0x00, 0x00, 0x00, 0x00, 0xd0, 0xfe,
                                        0x00, 0x04, 0x00, 0x00, 0x79, 0x00));
}

TEST(AmlResourceTest, BadDescriptorFailsTheTemplate) {
  ResourceTemplate crs;
  crs.Add(IrqNoFlags(20));
  EXPECT_EQ(EncodeError(crs).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AmlMethodTest, FlagsAndBody) {
  // Method (_STA, 0, NotSerialized) { Return (0x0F) }
  Method sta("_STA", 0, /*serialized=*/false);
  sta.Add(Return(Integer(0x0f)));
  EXPECT_THAT(Encode(sta), ElementsAre(0x14, 0x09, '_', 'S', 'T', 'A', 0x00,
                                       0xa4, 0x0a, 0x0f));
  // Method (FOO, 2, Serialized) { Return (Arg1) }
  Method foo("FOO", 2, /*serialized=*/true);
  foo.Add(Return(Arg(1)));
  EXPECT_THAT(Encode(foo),
              ElementsAre(0x14, 0x08, 'F', 'O', 'O', '_', 0x0a, 0xa4, 0x69));
  // Method (BAR, 1, Serialized, 3) { Return (Local7) }
  Method bar("BAR", 1, /*serialized=*/true, /*sync_level=*/3);
  bar.Add(Return(Local(7)));
  EXPECT_THAT(Encode(bar),
              ElementsAre(0x14, 0x08, 'B', 'A', 'R', '_', 0x39, 0xa4, 0x67));
  // Method (\_SB.EMPT, 7, NotSerialized) {}
  EXPECT_THAT(Encode(Method("\\_SB.EMPT", 7, false)),
              ElementsAre(0x14, 0x0c, 0x5c, 0x2e, '_', 'S', 'B', '_', 'E', 'M',
                          'P', 'T', 0x07));
}

TEST(AmlMethodTest, RejectsBadArguments) {
  EXPECT_EQ(EncodeError(Method("FOO", 8, false)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeError(Method("FOO", 0, false, 16)).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeError(Arg(7)).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeError(Local(8)).code(), absl::StatusCode::kInvalidArgument);
  Method bad("FOO", 0, false);
  bad.Add(Return(Arg(7)));
  EXPECT_EQ(EncodeError(bad).code(), absl::StatusCode::kInvalidArgument);
}

TEST(AmlDeviceTest, Com1Device) {
  // Device (COM1) {
  //     Name (_HID, EisaId ("PNP0501"))
  //     Name (_UID, Zero)
  //     Name (_CRS, ResourceTemplate () {
  //         IO (Decode16, 0x03F8, 0x03F8, 0x00, 0x08, )
  //         IRQNoFlags () {4}
  //     })
  // }
  Device com1("COM1");
  com1.Add(Name("_HID", EisaId("PNP0501")));
  com1.Add(Name("_UID", Integer(0)));
  ResourceTemplate crs;
  crs.Add(Io(IoDecode::k16, 0x3f8, 0x3f8, 0x00, 0x08));
  crs.Add(IrqNoFlags(4));
  com1.Add(Name("_CRS", std::move(crs)));
  const Bytes expected = {
      0x5b, 0x82, 0x2b, 'C',  'O',  'M',  '1',                     //
      0x08, '_',  'H',  'I',  'D',  0x0c, 0x41, 0xd0, 0x05, 0x01,  //
      0x08, '_',  'U',  'I',  'D',  0x00,                          //
      0x08, '_',  'C',  'R',  'S',  0x11, 0x10, 0x0a, 0x0d,        //
      0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08,              //
      0x22, 0x10, 0x00, 0x79, 0x00,                                //
  };
  EXPECT_THAT(Encode(com1), ElementsAreArray(expected));
}

TEST(AmlScopeTest, ScopeWithDottedPathAndTwoBytePkgLength) {
  // Scope (\_SB.PCI0) { Device (FWCF) { Name (_HID, "QEMU0002")
  //     Name (_STA, 0x0B)
  //     Name (_CRS, ResourceTemplate () {
  //         IO (Decode16, 0x0510, 0x0510, 0x01, 0x0C, ) }) } }
  Device fwcf("FWCF");
  fwcf.Add(Name("_HID", String("QEMU0002")));
  fwcf.Add(Name("_STA", Integer(0x0b)));
  ResourceTemplate crs;
  crs.Add(Io(IoDecode::k16, 0x510, 0x510, 0x01, 0x0c));
  fwcf.Add(Name("_CRS", std::move(crs)));
  Scope scope("\\_SB_.PCI0");
  scope.Add(std::move(fwcf));
  // Device payload: 4 + 15 + 7 + 19 = 45 -> PkgLength 0x2e. Scope payload:
  // 10 (name) + 48 (device) = 58 -> PkgLength 0x3b.
  const Bytes expected = {
      0x10, 0x3b, 0x5c, 0x2e, '_',  'S',  'B',  '_',  'P',  'C',  'I', '0',  //
      0x5b, 0x82, 0x2e, 'F',  'W',  'C',  'F',                               //
      0x08, '_',  'H',  'I',  'D',  0x0d, 'Q',  'E',  'M',  'U',  '0', '0',
      '0',  '2',
      0x00,                                                        //
      0x08, '_',  'S',  'T',  'A',  0x0a, 0x0b,                    //
      0x08, '_',  'C',  'R',  'S',  0x11, 0x0d, 0x0a, 0x0a,        //
      0x47, 0x01, 0x10, 0x05, 0x10, 0x05, 0x01, 0x0c, 0x79, 0x00,  //
  };
  EXPECT_THAT(Encode(scope), ElementsAreArray(expected));

  // Pushing the scope past 63 bytes switches to a 2-byte PkgLength: add
  // Name (XXXX, 0x12345678) (10 bytes) -> payload 68 + 2 = 70 = 0x46.
  scope.Add(Name("XXXX", Integer(0x12345678)));
  const Bytes longer = Encode(scope);
  ASSERT_EQ(longer.size(), 71u);
  EXPECT_THAT(Bytes(longer.begin(), longer.begin() + 4),
              ElementsAre(0x10, 0x46, 0x04, 0x5c));
  EXPECT_THAT(
      Bytes(longer.end() - 10, longer.end()),
      ElementsAre(0x08, 'X', 'X', 'X', 'X', 0x0c, 0x78, 0x56, 0x34, 0x12));
}

TEST(AmlScopeTest, RootScopeAndEmptyScope) {
  // Scope (\) {}
  EXPECT_THAT(Encode(Scope("\\")), ElementsAre(0x10, 0x03, 0x5c, 0x00));
  // Scope (_SB) { Name (_S5, Zero) } -- any term fits in a scope.
  Scope sb("_SB");
  sb.Add(Name("FOO", Integer(0)));
  EXPECT_THAT(Encode(sb), ElementsAre(0x10, 0x0b, '_', 'S', 'B', '_', 0x08, 'F',
                                      'O', 'O', '_', 0x00));
}

TEST(AmlScopeTest, ChildErrorsPropagate) {
  Device outer("OUTR");
  Device inner("inner");  // not a valid NameSeg
  outer.Add(std::move(inner));
  Scope scope("\\_SB");
  scope.Add(std::move(outer));
  const absl::Status status = EncodeError(scope);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("inner"));
}

TEST(AmlTermListTest, ConcatenatesTerms) {
  TermList list;
  EXPECT_TRUE(list.empty());
  list.Add(Name("A", Integer(1))).Add(Name("B", Integer(2)));
  EXPECT_THAT(Encode(list), ElementsAre(0x08, 'A', '_', '_', '_', 0x01, 0x08,
                                        'B', '_', '_', '_', 0x0a, 0x02));
}

// A sink that only counts, to show WriteTo works with any sink.
class CountingSink : public AmlSink {
 public:
  void Append(absl::Span<const uint8_t> bytes) override {
    count_ += bytes.size();
  }
  size_t count() const { return count_; }

 private:
  size_t count_ = 0;
};

TEST(AmlSinkTest, WritesIntoAnySink) {
  CountingSink sink;
  ASSERT_TRUE(Name("_HID", EisaId("PNP0501")).WriteTo(sink).ok());
  EXPECT_EQ(sink.count(), 10u);
}

}  // namespace
}  // namespace acpi_tables
