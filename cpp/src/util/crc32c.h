// CRC-32C (Castagnoli): the checksum of every header, section and log record of
// an index file, and of the blocks paged from it. A leaf (no project includes).
#pragma once

#include <cstddef>
#include <cstdint>

namespace neurovec {

// Uses the SSE4.2 crc32 instruction where the CPU has it, else the table.
uint32_t Crc32c(const uint8_t* data, size_t size, uint32_t crc = 0);

// The CRC of A followed by B, from the CRC of A (any starting value), the CRC
// of B alone (starting at 0) and B's length. Lets independent pieces of a
// buffer be checked apart (in parallel streams or threads) and joined.
uint32_t Crc32cCombine(uint32_t crc_a, uint32_t crc_b, uint64_t length_b);

// The table-driven reference (and the wasm path); same results.
uint32_t Crc32cPortable(const uint8_t* data, size_t size, uint32_t crc = 0);

}  // namespace neurovec
