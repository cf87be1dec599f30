// The opening of the optional sections that carry their own layout version
// (learning, router, workload): a u32 version from 1 to the newest this build
// writes, and the CORRUPT status their decoders return. Shared so each decoder
// refuses the same way.
#pragma once

#include <cstdint>
#include <string>

#include "neurovec/status.h"
#include "util/byte_io.h"

namespace neurovec::index_file {

// The error a decoder of `section` returns for damage it found, naming the
// section: kCorrupt "index file is corrupt: <section> section: <what>".
inline auto SectionCorruption(const char* section) {
  return [section](const std::string& what) {
    return Status::Corrupt(std::string("index file is corrupt: ") + section + " section: " + what);
  };
}

// Reads the version at the reader's position. kCorrupt ("index file is
// corrupt: <section> section: too short") when it is missing;
// kUnsupportedVersion outside 1..newest (a layout this build cannot read).
inline Status ReadSectionVersion(ByteReader& r, const char* section, uint32_t newest, uint32_t* version) {
  if (!r.U32(*version)) return SectionCorruption(section)("too short");
  if (*version == 0 || *version > newest) {
    return Status::UnsupportedVersion(std::string(section) + " section version " + std::to_string(*version) +
                                      " is newer than this build");
  }
  return Status::Ok();
}

}  // namespace neurovec::index_file
