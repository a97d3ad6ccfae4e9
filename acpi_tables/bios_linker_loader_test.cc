#include "acpi_tables/bios_linker_loader.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "acpi_tables/bios_linker_loader_testing.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace acpi_tables {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr char kTables[] = "etc/acpi/tables";
constexpr char kRsdp[] = "etc/acpi/rsdp";

// Little-endian reads of the raw bytes, spelled out byte by byte so the test
// does not share code with the implementation.
uint32_t U32At(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t{b[at]} | uint32_t{b[at + 1]} << 8 |
         uint32_t{b[at + 2]} << 16 | uint32_t{b[at + 3]} << 24;
}

uint64_t U64At(const std::vector<uint8_t>& b, size_t at) {
  return uint64_t{U32At(b, at)} | uint64_t{U32At(b, at + 4)} << 32;
}

// The 56-byte name field at `at`: text up to the NUL; checks that the rest of
// the field is zero.
std::string NameAt(const std::vector<uint8_t>& b, size_t at) {
  std::string name;
  size_t i = 0;
  while (i < 56 && b[at + i] != 0)
    name.push_back(static_cast<char>(b[at + i++]));
  for (; i < 56; ++i) EXPECT_EQ(b[at + i], 0) << "name byte " << i;
  return name;
}

void ExpectZero(const std::vector<uint8_t>& b, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) EXPECT_EQ(b[i], 0) << "byte " << i;
}

uint8_t Sum(absl::Span<const uint8_t> bytes) {
  uint8_t sum = 0;
  for (uint8_t b : bytes) sum = static_cast<uint8_t>(sum + b);
  return sum;
}

absl::StatusCode CodeOf(const absl::Status& status) { return status.code(); }

// ---------------------------------------------------------------------------
// Wire layout, checked against QEMU's packed struct BiosLinkerLoaderEntry.

TEST(LinkerLayout, Allocate) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(kTables, 64, kAllocZoneHigh).ok());
  const std::vector<uint8_t> b = linker.Encode();
  ASSERT_EQ(b.size(), 128u);
  EXPECT_EQ(b[0], 0x01);  // u32 command = ALLOCATE
  ExpectZero(b, 1, 4);
  EXPECT_EQ(NameAt(b, 4), kTables);  // char file[56]
  EXPECT_EQ(b[60], 64);              // u32 align
  ExpectZero(b, 61, 64);
  EXPECT_EQ(b[64], 0x01);  // u8 zone = HIGH
  ExpectZero(b, 65, 128);
}

TEST(LinkerLayout, AllocateFseg) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(kRsdp, 0x10000, kAllocZoneFseg).ok());
  const std::vector<uint8_t> b = linker.Encode();
  EXPECT_EQ(U32At(b, 0), 1u);
  EXPECT_EQ(U32At(b, 60), 0x10000u);
  EXPECT_EQ(b[64], 0x02);
}

TEST(LinkerLayout, AddPointer) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker.AddAllocate("src", 16, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker.AddPointer("a", 0x01020304, 8, "src").ok());
  const std::vector<uint8_t> all = linker.Encode();
  ASSERT_EQ(all.size(), 3 * 128u);
  const std::vector<uint8_t> b(all.begin() + 256, all.end());
  EXPECT_EQ(b[0], 0x02);  // u32 command = ADD_POINTER
  ExpectZero(b, 1, 4);
  EXPECT_EQ(NameAt(b, 4), "a");     // char dest_file[56]
  EXPECT_EQ(NameAt(b, 60), "src");  // char src_file[56]
  EXPECT_EQ(b[116], 0x04);          // u32 offset
  EXPECT_EQ(b[117], 0x03);
  EXPECT_EQ(b[118], 0x02);
  EXPECT_EQ(b[119], 0x01);
  EXPECT_EQ(b[120], 8);  // u8 size
  ExpectZero(b, 121, 128);
}

TEST(LinkerLayout, AddChecksum) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(kTables, 64, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker.AddChecksum(kTables, 0x100, 0x24, 0x109).ok());
  const std::vector<uint8_t> all = linker.Encode();
  const std::vector<uint8_t> b(all.begin() + 128, all.end());
  ASSERT_EQ(b.size(), 128u);
  EXPECT_EQ(b[0], 0x03);  // u32 command = ADD_CHECKSUM
  ExpectZero(b, 1, 4);
  EXPECT_EQ(NameAt(b, 4), kTables);  // char file[56]
  EXPECT_EQ(U32At(b, 60), 0x109u);   // u32 offset
  EXPECT_EQ(U32At(b, 64), 0x100u);   // u32 start
  EXPECT_EQ(U32At(b, 68), 0x24u);    // u32 length
  ExpectZero(b, 72, 128);
}

TEST(LinkerLayout, WritePointer) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(
      linker.AddAllocate("etc/vmgenid_guid", 4096, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker
                  .AddWritePointer("etc/vmgenid_addr", 0x11223344, 8,
                                   "etc/vmgenid_guid", 0x28)
                  .ok());
  const std::vector<uint8_t> all = linker.Encode();
  const std::vector<uint8_t> b(all.begin() + 128, all.end());
  ASSERT_EQ(b.size(), 128u);
  EXPECT_EQ(b[0], 0x04);  // u32 command = WRITE_POINTER
  ExpectZero(b, 1, 4);
  EXPECT_EQ(NameAt(b, 4), "etc/vmgenid_addr");   // char dest_file[56]
  EXPECT_EQ(NameAt(b, 60), "etc/vmgenid_guid");  // char src_file[56]
  EXPECT_EQ(U32At(b, 116), 0x11223344u);         // u32 dst_offset
  EXPECT_EQ(U32At(b, 120), 0x28u);               // u32 src_offset
  EXPECT_EQ(b[124], 8);                          // u8 size
  ExpectZero(b, 125, 128);
}

TEST(LinkerLayout, LongestNameKeepsItsNul) {
  const std::string name(55, 'x');
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(name, 1, kAllocZoneHigh).ok());
  const std::vector<uint8_t> b = linker.Encode();
  EXPECT_EQ(NameAt(b, 4), name);
  EXPECT_EQ(b[59], 0);
  EXPECT_EQ(b[60], 1);
}

