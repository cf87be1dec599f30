// Small helpers shared by the CLI's subcommands.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace neurovec::cli {

using Clock = std::chrono::steady_clock;
inline double SecondsBetween(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}
inline double SecondsSince(Clock::time_point start) { return SecondsBetween(start, Clock::now()); }

// "neurovec <command>: <message>" on stderr; returns the exit status 1.
inline int FailCommand(const char* command, const std::string& message) {
  std::fprintf(stderr, "neurovec %s: %s\n", command, message.c_str());
  return 1;
}

// "10,20,40" -> {10, 20, 40}; false on an empty list or anything but positive integers.
inline bool ParseUintList(const std::string& text, std::vector<uint32_t>& out) {
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    unsigned long v = std::strtoul(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v == 0) return false;
    out.push_back(static_cast<uint32_t>(v));
  }
  return !out.empty();
}

// Runs fn(i) for i in [0, n) on `threads` threads (the caller's among them),
// handing out one index at a time.
template <typename Fn>
void ParallelFor(size_t n, uint32_t threads, Fn fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  for (uint32_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

}  // namespace neurovec::cli
