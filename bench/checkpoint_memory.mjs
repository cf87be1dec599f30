#!/usr/bin/env node
// What a checkpoint (or a save) costs in Node (wasm): the wasm heap's growth
// while the core writes a new image of a large index, the time, the throughput.
//   node bench/checkpoint_memory.mjs --index data/fashion-mnist.nvx [--op checkpoint|save]
//                                    [--dist js/dist/index.js] [--adds 200]
//                                    [--keep FILE] [--json]
// The index file is copied, the copy opened for writing (vectors and level-0
// lists paged, as an open does by default), `--adds` random items added and
// synced (a checkpoint folds them in), then checkpoint() runs once (--op save:
// save() to another path in the same folder instead). The heap
// is WebAssembly memory: it only grows, so its growth across the call bounds
// what the checkpoint needed beyond what was free. `--dist` points at another
// build's js/dist/index.js, to compare writers in the same way; `--keep` copies
// the checkpointed file there (to compare two builds' bytes). Prints one
// JSON line with --json; bench/persistence.mjs runs this in a fresh process.
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/paths.mjs';

const args = {};
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
  const next = process.argv[i + 1];
  if (next === undefined || next.startsWith('--')) args[a.slice(2)] = true;
  else args[a.slice(2)] = process.argv[++i];
}
if (!args.index) throw new Error('--index FILE (a 784-d index such as data/fashion-mnist.nvx) is required');
const dist = resolve(args.dist ?? join(ROOT, 'js', 'dist', 'index.js'));
const adds = Number(args.adds ?? 200);
const op = args.op ?? 'checkpoint';
if (op !== 'checkpoint' && op !== 'save') throw new Error(`--op must be checkpoint or save, got ${op}`);

const { VectorIndex } = await import(pathToFileURL(dist).href);
const tmp = mkdtempSync(join(os.tmpdir(), 'neurovec-checkpoint-'));
try {
  const path = join(tmp, 'index.nvx');
  copyFileSync(resolve(args.index), path);
  const index = await VectorIndex.open(path);
  const d = index.dimensions ?? index.config?.dimensions ?? 784;
  // Deterministic items (an LCG), so two builds get the same index.
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 255;
  const vectors = new Float32Array(adds * d);
  for (let i = 0; i < vectors.length; i++) vectors[i] = rnd();
  if (adds > 0) index.addBatch(Array.from({ length: adds }, (_, i) => `checkpoint-bench-${i}`), vectors);
  await index.sync();
  // The module is a private field of the index; a benchmark may look.
  const heap = () => index.mod.HEAPU8.length;
  const heapBefore = heap();
  const rssBefore = process.memoryUsage().rss;
  const t0 = performance.now();
  const saved = join(tmp, 'saved.nvx');
  if (op === 'checkpoint') await index.checkpoint();
  else await index.save(saved);
  const seconds = (performance.now() - t0) / 1000;
  const heapAfter = heap();
  const stats = index.stats();
  const imageBytes = op === 'checkpoint' ? stats.file?.imageBytes ?? 0 : statSync(saved).size;
  await index.close();
  const written = op === 'checkpoint' ? path : saved;
  if (args.keep) copyFileSync(written, resolve(args.keep));
  const result = {
    op, dist: dist.startsWith(ROOT) ? dist.slice(ROOT.length + 1) : dist,
    items: stats.count ?? stats.size, imageBytes, fileBytes: statSync(written).size, seconds,
    mbPerS: imageBytes / 1e6 / seconds, heapBefore, heapAfter, heapGrowth: heapAfter - heapBefore,
    rssGrowth: process.memoryUsage().rss - rssBefore,
  };
  if (args.json) console.log(JSON.stringify(result));
  else {
    const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
    console.log(`${op} of ${result.items} items (${mib(imageBytes)} image) in ${seconds.toFixed(3)} s, ` +
      `${result.mbPerS.toFixed(0)} MB/s; wasm heap ${mib(heapBefore)} -> ${mib(heapAfter)} ` +
      `(+${mib(result.heapGrowth)}); RSS +${mib(result.rssGrowth)}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
