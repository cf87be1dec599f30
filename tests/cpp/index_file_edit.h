// Editing saved index images in tests: find sections, patch bytes, and
// re-seal the checksums (section CRC, table CRC, both header slots) after an
// edit, so a test reaches the reader's own validation of a value instead of
// stopping at the checksum.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "neurovec/vector_index.h"

#include "util/crc32c.h"
#include "persistence/index_file.h"

namespace nvtest {

struct SectionRef {
  uint32_t kind, flags;
  uint64_t offset, length;
  size_t table_pos;  // of its entry in the section table
};

inline std::vector<SectionRef> Sections(const std::string& file) {
  namespace f = neurovec::index_file;
  const auto* bytes = reinterpret_cast<const uint8_t*>(file.data());
  auto header = f::ReadHeader(bytes, file.size(), nullptr);
  auto table = f::ReadSectionTable(bytes, file.size());
  EXPECT_TRUE(header.ok() && table.ok());
  std::vector<SectionRef> out;
  if (!header.ok() || !table.ok()) return out;
  for (size_t i = 0; i < table.value().size(); ++i) {
    const f::SectionEntry& e = table.value()[i];
    out.push_back({e.kind, e.flags, e.offset, e.length,
                   static_cast<size_t>(header.value().table_offset + i * f::kTableEntryBytes)});
  }
  return out;
}

inline void PutU32(std::string& file, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) file[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

inline void Reseal(std::string& file, const SectionRef& s) {
  namespace f = neurovec::index_file;
  auto bytes = [&](size_t at) { return reinterpret_cast<const uint8_t*>(file.data()) + at; };
  PutU32(file, s.table_pos + 24, neurovec::Crc32c(bytes(s.offset), s.length));
  auto header = f::ReadHeader(bytes(0), file.size(), nullptr).value();
  header.table_crc = neurovec::Crc32c(bytes(header.table_offset), header.table_length);
  const std::string h = f::EncodeHeader(header);
  std::memcpy(&file[0], h.data(), h.size());
  std::memcpy(&file[f::kPageSize], h.data(), h.size());
}

// Re-seals the section of `kind`; false when the image has none.
inline bool ResealSection(std::string& file, uint32_t kind) {
  for (const SectionRef& s : Sections(file)) {
    if (s.kind == kind) {
      Reseal(file, s);
      return true;
    }
  }
  return false;
}

// The first section of `kind` (kind 0 when the image has none).
inline SectionRef FindSection(const std::string& file, uint32_t kind) {
  for (const SectionRef& s : Sections(file)) {
    if (s.kind == kind) return s;
  }
  return SectionRef{};
}

inline neurovec::Result<std::unique_ptr<neurovec::VectorIndex>> OpenImage(const std::string& file) {
  return neurovec::VectorIndex::LoadFromBytes(reinterpret_cast<const uint8_t*>(file.data()), file.size());
}

// One way to damage a section: edits the image; may change the section's
// extent (its length, when the edit cuts it short) before it is re-sealed.
struct SectionDamage {
  const char* name;
  std::function<void(std::string& file, SectionRef& section)> apply;
};

// A damage that writes the u32 `v` at byte `at` of the section.
inline std::function<void(std::string&, SectionRef&)> PutU32At(uint64_t at, uint32_t v) {
  return [at, v](std::string& f, SectionRef& s) { PutU32(f, s.offset + at, v); };
}

// Each damage, applied to a copy of `file` with the checksums re-sealed, must
// make the open fail as kCorrupt with `named` in the message (the reader's own
// checks, not the checksum's).
inline void ExpectDamageRefused(const std::string& file, const SectionRef& section,
                                const std::vector<SectionDamage>& damages, const std::string& named) {
  for (const SectionDamage& damage : damages) {
    std::string bad = file;
    SectionRef resealed = section;
    damage.apply(bad, resealed);
    Reseal(bad, resealed);
    auto opened = OpenImage(bad);
    ASSERT_FALSE(opened.ok()) << damage.name;
    EXPECT_EQ(opened.status().code(), neurovec::StatusCode::kCorrupt) << damage.name << ": " << opened.status().message();
    EXPECT_NE(opened.status().message().find(named), std::string::npos) << opened.status().message();
  }
}

// A section whose leading u32 version says `version` (newer than the build's)
// is refused as kUnsupportedVersion.
inline void ExpectNewerVersionRefused(const std::string& file, const SectionRef& section, uint32_t version) {
  std::string newer = file;
  PutU32(newer, section.offset, version);
  Reseal(newer, section);
  auto refused = OpenImage(newer);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), neurovec::StatusCode::kUnsupportedVersion) << refused.status().message();
}

}  // namespace nvtest
