// The demo page: search as you type over the Debian catalogue, in a Worker
// that holds a neurovec TextIndex (search-worker.js), learning from thumbs.
// Everything is served by this site (and, after the first visit, by its
// service worker's cache): nothing is fetched from anywhere else.
import './style.css';

/* global __DEMO_INDEX__, __DEMO_LABEL__ */
const SHIPPED = __DEMO_INDEX__;
const LABEL = __DEMO_LABEL__;
const K = 10;
// A thumb (Material Icons' thumb_up, Apache-2.0), drawn inline: no icon font, no emoji font needed.
const THUMB = '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path fill="currentColor" d="M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z"/></svg>';
const MODES = { hybrid: 'Hybrid', semantic: 'Meaning', keyword: 'Keywords' };

const $ = (id) => document.getElementById(id);
const input = $('q');
const resultsEl = $('results');
const timingEl = $('timing');
const errorEl = $('error');
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;
const ms = (n) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
// performance.now() ticks in 0.1 ms steps in pages and workers that are not cross-origin isolated.
const fine = (n) => (n < 0.1 ? '<0.1' : ms(n));

function showError(message) {
  errorEl.textContent = message;
  errorEl.hidden = !message;
}

// ---- the worker ----
const worker = new Worker(new URL('./search-worker.js', import.meta.url), { type: 'module', name: 'neurovec-demo' });
let nextId = 1;
const pending = new Map();
// Until the worker has read the encoder's weights (just after it opens the
// index), a search by meaning or hybrid is answered by keywords, marked so,
// and asked again once they are in.
let encoderReady = false;
worker.onmessage = ({ data }) => {
  if (data.progress) {
    $('sub').textContent = `Loading: ${data.progress}…`;
    return;
  }
  if ('encoderReady' in data) {
    if (!data.encoderReady) showError(`Search by meaning is unavailable: ${data.error}`);
    encoderReady = data.encoderReady;
    window.neurovecDemo.encoderReadyAt = performance.now();
    window.neurovecDemo.encoderMs = data.encoderMs;
    if (encoderReady && input.value.trim()) schedule();
    return;
  }
  const p = pending.get(data.id);
  if (!p) return;
  pending.delete(data.id);
  if (data.ok) p.resolve(data.value);
  else p.reject(Object.assign(new Error(data.error.message), { code: data.error.code }));
};
worker.onerror = (event) => {
  event.preventDefault();
  const error = new Error(`the search worker failed: ${event.message || 'it could not be loaded'}`);
  for (const p of pending.values()) p.reject(error);
  pending.clear();
  showError(error.message);
  document.body.dataset.state = 'error';
};
function call(op, args, transfer = []) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, op, args }, transfer);
  });
}

// ---- offline: the service worker ----
async function registerServiceWorker() {
  if (!import.meta.env.PROD || !('serviceWorker' in navigator)) return { offline: false, why: 'no service worker here' };
  try {
    const hadController = !!navigator.serviceWorker.controller;
    // A new build's service worker takes over (and drops the old cache): load
    // the page again so nothing of the old build keeps running.
    navigator.serviceWorker.addEventListener('controllerchange', () => {
      if (hadController) location.reload();
    });
    await navigator.serviceWorker.register('./sw.js');
    if (!navigator.serviceWorker.controller) {
      // First visit: the page works at once; it works offline once the cache is filled.
      await new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
    }
    return { offline: true };
  } catch (error) {
    return { offline: false, why: `the service worker could not be installed (${error.message})` };
  }
}

async function describeOffline(sw) {
  const el = $('offline');
  if (!sw.offline) {
    el.textContent = `Offline: not available (${sw.why ?? 'no service worker'}).`;
    return;
  }
  const names = (await caches.keys()).filter((n) => n.startsWith('neurovec-demo-'));
  const cache = names.length ? await caches.open(names[0]) : undefined;
  const files = cache ? (await cache.keys()).length : 0;
  const version = names[0]?.slice('neurovec-demo-'.length) ?? '?';
  el.innerHTML = '';
  el.append('Works offline: build ', Object.assign(document.createElement('code'), { id: 'build-version', textContent: version }),
    `${LABEL ? ` (${LABEL})` : ''}, ${files} files in the service worker's cache; the index in ${info.storage === 'opfs' ? 'OPFS' : 'IndexedDB'}.`);
  document.body.dataset.offline = 'ready';
}

// ---- storage ----
let info = {};
function describeStorage() {
  const where = info.storage === 'opfs' ? 'OPFS (Origin Private File System, written from a dedicated Worker)' : 'IndexedDB (this browser offers no OPFS here)';
  const size = info.fileBytes ? `, ${mib(info.fileBytes)}` : '';
  const usage = info.usage !== undefined ? ` This site stores ${mib(info.usage)} in all${info.quota ? ` (quota ${mib(info.quota)})` : ''}.` : '';
  const n = info.feedbackEvents ?? 0;
  $('storage').textContent = `Index: ${where}, ${info.file}${size}; what it learned: ${n} thumb${n === 1 ? '' : 's'}` +
    `${info.journalBytes ? ` (${info.journalBytes} bytes)` : ''}.${usage}`;
  $('reset').disabled = !n;
}

