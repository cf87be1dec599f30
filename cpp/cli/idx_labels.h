// IDX label files (the MNIST / Fashion-MNIST format): magic 0x00000801, a
// big-endian count, one byte per label; gzip-compressed or plain.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "neurovec/status.h"

namespace neurovec::cli {

Result<std::vector<uint8_t>> ReadIdxLabels(const std::string& path);

}  // namespace neurovec::cli
