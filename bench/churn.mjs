#!/usr/bin/env node
// `npm run bench:churn`: an index under churn (issue 15), natively and in wasm.
//
// Native (`neurovec churn --json --plan DIR`): Fashion-MNIST's 60k training
// images, then 10 rounds; each deletes 10% of the live items at random and
// inserts as many new ones (test images, then noisy copies of training images),
// into a "repaired" copy (optimize() after the deletes and after the inserts)
// and an "unrepaired" copy of the same index. After each round both are
// measured beside a fresh build over the same live items: recall@10 at ef 32
// (also 16 and 64) against exact search over the live items, for 1,000
// held-out test images never inserted; live items no search reaches; memory
// and slots; search latency (one thread, best of three passes). Then the
// clustered case: half of the items of classes 5 (sandal) and 7 (sneaker)
// deleted at once from the starting index.
//
// wasm (Node, the JS API): the same rounds replayed from the plan the native
// run wrote (the starting index file, each round's deletes and inserts, the
// exact neighbours), with optimize({ budgetMs: 5 }) in slices, and the native
// fresh build's file opened in wasm for the fresh figures (the same file
// works in both), and a third copy that repairs itself while it is written
// (setMaintenance({ budgetMsPerWrite: 1 }), no optimize() call). Writes
// bench/results/churn.{md,json}.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FASHION_DIR, prepareFashionFiles } from './datasets.mjs';
import { readFvecs, readIvecsFlat } from './lib/io.mjs';
import { ROOT, CLI } from './lib/paths.mjs';

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    engines: { type: 'string', default: 'native,wasm' },
    data: { type: 'string', default: join(ROOT, 'data') },
    plan: { type: 'string', default: join(ROOT, 'build', 'churn') },
    budget: { type: 'string', default: '5' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node bench/churn.mjs [--rounds 10] [--engines native,wasm] [--budget 5] [--data DIR] [--plan DIR] [--keep]');
  process.exit(0);
}
const log = (m) => console.error(`[churn] ${m}`);
const K = 10, EFS = [32, 16, 64], QUERIES = 1000, BUDGET_MS = Number(opt.budget), ROUNDS = Number(opt.rounds);
const AUTO_BUDGET_MS = 1, INSERT_CHUNK = 100;
const engines = opt.engines.split(',');
const files = prepareFashionFiles(opt.data);
const plan = opt.plan;
const resultsPath = join(ROOT, 'bench', 'results', 'churn.json');
const results = existsSync(resultsPath) && !engines.includes('native') ? JSON.parse(readFileSync(resultsPath, 'utf8')) : {};
results.machine = { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg().map((x) => +x.toFixed(2)) };

// ---- native ----
if (engines.includes('native')) {
  if (!existsSync(CLI)) throw new Error('build/native/neurovec is missing: run `npm run build` first');
  rmSync(plan, { recursive: true, force: true });
  mkdirSync(plan, { recursive: true });
  const args = ['churn', '--base', files.base, '--extra', files.queries, '--queries', String(QUERIES), '--rounds', String(ROUNDS),
    '--ef', EFS.join(','), '--k', String(K), '--threads', '2', '--labels', join(FASHION_DIR, 'train-labels-idx1-ubyte.gz'),
    '--extra-labels', join(FASHION_DIR, 't10k-labels-idx1-ubyte.gz'), '--classes', '5,7', '--plan', plan, '--json'];
  log(`native: neurovec ${args.join(' ')}`);
  const t = performance.now();
  const out = execFileSync(CLI, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 26 });
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  results.native = {
    start: lines.find((l) => l.start)?.start,
    rounds: lines.filter((l) => l.round !== undefined),
    clustered: lines.find((l) => l.clustered)?.clustered,
    seconds: (performance.now() - t) / 1000,
  };
  log(`native: ${results.native.rounds.length} rounds in ${results.native.seconds.toFixed(0)} s`);
}