TEST(LinkerLayout, DecodesHandWrittenBytes) {
  std::vector<uint8_t> b(4 * 128, 0);
  // ALLOCATE "f", align 0x1000, FSEG.
  b[0] = 1;
  b[4] = 'f';
  b[61] = 0x10;
  b[64] = 2;
  // ADD_POINTER dest "f" src "g", offset 0x10, size 4.
  b[128] = 2;
  b[128 + 4] = 'f';
  b[128 + 60] = 'g';
  b[128 + 116] = 0x10;
  b[128 + 120] = 4;
  // ADD_CHECKSUM "f", offset 9, start 1, length 0x100.
  b[256] = 3;
  b[256 + 4] = 'f';
  b[256 + 60] = 9;
  b[256 + 64] = 1;
  b[256 + 69] = 1;
  // WRITE_POINTER dest "d" src "f", dst_offset 2, src_offset 0x20000, size 2.
  b[384] = 4;
  b[384 + 4] = 'd';
  b[384 + 60] = 'f';
  b[384 + 116] = 2;
  b[384 + 122] = 2;
  b[384 + 124] = 2;
  auto decoded = DecodeBiosLinkerLoader(b);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(
      *decoded,
      ElementsAre(
          LinkerCommand(
              LinkerAllocate{.file = "f", .align = 0x1000, .zone = 2}),
          LinkerCommand(LinkerAddPointer{
              .dest_file = "f", .src_file = "g", .offset = 0x10, .size = 4}),
          LinkerCommand(LinkerAddChecksum{
              .file = "f", .offset = 9, .start = 1, .length = 0x100}),
          LinkerCommand(LinkerWritePointer{.dest_file = "d",
                                           .src_file = "f",
                                           .dst_offset = 2,
                                           .src_offset = 0x20000,
                                           .size = 2})));
  EXPECT_EQ(CommandTypeOf((*decoded)[0]), LinkerCommandType::kAllocate);
  EXPECT_EQ(CommandTypeOf((*decoded)[1]), LinkerCommandType::kAddPointer);
  EXPECT_EQ(CommandTypeOf((*decoded)[2]), LinkerCommandType::kAddChecksum);
  EXPECT_EQ(CommandTypeOf((*decoded)[3]), LinkerCommandType::kWritePointer);
  // And the encoder writes exactly these bytes back.
  auto encoded = EncodeBiosLinkerLoader(*decoded);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(*encoded, b);
}

// ---------------------------------------------------------------------------
// Builder.

TEST(BiosLinkerLoader, PrependsAllocationsLikeQemu) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(kTables, 64, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker.AddChecksum(kTables, 0, 36, 9).ok());
  ASSERT_TRUE(linker.AddAllocate(kRsdp, 16, kAllocZoneFseg).ok());
  ASSERT_TRUE(linker.AddPointer(kRsdp, 16, 4, kTables).ok());
  EXPECT_THAT(
      linker.commands(),
      ElementsAre(
          LinkerCommand(LinkerAllocate{.file = kRsdp, .align = 16, .zone = 2}),
          LinkerCommand(
              LinkerAllocate{.file = kTables, .align = 64, .zone = 1}),
          LinkerCommand(LinkerAddChecksum{
              .file = kTables, .offset = 9, .start = 0, .length = 36}),
          LinkerCommand(LinkerAddPointer{.dest_file = kRsdp,
                                         .src_file = kTables,
                                         .offset = 16,
                                         .size = 4})));
  auto decoded = DecodeBiosLinkerLoader(linker.Encode());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, linker.commands());
}

TEST(BiosLinkerLoader, EmptyScript) {
  BiosLinkerLoader linker;
  EXPECT_THAT(linker.Encode(), IsEmpty());
  auto padded = linker.EncodePadded(4096);
  ASSERT_TRUE(padded.ok());
  EXPECT_THAT(*padded, IsEmpty());
}

TEST(BiosLinkerLoader, PadsToAMultipleOfTheAlignment) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate(kTables, 64, kAllocZoneHigh).ok());
  ASSERT_TRUE(linker.AddChecksum(kTables, 0, 36, 9).ok());
  auto padded = linker.EncodePadded(4096);
  ASSERT_TRUE(padded.ok()) << padded.status();
  ASSERT_EQ(padded->size(), 4096u);
  const std::vector<uint8_t> plain = linker.Encode();
  EXPECT_TRUE(std::equal(plain.begin(), plain.end(), padded->begin()));
  ExpectZero(*padded, plain.size(), padded->size());
  auto decoded = DecodeBiosLinkerLoader(*padded);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, linker.commands());

  // 33 commands no longer fit in 4096 bytes.
  for (int i = 0; i < 31; ++i) {
    ASSERT_TRUE(linker.AddChecksum(kTables, 0, 36, 9).ok());
  }
  ASSERT_EQ(linker.Encode().size(), 33 * 128u);
  auto bigger = linker.EncodePadded(4096);
  ASSERT_TRUE(bigger.ok());
  EXPECT_EQ(bigger->size(), 8192u);
  auto exact = linker.EncodePadded(128);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->size(), 33 * 128u);
}

