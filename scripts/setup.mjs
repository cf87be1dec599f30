// Makes sure what the build and tests need is installed: Debian packages via
// apt-get when running as root, npm packages via npm. Otherwise it stops with a
// message saying exactly what to install.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// command or file that proves the package is there -> Debian package
const DEBIAN = [
  { check: 'cmake', pkg: 'cmake' },
  { check: 'g++', pkg: 'g++' },
  { check: 'make', pkg: 'make' },
  { check: 'python3', pkg: 'python3' }, // node-gyp, for hnswlib-node (benchmark peer)
  { check: 'emcc', pkg: 'emscripten' },
  { file: '/usr/include/gtest/gtest.h', pkg: 'libgtest-dev' },
  { file: '/usr/include/eigen3/Eigen/Core', pkg: 'libeigen3-dev' }, // learning engine (cpp/src/learning)
  { file: '/usr/include/zlib.h', pkg: 'zlib1g-dev' }, // learn-bench reads the gzip'd label files
  { file: '/usr/include/onnx/onnx_pb.h', pkg: 'libonnx-dev' }, // ONNX export of the refiner (neurovec_onnx)
  { file: '/usr/include/google/protobuf/message.h', pkg: 'libprotobuf-dev' }, // what libonnx-dev's models are made of
  { file: '/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz', pkg: 'dataset-fashion-mnist' },
  { file: '/usr/bin/chromium', pkg: 'chromium' }, // browser tests (driven by playwright-core)
  { check: 'clang++', pkg: 'clang' }, // libFuzzer targets (tests/fuzz)
  { file: '/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a', pkg: 'libclang-rt-14-dev' },
];

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export function missingDebianPackages() {
  return DEBIAN.filter((d) => (d.check ? !hasCommand(d.check) : !existsSync(d.file))).map((d) => d.pkg);
}

export function ensureDebianPackages() {
  const missing = missingDebianPackages();
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(`neurovec needs these Debian packages: ${missing.join(' ')}\n` +
      `Install them with: sudo apt-get install -y ${missing.join(' ')}`);
    process.exit(1);
  }
  console.log(`[setup] apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missingDebianPackages();
  if (still.length) {
    console.error(`[setup] still missing after apt-get: ${still.join(' ')}`);
    process.exit(1);
  }
}

export function ensureNodeModules() {
  const needed = ['typescript', 'vitest', 'playwright-core', 'hnswlib-node', '@ruvector/core', 'onnxruntime-web', 'minisearch'];
  const missing = needed.filter((p) => !existsSync(join(ROOT, 'node_modules', p, 'package.json')));
  const addonMissing = !existsSync(join(ROOT, 'node_modules', 'hnswlib-node', 'build', 'Release', 'addon.node'));
  if (missing.length === 0 && !addonMissing) return;
  console.log(`[setup] npm install (missing: ${[...missing, ...(addonMissing ? ['hnswlib-node native addon'] : [])].join(', ')})`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (!existsSync(join(ROOT, 'node_modules', 'hnswlib-node', 'build', 'Release', 'addon.node'))) {
    // npm 11 may skip install scripts of dependencies; build the addon explicitly.
    execFileSync('npm', ['rebuild', 'hnswlib-node'], { cwd: ROOT, stdio: 'inherit' });
  }
}

export function ensureAll() {
  ensureDebianPackages();
  ensureNodeModules();
}

if (import.meta.url === `file://${process.argv[1]}`) ensureAll();
