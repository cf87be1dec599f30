// Recall, the QPS at a recall target, and the project's pass/fail targets.

// Mean recall@k: results is an Int32Array(count * k) of row numbers (-1 = no result),
// truth an Int32Array(count * truthK) of exact neighbours, nearest first.
export function meanRecall(results, truth, count, k, truthK) {
  let found = 0;
  for (let i = 0; i < count; i++) {
    const t = truth.subarray(i * truthK, i * truthK + k);
    for (let j = 0; j < k; j++) {
      const id = results[i * k + j];
      if (id >= 0 && t.includes(id)) found++;
    }
  }
  return found / (count * k);
}

// points: [{ ef, recall, qps }]. Returns
//   best: the highest QPS among points with recall >= target (and its ef), or null;
//   interpolated: QPS linearly interpolated at exactly `target` between the two points that
//     bracket it in ef order (the last point below the target before the first one at or above it),
//     or null when no point is below the target (then `note` says so) or none reaches it.
export function qpsAtRecall(points, target = 0.95) {
  const sorted = [...points].sort((a, b) => a.ef - b.ef);
  const above = sorted.filter((p) => p.recall >= target);
  const best = above.length ? above.reduce((a, b) => (b.qps > a.qps ? b : a)) : null;
  let interpolated = null;
  let note = '';
  const j = sorted.findIndex((p) => p.recall >= target);
  if (j < 0) {
    note = `no ef reaches recall ${target}`;
  } else if (j === 0) {
    note = `the smallest ef (${sorted[0].ef}) already has recall ${sorted[0].recall.toFixed(4)} >= ${target}; no bracket`;
  } else {
    const lo = sorted[j - 1];
    const hi = sorted[j];
    const t = (target - lo.recall) / (hi.recall - lo.recall);
    interpolated = { qps: lo.qps + t * (hi.qps - lo.qps), between: [lo.ef, hi.ef] };
  }
  return {
    target,
    best: best ? { qps: best.qps, ef: best.ef, recall: best.recall } : null,
    interpolated,
    note,
  };
}

// A ratio a/b with a pass/fail against `min` (null when either side is missing).
export function ratio(a, b) {
  return a == null || b == null || b === 0 ? null : a / b;
}

export function verdict(value, min, missing) {
  if (value == null) return `NOT RUN (${missing})`;
  return value >= min ? 'PASS' : 'FAIL';
}