// ---- searching ----
let ready = false;
let wanted = null;
let running = false;
let lastQuery = '';
let lastShown = [];

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function schedule() {
  wanted = { query: input.value.trim(), mode: mode(), useFeedback: !$('before').checked };
  if (ready && !running) pump();
}

async function pump() {
  running = true;
  try {
    while (wanted) {
      const job = wanted;
      wanted = null;
      if (!job.query) {
        render(job, null);
        continue;
      }
      const modes = job.mode === 'compare' ? Object.keys(MODES) : [job.mode];
      const t0 = performance.now();
      const answers = [];
      for (const m of modes) {
        const keywordsFirst = !encoderReady && job.mode !== 'compare' && m !== 'keyword';
        const answer = await call('search', { query: job.query, k: K, mode: keywordsFirst ? 'keyword' : m, useFeedback: job.useFeedback });
        answers.push({ ...answer, keywordsFirst });
      }
      const roundTrip = performance.now() - t0;
      if (!wanted) render(job, answers.map((a, i) => ({ ...a, mode: modes[i] })), roundTrip);
    }
    showError('');
  } catch (error) {
    showError(`Search failed: ${error.message}`);
  } finally {
    running = false;
  }
}

function badge(id, rank, baseline, useFeedback) {
  if (!baseline || !useFeedback) return null;
  const before = baseline.indexOf(id);
  const el = document.createElement('span');
  el.className = 'badge';
  if (before < 0) {
    el.textContent = 'new';
    el.classList.add('up');
    el.title = 'not in the top 50 before learning';
  } else if (before !== rank) {
    const d = before - rank;
    el.textContent = d > 0 ? `▲${d}` : `▼${-d}`;
    el.classList.add(d > 0 ? 'up' : 'down');
    el.title = `was #${before + 1} before learning`;
  } else {
    return null;
  }
  return el;
}

function resultList(answer, job) {
  const ol = document.createElement('ol');
  ol.className = 'list';
  answer.results.forEach((r, rank) => {
    const li = document.createElement('li');
    li.className = 'result';
    li.dataset.id = r.id;
    const head = document.createElement('div');
    head.className = 'head';
    const name = Object.assign(document.createElement('span'), { className: 'name', textContent: r.id });
    const section = Object.assign(document.createElement('span'), { className: 'section', textContent: r.metadata?.section ?? '' });
    head.append(name, section);
    const b = badge(r.id, rank, answer.baseline, job.useFeedback);
    if (b) head.append(b);
    const synopsis = Object.assign(document.createElement('div'), { className: 'synopsis', textContent: r.metadata?.synopsis ?? '' });
    const score = Object.assign(document.createElement('div'), {
      className: 'score',
      textContent: `score ${r.score.toFixed(3)} · keyword ${r.keyword.toFixed(2)} · meaning ${r.semantic.toFixed(2)}` +
        (r.feedback ? ` · learned ${r.feedback > 0 ? '+' : ''}${r.feedback.toFixed(2)}` : ''),
    });
    const thumbs = document.createElement('div');
    thumbs.className = 'thumbs';
    for (const [kind, title] of [['up', 'Right answer: rank it higher for queries like this'], ['down', 'Wrong answer: rank it lower for queries like this']]) {
      const button = Object.assign(document.createElement('button'), { type: 'button', className: `thumb ${kind}`, innerHTML: THUMB, title });
      button.setAttribute('aria-label', `${kind === 'up' ? 'Thumbs up' : 'Thumbs down'} for ${r.id}`);
      button.onclick = () => teach(job.query, r.id, kind, answer.results.map((x) => x.id));
      thumbs.append(button);
    }
    li.append(head, synopsis, score, thumbs);
    ol.append(li);
  });
  return ol;
}

function render(job, answers, roundTrip = 0) {
  resultsEl.innerHTML = '';
  resultsEl.classList.toggle('compare', job.mode === 'compare');
  if (!answers) {
    timingEl.textContent = '';
    lastShown = [];
    return;
  }
  lastQuery = job.query;
  lastShown = answers[0].results.map((r) => r.id);
  for (const answer of answers) {
    const column = document.createElement('section');
    column.className = 'column';
    column.dataset.mode = answer.mode;
    if (answers.length > 1) column.append(Object.assign(document.createElement('h2'), { textContent: MODES[answer.mode] }));
    if (answer.results.length === 0) column.append(Object.assign(document.createElement('p'), { className: 'none', textContent: 'No matches.' }));
    else column.append(resultList(answer, job));
    resultsEl.append(column);
  }
  const a = answers[0];
  const parts = answers.map((x) => `${answers.length > 1 ? `${MODES[x.mode]}: ` : ''}encode ${fine(x.encodeMs)} ms + search ${fine(x.searchMs)} ms`);
  timingEl.textContent = `${parts.join(' · ')} · ${a.results.length} results · round trip to the worker ${ms(roundTrip)} ms` +
    (job.useFeedback ? '' : ' · ranking before learning') +
    (a.keywordsFirst ? ' · by keywords while the encoder loads' : '');
  document.body.dataset.query = job.query;
}

