// A hand-written SVG recall-vs-QPS plot: recall on x (linear), QPS on y (log scale).

const COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond', 'circle', 'square'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v, digits = 1) => (Math.abs(v - Math.round(v)) < 1e-9 ? String(Math.round(v)) : v.toFixed(digits));

function marker(shape, x, y, color) {
  const r = 4;
  switch (shape) {
    case 'square':
      return `<rect x="${(x - r).toFixed(1)}" y="${(y - r).toFixed(1)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 'triangle':
      return `<path d="M${x.toFixed(1)} ${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)} ${(y + r).toFixed(1)} L${(x - r - 1).toFixed(1)} ${(y + r).toFixed(1)} Z" fill="${color}"/>`;
    case 'diamond':
      return `<path d="M${x.toFixed(1)} ${(y - r - 1).toFixed(1)} L${(x + r + 1).toFixed(1)} ${y.toFixed(1)} L${x.toFixed(1)} ${(y + r + 1).toFixed(1)} L${(x - r - 1).toFixed(1)} ${y.toFixed(1)} Z" fill="${color}"/>`;
    default:
      return `<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="${r}" fill="${color}"/>`;
  }
}

// series: [{ label, points: [{ recall, qps, ef }] }]. `qps` is the y value: another
// quantity (distances per query) plots the same way with its own yLabel and unit.
export function recallQpsSvg(series, { title = '', subtitle = '', xMin = 0.85, xMax = 1.0, target = 0.95,
  yLabel = 'Queries per second, one thread (log scale)', unit = 'QPS' } = {}) {
  const W = 900;
  const H = 600;
  const m = { left: 90, right: 30, top: subtitle ? 78 : 56, bottom: 70 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const allQps = series.flatMap((s) => s.points.filter((p) => p.recall >= xMin).map((p) => p.qps));
  const qMin = allQps.length ? Math.min(...allQps) : 100;
  const qMax = allQps.length ? Math.max(...allQps) : 10000;
  // Log axis: bounds at 1-1.5-2-3-5-7 steps around the data, ticks at 1-2-5 steps and the bounds.
  const steps = [1, 1.5, 2, 3, 5, 7];
  const lower = (v) => {
    const e = Math.floor(Math.log10(v));
    for (let i = steps.length - 1; i >= 0; i--) if (steps[i] * 10 ** e <= v) return steps[i] * 10 ** e;
    return 10 ** e;
  };
  const upper = (v) => {
    const e = Math.floor(Math.log10(v));
    for (const s of [...steps, 10]) if (s * 10 ** e >= v) return s * 10 ** e;
    return 10 ** (e + 1);
  };
  const yLo = lower(qMin * 0.9);
  const yHi = upper(qMax * 1.1);
  const X = (r) => m.left + ((r - xMin) / (xMax - xMin)) * pw;
  const Y = (q) => m.top + ph - ((Math.log10(q) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * ph;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${W / 2}" y="50" text-anchor="middle" font-size="13" fill="#444">${esc(subtitle)}</text>`);
  out.push(`<defs><clipPath id="plot"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`);

  // Grid and ticks: x every 0.01, y at 1-2-5 steps plus the bounds.
  for (let i = 0; Math.round((xMin + i * 0.01) * 1000) <= Math.round(xMax * 1000); i++) {
    const r = xMin + i * 0.01;
    const x = X(r);
    const labelled = true;
    out.push(`<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${m.top + ph}" stroke="#e5e5e5"/>`);
    out.push(`<line x1="${x.toFixed(1)}" y1="${m.top + ph}" x2="${x.toFixed(1)}" y2="${m.top + ph + (labelled ? 6 : 3)}" stroke="#333"/>`);
    if (labelled) out.push(`<text x="${x.toFixed(1)}" y="${m.top + ph + 22}" text-anchor="middle" font-size="12">${r.toFixed(2)}</text>`);
  }
  for (let e = Math.floor(Math.log10(yLo)); 10 ** e <= yHi; e++) {
    for (const s of steps) {
      const q = s * 10 ** e;
      if (q < yLo * 0.999 || q > yHi * 1.001) continue;
      const isBound = Math.abs(q / yLo - 1) < 1e-6 || Math.abs(q / yHi - 1) < 1e-6;
      if (![1, 2, 5].includes(s) && !isBound) continue;
      const y = Y(q);
      out.push(`<line x1="${m.left}" y1="${y.toFixed(1)}" x2="${m.left + pw}" y2="${y.toFixed(1)}" stroke="${s === 1 ? '#d0d0d0' : '#ececec'}"/>`);
      out.push(`<line x1="${m.left - 6}" y1="${y.toFixed(1)}" x2="${m.left}" y2="${y.toFixed(1)}" stroke="#333"/>`);
      const label = q >= 1000 ? `${fmt(q / 1000)}k` : fmt(q);
      out.push(`<text x="${m.left - 10}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="12">${label}</text>`);
    }
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 22}" text-anchor="middle" font-size="14">Recall@10 (against exact ground truth)</text>`);
  out.push(`<text transform="translate(24 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(yLabel)}</text>`);

  // Target line.
  const tx = X(target);
  out.push(`<line x1="${tx.toFixed(1)}" y1="${m.top}" x2="${tx.toFixed(1)}" y2="${m.top + ph}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${(tx + 5).toFixed(1)}" y="${m.top + ph - 8}" font-size="12" fill="#555">recall ${target}</text>`);

  // Series: points left of xMin are drawn clipped (the line enters from the left edge).
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.ef - b.ef);
    if (!pts.length) return;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p.recall).toFixed(1)} ${Y(p.qps).toFixed(1)}`).join(' ');
    out.push(`<g clip-path="url(#plot)">`);
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts) out.push(`<g><title>${esc(`${s.label}: ${p.ef === undefined ? '' : `ef ${p.ef}, `}recall ${p.recall.toFixed(4)}, ${p.qps.toFixed(0)} ${unit}`)}</title>${marker(MARKERS[i % MARKERS.length], X(p.recall), Y(p.qps), color)}</g>`);
    out.push(`</g>`);
  });

  // Legend, bottom-left inside the plot (curves fall to the right, so that corner is usually free).
  const lh = 22;
  const lw = Math.max(...series.map((s) => s.label.length)) * 7.2 + 50;
  const lx = m.left + 12;
  const ly = m.top + ph - 12 - lh * series.length - 8;
  out.push(`<rect x="${lx}" y="${ly}" width="${lw.toFixed(0)}" height="${lh * series.length + 10}" fill="white" fill-opacity="0.9" stroke="#999"/>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const y = ly + 5 + lh * i + lh / 2;
    out.push(`<line x1="${lx + 8}" y1="${y}" x2="${lx + 34}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
    out.push(marker(MARKERS[i % MARKERS.length], lx + 21, y, color));
    out.push(`<text x="${lx + 42}" y="${y + 4}" font-size="13">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// A line chart on linear axes: series [{ label, points: [{ x, y }], dashed? }],
// with optional vertical markers [{ x, label }] (an event along x, such as a
// change of intent). Axis ranges come from the data unless given.
export function lineChartSvg(series, { title = '', subtitle = '', xLabel = '', yLabel = '', xMin, xMax, yMin, yMax,
  markers = [], digits = 3 } = {}) {
  // The legend sits right of the plot, so it never hides a curve.
  const lw = Math.max(...series.map((s) => s.label.length)) * 7.2 + 50;
  const W = 820 + lw;
  const H = 560;
  const m = { left: 90, right: lw + 24, top: subtitle ? 78 : 56, bottom: 70 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const x0 = xMin ?? Math.min(...xs), x1 = xMax ?? Math.max(...xs);
  const pad = (Math.max(...ys) - Math.min(...ys)) * 0.1 || 0.01;
  const y0 = yMin ?? Math.min(...ys) - pad, y1 = yMax ?? Math.max(...ys) + pad;
  const X = (v) => m.left + ((v - x0) / (x1 - x0 || 1)) * pw;
  const Y = (v) => m.top + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  // Ticks at 1-2-5 steps, about 6-10 per axis.
  const ticks = (lo, hi) => {
    const raw = (hi - lo) / 8;
    const e = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((s) => s * e).find((s) => s >= raw);
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toFixed(10));
    return out;
  };
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${W / 2}" y="50" text-anchor="middle" font-size="13" fill="#444">${esc(subtitle)}</text>`);
  for (const v of ticks(x0, x1)) {
    const x = X(v);
    out.push(`<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${m.top + ph}" stroke="#ececec"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${m.top + ph + 22}" text-anchor="middle" font-size="12">${fmt(v, 0)}</text>`);
  }
  for (const v of ticks(y0, y1)) {
    const y = Y(v);
    out.push(`<line x1="${m.left}" y1="${y.toFixed(1)}" x2="${m.left + pw}" y2="${y.toFixed(1)}" stroke="#ececec"/>`);
    out.push(`<text x="${m.left - 10}" y="${(y + 4).toFixed(1)}" text-anchor="end" font-size="12">${v.toFixed(digits)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${m.left + pw / 2}" y="${H - 22}" text-anchor="middle" font-size="14">${esc(xLabel)}</text>`);
  out.push(`<text transform="translate(24 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" font-size="14">${esc(yLabel)}</text>`);
  for (const k of markers) {
    const x = X(k.x);
    out.push(`<line x1="${x.toFixed(1)}" y1="${m.top}" x2="${x.toFixed(1)}" y2="${m.top + ph}" stroke="#555" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${(x + 5).toFixed(1)}" y="${m.top + 16}" font-size="12" fill="#555">${esc(k.label)}</text>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (!pts.length) return;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${X(p.x).toFixed(1)} ${Y(p.y).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    for (const p of pts) out.push(`<g><title>${esc(`${s.label}: ${p.x}, ${p.y.toFixed(4)}`)}</title>${marker(MARKERS[i % MARKERS.length], X(p.x), Y(p.y), color)}</g>`);
  });
  const lh = 22;
  const lx = m.left + pw + 12;
  const ly = m.top;
  out.push(`<rect x="${lx.toFixed(0)}" y="${ly}" width="${lw.toFixed(0)}" height="${lh * series.length + 10}" fill="white" fill-opacity="0.9" stroke="#999"/>`);
  series.forEach((s, i) => {
    const color = s.color ?? COLORS[i % COLORS.length];
    const y = ly + 5 + lh * i + lh / 2;
    out.push(`<line x1="${lx + 8}" y1="${y}" x2="${lx + 34}" y2="${y}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    out.push(marker(MARKERS[i % MARKERS.length], lx + 21, y, color));
    out.push(`<text x="${lx + 42}" y="${y + 4}" font-size="13">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
