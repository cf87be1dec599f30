// `node bench/learning_charts.mjs`: charts of issue 14's learning curves from
// the results the learning benches saved (no benchmark runs here):
//   learning-clicks-curve.svg  precision@10 after each 500 feedback queries, learning online
//                              from clicks with no train() (bench/learning_clicks.mjs), and
//                              learning-clicks-catalogue-curve.svg for `--dataset catalogue`;
//   learning-click-memory-curve.svg  the click memory's precision@10 after each 500 feedback
//                              queries (bench/learning_click_memory.mjs --engine library --curves,
//                              the runs with the coarse lists, *-lists*.json);
//   learning-drift.svg         the drifted classes' precision under the new intent along the
//                              stream, before and after the change (bench/learning_drift.mjs);
//   learning-drift-catalogue-judged.svg  the same for `bench:drift -- --dataset catalogue
//                              --feedback judged`, when its results exist, and
//   learning-drift-catalogue-memory.svg  for `bench:drift -- --dataset catalogue --memory`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from './lib/plot.mjs';
import { ROOT } from './lib/paths.mjs';

const results = join(ROOT, 'bench', 'results');
const read = (name) => JSON.parse(readFileSync(join(results, name), 'utf8'));
const write = (name, svg) => {
  writeFileSync(join(results, name), svg);
  console.log(`wrote bench/results/${name}`);
};

/** The online learners' curves of a bench:clicks run (its JSON) as a chart. */
function clicksChart(jsonName, svgName, { title, yLabel }) {
  const clicks = read(jsonName);
  const series = [];
  for (const method of ['metric-online', 'gnn-online']) {
    for (const run of clicks.methods[method]?.perSeed ?? []) {
      if (!run.curve) continue;
      series.push({ label: `${method}, seed ${run.seed}`, dashed: method.startsWith('gnn'),
        points: run.curve.map((c) => ({ x: c.queries, y: c.precision })) });
    }
  }
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  series.push({ label: 'vector mode', color: '#777', dashed: true,
    points: [{ x: Math.min(...xs), y: clicks.vector.curve }, { x: Math.max(...xs), y: clicks.vector.curve }] });
  write(svgName, lineChartSvg(series, {
    title,
    subtitle: 'precision@10 on held-out curve queries after each 500 feedback queries; one optimiser step per click',
    xLabel: 'feedback queries (the simulated user clicks 1-2 of the top 10, or nothing)', yLabel,
  }));
}

clicksChart('learning-clicks.json', 'learning-clicks-curve.svg', {
  title: 'Learning online from sparse clicks, no train() (Fashion-MNIST, wasm)', yLabel: 'precision@10 (same class)',
});
if (existsSync(join(results, 'learning-clicks-catalogue.json'))) {
  clicksChart('learning-clicks-catalogue.json', 'learning-clicks-catalogue-curve.svg', {
    title: 'Learning online from sparse clicks, no train() (Debian catalogue, wasm)',
    yLabel: 'precision@10 (same section)',
  });
}

/** The click memory's curves (learning_click_memory.mjs --engine library --curves) as a chart. */
function memoryChart(runs, svgName, { title }) {
  const series = [];
  let vector;
  for (const { jsonName, label, dashed } of runs) {
    if (!existsSync(join(results, jsonName))) continue;
    const run = read(jsonName);
    vector ??= run.vector.curve;
    for (const s of run.perSeed) {
      if (!s.curve) continue;
      series.push({ label: `${label}, seed ${s.seed}`, dashed, points: s.curve.map((c) => ({ x: c.queries, y: c.precision })) });
    }
  }
  if (!series.length || vector === undefined) return;
  const xs = series.flatMap((x) => x.points.map((p) => p.x));
  series.push({ label: 'vector mode', color: '#777', dashed: true,
    points: [{ x: Math.min(...xs), y: vector }, { x: Math.max(...xs), y: vector }] });
  write(svgName, lineChartSvg(series, {
    title,
    subtitle: 'precision@10 on held-out curve queries after each 500 feedback queries; each feedback() call is kept, nothing is trained',
    xLabel: 'feedback queries (the simulated user clicks 1-2 of the top 10, or nothing)', yLabel: 'precision@10 (same section)',
  }));
}

memoryChart([
  { jsonName: 'learning-click-memory-library-catalogue-lists.json', label: 'click memory, clicks' },
  { jsonName: 'learning-click-memory-library-catalogue-lists-rejects.json', label: 'click memory, clicks + thumbs-down', dashed: true },
], 'learning-click-memory-curve.svg', { title: 'The click memory from the first click on, no train() (Debian catalogue, wasm)' });

/** A drift run's curves (learning_drift.mjs's JSON) as a chart. */
function driftChart(jsonName, svgName, { title, subtitle }) {
  const drift = read(jsonName);
  const memory = drift.protocol?.learner === 'click memory';
  const series = [];
  for (const s of drift.perSeed) {
    series.push({ label: `seed ${s.seed}, ${memory ? 'click memory, no decay' : "today's reservoir"}`, dashed: true,
      points: s.today.curve.map((c) => ({ x: c.queries, y: c.drifted })) });
    if (s.chosen && s.chosen.halfLife !== 0) {
      series.push({ label: `seed ${s.seed}, halfLife ${s.chosen.halfLife} (chosen)`,
        points: s.chosen.curve.map((c) => ({ x: c.queries, y: c.drifted })) });
    }
  }
  const change = drift.protocol?.change ?? 2500;
  const xs = series.flatMap((x) => x.points.map((p) => p.x));
  const v = drift.vector.test;
  series.push({ label: 'vector mode (test split)', color: '#777', dashed: true,
    points: [{ x: Math.min(...xs), y: v.driftedOld }, { x: change, y: v.driftedNew }, { x: Math.max(...xs), y: v.driftedNew }] });
  write(svgName, lineChartSvg(series, {
    title, subtitle, xLabel: 'stream queries', yLabel: 'precision@10 (drifted classes)',
    markers: [{ x: change, label: 'intent changes' }],
  }));
}

driftChart('learning-drift.json', 'learning-drift.svg', {
  title: 'Drift: the intent changes at query 2,500 (Fashion-MNIST, wasm)',
  subtitle: 'precision@10 of the four drifting classes, under the intent of the moment, along the click stream',
});
if (existsSync(join(results, 'learning-drift-catalogue-judged.json'))) {
  driftChart('learning-drift-catalogue-judged.json', 'learning-drift-catalogue-judged.svg', {
    title: 'Drift: the intent changes at query 2,500 (Debian catalogue, wasm, judged results)',
    subtitle: 'precision@10 of the four drifting sections (libs, libdevel, perl, python), under the intent of the moment',
  });
}
if (existsSync(join(results, 'learning-drift-catalogue-memory.json'))) {
  driftChart('learning-drift-catalogue-memory.json', 'learning-drift-catalogue-memory.svg', {
    title: 'Drift with the click memory: the intent changes at query 2,500 (Debian catalogue, wasm, clicks)',
    subtitle: 'precision@10 of the four drifting sections, under the intent of the moment; nothing trained, each click kept',
  });
}
