// Small deterministic PRNG (splitmix64 seeding an xoshiro256**), identical on
// every platform, unlike std:: distributions whose output is unspecified.
#pragma once

#include <array>
#include <cstdint>

namespace neurovec {

class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& s : state_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }

  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }

  // Uniform in (0, 1]: never 0, so -log(x) is finite.
  double NextUnit() { return (static_cast<double>(Next() >> 11) + 1.0) * (1.0 / 9007199254740992.0); }

  uint64_t NextBelow(uint64_t n) { return Next() % n; }

  // The whole state, to save it and continue the same sequence later
  // (persistence: a reopened index draws what the first process would have).
  using State = std::array<uint64_t, 4>;
  State state() const { return {state_[0], state_[1], state_[2], state_[3]}; }
  // False (and no change) for the all-zero state, which xoshiro never leaves.
  bool Restore(const State& s) {
    if ((s[0] | s[1] | s[2] | s[3]) == 0) return false;
    for (int i = 0; i < 4; ++i) state_[i] = s[i];
    return true;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace neurovec
