// Crash tests in real Chromium, mirroring the Node SIGKILL loop
// (tests/js/durable.test.mjs): a writer acknowledges each write only after
// sync() resolved; the test kills it at a random moment (worker.terminate(),
// a crashed or closed page, a SIGKILLed browser), reopens the file in a fresh
// worker/page/browser and checks that every acknowledged id is there with its
// vector and no acknowledged delete came back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rng } from '../shared/random.mjs';
import { blankUrl, launch, launchOwned, serve } from './harness.mjs';

const TERMINATE_RUNS = Number(process.env.NEUROVEC_BROWSER_TERMINATE_RUNS ?? 25);
const PAGE_CRASH_RUNS = Number(process.env.NEUROVEC_BROWSER_PAGE_CRASH_RUNS ?? 6);
const BROWSER_KILL_RUNS = Number(process.env.NEUROVEC_BROWSER_KILL_RUNS ?? 4);
const TARGETS = { opfs: { opfs: 'crash/index.nvx' }, idb: { indexedDB: 'crash-index' } };

let server;
test.before(async () => {
  server = await serve();
});
test.after(() => server?.close());

function assertVerified(label, v) {
  assert.deepEqual(v.missing, [], `${label}: acknowledged ids missing (${JSON.stringify(v.file)})`);
  assert.deepEqual(v.wrong, [], `${label}: acknowledged ids with another vector`);
  assert.deepEqual(v.resurrected, [], `${label}: acknowledged deletes came back`);
}

test('worker.terminate() at random moments loses no acknowledged write (OPFS and IndexedDB)', { timeout: 120_000 }, async () => {
  const browser = await launch();
  try {
    for (const [kind, target] of Object.entries(TARGETS)) {
      const page = await browser.newPage();
      await page.goto(blankUrl(server));
      const out = await page.evaluate(async ([target, runs, seed]) => {
        const ops = await import('/tests/browser/crash_ops.mjs');
        const { rng } = await import('/tests/shared/random.mjs');
        const random = rng(seed);
        const state = ops.newState();
        await ops.createInWorker(target);
        let killedAfterAcks = 0;
        const failures = [];
        let last;
        for (let run = 0; run < runs; run++) {
          const before = state.acknowledged;
          const delay = 5 + Math.floor(random() * 80);
          let writer;
          const killed = new Promise((resolve) => {
            writer = ops.driveWorker(target, state, random, async () => {}, () => setTimeout(() => {
              writer.terminate();
              resolve();
            }, delay));
          });
          await Promise.race([killed, writer.failed]);
          if (state.acknowledged > before) killedAfterAcks++;
          last = await ops.verifyInWorker(target, state);
          if (last.missing.length || last.wrong.length || last.resurrected.length) failures.push({ run, ...last });
        }
        return { killedAfterAcks, acknowledged: state.acknowledged, checkpoints: state.checkpoints ?? 0, live: state.live.size, failures, last };
      }, [target, TERMINATE_RUNS, kind === 'opfs' ? 11 : 12]);
      await page.close();
      console.log(`worker.terminate loop (${kind}): ${TERMINATE_RUNS} runs (${out.killedAfterAcks} terminated after ` +
        `acknowledging writes), ${out.acknowledged} acknowledged writes and ${out.checkpoints} checkpoints, ` +
        `${out.failures.length} runs with losses; ` +
        `${out.live} items live, file ${JSON.stringify(out.last.file)}`);
      assert.deepEqual(out.failures, [], kind);
      assert.ok(out.acknowledged > TERMINATE_RUNS, `${kind}: the workers acknowledged writes`);
    }
  } finally {
    await browser.close();
  }
});

// Node keeps the authoritative record: the page reports each operation
// (awaited) before starting it and each ack after sync() resolved.
function nodeState() {
  return { next: 0, live: new Set(), deleted: new Set(), acknowledged: 0, acksThisRun: 0, ready: 0 };
}
function onReport(states, { target, m }) {
  const s = states[target];
  if (m.type === 'ready') s.ready++;
  else if (m.type === 'intent') {
    if (m.op.type === 'delete') s.live.delete(m.op.id);
    else if (m.op.type === 'add') s.next = Math.max(s.next, m.op.ids[m.op.ids.length - 1] + 1);
  } else if (m.type === 'ack') {
    if (m.op === 'checkpoint') s.checkpoints = (s.checkpoints ?? 0) + 1;
    else if (m.op === 'add') for (const id of m.ids) s.live.add(id);
    else s.deleted.add(m.ids[0]);
    s.acknowledged += m.ids.length;
    s.acksThisRun++;
  }
}

