#include "learning/parameter_serialization.h"

#include <unordered_map>

#include "util/byte_io.h"
#include "util/crc32c.h"

namespace neurovec::learning {
namespace {

constexpr char kMagic[4] = {'N', 'V', 'L', 'P'};

Status Truncated(const char* what, size_t offset) {
  return Status::Corrupt(std::string("learned parameters: truncated while reading ") + what + " at byte " +
                         std::to_string(offset));
}

}  // namespace

std::string SerializeParameters(const ParameterSet& params) {
  std::string out;
  ByteWriter w(out);
  w.Bytes(kMagic, 4);
  w.U32(kParameterFormatVersion);
  w.U32(static_cast<uint32_t>(params.size()));
  for (const Parameter* p : params) {
    w.U32(static_cast<uint32_t>(p->name.size()));
    w.Bytes(p->name.data(), p->name.size());
    w.U32(static_cast<uint32_t>(p->value.rows()));
    w.U32(static_cast<uint32_t>(p->value.cols()));
    for (Eigen::Index r = 0; r < p->value.rows(); ++r) {
      for (Eigen::Index c = 0; c < p->value.cols(); ++c) w.F32(p->value(r, c));
    }
  }
  const uint32_t crc = Crc32c(reinterpret_cast<const uint8_t*>(out.data()), out.size());
  w.U32(crc);
  return out;
}

Result<std::vector<NamedTensor>> DeserializeParameters(const uint8_t* data, size_t size) {
  constexpr size_t kHeader = 12;
  if (data == nullptr || size < kHeader + 4) {
    return Status::Corrupt("learned parameters: " + std::to_string(size) + " bytes, fewer than the 16 of an empty set");
  }
  if (std::memcmp(data, kMagic, 4) != 0) return Status::Corrupt("learned parameters: bad magic (expected NVLP)");
  ByteReader header(data + 4, size - 4);
  uint32_t version = 0;
  header.U32(version);
  if (version == 0 || version > kParameterFormatVersion) {
    return Status::UnsupportedVersion("learned parameters: format version " + std::to_string(version) +
                                      ", this build reads up to " + std::to_string(kParameterFormatVersion));
  }
  // The checksum covers every byte before it: check it before trusting any length.
  const size_t body = size - 4;
  ByteReader trailer(data + body, 4);
  uint32_t stored_crc = 0;
  trailer.U32(stored_crc);
  if (Crc32c(data, body) != stored_crc) return Status::Corrupt("learned parameters: checksum mismatch");

  ByteReader r(data, body);
  const uint8_t* skip;
  uint32_t count = 0;
  r.Bytes(8, skip);
  if (!r.U32(count)) return Truncated("the parameter count", r.position());
  // Each parameter takes at least 12 bytes: bounds `count` before reserving.
  if (count > r.remaining() / 12) return Status::Corrupt("learned parameters: count " + std::to_string(count) + " exceeds the bytes present");
  std::vector<NamedTensor> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t name_len = 0, rows = 0, cols = 0;
    if (!r.U32(name_len)) return Truncated("a name length", r.position());
    if (name_len > kMaxParameterNameBytes) return Status::Corrupt("learned parameters: name of " + std::to_string(name_len) + " bytes");
    const uint8_t* name = nullptr;
    if (!r.Bytes(name_len, name)) return Truncated("a name", r.position());
    if (!r.U32(rows) || !r.U32(cols)) return Truncated("a shape", r.position());
    const uint64_t values = static_cast<uint64_t>(rows) * cols;
    if (values > r.remaining() / 4) {
      return Status::Corrupt("learned parameters: tensor " + std::to_string(i) + " of " + std::to_string(rows) + " x " +
                             std::to_string(cols) + " exceeds the bytes present");
    }
    NamedTensor t;
    t.name.assign(reinterpret_cast<const char*>(name), name_len);
    t.value.resize(rows, cols);
    for (uint32_t row = 0; row < rows; ++row) {
      for (uint32_t col = 0; col < cols; ++col) r.F32(t.value(row, col));
    }
    out.push_back(std::move(t));
  }
  if (r.remaining() != 0) return Status::Corrupt("learned parameters: " + std::to_string(r.remaining()) + " unexpected bytes after the last tensor");
  return out;
}

Status LoadParameters(const uint8_t* data, size_t size, const ParameterSet& params) {
  Result<std::vector<NamedTensor>> decoded = DeserializeParameters(data, size);
  if (!decoded.ok()) return decoded.status();
  const std::vector<NamedTensor>& tensors = decoded.value();
  if (tensors.size() != params.size()) {
    return Status::InvalidArgument("learned parameters hold " + std::to_string(tensors.size()) +
                                   " tensors, the model has " + std::to_string(params.size()));
  }
  std::unordered_map<std::string, const NamedTensor*> by_name;
  for (const NamedTensor& t : tensors) {
    if (!by_name.emplace(t.name, &t).second) return Status::Corrupt("learned parameters: '" + t.name + "' appears twice");
  }
  for (const Parameter* p : params) {
    auto it = by_name.find(p->name);
    if (it == by_name.end()) return Status::InvalidArgument("learned parameters lack '" + p->name + "'");
    const Matrix& v = it->second->value;
    if (v.rows() != p->value.rows() || v.cols() != p->value.cols()) {
      return Status::InvalidArgument("learned parameter '" + p->name + "' is " + std::to_string(v.rows()) + " x " +
                                     std::to_string(v.cols()) + ", the model expects " +
                                     std::to_string(p->value.rows()) + " x " + std::to_string(p->value.cols()));
    }
  }
  for (Parameter* p : params) p->value = by_name[p->name]->value;
  return Status::Ok();
}

}  // namespace neurovec::learning
