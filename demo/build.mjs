// Builds the demo site (vite build --config demo/vite.config.mjs) unless the
// output is up to date: a hash of every input (the demo's sources, the built
// package in js/dist, the index file, the label) is kept in <out>/.inputs.
// Used by `npm start`, the browser tests and bench/demo.mjs.
// `node demo/build.mjs [--index FILE] [--out DIR] [--label TEXT] [--force]`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p) : [p];
  });
}

function inputsHash({ index, label }) {
  const hash = createHash('sha256');
  const inputs = [
    ...['index.html', 'vite.config.mjs', 'sw.template.js'].map((f) => join(HERE, f)),
    ...files(join(HERE, 'src')),
    ...files(join(ROOT, 'js', 'dist')).filter((f) => !f.endsWith('.map') && !f.endsWith('.d.ts')),
    join(ROOT, 'package.json'),
  ].sort();
  for (const f of inputs) hash.update(relative(ROOT, f)).update(readFileSync(f));
  // The index by size and time (the build hashes its contents anyway).
  const s = statSync(index);
  hash.update(`${index}:${s.size}:${s.mtimeMs}:${label}`);
  return hash.digest('hex');
}

/** Builds the site into `out` from `index` when something changed. Returns { out, built }. */
export function buildDemo({ index, out = join(HERE, 'dist'), label = '', force = false, log = console.log } = {}) {
  if (!index) {
    index = [join(ROOT, 'demo', 'data', 'debian.nvx'), join(ROOT, 'demo', 'data', 'debian-sample.nvx')].find((f) => existsSync(f));
    if (!index) throw new Error('no demo index: run `npm run demo:data` (or `npm run demo:data -- --sample`) first');
  }
  if (!existsSync(VITE)) throw new Error('vite is not installed: run `npm install`');
  if (!existsSync(join(ROOT, 'js', 'dist', 'text', 'index.browser.js'))) throw new Error('the package is not built: run `npm run build`');
  const stamp = join(out, '.inputs');
  const want = inputsHash({ index, label });
  if (!force && existsSync(stamp) && readFileSync(stamp, 'utf8') === want && existsSync(join(out, 'sw.js'))) {
    return { out, built: false };
  }
  log(`[demo] vite build -> ${relative(ROOT, out) || out} (index ${relative(ROOT, index)})`);
  const r = spawnSync(process.execPath, [VITE, 'build', '--config', join(HERE, 'vite.config.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NEUROVEC_DEMO_INDEX: index, NEUROVEC_DEMO_OUT: out, NEUROVEC_DEMO_LABEL: label },
  });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  if (r.status !== 0) throw new Error(`vite build failed (exit ${r.status ?? r.signal}):\n${output}`);
  // The build must be clean: any warning is a failure to fix, not to scroll past.
  if (output) throw new Error(`vite build printed warnings:\n${output}`);
  writeFileSync(stamp, want);
  return { out, built: true };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  try {
    const r = buildDemo({ index: opt('--index') && resolve(opt('--index')), out: opt('--out') && resolve(opt('--out')), label: opt('--label') ?? '', force: args.includes('--force') });
    console.log(r.built ? `[demo] built ${r.out}` : `[demo] ${r.out} is up to date`);
  } catch (error) {
    console.error(`[demo] ${error.message}`);
    process.exit(1);
  }
}
