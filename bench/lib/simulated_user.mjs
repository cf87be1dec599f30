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