// ---- wasm: the same rounds through the JS API ----
if (engines.includes('wasm')) {
  const { VectorIndex, configureWasm } = await import('neurovec');
  configureWasm({ threads: 1 }); // timings on one thread, as natively
  const queries = readFvecs(join(plan, 'queries.fvecs'));
  const dim = queries.dimensions;
  const query = (q) => queries.data.subarray(q * dim, (q + 1) * dim);
  const ids = (path) => Array.from(readIvecsFlat(path).data);
  const truthOf = (path) => {
    const t = readIvecsFlat(path);
    return Array.from({ length: t.count }, (_, q) => new Set(Array.from(t.data.subarray(q * t.k, (q + 1) * t.k)).filter((x) => x >= 0)));
  };
  const recall = (index, truth, ef, rows) => {
    let sum = 0;
    for (const q of rows) {
      let found = 0;
      for (const r of index.search(query(q), K, { ef })) found += truth[q].has(r.id) ? 1 : 0;
      sum += truth[q].size ? found / truth[q].size : 0;
    }
    return sum / rows.length;
  };
  const timePass = (index, ef, rows) => {
    const t = performance.now();
    for (const q of rows) index.search(query(q), K, { ef });
    return ((performance.now() - t) * 1000) / rows.length;
  };
  const measureAll = (indexes, truth, rows) => {
    const out = indexes.map((index) => {
      const h = index.health();
      const s = index.stats();
      return {
        recall: Object.fromEntries(EFS.map((ef) => [ef, recall(index, truth, ef, rows)])),
        unreachable: h.unreachable, tombstones: h.tombstones, linksToTombstones: h.linksToTombstones,
        meanOutDegree: h.meanOutDegree, memoryBytes: s.memoryBytes, capacity: s.capacity, live: s.size, usPerQuery: Infinity,
      };
    });
    for (let pass = 0; pass < 3; pass++) {
      indexes.forEach((index, i) => { out[i].usPerQuery = Math.min(out[i].usPerQuery, timePass(index, EFS[0], rows)); });
    }
    return out;
  };
  const optimizeTimed = async (index, budgetMs) => {
    const t = performance.now();
    const report = await index.optimize({ budgetMs });
    return { ...report, seconds: (performance.now() - t) / 1000 };
  };
  const allRows = Array.from({ length: queries.count }, (_, q) => q);

  const start = readFileSync(join(plan, 'start.nvx'));
  const repaired = await VectorIndex.fromBytes(new Uint8Array(start));
  const unrepaired = await VectorIndex.fromBytes(new Uint8Array(start));
  // A third copy repairs itself: setMaintenance, no optimize() call.
  const auto = await VectorIndex.fromBytes(new Uint8Array(start));
  auto.setMaintenance({ budgetMsPerWrite: AUTO_BUDGET_MS });
  const wasm = { rounds: [], budgetMs: BUDGET_MS, autoBudgetMs: AUTO_BUDGET_MS, insertChunk: INSERT_CHUNK };
  const batchOf = (path, insertedIds) => {
    const rows = readFvecs(path);
    if (rows.count !== insertedIds.length) throw new Error(`${path}: ${rows.count} rows for ${insertedIds.length} ids`);
    return rows.data;
  };
  for (let round = 1; existsSync(join(plan, `round-${round}-deleted.ivecs`)); round++) {
    const p = join(plan, `round-${round}`);
    const deleted = ids(`${p}-deleted.ivecs`);
    const inserted = ids(`${p}-inserted.ivecs`);
    const rows = batchOf(`${p}-inserted.fvecs`, inserted);
    const autoBefore = auto.stats().maintenance;
    let t = performance.now();
    for (const id of deleted) {
      repaired.delete(id);
      unrepaired.delete(id);
    }
    const deleteSeconds = (performance.now() - t) / 2000;
    t = performance.now();
    for (const id of deleted) auto.delete(id);
    const autoDeleteSeconds = (performance.now() - t) / 1000;
    const first = await optimizeTimed(repaired, BUDGET_MS);
    // Inserted in calls of INSERT_CHUNK items, as an application adds them.
    const insert = (index) => {
      for (let i = 0; i < inserted.length; i += INSERT_CHUNK) {
        index.addBatch(inserted.slice(i, i + INSERT_CHUNK), rows.subarray(i * dim, Math.min(inserted.length, i + INSERT_CHUNK) * dim));
      }
    };
    t = performance.now();
    insert(repaired);
    insert(unrepaired);
    const insertSeconds = (performance.now() - t) / 2000;
    t = performance.now();
    insert(auto);
    const autoInsertSeconds = (performance.now() - t) / 1000;
    const second = await optimizeTimed(repaired, BUDGET_MS);
    const fresh = await VectorIndex.fromBytes(new Uint8Array(readFileSync(`${p}-fresh.nvx`)));
    const [r, u, f, a] = measureAll([repaired, unrepaired, fresh, auto], truthOf(`${p}-truth.ivecs`), allRows);
    fresh.dispose();
    const m = auto.stats().maintenance;
    const autoMaintenance = { ...m, passesThisRound: m.passes - autoBefore.passes, msThisRound: m.milliseconds - autoBefore.milliseconds,
      writeCalls: deleted.length + Math.ceil(inserted.length / INSERT_CHUNK), autoDeleteSeconds, autoInsertSeconds };
    wasm.rounds.push({ round, deleted: deleted.length, inserted: inserted.length, deleteSeconds, insertSeconds,
      optimize: first, optimizeAfterInserts: second, repaired: r, unrepaired: u, fresh: f, auto: a, autoMaintenance });
    log(`wasm round ${round}: recall@10 ef ${EFS[0]} repaired ${r.recall[EFS[0]].toFixed(4)} unrepaired ${u.recall[EFS[0]].toFixed(4)} ` +
      `fresh ${f.recall[EFS[0]].toFixed(4)}; unreachable ${r.unreachable}/${u.unreachable}/${f.unreachable}; ` +
      `optimize ${first.seconds.toFixed(2)} s in ${first.slices} slices (longest ${first.longestSliceMs.toFixed(1)} ms); ` +
      `automatic: recall ${a.recall[EFS[0]].toFixed(4)}, unreachable ${a.unreachable}, ${autoMaintenance.passesThisRound} passes, ${autoMaintenance.msThisRound.toFixed(0)} ms`);
  }
  // One optimize without a budget, on the unrepaired copy: how long it holds the thread at once.
  wasm.wholeOptimize = await optimizeTimed(unrepaired, 0);
  log(`wasm: one optimize() without a budget on the unrepaired copy: ${wasm.wholeOptimize.seconds.toFixed(2)} s`);
  repaired.dispose();
  unrepaired.dispose();
  auto.dispose();

  // The clustered case, from the starting index.
  if (existsSync(join(plan, 'clustered-deleted.ivecs'))) {
    const a = await VectorIndex.fromBytes(new Uint8Array(start));
    const u = await VectorIndex.fromBytes(new Uint8Array(start));
    for (const id of ids(join(plan, 'clustered-deleted.ivecs'))) {
      a.delete(id);
      u.delete(id);
    }
    const optimize = await optimizeTimed(a, BUDGET_MS);
    const fresh = await VectorIndex.fromBytes(new Uint8Array(readFileSync(join(plan, 'clustered-fresh.nvx'))));
    const truth = truthOf(join(plan, 'clustered-truth.ivecs'));
    const region = ids(join(plan, 'clustered-region-queries.ivecs'));
    const [ra, ua, fa] = measureAll([a, u, fresh], truth, allRows);
    const [rr, ur, fr] = measureAll([a, u, fresh], truth, region);
    wasm.clustered = { optimize, all: { repaired: ra, unrepaired: ua, fresh: fa }, region: { repaired: rr, unrepaired: ur, fresh: fr }, regionQueries: region.length };
    for (const x of [a, u, fresh]) x.dispose();
  }
  results.wasm = wasm;
}