TEST(BiosLinkerLoader, PaddingMustKeepWholeCommands) {
  BiosLinkerLoader linker;
  EXPECT_EQ(linker.EncodePadded(0).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(linker.EncodePadded(100).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(linker.EncodePadded(4000).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(BiosLinkerLoader, RejectsBadNames) {
  BiosLinkerLoader linker;
  EXPECT_EQ(CodeOf(linker.AddAllocate(std::string(56, 'x'), 1, 1)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddAllocate("", 1, 1)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddAllocate(std::string("a\0b", 3), 1, 1)),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(linker.AddAllocate("ok", 1, 1).ok());
  const std::string long_name(56, 'y');
  EXPECT_EQ(CodeOf(linker.AddPointer(long_name, 0, 4, "ok")),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddPointer("ok", 0, 4, long_name)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddChecksum(long_name, 0, 1, 0)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddWritePointer(long_name, 0, 4, "ok", 0)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddWritePointer("", 0, 4, "ok", 0)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddWritePointer("d", 0, 4, long_name, 0)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(linker.commands().size(), 1u);
}

TEST(BiosLinkerLoader, RejectsBadAlignment) {
  BiosLinkerLoader linker;
  for (uint32_t align : {0u, 3u, 6u, 24u, 0x80000001u, 0xffffffffu}) {
    EXPECT_EQ(CodeOf(linker.AddAllocate("f", align, kAllocZoneHigh)),
              absl::StatusCode::kInvalidArgument)
        << align;
  }
  for (uint32_t align : {1u, 2u, 16u, 4096u, 0x80000000u}) {
    BiosLinkerLoader ok;
    EXPECT_TRUE(ok.AddAllocate("f", align, kAllocZoneHigh).ok()) << align;
  }
  EXPECT_THAT(linker.commands(), IsEmpty());
}

TEST(BiosLinkerLoader, RejectsBadZone) {
  BiosLinkerLoader linker;
  for (uint8_t zone : {0, 3, 0xff}) {
    EXPECT_EQ(CodeOf(linker.AddAllocate("f", 16, zone)),
              absl::StatusCode::kInvalidArgument)
        << int{zone};
  }
  EXPECT_THAT(linker.commands(), IsEmpty());
}

TEST(BiosLinkerLoader, RejectsASecondAllocationOfTheSameFile) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("f", 16, kAllocZoneHigh).ok());
  EXPECT_EQ(CodeOf(linker.AddAllocate("f", 64, kAllocZoneFseg)),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(linker.commands().size(), 1u);
}

TEST(BiosLinkerLoader, RejectsReferencesToUnallocatedFiles) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh).ok());
  EXPECT_EQ(CodeOf(linker.AddPointer("b", 0, 4, "a")),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(linker.AddPointer("a", 0, 4, "b")),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(linker.AddChecksum("b", 0, 1, 0)),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(linker.AddWritePointer("a", 0, 4, "b", 0)),
            absl::StatusCode::kFailedPrecondition);
  // The destination of a WRITE_POINTER is a writable fw_cfg file that is
  // never allocated.
  EXPECT_TRUE(linker.AddWritePointer("b", 0, 4, "a", 0).ok());
  EXPECT_EQ(linker.commands().size(), 2u);
}

TEST(BiosLinkerLoader, RejectsBadPointerSizes) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh).ok());
  for (uint8_t size : {0, 3, 5, 7, 16, 255}) {
    EXPECT_EQ(CodeOf(linker.AddPointer("a", 0, size, "a")),
              absl::StatusCode::kInvalidArgument)
        << int{size};
    EXPECT_EQ(CodeOf(linker.AddWritePointer("d", 0, size, "a", 0)),
              absl::StatusCode::kInvalidArgument)
        << int{size};
  }
  for (uint8_t size : {1, 2, 4, 8}) {
    EXPECT_TRUE(linker.AddPointer("a", 0, size, "a").ok()) << int{size};
    EXPECT_TRUE(linker.AddWritePointer("d", 0, size, "a", 0).ok()) << int{size};
  }
}

TEST(BiosLinkerLoader, RejectsFieldsThatWrap32Bits) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh).ok());
  EXPECT_EQ(CodeOf(linker.AddPointer("a", 0xfffffffc, 4, "a")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddWritePointer("d", 0xfffffff9, 8, "a", 0)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 0x10, 0xfffffff8, 0x10)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 0xffffffff, 1, 0xffffffff)),
            absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(linker.AddPointer("a", 0xfffffffb, 4, "a").ok());
  EXPECT_TRUE(linker.AddChecksum("a", 0, 0xffffffff, 0xfffffffe).ok());
}

TEST(BiosLinkerLoader, ChecksumByteMustBeInsideTheRange) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh).ok());
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 10, 20, 9)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 10, 20, 30)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 10, 0, 10)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(linker.AddChecksum("a", 10, 20, 10).ok());
  EXPECT_TRUE(linker.AddChecksum("a", 10, 20, 29).ok());
}

