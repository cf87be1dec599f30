// Search templates of HnswGraph, inlined so the accept predicate and the
// distance switch compile into the loop.
#pragma once

#include <algorithm>

namespace neurovec {

inline void PrefetchRead(const void* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p, 0, 3);
#else
  (void)p;
#endif
}

template <bool kLocked, typename Store, typename Query, typename Stopper>
uint32_t HnswGraph::GreedyDescend(Query query, uint32_t entry, float* entry_distance, int from_level,
                                  int target_level, const Store& store, TraversalCounters& counters,
                                  const Stopper& stop) const {
  uint32_t current = entry;
  float best = *entry_distance;
  for (int level = from_level; level > target_level; --level) {
    bool moved = true;
    while (moved) {
      moved = false;
      ++counters.hops;
      const uint32_t* links;
      uint32_t copied[kMaxM + 1];
      if (kLocked) {
        locks_[current].lock();
        const uint32_t* src = LinksOf(current, level);
        std::copy(src, src + src[0] + 1, copied);
        locks_[current].unlock();
        links = copied;
      } else {
        links = LinksOf(current, level);
      }
      uint32_t count = links[0];
      for (uint32_t i = 1; i <= count; ++i) {
        uint32_t next = links[i];
        if (i < count) PrefetchRead(store.Row(links[i + 1]));
        if constexpr (Stopper::kActive) {
          if (stop.Skips(next)) continue;
        }
        float d = store.DistanceBounded(query, store.Row(next), best);
        ++counters.distance_computations;
        if (d < best) {
          best = d;
          current = next;
          moved = true;
        }
      }
    }
  }
  *entry_distance = best;
  return current;
}

template <bool kLocked, typename Store, typename Query, typename Accept, typename Stopper>
void HnswGraph::SearchLayer(Query query, uint32_t entry, float entry_distance, int level, uint32_t ef,
                            const Store& store, const Accept& accept, bool everything_accepted,
                            SearchContext& ctx, TraversalCounters& counters, Stopper& stop) const {
  VisitedSet& visited = ctx.visited;
  std::vector<Candidate>& frontier = ctx.frontier;
  std::vector<Candidate>& results = ctx.results;
  frontier.clear();
  results.clear();

  float bound = std::numeric_limits<float>::infinity();  // distance of the worst result once ef are held
  visited.Mark(entry);
  frontier.push_back({entry_distance, entry});
  if constexpr (Stopper::kActive) stop.Start(entry_distance);
  if (accept(entry)) {
    if constexpr (Stopper::kActive) stop.OnResult(entry_distance, entry);
    results.push_back({entry_distance, entry});
    if (results.size() >= ef) bound = entry_distance;
  }

  uint32_t copied[kMaxM * 2 + 1];
  uint32_t kept_buffer[kMaxM * 2 + 1];  // the neighbours a filter let through
  while (!frontier.empty()) {
    Candidate current = frontier.front();
    // Stop when the closest unexplored node is farther than the worst result. With
    // a filter and too few results, keep exploring (as hnswlib does).
    if (current.distance > bound && (results.size() >= ef || everything_accepted)) break;
    std::pop_heap(frontier.begin(), frontier.end(), CloserOnTop());
    frontier.pop_back();
    ++counters.hops;

    const uint32_t* links;
    if (kLocked) {
      locks_[current.slot].lock();
      const uint32_t* src = LinksOf(current.slot, level);
      std::copy(src, src + src[0] + 1, copied);
      locks_[current.slot].unlock();
      links = copied;
    } else {
      links = LinksOf(current.slot, level);
    }
    uint32_t count = links[0];
    if constexpr (Stopper::kActive) {
      if (stop.FiltersNeighbours()) {
        // Neighbour skipping: decide on every neighbour first (projections
        // fetched together), then fetch only the rows that will be read, so a
        // skipped neighbour costs no row traffic at all.
        stop.BeforeNeighbours(links + 1, count);
        uint32_t* kept = kept_buffer;
        uint32_t n = 0;
        for (uint32_t i = 1; i <= count; ++i) {
          const uint32_t next = links[i];
          if (visited.TestAndMark(next)) continue;
          if (stop.Skips(next) || stop.Prunes(next, bound)) continue;
          kept[++n] = next;
        }
        kept[0] = n;
        for (uint32_t i = 1; i <= n && i <= 4; ++i) PrefetchRead(store.Row(kept[i]));
        links = kept;
        count = n;
        for (uint32_t i = 1; i <= count; ++i) {
          const uint32_t next = links[i];
          if (i + 4 <= count) PrefetchRead(store.Row(links[i + 4]));
          const auto* row = store.Row(next);
          ++counters.distance_computations;
          const float d = store.DistanceBounded(query, row, bound);
          if (!(d < bound)) continue;
          frontier.push_back({d, next});
          std::push_heap(frontier.begin(), frontier.end(), CloserOnTop());
          if (accept(next)) {
            stop.OnResult(d, next);
            results.push_back({d, next});
            std::push_heap(results.begin(), results.end(), FartherOnTop());
            if (results.size() > ef) {
              std::pop_heap(results.begin(), results.end(), FartherOnTop());
              results.pop_back();
            }
            if (results.size() >= ef) bound = results.front().distance;
          }
        }
        const float next = frontier.empty() ? std::numeric_limits<float>::infinity() : frontier.front().distance;
        if (stop.AfterExpansion(next, bound, counters.distance_computations)) break;
        continue;
      }
    }
    // Warm the cache for the first candidates; later ones are prefetched one ahead.
    if (count > 0) {
      PrefetchRead(visited.tag_address(links[1]));
      PrefetchRead(store.Row(links[1]));
    }
    for (uint32_t i = 1; i <= count; ++i) {
      const uint32_t next = links[i];
      if (i < count) {
        PrefetchRead(visited.tag_address(links[i + 1]));
        PrefetchRead(store.Row(links[i + 1]));
      }
      if (visited.TestAndMark(next)) continue;
      if constexpr (Stopper::kActive) {
        if (stop.Skips(next)) continue;
      }
      const auto* row = store.Row(next);
      ++counters.distance_computations;
      // Once ef results are held, a candidate matters only if it beats the worst
      // one, so the distance may be abandoned as soon as it exceeds that bound.
      const float d = store.DistanceBounded(query, row, bound);
      if (!(d < bound)) continue;
      frontier.push_back({d, next});
      std::push_heap(frontier.begin(), frontier.end(), CloserOnTop());
      if (accept(next)) {
        if constexpr (Stopper::kActive) stop.OnResult(d, next);
        results.push_back({d, next});
        std::push_heap(results.begin(), results.end(), FartherOnTop());
        if (results.size() > ef) {
          std::pop_heap(results.begin(), results.end(), FartherOnTop());
          results.pop_back();
        }
        if (results.size() >= ef) bound = results.front().distance;
      }
    }
    if constexpr (Stopper::kActive) {
      const float next = frontier.empty() ? std::numeric_limits<float>::infinity() : frontier.front().distance;
      if (stop.AfterExpansion(next, bound, counters.distance_computations)) break;
    }
  }
}

