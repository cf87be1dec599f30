// The plain walk per target of a RouterReport (RouterReport::plain_ef,
// plain_serves), as text and as JSON, for train-router and routing-bench.
#pragma once

#include <cstdio>
#include <string>

#include "neurovec/vector_index.h"

namespace neurovec::cli {

inline constexpr float kRouterTargetRecalls[8] = {0.80f, 0.85f, 0.90f, 0.93f, 0.95f, 0.97f, 0.98f, 0.99f};

// One line per target: its plain ef, and which walk serves it (with the times
// that decided, where timed).
inline std::string PlainWalksText(const RouterReport& r) {
  std::string out;
  char line[200];
  for (int i = 0; i < 8; ++i) {
    if (r.plain_ef[i] == 0) {
      std::snprintf(line, sizeof line, "target %.2f: no plain ef up to the training ef reached it; the learned walk serves it\n",
                    kRouterTargetRecalls[i]);
    } else if (r.learned_us[i] > 0) {
      std::snprintf(line, sizeof line, "target %.2f: plain ef %u, %.1f us per query against the learned walk's %.1f us: %s serves it\n",
                    kRouterTargetRecalls[i], r.plain_ef[i], r.plain_us[i], r.learned_us[i],
                    r.plain_serves[i] ? "the plain walk" : "the learned walk");
    } else {
      std::snprintf(line, sizeof line, "target %.2f: plain ef %u (not timed); the learned walk serves it\n",
                    kRouterTargetRecalls[i], r.plain_ef[i]);
    }
    out += line;
  }
  return out;
}

inline std::string PlainWalksJson(const RouterReport& r) {
  std::string out = "[";
  char item[200];
  for (int i = 0; i < 8; ++i) {
    std::snprintf(item, sizeof item,
                  "%s{\"targetRecall\": %.2f, \"plainEf\": %u, \"plainServes\": %s, \"learnedMicros\": %.2f, \"plainMicros\": %.2f}",
                  i == 0 ? "" : ", ", kRouterTargetRecalls[i], r.plain_ef[i], r.plain_serves[i] ? "true" : "false",
                  r.learned_us[i], r.plain_us[i]);
    out += item;
  }
  return out + "]";
}

}  // namespace neurovec::cli