TEST(BiosLinkerLoader, ChecksBoundsWhenTheFileSizeIsKnown) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(linker.AddAllocate("a", 16, kAllocZoneHigh, 40).ok());
  ASSERT_TRUE(linker.AddAllocate("b", 16, kAllocZoneHigh, 8).ok());
  // ADD_POINTER: the field must lie inside the destination.
  EXPECT_TRUE(linker.AddPointer("a", 36, 4, "b").ok());
  EXPECT_EQ(CodeOf(linker.AddPointer("a", 37, 4, "b")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddPointer("a", 40, 1, "b")),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddPointer("b", 4, 8, "a")),
            absl::StatusCode::kOutOfRange);
  // ADD_CHECKSUM: the range must lie inside the file.
  EXPECT_TRUE(linker.AddChecksum("a", 0, 40, 9).ok());
  EXPECT_EQ(CodeOf(linker.AddChecksum("a", 0, 41, 9)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(linker.AddChecksum("b", 8, 1, 8)),
            absl::StatusCode::kOutOfRange);
  // WRITE_POINTER: the source offset must lie inside the source.
  EXPECT_TRUE(linker.AddWritePointer("d", 0, 8, "b", 7).ok());
  EXPECT_EQ(CodeOf(linker.AddWritePointer("d", 0, 8, "b", 8)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(linker.commands().size(), 5u);
}

TEST(BiosLinkerLoader, ErrorMessagesNameTheFile) {
  BiosLinkerLoader linker;
  EXPECT_THAT(std::string(linker.AddChecksum("etc/missing", 0, 1, 0).message()),
              HasSubstr("etc/missing"));
}

// ---------------------------------------------------------------------------
// Raw encoding and decoding.

TEST(EncodeBiosLinkerLoader, RejectsNamesThatDoNotFit) {
  const std::string long_name(56, 'z');
  EXPECT_EQ(EncodeBiosLinkerLoader(
                {LinkerAllocate{.file = long_name, .align = 1, .zone = 1}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      EncodeBiosLinkerLoader(
          {LinkerAddPointer{
              .dest_file = "a", .src_file = long_name, .offset = 0, .size = 4}})
          .status()
          .code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeBiosLinkerLoader(
                {LinkerWritePointer{.dest_file = "", .src_file = "a"}})
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
  // Other fields are written as given, even nonsense.
  auto bytes = EncodeBiosLinkerLoader(
      {LinkerAddPointer{.dest_file = "a", .src_file = "b", .size = 3}});
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ((*bytes)[120], 3);
}

TEST(DecodeBiosLinkerLoader, RejectsTruncatedInput) {
  for (size_t size : {1, 4, 127, 129, 255}) {
    const std::vector<uint8_t> bytes(size, 0);
    EXPECT_EQ(DecodeBiosLinkerLoader(bytes).status().code(),
              absl::StatusCode::kInvalidArgument)
        << size;
  }
}

TEST(DecodeBiosLinkerLoader, SkipsPaddingAnywhere) {
  std::vector<uint8_t> bytes(5 * 128, 0);
  bytes[128] = 1;  // ALLOCATE "x" between two padding commands
  bytes[128 + 4] = 'x';
  bytes[128 + 60] = 1;
  bytes[128 + 64] = 1;
  auto decoded = DecodeBiosLinkerLoader(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_THAT(*decoded, ElementsAre(LinkerCommand(LinkerAllocate{
                            .file = "x", .align = 1, .zone = 1})));
  auto empty = DecodeBiosLinkerLoader(std::vector<uint8_t>(4096, 0));
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(*empty, IsEmpty());
}

TEST(DecodeBiosLinkerLoader, RejectsUnknownCommands) {
  for (uint32_t type : {5u, 0x100u, 0x01000000u, 0xffffffffu}) {
    std::vector<uint8_t> bytes(256, 0);
    bytes[0] = 1;
    bytes[4] = 'x';
    for (int i = 0; i < 4; ++i) {
      bytes[128 + i] = static_cast<uint8_t>(type >> (8 * i));
    }
    auto decoded = DecodeBiosLinkerLoader(bytes);
    EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument)
        << type;
    EXPECT_THAT(std::string(decoded.status().message()),
                HasSubstr("command 1"));
  }
}

// Calls `check` with a one-command script for every name field of every
// command type ("a" and "b" in them), and the field's offset.
void ForEachNameField(
    const std::function<void(std::vector<uint8_t>&, size_t)>& check) {
  for (uint8_t type : {1, 2, 3, 4}) {
    for (size_t field : {4, 60}) {
      if (field == 60 && (type == 1 || type == 3)) continue;  // no 2nd name
      std::vector<uint8_t> bytes(128, 0);
      bytes[0] = type;
      bytes[4] = 'a';
      bytes[60] = 'b';
      SCOPED_TRACE(::testing::Message()
                   << "type " << int{type} << " field " << field);
      check(bytes, field);
    }
  }
}

TEST(DecodeBiosLinkerLoader, RejectsUnterminatedNames) {
  ForEachNameField([](std::vector<uint8_t>& bytes, size_t field) {
    std::memset(&bytes[field], 'n', 56);
    EXPECT_EQ(DecodeBiosLinkerLoader(bytes).status().code(),
              absl::StatusCode::kInvalidArgument);
  });
}

// Found by bios_linker_loader_fuzzer: an empty name decoded, but did not
// encode again. Both now refuse it.
TEST(DecodeBiosLinkerLoader, RejectsEmptyNames) {
  ForEachNameField([](std::vector<uint8_t>& bytes, size_t field) {
    bytes[field] = '\0';
    bytes[field + 1] = 'x';  // Text after the NUL does not count.
    const absl::Status status = DecodeBiosLinkerLoader(bytes).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(status.message().find("name is empty"), std::string::npos)
        << status;
  });
}

TEST(DecodeBiosLinkerLoader, IgnoresBytesAfterTheNul) {
  // Firmware compares names with strcmp, so bytes after the NUL are ignored.
  std::vector<uint8_t> bytes(128, 0);
  bytes[0] = 1;
  bytes[4] = 'a';
  bytes[6] = 'z';
  bytes[100] = 0xff;  // padding after the ALLOCATE fields
  auto decoded = DecodeBiosLinkerLoader(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_THAT(*decoded, ElementsAre(LinkerCommand(LinkerAllocate{
                            .file = "a", .align = 0, .zone = 0})));
}

// ---------------------------------------------------------------------------
// Helpers.

TEST(AcpiChecksum, MakesTheSumZero) {
  EXPECT_EQ(AcpiChecksum({}), 0);
  const std::vector<uint8_t> one = {0x01};
  EXPECT_EQ(AcpiChecksum(one), 0xff);
  const std::vector<uint8_t> bytes = {'R', 'S', 'D', ' ', 'P', 'T', 'R', ' '};
  // 0x52+0x53+0x44+0x20+0x50+0x54+0x52+0x20 = 0x21f -> 0x1f -> 0xe1.
  EXPECT_EQ(AcpiChecksum(bytes), 0xe1);
  std::vector<uint8_t> with = bytes;
  with.push_back(AcpiChecksum(bytes));
  EXPECT_EQ(Sum(with), 0);
}

TEST(StoreLinkerPointer, StoresLittleEndianFields) {
  std::vector<uint8_t> blob(12, 0xaa);
  ASSERT_TRUE(StoreLinkerPointer(absl::MakeSpan(blob), 0, 4, 0x01020304).ok());
  ASSERT_TRUE(
      StoreLinkerPointer(absl::MakeSpan(blob), 4, 8, 0x1122334455667788).ok());
  EXPECT_THAT(blob, ElementsAre(0x04, 0x03, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55,
                                0x44, 0x33, 0x22, 0x11));
  ASSERT_TRUE(StoreLinkerPointer(absl::MakeSpan(blob), 11, 1, 0xfe).ok());
  ASSERT_TRUE(StoreLinkerPointer(absl::MakeSpan(blob), 9, 2, 0xbeef).ok());
  EXPECT_EQ(blob[9], 0xef);
  EXPECT_EQ(blob[10], 0xbe);
  EXPECT_EQ(blob[11], 0xfe);
}

TEST(StoreLinkerPointer, RejectsBadFields) {
  std::vector<uint8_t> blob(8, 0);
  const auto span = absl::MakeSpan(blob);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(span, 0, 3, 0)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(span, 1, 8, 0)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(span, 9, 1, 0)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(
                span, std::numeric_limits<uint64_t>::max(), 2, 0)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(span, 0, 1, 0x100)),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(StoreLinkerPointer(span, 0, 4, 0x100000000)),
            absl::StatusCode::kOutOfRange);
  EXPECT_THAT(blob, ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
}

// ---------------------------------------------------------------------------
// Execution over a small fake RSDP/RSDT pair.

// etc/acpi/tables: a 36-byte "DSDT" header at 0, then an RSDT at 36 whose
// single entry (at 72) points at the DSDT. etc/acpi/rsdp: an ACPI 1.0 RSDP
// whose RsdtAddress (at 16) points at the RSDT.
constexpr uint32_t kDsdtOffset = 0;
constexpr uint32_t kRsdtOffset = 36;
constexpr uint32_t kRsdtEntryOffset = kRsdtOffset + 36;
constexpr uint32_t kTablesSize = kRsdtEntryOffset + 4;

void PutHeader(std::vector<uint8_t>& blob, size_t at, const char* signature,
               uint32_t length) {
  std::memcpy(&blob[at], signature, 4);
  blob[at + 4] = static_cast<uint8_t>(length);  // u32 length, < 256 here
  blob[at + 8] = 1;                             // revision
  std::memcpy(&blob[at + 10], "FWCFG ", 6);     // OEM ID
  std::memcpy(&blob[at + 16], "TESTTEST", 8);   // OEM table ID
  std::memcpy(&blob[at + 28], "VMM ", 4);       // creator ID
}

struct FakeAcpi {
  LinkerFiles files;
  BiosLinkerLoader linker;
};

FakeAcpi MakeFakeAcpi() {
  FakeAcpi acpi;
  std::vector<uint8_t> tables(kTablesSize, 0);
  PutHeader(tables, kDsdtOffset, "DSDT", 36);
  PutHeader(tables, kRsdtOffset, "RSDT", 40);
  // The RSDT entry holds the DSDT's offset inside etc/acpi/tables.
  EXPECT_TRUE(StoreLinkerPointer(absl::MakeSpan(tables), kRsdtEntryOffset, 4,
                                 kDsdtOffset)
                  .ok());
  std::vector<uint8_t> rsdp(20, 0);
  std::memcpy(&rsdp[0], "RSD PTR ", 8);
  std::memcpy(&rsdp[9], "FWCFG ", 6);
  EXPECT_TRUE(
      StoreLinkerPointer(absl::MakeSpan(rsdp), 16, 4, kRsdtOffset).ok());

  BiosLinkerLoader& l = acpi.linker;
  EXPECT_TRUE(l.AddAllocate(kTables, 64, kAllocZoneHigh, kTablesSize).ok());
  EXPECT_TRUE(l.AddChecksum(kTables, kDsdtOffset, 36, kDsdtOffset + 9).ok());
  EXPECT_TRUE(l.AddPointer(kTables, kRsdtEntryOffset, 4, kTables).ok());
  EXPECT_TRUE(l.AddChecksum(kTables, kRsdtOffset, 40, kRsdtOffset + 9).ok());
  EXPECT_TRUE(l.AddAllocate(kRsdp, 16, kAllocZoneFseg, 20).ok());
  EXPECT_TRUE(l.AddPointer(kRsdp, 16, 4, kTables).ok());
  EXPECT_TRUE(l.AddChecksum(kRsdp, 0, 20, 8).ok());
  acpi.files.emplace(kTables, std::move(tables));
  acpi.files.emplace(kRsdp, std::move(rsdp));
  return acpi;
}

constexpr LinkerMemoryLayout kLayout = {.high_start = 0x7ff00010,
                                        .high_end = 0x80000000,
                                        .fseg_start = 0xf0000,
                                        .fseg_end = 0x100000};

TEST(ExecuteBiosLinkerLoader, LinksAFakeRsdpAndRsdt) {
  FakeAcpi acpi = MakeFakeAcpi();
  // Run the script as firmware would see it: encoded, padded, decoded.
  auto script = acpi.linker.EncodePadded(4096);
  ASSERT_TRUE(script.ok());
  auto commands = DecodeBiosLinkerLoader(*script);
  ASSERT_TRUE(commands.ok()) << commands.status();
  ASSERT_EQ(commands->size(), 7u);

  auto run = ExecuteBiosLinkerLoader(*commands, &acpi.files,
                                     BumpLinkerAllocator(kLayout));
  ASSERT_TRUE(run.ok()) << run.status();
  // RSDP's ALLOCATE comes first (prepended), into FSEG; the tables go to the
  // first 64-byte boundary of the HIGH zone.
  constexpr uint64_t kTablesAddress = 0x7ff00040;
  constexpr uint64_t kRsdpAddress = 0xf0000;
  EXPECT_THAT(run->addresses,
              UnorderedElementsAre(Pair(kTables, kTablesAddress),
                                   Pair(kRsdp, kRsdpAddress)));
  EXPECT_THAT(run->written_pointers, IsEmpty());

  const std::vector<uint8_t>& tables = acpi.files[kTables];
  const std::vector<uint8_t>& rsdp = acpi.files[kRsdp];
  // Pointers now hold guest addresses.
  EXPECT_EQ(U32At(tables, kRsdtEntryOffset), kTablesAddress + kDsdtOffset);
  EXPECT_EQ(U32At(rsdp, 16), kTablesAddress + kRsdtOffset);
  EXPECT_EQ(rsdp[16], 0x64);  // 0x7ff00064, little-endian
  EXPECT_EQ(rsdp[17], 0x00);
  EXPECT_EQ(rsdp[18], 0xf0);
  EXPECT_EQ(rsdp[19], 0x7f);
  // Every checksummed range sums to zero, with a non-trivial checksum byte.
  EXPECT_EQ(Sum(absl::MakeConstSpan(tables).subspan(kDsdtOffset, 36)), 0);
  EXPECT_EQ(Sum(absl::MakeConstSpan(tables).subspan(kRsdtOffset, 40)), 0);
  EXPECT_EQ(Sum(rsdp), 0);
  EXPECT_NE(rsdp[8], 0);
  std::vector<uint8_t> rsdp_unsummed = rsdp;
  rsdp_unsummed[8] = 0;
  EXPECT_EQ(rsdp[8], AcpiChecksum(rsdp_unsummed));
  // The RSDT was checksummed after its pointer was patched.
  std::vector<uint8_t> rsdt(tables.begin() + kRsdtOffset, tables.end());
  rsdt[9] = 0;
  EXPECT_EQ(tables[kRsdtOffset + 9], AcpiChecksum(rsdt));
}

TEST(ExecuteBiosLinkerLoader, WritePointerWritesBackIntoTheFwCfgFile) {
  BiosLinkerLoader linker;
  ASSERT_TRUE(
      linker.AddAllocate("etc/vmgenid_guid", 4096, kAllocZoneHigh, 4096).ok());
  ASSERT_TRUE(
      linker.AddWritePointer("etc/vmgenid_addr", 0, 8, "etc/vmgenid_guid", 40)
          .ok());
  ASSERT_TRUE(
      linker.AddWritePointer("etc/vmgenid_addr", 8, 4, "etc/vmgenid_guid", 0)
          .ok());
  LinkerFiles files;
  files["etc/vmgenid_guid"] = std::vector<uint8_t>(4096, 0x5a);
  files["etc/vmgenid_addr"] = std::vector<uint8_t>(12, 0);
  auto commands = DecodeBiosLinkerLoader(linker.Encode());
  ASSERT_TRUE(commands.ok());
  auto run = ExecuteBiosLinkerLoader(*commands, &files,
                                     BumpLinkerAllocator({.high_start = 1}));
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_THAT(run->addresses,
              ElementsAre(Pair("etc/vmgenid_guid", uint64_t{0x1000})));
  EXPECT_THAT(run->written_pointers,
              ElementsAre(LinkerWrittenPointer{.dest_file = "etc/vmgenid_addr",
                                               .dst_offset = 0,
                                               .size = 8,
                                               .value = 0x1028},
                          LinkerWrittenPointer{.dest_file = "etc/vmgenid_addr",
                                               .dst_offset = 8,
                                               .size = 4,
                                               .value = 0x1000}));
  EXPECT_EQ(U64At(files["etc/vmgenid_addr"], 0), 0x1028u);
  EXPECT_EQ(U32At(files["etc/vmgenid_addr"], 8), 0x1000u);
  // The source blob is loaded, not changed.
  EXPECT_EQ(files["etc/vmgenid_guid"], std::vector<uint8_t>(4096, 0x5a));
}

TEST(ExecuteBiosLinkerLoader, AllocationHonoursAlignmentAndZones) {
  LinkerFiles files;
  files["a"] = std::vector<uint8_t>(3, 0);
  files["b"] = std::vector<uint8_t>(5, 0);
  files["c"] = std::vector<uint8_t>(1, 0);
  files["d"] = std::vector<uint8_t>(1, 0);
  const std::vector<LinkerCommand> commands = {
      LinkerAllocate{.file = "a", .align = 1, .zone = kAllocZoneHigh},
      LinkerAllocate{.file = "b", .align = 4096, .zone = kAllocZoneHigh},
      LinkerAllocate{.file = "c", .align = 0, .zone = kAllocZoneFseg},
      LinkerAllocate{.file = "d", .align = 32, .zone = kAllocZoneFseg},
  };
  auto run =
      ExecuteBiosLinkerLoader(commands, &files, BumpLinkerAllocator(kLayout));
  ASSERT_TRUE(run.ok()) << run.status();
  // Alignments below 16 are raised to SeaBIOS's minimum of 16.
  EXPECT_THAT(run->addresses,
              UnorderedElementsAre(Pair("a", uint64_t{0x7ff00010}),
                                   Pair("b", uint64_t{0x7ff01000}),
                                   Pair("c", uint64_t{0xf0000}),
                                   Pair("d", uint64_t{0xf0020})));
}

TEST(ExecuteBiosLinkerLoader, BumpAllocatorReportsAFullZone) {
  LinkerFiles files;
  files["big"] = std::vector<uint8_t>(0x10001, 0);
  const std::vector<LinkerCommand> commands = {
      LinkerAllocate{.file = "big", .align = 16, .zone = kAllocZoneFseg}};
  EXPECT_EQ(ExecuteBiosLinkerLoader(commands, &files, BumpLinkerAllocator())
                .status()
                .code(),
            absl::StatusCode::kResourceExhausted);
  files["big"].resize(0x10000);
  EXPECT_TRUE(
      ExecuteBiosLinkerLoader(commands, &files, BumpLinkerAllocator()).ok());
}

TEST(ExecuteBiosLinkerLoader, ChecksWhatTheAllocatorReturns) {
  LinkerFiles files;
  files["a"] = std::vector<uint8_t>(128, 0);
  files["b"] = std::vector<uint8_t>(16, 0);
  const std::vector<LinkerCommand> one = {
      LinkerAllocate{.file = "a", .align = 64, .zone = kAllocZoneHigh}};
  const std::vector<LinkerCommand> two = {
      LinkerAllocate{.file = "a", .align = 1, .zone = kAllocZoneHigh},
      LinkerAllocate{.file = "b", .align = 1, .zone = kAllocZoneHigh}};
  auto fixed = [](uint64_t address) -> LinkerAllocator {
    return [address](const LinkerAllocate&, uint64_t) {
      return absl::StatusOr<uint64_t>(address);
    };
  };
  EXPECT_EQ(ExecuteBiosLinkerLoader(one, &files, fixed(0x1010)).status().code(),
            absl::StatusCode::kInternal);  // misaligned
  EXPECT_EQ(ExecuteBiosLinkerLoader(
                one, &files,
                fixed(std::numeric_limits<uint64_t>::max() & ~uint64_t{63}))
                .status()
                .code(),
            absl::StatusCode::kInternal);  // wraps past 2^64
  EXPECT_EQ(ExecuteBiosLinkerLoader(two, &files, fixed(0x1000)).status().code(),
            absl::StatusCode::kInternal);  // overlap
  EXPECT_TRUE(ExecuteBiosLinkerLoader(one, &files, fixed(0x1040)).ok());
  auto failing = [](const LinkerAllocate&,
                    uint64_t) -> absl::StatusOr<uint64_t> {
    return absl::ResourceExhaustedError("out of memory");
  };
  EXPECT_EQ(ExecuteBiosLinkerLoader(one, &files, failing).status().code(),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ExecuteBiosLinkerLoader(one, &files, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ExecuteBiosLinkerLoader(one, nullptr, fixed(0)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------
// Hostile scripts: every bad reference is an error, never a crash.

class HostileScript : public ::testing::Test {
 protected:
  HostileScript() {
    files_["t"] = std::vector<uint8_t>(64, 0);
    files_["s"] = std::vector<uint8_t>(16, 0);
    files_["w"] = std::vector<uint8_t>(8, 0);
    files_["empty"] = {};
  }

  // Encodes, decodes and executes `commands` after allocating "t" and "s".
  absl::Status Run(std::vector<LinkerCommand> commands) {
    commands.insert(
        commands.begin(),
        {LinkerAllocate{.file = "t", .align = 16, .zone = kAllocZoneHigh},
         LinkerAllocate{.file = "s", .align = 16, .zone = kAllocZoneHigh}});
    auto bytes = EncodeBiosLinkerLoader(commands);
    if (!bytes.ok()) return bytes.status();
    auto decoded = DecodeBiosLinkerLoader(*bytes);
    if (!decoded.ok()) return decoded.status();
    EXPECT_EQ(*decoded, commands);
    return ExecuteBiosLinkerLoader(*decoded, &files_,
                                   BumpLinkerAllocator(kLayout))
        .status();
  }

  LinkerFiles files_;
};

LinkerAddPointer Pointer(std::string dest, uint32_t offset, uint8_t size,
                         std::string src) {
  return LinkerAddPointer{.dest_file = std::move(dest),
                          .src_file = std::move(src),
                          .offset = offset,
                          .size = size};
}

LinkerAddChecksum Checksum(std::string file, uint32_t start, uint32_t length,
                           uint32_t offset) {
  return LinkerAddChecksum{.file = std::move(file),
                           .offset = offset,
                           .start = start,
                           .length = length};
}

LinkerWritePointer WritePointer(std::string dest, uint32_t dst_offset,
                                uint8_t size, std::string src,
                                uint32_t src_offset) {
  return LinkerWritePointer{.dest_file = std::move(dest),
                            .src_file = std::move(src),
                            .dst_offset = dst_offset,
                            .src_offset = src_offset,
                            .size = size};
}

TEST_F(HostileScript, TheBaselineRuns) {
  ASSERT_TRUE(Run({Pointer("t", 60, 4, "s"), Checksum("t", 0, 64, 0),
                   WritePointer("w", 0, 8, "s", 15)})
                  .ok());
  // "t" lands at 0x7ff00010 and "s" right after its 64 bytes.
  EXPECT_EQ(U32At(files_["t"], 60), 0x7ff00050u);
  EXPECT_EQ(Sum(files_["t"]), 0);
  EXPECT_EQ(U64At(files_["w"], 0), 0x7ff0005fu);
}

TEST_F(HostileScript, PointerFieldPastTheEndOfTheDestination) {
  EXPECT_EQ(CodeOf(Run({Pointer("t", 61, 4, "s")})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 64, 1, "s")})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0xffffffff, 8, "s")})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0xfffffffc, 4, "s")})),
            absl::StatusCode::kOutOfRange);
}