// Starts both writers in the page: IndexedDB in the page itself, OPFS in a worker it drives.
async function startWriters(page, states, seed) {
  const snapshot = Object.fromEntries(Object.entries(states).map(([k, s]) => [k, { next: s.next, live: [...s.live] }]));
  await page.evaluate(async ([targets, snapshot, seed]) => {
    const ops = await import('/tests/browser/crash_ops.mjs');
    const { rng } = await import('/tests/shared/random.mjs');
    for (const [kind, target] of Object.entries(targets)) {
      const state = { ...ops.newState(), next: snapshot[kind].next, live: new Set(snapshot[kind].live) };
      const random = rng(seed + (kind === 'opfs' ? 1 : 2));
      const report = (m) => window.nvReport({ target: kind, m });
      const onReady = () => report({ type: 'ready' });
      if (kind === 'opfs') ops.driveWorker(target, state, random, report, onReady).failed.catch((e) => report({ type: 'error', message: String(e) }));
      else ops.drivePage(target, state, random, report, onReady).catch((e) => report({ type: 'error', message: String(e) }));
    }
  }, [TARGETS, snapshot, seed]);
}

async function waitReady(states, errors) {
  const deadline = Date.now() + 15_000;
  while (Object.values(states).some((s) => s.ready === 0)) {
    if (errors.length) throw new Error(errors.join('\n'));
    if (Date.now() > deadline) throw new Error('the writers did not get ready');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function verifyAll(page, states, label, allowDiscard = false) {
  const results = await page.evaluate(async ([targets, lists]) => {
    const ops = await import('/tests/browser/crash_ops.mjs');
    const out = {};
    for (const [kind, target] of Object.entries(targets)) {
      out[kind] = await ops.verifyInWorker(target, { live: new Set(lists[kind].live), deleted: new Set(lists[kind].deleted) });
    }
    return out;
  }, [TARGETS, Object.fromEntries(Object.entries(states).map(([k, s]) => [k, { live: [...s.live], deleted: [...s.deleted] }]))]);
  for (const [kind, v] of Object.entries(results)) {
    if (v.discarded && allowDiscard) continue;
    assert.ok(!v.discarded, `${label} (${kind}): the origin's IndexedDB is gone`);
    assertVerified(`${label} (${kind})`, v);
  }
  return results;
}

async function createFiles(page) {
  await page.evaluate(async (targets) => {
    const ops = await import('/tests/browser/crash_ops.mjs');
    for (const target of Object.values(targets)) await ops.createInWorker(target);
  }, TARGETS);
}

test('a crashed or closed page loses no acknowledged write', { timeout: 120_000 }, async () => {
  const browser = await launch();
  const random = rng(21);
  const states = { opfs: nodeState(), idb: nodeState() };
  const errors = [];
  let crashes = 0;
  let closes = 0;
  try {
    const context = await browser.newContext();
    const setup = await context.newPage();
    await setup.goto(blankUrl(server));
    await createFiles(setup);
    await setup.close();
    for (let run = 0; run < PAGE_CRASH_RUNS; run++) {
      for (const s of Object.values(states)) { s.ready = 0; s.acksThisRun = 0; }
      const page = await context.newPage();
      let crashed = false;
      page.on('crash', () => { crashed = true; });
      await page.exposeFunction('nvReport', (r) => {
        if (r.m.type === 'error') errors.push(r.m.message);
        else onReport(states, r);
      });
      await page.goto(blankUrl(server));
      await startWriters(page, states, 100 + run);
      await waitReady(states, errors);
      await new Promise((r) => setTimeout(r, 20 + Math.floor(random() * 150)));
      // A real renderer crash: chrome://crash first; Chromium refuses that
      // navigation from a web page, so then the DevTools command Page.crash;
      // failing both, the page is closed without unload handlers.
      await page.goto('chrome://crash', { timeout: 3000 }).catch(() => {});
      if (!crashed) {
        const cdp = await context.newCDPSession(page).catch(() => undefined);
        // Never answers (the renderer is gone): not awaited, the crash event tells.
        cdp?.send('Page.crash').catch(() => {});
        const deadline = Date.now() + 3000;
        while (!crashed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      }
      if (crashed) crashes++;
      else closes++;
      await page.close({ runBeforeUnload: false }).catch(() => {});
      assert.deepEqual(errors, []);
      const check = await context.newPage();
      await check.goto(blankUrl(server));
      await verifyAll(check, states, `page run ${run}`);
      await check.close();
    }
    const acks = Object.entries(states).map(([k, s]) => `${k} ${s.acknowledged} (${s.checkpoints ?? 0} checkpoints)`).join(', ');
    console.log(`page crash loop: ${PAGE_CRASH_RUNS} runs (${crashes} renderer crashes, ${closes} ` +
      `abrupt closes), acknowledged writes: ${acks}, 0 lost`);
    for (const [k, s] of Object.entries(states)) assert.ok(s.acknowledged > 0, `${k}: writes were acknowledged`);
  } finally {
    await browser.close();
  }
});

test('SIGKILL of the whole browser loses no acknowledged write (persistent profile)', { timeout: 120_000 }, async () => {
  const profile = mkdtempSync(join(tmpdir(), 'neurovec-chromium-'));
  const random = rng(31);
  const states = { opfs: nodeState(), idb: nodeState() };
  const errors = [];
  let owned;
  const open = async () => {
    owned = await launchOwned(profile);
    const page = await owned.context.newPage();
    await page.exposeFunction('nvReport', (r) => {
      if (r.m.type === 'error') errors.push(r.m.message);
      else onReport(states, r);
    });
    await page.goto(blankUrl(server));
    return page;
  };
  try {
    let page = await open();
    await createFiles(page);
    const killedAfterAcks = { opfs: 0, idb: 0 };
    const verifiedAfterKill = { opfs: 0, idb: 0 };
    const discarded = { opfs: 0, idb: 0 };
    for (let run = 0; run < BROWSER_KILL_RUNS; run++) {
      for (const s of Object.values(states)) { s.ready = 0; s.acksThisRun = 0; }
      await startWriters(page, states, 200 + run);
      await waitReady(states, errors);
      await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 250)));
      const { signal } = await owned.kill();
      assert.equal(signal, 'SIGKILL');
      for (const [k, s] of Object.entries(states)) if (s.acksThisRun > 0) killedAfterAcks[k]++;
      assert.deepEqual(errors, []);
      // A new browser on the same profile (one at a time: the old one is
      // dead): the files must hold every acknowledged write. The next run
      // writes in this browser.
      page = await open();
      const verified = await verifyAll(page, states, `browser kill run ${run}`, true);
      for (const [k, v] of Object.entries(verified)) {
        if (!v.discarded) {
          verifiedAfterKill[k]++;
          continue;
        }
        // Only a browser restart may do this, and only to IndexedDB; the
        // writes it took are out of our hands. Start that target afresh.
        assert.equal(k, 'idb', `${k}: only IndexedDB may be discarded by the browser`);
        console.log(`browser kill run ${run}: Chromium discarded the origin's IndexedDB on restart ` +
          `(${states[k].live.size} acknowledged live items with it); OPFS verified in full`);
        discarded[k]++;
        Object.assign(states[k], { live: new Set(), deleted: new Set() });
        await page.evaluate(async (target) => {
          const ops = await import('/tests/browser/crash_ops.mjs');
          await ops.createInWorker(target);
        }, TARGETS[k]);
      }
    }
    const acks = Object.entries(states).map(([k, s]) => `${k} ${s.acknowledged} (${s.checkpoints ?? 0} checkpoints; ` +
      `${killedAfterAcks[k]} runs killed after acks; ${verifiedAfterKill[k]} verified, ${discarded[k]} discarded by the browser)`).join(', ');
    console.log(`browser SIGKILL loop: ${BROWSER_KILL_RUNS} runs, acknowledged writes: ${acks}, 0 lost`);
    for (const [k, s] of Object.entries(states)) assert.ok(s.acknowledged > 0, `${k}: writes were acknowledged`);
    // A browser that discarded IndexedDB after every kill would leave nothing checked.
    assert.ok(verifiedAfterKill.idb > BROWSER_KILL_RUNS / 2, `IndexedDB verified after only ${verifiedAfterKill.idb} of ${BROWSER_KILL_RUNS} kills`);
    assert.equal(verifiedAfterKill.opfs, BROWSER_KILL_RUNS);
  } finally {
    if (owned) await owned.kill().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
});