async function teach(query, id, kind, shown) {
  try {
    const r = await call('feedback', { query, shown, [kind === 'up' ? 'clicked' : 'rejected']: [id] });
    info.feedbackEvents = r.feedbackEvents;
    describeStorage();
    flash(`${kind === 'up' ? 'Thumbs up' : 'Thumbs down'} for ${id}: learned for queries like "${query}" (saved)`);
    schedule();
  } catch (error) {
    showError(`Could not record feedback: ${error.message}`);
  }
}

function flash(text) {
  let el = $('flash');
  if (!el) {
    el = Object.assign(document.createElement('div'), { id: 'flash', className: 'flash' });
    document.body.append(el);
  }
  el.textContent = text;
  el.classList.add('on');
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => el.classList.remove('on'), 2500);
}

// ---- wiring ----
input.addEventListener('input', schedule);
for (const radio of document.querySelectorAll('input[name=mode]')) radio.addEventListener('change', schedule);
$('before').addEventListener('change', schedule);
for (const b of document.querySelectorAll('.example')) {
  b.addEventListener('click', () => {
    input.value = b.textContent;
    schedule();
    input.focus();
  });
}
$('reset').addEventListener('click', async () => {
  try {
    const r = await call('clear');
    info.feedbackEvents = r.feedbackEvents;
    describeStorage();
    flash('Learning reset: every thumb forgotten');
    schedule();
  } catch (error) {
    showError(`Could not reset: ${error.message}`);
  }
});
$('export').addEventListener('click', async () => {
  try {
    const bytes = await call('export');
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = Object.assign(document.createElement('a'), { href: url, download: 'neurovec-debian.nvx' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    flash(`Exported ${mib(bytes.length)} (the index with what it learned)`);
  } catch (error) {
    showError(`Export failed: ${error.message}`);
  }
});
$('import').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (!file) return;
  try {
    const bytes = new Uint8Array(await file.arrayBuffer());
    const r = await call('import', { bytes }, [bytes.buffer]);
    info = { ...info, ...r };
    describeStorage();
    showError('');
    flash(`Imported ${file.name}: ${r.documents} packages, ${r.feedbackEvents} thumbs learned`);
    schedule();
  } catch (error) {
    showError(`Import failed (the index in use is unchanged): ${error.message}`);
  }
});

async function start() {
  document.body.dataset.state = 'loading';
  const t0 = performance.now();
  const swReady = registerServiceWorker();
  const url = new URL(SHIPPED.file, document.baseURI).href;
  const preferIndexedDB = new URLSearchParams(location.search).has('idb');
  info = await call('init', { index: { ...SHIPPED, url }, preferIndexedDB });
  encoderReady ||= info.encoderLoaded;
  ready = true;
  const loadMs = performance.now() - t0;
  $('sub').textContent = `${info.documents.toLocaleString('en')} Debian packages, searched in your browser by keywords and by meaning ` +
    `(a neurovec TextIndex in WebAssembly, in a Worker). Ready in ${ms(loadMs)} ms${info.copied ? ' (first visit: index downloaded and stored)' : ''}.`;
  for (const el of [$('export'), $('import')]) el.disabled = false;
  describeStorage();
  document.body.dataset.state = 'ready';
  window.neurovecDemo.loadMs = loadMs;
  window.neurovecDemo.readyAt = performance.now(); // ms since the navigation started
  // Where the time before the worker's init went (ms since the navigation):
  // this script starting, the worker's module starting, init starting there.
  const since = (epochMs) => epochMs - performance.timeOrigin;
  window.neurovecDemo.timeline = {
    pageStartAt: t0, workerBootAt: since(info.bootEpochMs), initStartAt: since(info.initStartEpochMs),
    initMs: info.initMs, readyAt: window.neurovecDemo.readyAt,
  };
  window.neurovecDemo.info = info;
  if (input.value.trim()) schedule();
  swReady.then(describeOffline);
  return info;
}

// For tests and benchmarks: the page's state and a direct line to the worker.
window.neurovecDemo = { call, ready: undefined, loadMs: undefined, info: undefined };
window.neurovecDemo.ready = start().catch((error) => {
  document.body.dataset.state = 'error';
  $('sub').textContent = 'The index could not be loaded.';
  showError(`The demo could not start: ${error.message}`);
  throw error;
});
window.neurovecDemo.ready.catch(() => undefined);