TEST_F(HostileScript, PointerValuePastTheEndOfTheSource) {
  files_["t"][0] = 16;  // "s" is 16 bytes long
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0, 1, "s")})),
            absl::StatusCode::kOutOfRange);
  files_["t"].assign(64, 0xff);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0, 8, "s")})),
            absl::StatusCode::kOutOfRange);
}

TEST_F(HostileScript, PointerResultTooWideForTheField) {
  // 0x7ff00050 needs four bytes.
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0, 1, "s")})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0, 2, "s")})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(files_["t"], std::vector<uint8_t>(64, 0));  // left untouched
}

TEST_F(HostileScript, BadPointerSizes) {
  for (uint8_t size : {0, 3, 6, 9, 128, 255}) {
    EXPECT_EQ(CodeOf(Run({Pointer("t", 0, size, "s")})),
              absl::StatusCode::kInvalidArgument)
        << int{size};
    EXPECT_EQ(CodeOf(Run({WritePointer("w", 0, size, "s", 0)})),
              absl::StatusCode::kInvalidArgument)
        << int{size};
  }
}

TEST_F(HostileScript, ChecksumOutOfBounds) {
  EXPECT_EQ(CodeOf(Run({Checksum("t", 0, 64, 64)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Checksum("t", 0, 64, 0xffffffff)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Checksum("t", 0, 65, 0)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Checksum("t", 64, 1, 0)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Checksum("t", 0xffffff00, 0x10, 0)})),
            absl::StatusCode::kOutOfRange);
}

