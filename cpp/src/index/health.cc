// VectorIndex::Health and Optimize: the graph's soundness, measured by
// hnsw/graph_health, and its repair (hnsw/graph_repair.cc).
#include <chrono>

#include "hnsw/graph_health.h"
#include "index/vector_index_impl.h"

namespace neurovec {

Result<IndexHealth> VectorIndex::Health() const {
  const Impl& x = *impl_;
  auto paging = x.LockIfPaged();
  GraphHealth g;
  NV_RETURN_IF_ERROR(MeasureGraphHealth(x.graph, x.used_slots, &g));
  IndexHealth h;
  h.live = g.live;
  h.tombstones = g.tombstones;
  h.unreachable = g.unreachable;
  h.unreachable_through_tombstones = g.unreachable_through_tombstones;
  h.links_to_tombstones = g.links_to_tombstones;
  h.mean_out_degree = g.mean_out_degree;
  h.out_degree_histogram = std::move(g.out_degree_histogram);
  return h;
}

Status OptimizeOptions::Validate() const {
  if (!(budget_ms >= 0) || budget_ms > 3.6e6) {
    return Status::InvalidArgument("optimize budget must be between 0 and 3600000 ms (0: no budget)");
  }
  return Status::Ok();
}

namespace {

std::vector<uint32_t> UnreachableLive(const IndexState& x, const std::vector<uint8_t>& reached) {
  std::vector<uint32_t> out;
  for (uint32_t s = 0; s < x.used_slots; ++s) {
    if (!reached[s] && !x.graph.is_deleted(s)) out.push_back(s);
  }
  return out;
}

}  // namespace

Status MaintenanceOptions::Validate() const {
  if (!(budget_ms_per_write >= 0) || budget_ms_per_write > 3.6e6) {
    return Status::InvalidArgument("maintenance budget per write must be between 0 and 3600000 ms (0: off)");
  }
  if (!(trigger_fraction > 0) || trigger_fraction > 1) {
    return Status::InvalidArgument("maintenance trigger fraction must be in (0, 1]");
  }
  return Status::Ok();
}

// One repair pass: (0) every list that links to a deleted item is re-selected,
// 64 slots at a time; (1) a walk finds the live items no search reaches, which
// are linked from the reachable graph one at a time (each link brings its own
// neighbours along, so walks find fewer), again until a walk finds none or a
// round links nothing (at most eight); (2) else a last walk counts what is left. With a budget, each call does units until the budget is spent and
// keeps its place in `repair`.
Result<OptimizeReport> VectorIndex::Impl::RepairStep(double budget_ms) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto elapsed_ms = [&] { return std::chrono::duration<double, std::milli>(Clock::now() - start).count(); };
  auto spent = [&] { return budget_ms > 0 && elapsed_ms() >= budget_ms; };
  RepairPass& r = repair;
  if (!r.active) {
    r = RepairPass();
    r.active = true;
    r.report.done = false;
    r.report.unreachable_before = UnreachableLive(*this, MarkReachable(graph, used_slots, false, nullptr)).size();
    r.removes_at_start = removes;
    maintenance.changes_since_pass = 0;
  }
  std::unique_ptr<SearchContext> ctx = contexts.Acquire();
  constexpr uint32_t kSlotsPerStep = 64;
  constexpr int kMaxReconnectPasses = 8;
  while (!spent()) {
    if (r.phase == 0) {
      const uint32_t last = std::min(used_slots, r.cursor + kSlotsPerStep);
      r.report.lists_relinked += graph.DropLinksToDeleted(r.cursor, last, used_slots, store, *ctx);
      r.cursor = last;
      if (r.cursor >= used_slots) r.phase = 1;
      continue;
    }
    if (r.phase == 1) {
      if (r.reached.empty()) {
        // A walk, then the stragglers it leaves. Writes between calls leave
        // `reached` stale, and that is safe: a straggler deleted since is
        // skipped, a reused slot only gains an in-link, items added since are
        // neither stragglers nor link sources until the next walk. Redoing the
        // walk after every write would never let a pass end under steady writes.
        r.reached = MarkReachable(graph, used_slots, false, nullptr);
        r.stragglers = UnreachableLive(*this, r.reached);
        r.straggler_at = 0;
        if (r.stragglers.empty()) {
          // Every live item is reachable: this walk is the final count.
          r.report.unreachable_after = 0;
          r.report.done = true;
          break;
        }
        // Level-0 in-links from reachable live nodes: a link may be given up
        // for a straggler only when its target keeps another.
        r.in_links.assign(used_slots, 0);
        for (uint32_t u = 0; u < used_slots; ++u) {
          if (!r.reached[u] || graph.is_deleted(u)) continue;
          const uint32_t* links = graph.LinksOf(u, 0);
          for (uint32_t i = 1; i <= links[0]; ++i) {
            if (links[i] < used_slots) ++r.in_links[links[i]];
          }
        }
        continue;
      }
      if (r.straggler_at < r.stragglers.size()) {
        const uint32_t s = r.stragglers[r.straggler_at++];
        if (s < used_slots && !graph.is_deleted(s) && graph.LinkFromReachable(s, r.reached, r.in_links, store, *ctx)) {
          ++r.report.reconnected;
          ++r.linked_this_pass;
        }
        continue;
      }
      // A reconnect pass is over: another walk, and another pass while they
      // help (writes between calls can leave new stragglers), up to eight.
      ++r.reconnect_passes;
      const bool again = r.linked_this_pass > 0 && r.reconnect_passes < kMaxReconnectPasses;
      r.linked_this_pass = 0;
      r.reached.clear();
      if (!again) r.phase = 2;
      continue;
    }
    r.report.unreachable_after = UnreachableLive(*this, MarkReachable(graph, used_slots, false, nullptr)).size();
    r.report.done = true;
    break;
  }
  contexts.Release(std::move(ctx));
  maintenance.milliseconds += elapsed_ms();
  OptimizeReport report = r.report;
  if (report.done) {
    report.progress = 1;
    ++maintenance.passes;
    maintenance.lists_relinked += report.lists_relinked;
    maintenance.reconnected += report.reconnected;
    maintenance.unreachable_after_last_pass = report.unreachable_after;
    last_pass_interleaved = removes != r.removes_at_start;
    r = RepairPass();
  } else {
    // Lists are most of the work; the stragglers' links and counts the rest.
    const double lists = used_slots ? static_cast<double>(r.cursor) / used_slots : 1.0;
    const double stragglers = r.stragglers.empty() ? 0.0 : static_cast<double>(r.straggler_at) / r.stragglers.size();
    report.progress = r.phase == 0 ? 0.9 * lists
                                   : 0.9 + 0.09 * std::min(1.0, (r.reconnect_passes + stragglers) / 2.0);
  }
  maintenance.pass_active = r.active;
  maintenance.progress = r.active ? report.progress : 0;
  return report;
}

