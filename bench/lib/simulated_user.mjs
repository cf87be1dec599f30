// The simulated user of the learning benches (issue 14): looks at the results
// shown (ids, best first) and clicks as people do. Leaves without a click 10%
// of the time; otherwise wants 1 click (70%) or 2; examines rank r (0-based)
// with probability 1 / (r + 1) (position bias) and clicks the relevant results
// it examines, in order, until it has its clicks; each click goes to a random
// irrelevant shown result instead with probability 0.1 (a wrong click).
// `relevant(id)` is the user's intent; `random` a () => [0, 1) generator.
export function simulatedClicks(shown, relevant, random) {
  if (random() < 0.1) return [];
  const want = random() < 0.7 ? 1 : 2;
  const clicks = [];
  for (let r = 0; r < shown.length && clicks.length < want; r++) {
    if (random() < 1 / (r + 1) && relevant(shown[r])) clicks.push(shown[r]);
  }
  const wrong = shown.filter((id) => !relevant(id));
  return [...new Set(clicks.map((id) => (wrong.length && random() < 0.1 ? wrong[Math.floor(random() * wrong.length)] : id)))];
}

// The same user with a thumbs-down button (the demo page has one): besides
// its clicks, it marks up to `most` results it examined as not wanted. It
// examines rank r with probability 1 / (r + 1), as for clicks, and marks an
// examined irrelevant result with probability `rate`; each mark goes to a
// random relevant shown result instead with probability 0.1 (a wrong mark).
// `random` should be a stream of its own, so the clicks stay those of
// simulatedClicks whatever the marks. Never marks a clicked result.
export function simulatedRejections(shown, relevant, clicked, random, { most = 1, rate = 0.5 } = {}) {
  const marks = [];
  for (let r = 0; r < shown.length && marks.length < most; r++) {
    if (random() < 1 / (r + 1) && !relevant(shown[r]) && random() < rate) marks.push(shown[r]);
  }
  const right = shown.filter((id) => relevant(id) && !clicked.includes(id));
  const isClicked = new Set(clicked);
  return [...new Set(marks.map((id) => (right.length && random() < 0.1 ? right[Math.floor(random() * right.length)] : id)))]
    .filter((id) => !isClicked.has(id));
}