TEST_F(HostileScript, ChecksumHugeLengths) {
  EXPECT_EQ(CodeOf(Run({Checksum("t", 0, 0xffffffff, 0)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({Checksum("t", 1, 0x7fffffff, 0)})),
            absl::StatusCode::kOutOfRange);
}

TEST_F(HostileScript, ChecksumRangeWrapping32Bits) {
  // start + length wraps to 0x10 - 8 = 8 in 32 bits, which would look
  // in bounds to a careless check.
  auto status = Run({Checksum("t", 0x10, 0xfffffff8, 0x10)});
  EXPECT_EQ(status.code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(status.message()), HasSubstr("wraps"));
  EXPECT_EQ(CodeOf(Run({Checksum("t", 1, 0xffffffff, 0)})),
            absl::StatusCode::kOutOfRange);
}

TEST_F(HostileScript, ChecksumByteOutsideTheRangeFollowsSeaBios) {
  // Neither firmware rejects this; SeaBIOS subtracts the range's sum from
  // the byte.
  files_["t"][1] = 0x10;
  files_["t"][2] = 0x20;
  ASSERT_TRUE(Run({Checksum("t", 1, 2, 40)}).ok());
  EXPECT_EQ(files_["t"][40], 0xd0);
}

TEST_F(HostileScript, WritePointerOutOfBounds) {
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 1, 8, "s", 0)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 0xffffffff, 8, "s", 0)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 0, 8, "s", 16)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 0, 8, "s", 0xffffffff)})),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 0, 2, "s", 0)})),
            absl::StatusCode::kOutOfRange);  // 0x7ff00050 needs 4 bytes
  EXPECT_EQ(CodeOf(Run({WritePointer("nope", 0, 4, "s", 0)})),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(files_["w"], std::vector<uint8_t>(8, 0));
}