template <typename Store, typename Query, typename Accept, typename Stopper>
void HnswGraph::Search(Query query, uint32_t ef, const Store& store, const Accept& accept,
                       bool everything_accepted, SearchContext& ctx, TraversalCounters& counters,
                       Stopper& stop) const {
  ctx.results.clear();
  if (entry_point_ == kNone) return;
  ctx.visited.Prepare(capacity());
  uint32_t entry = entry_point_;
  float d = std::numeric_limits<float>::infinity();
  if (__builtin_expect(!hints_.empty(), 0)) {
    uint32_t nearest = kNone;
    for (uint32_t slot : hints_.slots) {
      if (slot >= deleted_.size() || deleted_[slot]) continue;
      if constexpr (Stopper::kActive) {
        if (stop.Skips(slot)) continue;
      }
      const float h = store.DistanceBounded(query, store.Row(slot), d);
      ++counters.distance_computations;
      if (h < d) {
        d = h;
        nearest = slot;
      }
    }
    if (nearest != kNone && d <= hints_.bound) {
      counters.hinted_start = true;
      entry = GreedyDescend<false>(query, nearest, &d, levels_[nearest], 0, store, counters, stop);
      SearchLayer<false>(query, entry, d, 0, ef, store, accept, everything_accepted, ctx, counters, stop);
      return;
    }
  }
  d = store.Distance(query, store.Row(entry));
  ++counters.distance_computations;
  if constexpr (Stopper::kActive) {
    if (stop.Skips(entry)) d = std::numeric_limits<float>::infinity();  // any neighbour takes over
  }
  entry = GreedyDescend<false>(query, entry, &d, max_level_, 0, store, counters, stop);
  SearchLayer<false>(query, entry, d, 0, ef, store, accept, everything_accepted, ctx, counters, stop);
}

}  // namespace neurovec
