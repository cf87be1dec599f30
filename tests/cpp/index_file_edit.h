// Editing saved index images in tests: find sections, patch bytes, and
// re-seal the checksums (section CRC, table CRC, both header slots) after an
// edit, so a test reaches the reader's own validation of a value instead of
// stopping at the checksum.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

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

}  // namespace nvtest