TEST_F(HostileScript, DanglingNames) {
  EXPECT_EQ(CodeOf(Run({Pointer("w", 0, 4, "s")})),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Run({Pointer("t", 0, 4, "w")})),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Run({Checksum("w", 0, 1, 0)})),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Run({WritePointer("w", 0, 4, "w", 0)})),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{
                .file = "missing", .align = 1, .zone = kAllocZoneHigh}})),
            absl::StatusCode::kNotFound);
}

TEST_F(HostileScript, BadAllocations) {
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{
                .file = "t", .align = 16, .zone = kAllocZoneHigh}})),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{
                .file = "w", .align = 3, .zone = kAllocZoneHigh}})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{.file = "w", .align = 1, .zone = 0}})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{.file = "w", .align = 1, .zone = 3}})),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{
                .file = "empty", .align = 1, .zone = kAllocZoneHigh}})),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(Run({LinkerAllocate{
                .file = "w", .align = 0x80000000, .zone = kAllocZoneHigh}})),
            absl::StatusCode::kResourceExhausted);
}

TEST_F(HostileScript, ErrorsNameTheCommand) {
  auto status = Run({Checksum("t", 0, 1, 0), Checksum("t", 0, 65, 0)});
  EXPECT_THAT(std::string(status.message()), HasSubstr("command 3"));
}

