// A hand-written SVG chart of codecs: one row per codec, bytes per vector on
// the left (log scale), recall@k (codes alone and re-ranked) on the right.

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

// Both charts: two panels side by side under a title. Returns the output lines
// (SVG head, background, title, subtitle and both panel headings written) and
// the panels' width and left edges.
function twoPanelFrame({ W, H, top, labelW, gap, title, subtitle, headings, headingY }) {
  const panelW = (W - labelW - gap - 30) / 2;
  const left = labelW;
  const right = labelW + panelW + gap;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold">${esc(title)}</text>`);
  if (subtitle) out.push(`<text x="${W / 2}" y="50" text-anchor="middle" font-size="13" fill="#444">${esc(subtitle)}</text>`);
  out.push(`<text x="${left + panelW / 2}" y="${top - headingY}" text-anchor="middle" font-size="13" font-weight="bold">${esc(headings[0])}</text>`);
  out.push(`<text x="${right + panelW / 2}" y="${top - headingY}" text-anchor="middle" font-size="13" font-weight="bold">${esc(headings[1])}</text>`);
  return { out, panelW, left, right };
}

// rows: [{ label, bytes, recallAdc, recallRerank }]
export function codecBarsSvg(rows, { title = '', subtitle = '', rawBytes, k = 10, rerank = 100, target = 0.95 } = {}) {
  const W = 1000;
  const rowH = 34;
  const top = subtitle ? 92 : 70;
  const H = top + rows.length * rowH + 60;
  const labelW = 150;
  const { out, panelW, left: bx0, right: rx0 } = twoPanelFrame({ W, H, top, labelW, gap: 40, title, subtitle,
    headings: ['bytes per vector (log scale)', `recall@${k}`], headingY: 12 });

  const maxBytes = Math.max(rawBytes ?? 0, ...rows.map((r) => r.bytes));
  const minBytes = Math.min(...rows.map((r) => r.bytes));
  const lo = 10 ** Math.floor(Math.log10(minBytes));
  const hi = 10 ** Math.ceil(Math.log10(maxBytes));
  const BX = (b) => bx0 + ((Math.log10(b) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * panelW;
  const RX = (r) => rx0 + r * panelW;
  const axisY = top + rows.length * rowH;

  // Grids.
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const x = BX(10 ** e);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${axisY + 18}" text-anchor="middle" font-size="12">${10 ** e}</text>`);
  }
  for (let r = 0; r <= 1.0001; r += 0.2) {
    const x = RX(r);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${axisY}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${axisY + 18}" text-anchor="middle" font-size="12">${r.toFixed(1)}</text>`);
  }
  if (rawBytes) {
    const x = BX(rawBytes);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${axisY}" stroke="#555" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${(x - 4).toFixed(1)}" y="${axisY + 34}" text-anchor="end" font-size="11" fill="#555">raw f32 (${rawBytes} B)</text>`);
    const x30 = BX(0.3 * rawBytes);
    out.push(`<line x1="${x30.toFixed(1)}" y1="${top}" x2="${x30.toFixed(1)}" y2="${axisY}" stroke="#d62728" stroke-dasharray="3 3"/>`);
    out.push(`<text x="${(x30 - 4).toFixed(1)}" y="${axisY + 48}" text-anchor="end" font-size="11" fill="#d62728">0.30x raw</text>`);
  }
  const tx = RX(target);
  out.push(`<line x1="${tx.toFixed(1)}" y1="${top}" x2="${tx.toFixed(1)}" y2="${axisY}" stroke="#d62728" stroke-dasharray="3 3"/>`);
  out.push(`<text x="${(tx - 4).toFixed(1)}" y="${axisY + 34}" text-anchor="end" font-size="11" fill="#d62728">${target}</text>`);

  rows.forEach((row, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${labelW - 10}" y="${y + rowH / 2 + 4}" text-anchor="end" font-size="13">${esc(row.label)}</text>`);
    const bw = BX(row.bytes) - bx0;
    out.push(`<g><title>${esc(`${row.label}: ${row.bytes} bytes/vector`)}</title><rect x="${bx0}" y="${y + 7}" width="${Math.max(1, bw).toFixed(1)}" height="${rowH - 14}" fill="#1f77b4"/></g>`);
    out.push(`<text x="${(bx0 + bw + 5).toFixed(1)}" y="${y + rowH / 2 + 4}" font-size="11">${row.bytes}</text>`);
    const h = (rowH - 10) / 2;
    out.push(`<g><title>${esc(`${row.label}: recall@${k} over codes alone ${row.recallAdc.toFixed(4)}`)}</title><rect x="${rx0}" y="${y + 4}" width="${(RX(row.recallAdc) - rx0).toFixed(1)}" height="${h.toFixed(1)}" fill="#ff7f0e"/></g>`);
    out.push(`<g><title>${esc(`${row.label}: recall@${k} re-ranking the top ${rerank} ${row.recallRerank.toFixed(4)}`)}</title><rect x="${rx0}" y="${(y + 5 + h).toFixed(1)}" width="${(RX(row.recallRerank) - rx0).toFixed(1)}" height="${h.toFixed(1)}" fill="#2ca02c"/></g>`);
  });
  out.push(`<rect x="${bx0}" y="${top}" width="${panelW}" height="${axisY - top}" fill="none" stroke="#333"/>`);
  out.push(`<rect x="${rx0}" y="${top}" width="${panelW}" height="${axisY - top}" fill="none" stroke="#333"/>`);
  // Legend.
  const ly = H - 16;
  out.push(`<rect x="${rx0}" y="${ly - 10}" width="12" height="12" fill="#ff7f0e"/><text x="${rx0 + 18}" y="${ly}" font-size="12">codes alone (ADC scan)</text>`);
  out.push(`<rect x="${rx0 + 190}" y="${ly - 10}" width="12" height="12" fill="#2ca02c"/><text x="${rx0 + 208}" y="${ly}" font-size="12">re-ranking the top ${rerank} exactly</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

// The tiers benchmark (bench/tiers.mjs): per engine, a stacked bar of vector memory by tier
// against raw f32 and the 0.30x target (left), and recall@10 of hot-class and other queries
// against their targets (right).
// results: [{ engine, rawF32Bytes, residentVectorBytes, tierBytes: {hot..archive}, codebookBytes,
//             recallAfter: { hot, other } }]
export function tierChartSvg(results, { title = '', subtitle = '', memoryTarget = 0.3, recallTargets = { hot: 0.95, other: 0.9 } } = {}) {
  const W = 1000;
  const top = subtitle ? 96 : 74;
  const rowH = 64;
  const H = top + results.length * rowH + 100;
  const labelW = 90;
  const { out, panelW, left: mx0, right: rx0 } = twoPanelFrame({ W, H, top, labelW, gap: 50, title, subtitle,
    headings: ['vector memory resident / raw f32', 'recall@10 after recompress()'], headingY: 14 });
  const tiers = ['hot', 'warm', 'cool', 'cold', 'archive'];
  const colors = { hot: '#d62728', warm: '#ff7f0e', cool: '#2ca02c', cold: '#1f77b4', archive: '#7f7f7f', codebooks: '#9467bd', other: '#c7c7c7' };
  const raw = Math.max(...results.map((r) => r.rawF32Bytes));
  const MX = (b) => mx0 + (b / raw) * panelW;  // 0 .. raw f32
  const rLo = 0.8;
  const RX = (v) => rx0 + ((Math.max(v, rLo) - rLo) / (1 - rLo)) * panelW;
  const axisY = top + results.length * rowH;
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    out.push(`<line x1="${MX(f * raw)}" y1="${top}" x2="${MX(f * raw)}" y2="${axisY}" stroke="#eee"/>`);
    out.push(`<text x="${MX(f * raw)}" y="${axisY + 16}" text-anchor="middle" font-size="11">${f.toFixed(2)}x</text>`);
  }
  for (const v of [0.8, 0.85, 0.9, 0.95, 1]) {
    out.push(`<line x1="${RX(v)}" y1="${top}" x2="${RX(v)}" y2="${axisY}" stroke="#eee"/>`);
    out.push(`<text x="${RX(v)}" y="${axisY + 16}" text-anchor="middle" font-size="11">${v.toFixed(2)}</text>`);
  }
  out.push(`<line x1="${MX(memoryTarget * raw)}" y1="${top - 4}" x2="${MX(memoryTarget * raw)}" y2="${axisY}" stroke="#000" stroke-dasharray="5,3"/>`);
  out.push(`<text x="${MX(memoryTarget * raw) + 4}" y="${top + 2}" font-size="10">target ${memoryTarget}x</text>`);
  results.forEach((r, i) => {
    const y = top + i * rowH + 8;
    out.push(`<text x="${labelW - 10}" y="${y + 26}" text-anchor="end" font-size="13">${esc(r.engine)}</text>`);
    // Stacked: each tier's bytes, codebooks, then the rest of the resident figure
    // (page cache, norms, f32 rows not yet released).
    let x = 0;
    const parts = [...tiers.map((t) => [t, r.tierBytes[t]]), ['codebooks', r.codebookBytes]];
    const counted = parts.reduce((a, [, b]) => a + b, 0);
    parts.push(['other', Math.max(0, r.residentVectorBytes - counted)]);
    for (const [name, bytes] of parts) {
      if (bytes <= 0) continue;
      out.push(`<rect x="${MX(x)}" y="${y}" width="${Math.max(0.5, MX(x + bytes) - MX(x))}" height="40" fill="${colors[name]}"><title>${name}: ${(bytes / 1048576).toFixed(2)} MiB</title></rect>`);
      x += bytes;
    }
    out.push(`<text x="${MX(x) + 6}" y="${y + 25}" font-size="12">${(r.residentVectorBytes / r.rawF32Bytes).toFixed(3)}x</text>`);
    for (const [j, kind] of ['hot', 'other'].entries()) {
      const v = r.recallAfter[kind];
      const by = y + j * 21;
      out.push(`<rect x="${rx0}" y="${by}" width="${RX(v) - rx0}" height="18" fill="${kind === 'hot' ? '#d62728' : '#7f7f7f'}"/>`);
      out.push(`<text x="${RX(v) - 4}" y="${by + 13}" text-anchor="end" font-size="11" fill="white">${kind} ${v.toFixed(3)}</text>`);
      out.push(`<line x1="${RX(recallTargets[kind])}" y1="${by - 1}" x2="${RX(recallTargets[kind])}" y2="${by + 19}" stroke="#000" stroke-width="2"/>`);
    }
  });
  const ly = axisY + 40;
  let lx = mx0;
  for (const name of [...tiers, 'codebooks', 'other']) {
    out.push(`<rect x="${lx}" y="${ly}" width="12" height="12" fill="${colors[name]}"/>`);
    const label = name === 'other' ? 'page cache, norms, unreleased rows' : name;
    out.push(`<text x="${lx + 16}" y="${ly + 10}" font-size="11">${esc(label)}</text>`);
    lx += 24 + label.length * 6.5;
  }
  out.push(`<text x="${mx0}" y="${ly + 32}" font-size="11">recall: hot-class and other queries; black bars are the targets (0.95 and 0.90); the axis starts at 0.80</text>`);
  out.push('</svg>');
  return out.join('\n');
}
