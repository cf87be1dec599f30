// CRC-32C (Castagnoli), the checksum of every header and section of an index file.
#pragma once

#include <cstddef>
#include <cstdint>

namespace neurovec {

uint32_t Crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace neurovec