TEST_F(HostileScript, BadNamesInHandBuiltCommands) {
  // Commands built in code rather than decoded may carry names that could
  // never be on the wire; the executor rejects them too.
  const std::vector<LinkerCommand> commands = {LinkerAllocate{
      .file = std::string(56, 't'), .align = 1, .zone = kAllocZoneHigh}};
  files_[std::string(56, 't')] = {1};
  EXPECT_EQ(ExecuteBiosLinkerLoader(commands, &files_, BumpLinkerAllocator())
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

// Mutations of the fake ACPI script and its files: decode and execute must
// return, whatever the bytes. Deterministic, so a failure is reproducible.
TEST(ExecuteBiosLinkerLoaderFuzz, MutatedScriptsNeverCrash) {
  const FakeAcpi base = MakeFakeAcpi();
  const std::vector<uint8_t> script = base.linker.Encode();
  const size_t command_count = script.size() / 128;
  const char* names[] = {kTables, kRsdp, "etc/other", ""};
  std::mt19937 rng(20240229);
  int succeeded = 0;
  int failed = 0;
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> bytes = script;
    const int mutations = static_cast<int>(rng() % 4);
    for (int m = 0; m < mutations; ++m) {
      uint8_t* c = &bytes[(rng() % command_count) * 128];
      const size_t field = std::vector<size_t>{60, 64, 68, 116, 120}[rng() % 5];
      uint32_t value = 0;
      switch (rng() % 6) {
        case 0:  // another command type, or padding
          c[0] = static_cast<uint8_t>(rng() % 5);
          break;
        case 1:  // any byte after the first name
          c[60 + rng() % 68] = static_cast<uint8_t>(rng());
          break;
        case 2:  // a small number
          value = rng() % 128;
          std::memcpy(c + field, &value, 4);
          break;
        case 3:  // a huge number
          value = 0xffffffff - rng() % 128;
          std::memcpy(c + field, &value, 4);
          break;
        case 4:  // a zone or pointer size, valid or not
          c[std::vector<size_t>{64, 120, 124}[rng() % 3]] =
              static_cast<uint8_t>(rng() % 10);
          break;
        default: {  // another name
          uint8_t* name = c + (rng() % 2 ? 4 : 60);
          std::memset(name, 0, 56);
          const char* text = names[rng() % 4];
          std::memcpy(name, text, std::strlen(text));
          break;
        }
      }
    }
    auto commands = DecodeBiosLinkerLoader(bytes);
    if (!commands.ok()) {
      ++failed;
      continue;
    }
    LinkerFiles files = base.files;
    files["etc/other"] = std::vector<uint8_t>(rng() % 3, 0xff);
    if (rng() % 4 == 0) {
      files[rng() % 2 ? kTables : kRsdp].resize(rng() % 80);
    }
    auto run = ExecuteBiosLinkerLoader(*commands, &files,
                                       BumpLinkerAllocator(kLayout));
    if (run.ok()) {
      ++succeeded;
    } else {
      ++failed;
    }
  }
  RecordProperty("succeeded", succeeded);
  RecordProperty("failed", failed);
  // Both outcomes must be common for the test to mean much.
  EXPECT_GT(succeeded, 500);
  EXPECT_GT(failed, 500);
}

}  // namespace
}  // namespace acpi_tables