if (!opt.keep && engines.includes('wasm')) rmSync(plan, { recursive: true, force: true });
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(ROOT, 'bench', 'results', 'churn.md'), report(results));
log('wrote bench/results/churn.{md,json}');

function report(res) {
  const f = (x, d = 4) => (x === undefined || x === null || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const mib = (b) => (b / 2 ** 20).toFixed(1);
  const e0 = EFS[0];
  const lines = ['# An index under churn', '',
    '`npm run bench:churn` (bench/churn.mjs): Fashion-MNIST, 60,000 training images (784 dimensions, L2, M 16, efConstruction 200, seed 42).',
    `${ROUNDS} rounds, each deleting 10% of the live items at random and inserting as many new ones (the first 9,000 test`,
    'images, then noisy copies of training images: Gaussian noise, sigma 16 grey levels), into two copies of one index:',
    '**repaired** (`optimize()` after the deletes and again after the inserts) and **unrepaired** (deletes relink only the',
    "deleted item's own neighbours, as every delete does). After each round both are measured beside a **fresh** build over",
    `the same live items: recall@10 of 1,000 held-out test images (never inserted) against exact search over the live`,
    `items, at ef ${e0} (16 / 64 in brackets); live items no search can reach; memory and slots; search latency at ef ${e0}`,
    '(one thread, mean per query, best of three passes). Goals: recall within 0.01 of the fresh build, 0 unreachable,',
    'memory not growing, latency within 10% of the fresh build\'s.',
    `Machine: ${res.machine.cpus} cores (${res.machine.model}), load average ${res.machine.loadavg.join(' / ')} at the end.`, ''];
  const table = (title, rounds, get) => {
    lines.push(`## ${title}`, '',
      '| round | repaired recall | unrepaired recall | fresh recall | repaired - fresh | unreachable (rep / unrep / fresh) | memory MiB (rep / unrep) | slots (rep / unrep) | µs/query (rep / unrep / fresh) | rep / fresh latency |',
      '|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rounds) {
      const [a, u, fr] = get(r);
      const rc = (m) => `${f(m.recall[e0])} (${f(m.recall[16])} / ${f(m.recall[64])})`;
      lines.push(`| ${r.round} | ${rc(a)} | ${rc(u)} | ${rc(fr)} | ${f(a.recall[e0] - fr.recall[e0])} | ${a.unreachable} / ${u.unreachable} / ${fr.unreachable} | ` +
        `${mib(a.memory)} / ${mib(u.memory)} | ${a.capacity} / ${u.capacity} | ${f(a.us, 1)} / ${f(u.us, 1)} / ${f(fr.us, 1)} | ${f(a.us / fr.us, 2)} |`);
    }
    lines.push('');
  };
  const nat = (m) => ({ recall: m.recall, unreachable: m.unreachable, memory: m.memory_bytes, capacity: m.capacity, us: m.us_per_query });
  const was = (m) => ({ recall: m.recall, unreachable: m.unreachable, memory: m.memoryBytes, capacity: m.capacity, us: m.usPerQuery });
  if (res.native) {
    const n = res.native;
    lines.push(`Native start: built in ${f(n.start.build_seconds, 1)} s on ${n.start.threads} threads.`, '');
    table('Native (neurovec churn, 2 threads for builds and inserts)', n.rounds, (r) => [nat(r.repaired), nat(r.unrepaired), nat(r.fresh)]);
    const opt1 = n.rounds.map((r) => r.optimize.seconds), opt2 = n.rounds.map((r) => r.optimize_after_inserts.seconds);
    const rate = n.rounds.map((r) => (r.repaired.live) / (r.optimize.seconds + r.optimize_after_inserts.seconds));
    lines.push(`Native optimize() per round (one call, no budget): after the deletes ${f(Math.min(...opt1), 2)}-${f(Math.max(...opt1), 2)} s ` +
      `(${n.rounds.map((r) => r.optimize.lists_relinked).join(', ')} lists relinked; ${n.rounds.map((r) => r.optimize.unreachable_before).join(', ')} unreachable before), ` +
      `after the inserts ${f(Math.min(...opt2), 3)}-${f(Math.max(...opt2), 3)} s (${n.rounds.map((r) => r.optimize_after_inserts.reconnected).join(', ')} reconnected). ` +
      `Throughput over both: ${Math.round(Math.min(...rate)).toLocaleString('en')}-${Math.round(Math.max(...rate)).toLocaleString('en')} items/s. ` +
      `Fresh builds: ${f(Math.min(...n.rounds.map((r) => r.fresh_build_seconds)), 1)}-${f(Math.max(...n.rounds.map((r) => r.fresh_build_seconds)), 1)} s each.`, '');
  }
  if (res.wasm) {
    const w = res.wasm;
    table(`wasm (Node, the JS API; optimize({ budgetMs: ${w.budgetMs} }); the fresh figures from the native fresh build's file opened in wasm)`,
      w.rounds, (r) => [was(r.repaired), was(r.unrepaired), was(r.fresh)]);
    if (w.rounds[0]?.auto) {
      lines.push(`**Automatic maintenance** (wasm): a third copy with \`setMaintenance({ budgetMsPerWrite: ${w.autoBudgetMs} })\` and no optimize() call;`,
        `deletes one call each, inserts in calls of ${w.insertChunk} items (all three copies insert that way).`, '',
        '| round | recall (16 / 64) | repaired - automatic | unreachable | links to tombstones | passes | repair ms (per write call) | deletes ms each | inserts items/s |',
        '|---|---|---|---|---|---|---|---|---|');
      for (const r of w.rounds) {
        const a = r.auto, m = r.autoMaintenance;
        lines.push(`| ${r.round} | ${f(a.recall[e0])} (${f(a.recall[16])} / ${f(a.recall[64])}) | ${f(r.repaired.recall[e0] - a.recall[e0])} | ${a.unreachable} | ` +
          `${a.linksToTombstones} | ${m.passesThisRound} | ${f(m.msThisRound, 0)} (${f(m.msThisRound / m.writeCalls, 3)}) | ` +
          `${f((m.autoDeleteSeconds * 1e3) / r.deleted, 3)} | ${Math.round(r.inserted / m.autoInsertSeconds)} |`);
      }
      lines.push('');
    }
    const slices = w.rounds.map((r) => Math.max(r.optimize.longestSliceMs, r.optimizeAfterInserts.longestSliceMs));
    const secs = w.rounds.map((r) => r.optimize.seconds + r.optimizeAfterInserts.seconds);
    const rate = w.rounds.map((r, i) => r.repaired.live / secs[i]);
    lines.push(`wasm optimize() per round, in slices of ${w.budgetMs} ms: ${f(Math.min(...secs), 2)}-${f(Math.max(...secs), 2)} s in all ` +
      `(${w.rounds.map((r) => r.optimize.slices + r.optimizeAfterInserts.slices).join(', ')} slices), throughput ` +
      `${Math.round(Math.min(...rate)).toLocaleString('en')}-${Math.round(Math.max(...rate)).toLocaleString('en')} items/s; ` +
      `**the longest slice (the longest a search waits for it): ${f(Math.max(...slices), 1)} ms**. ` +
      `Without a budget one optimize() holds the thread for its whole length: ${f(w.wholeOptimize.seconds, 2)} s ` +
      `(the unrepaired copy after the last round, ${w.wholeOptimize.listsRelinked} lists relinked). ` +
      `Deletes ${f(Math.max(...w.rounds.map((r) => (r.deleteSeconds * 1e3) / r.deleted)), 3)} ms each at most (averaged per round), inserts ` +
      `${Math.round(Math.min(...w.rounds.map((r) => r.inserted / r.insertSeconds)))} items/s at least (one thread).`, '');
  }
  const clustered = (title, c, pick) => {
    lines.push(`## ${title}`, '', '| queries | repaired recall | unrepaired recall | fresh recall | unreachable (rep / unrep / fresh) | µs/query (rep / unrep / fresh) |', '|---|---|---|---|---|---|');
    for (const [name, part] of pick(c)) {
      const [a, u, fr] = part;
      const rc = (m) => `${f(m.recall[e0])} (${f(m.recall[16])} / ${f(m.recall[64])})`;
      lines.push(`| ${name} | ${rc(a)} | ${rc(u)} | ${rc(fr)} | ${a.unreachable} / ${u.unreachable} / ${fr.unreachable} | ${f(a.us, 1)} / ${f(u.us, 1)} / ${f(fr.us, 1)} |`);
    }
    lines.push('');
  };
  if (res.native?.clustered) {
    const c = res.native.clustered;
    lines.push(`Clustered deletes: ${c.deleted.toLocaleString('en')} of the ${c.region_items.toLocaleString('en')} items of classes ${c.classes.join(' and ')} ` +
      `(sandal, sneaker) deleted at once from the starting index; nothing inserted. Native optimize() ${f(c.optimize.seconds, 2)} s ` +
      `(${c.optimize.lists_relinked} lists relinked, ${c.optimize.reconnected} reconnected, unreachable ${c.optimize.unreachable_before} -> ${c.optimize.unreachable_after}).`, '');
    clustered('Clustered deletes, native', c, (x) => [
      ['all 1,000', [nat(x.all_queries.repaired), nat(x.all_queries.unrepaired), nat(x.all_queries.fresh)]],
      [`the ${x.region_queries} of classes ${x.classes.join(', ')}`, [nat(x.region.repaired), nat(x.region.unrepaired), nat(x.region.fresh)]]]);
  }
  if (res.wasm?.clustered) {
    const c = res.wasm.clustered;
    clustered(`Clustered deletes, wasm (optimize ${f(c.optimize.seconds, 2)} s in ${c.optimize.slices} slices, longest ${f(c.optimize.longestSliceMs, 1)} ms)`, c, (x) => [
      ['all 1,000', [was(x.all.repaired), was(x.all.unrepaired), was(x.all.fresh)]],
      [`the ${x.regionQueries} of the two classes`, [was(x.region.repaired), was(x.region.unrepaired), was(x.region.fresh)]]]);
  }
  return `${lines.join('\n')}\n`;
}