void VectorIndex::Impl::MaintainAfterWrite(uint64_t changed) {
  maintenance.changes_since_pass += changed;
  changes += changed;
  const double budget = maintenance.options.budget_ms_per_write;
  if (budget <= 0) return;
  const bool due = static_cast<double>(maintenance.changes_since_pass) >=
                   maintenance.options.trigger_fraction * static_cast<double>(std::max<uint64_t>(live_count, 1));
  if (!repair.active && !due) return;
  if (!BeforeGraphWrite().ok()) return;
  (void)RepairStep(budget);
}

Result<OptimizeReport> VectorIndex::Optimize(const OptimizeOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  Impl& x = *impl_;
  NV_RETURN_IF_ERROR(x.BeforeWrite());
  NV_RETURN_IF_ERROR(x.BeforeGraphWrite());
  auto report = x.RepairStep(options.budget_ms);
  if (!report.ok()) return report;
  if (options.budget_ms <= 0 && report.value().done && x.last_pass_interleaved) {
    // This call finished a pass begun in slices, and items were deleted
    // while it ran: lists it had already passed may link to them. A whole
    // pass now, with no write in between, leaves nothing behind.
    OptimizeReport first = report.value();
    report = x.RepairStep(0);
    if (!report.ok()) return report;
    report.value().lists_relinked += first.lists_relinked;
    report.value().reconnected += first.reconnected;
    report.value().unreachable_before = first.unreachable_before;
  }
  if (report.value().done && x.durable) NV_RETURN_IF_ERROR(Checkpoint());
  return report;
}

Status VectorIndex::SetMaintenance(const MaintenanceOptions& options) {
  NV_RETURN_IF_ERROR(options.Validate());
  impl_->maintenance.options = options;
  return Status::Ok();
}

}  // namespace neurovec
