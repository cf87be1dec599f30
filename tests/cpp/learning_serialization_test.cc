// "learned parameters" bytes: round trip, and every truncation or corruption
// is reported as kCorrupt (never a crash or a partial load).
#include <gtest/gtest.h>

#include "grad_check.h"
#include "learning/parameter_serialization.h"
#include "learning/query_refiner.h"

namespace neurovec::learning {
namespace {

QueryRefiner SmallModel(uint64_t seed) {
  QueryRefinerConfig c;
  c.input_dim = 6;
  c.hidden_dim = 4;
  c.heads = 2;
  c.hops = 2;
  c.seed = seed;
  return QueryRefiner::Create(c).take();
}

TEST(ParameterSerialization, RoundTripsExactly) {
  QueryRefiner a = SmallModel(1), b = SmallModel(2);
  ParameterSet pa = a.Parameters(), pb = b.Parameters();
  const std::string bytes = SerializeParameters(pa);
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  ASSERT_FALSE(pa[0].value == pb[0].value);
  ASSERT_TRUE(LoadParameters(data, bytes.size(), pb).ok());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(pa[i].value == pb[i].value) << pa[i].name;
  EXPECT_EQ(SerializeParameters(pb), bytes);
  // Names and shapes come back too.
  auto decoded = DeserializeParameters(data, bytes.size());
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded.value().size(), pa.size());
  EXPECT_EQ(decoded.value()[0].name, "refiner.projection.weight");
  EXPECT_EQ(decoded.value()[0].value.rows(), 6);
  EXPECT_EQ(decoded.value()[0].value.cols(), 4);
}

TEST(ParameterSerialization, LittleEndianFixedLayout) {
  Parameter p("ab", 1, 2);
  p.value << 1.0f, -2.0f;
  ParameterSet set;
  set.Add(&p);
  const std::string bytes = SerializeParameters(set);
  // magic 4 + version 4 + count 4 + name len 4 + "ab" 2 + shape 8 + 2 floats 8 + crc 4
  ASSERT_EQ(bytes.size(), 38u);
  EXPECT_EQ(bytes.substr(0, 4), "NVLP");
  EXPECT_EQ(static_cast<uint8_t>(bytes[4]), 1);  // version 1, little-endian
  EXPECT_EQ(static_cast<uint8_t>(bytes[5]), 0);
  // 1.0f = 0x3f800000 little-endian at offset 26.
  EXPECT_EQ(static_cast<uint8_t>(bytes[26]), 0x00);
  EXPECT_EQ(static_cast<uint8_t>(bytes[29]), 0x3f);
}

TEST(ParameterSerialization, EveryTruncationIsCorrupt) {
  QueryRefiner a = SmallModel(3);
  ParameterSet pa = a.Parameters();
  const std::string bytes = SerializeParameters(pa);
  QueryRefiner b = SmallModel(4);
  ParameterSet pb = b.Parameters();
  const std::string before = SerializeParameters(pb);
  for (size_t n = 0; n < bytes.size(); ++n) {
    Status s = LoadParameters(reinterpret_cast<const uint8_t*>(bytes.data()), n, pb);
    ASSERT_EQ(s.code(), StatusCode::kCorrupt) << "length " << n << ": " << s.message();
  }
  EXPECT_EQ(SerializeParameters(pb), before);  // nothing was loaded
  EXPECT_EQ(LoadParameters(nullptr, 0, pb).code(), StatusCode::kCorrupt);
}

TEST(ParameterSerialization, CorruptionIsDetected) {
  QueryRefiner a = SmallModel(5);
  ParameterSet pa = a.Parameters();
  const std::string bytes = SerializeParameters(pa);
  nvtest::Rng rng(9);
  // Flip one bit at 300 random places (the checksum catches every single-bit error).
  for (int t = 0; t < 300; ++t) {
    std::string bad = bytes;
    const size_t at = rng.Below(bad.size());
    bad[at] = static_cast<char>(bad[at] ^ (1 << rng.Below(8)));
    auto r = DeserializeParameters(reinterpret_cast<const uint8_t*>(bad.data()), bad.size());
    ASSERT_FALSE(r.ok()) << "flip at " << at;
    if (at >= 4 && at < 8) {
      EXPECT_TRUE(r.status().code() == StatusCode::kUnsupportedVersion || r.status().code() == StatusCode::kCorrupt);
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
    }
  }
  // Extra bytes after a valid image are rejected too.
  std::string longer = bytes + "x";
  EXPECT_EQ(DeserializeParameters(reinterpret_cast<const uint8_t*>(longer.data()), longer.size()).status().code(),
            StatusCode::kCorrupt);
}

TEST(ParameterSerialization, ModelMismatchIsInvalidArgument) {
  QueryRefiner a = SmallModel(6);
  ParameterSet pa = a.Parameters();
  const std::string bytes = SerializeParameters(pa);
  QueryRefinerConfig c;
  c.input_dim = 7;  // other projection shape
  c.hidden_dim = 4;
  c.heads = 2;
  c.hops = 2;
  QueryRefiner other = QueryRefiner::Create(c).take();
  ParameterSet po = other.Parameters();
  EXPECT_EQ(LoadParameters(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), po).code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace neurovec::learning
