// feedback()'s two forms (js/src/learning.ts): which ids become positives and
// negatives, and the messages for bad input.
import { describe, expect, it } from 'vitest';
import { judgements } from '../src/learning.js';

describe('judgements', () => {
  const shown = ['a', 'b', 'c', 'd', 'e'];

  it('takes explicit judgements as they are', () => {
    expect(judgements({ positive: [1, 2], negative: [3] })).toEqual(
      { positive: [1, 2], negative: [3], skipped: [], where: ['positive', 'negative'] });
    expect(judgements({ positive: ['x'] }).negative).toEqual([]);
  });

  it('makes the shown results above the last click negatives by default', () => {
    const j = judgements({ clicked: ['d', 'b'], shown });
    expect(j.positive).toEqual(['d', 'b']);
    expect(j.skipped).toEqual(['a', 'c']);
    expect(j.negative).toEqual([]);
  });

  it('follows implicit: all and none, and keeps explicit rejections apart', () => {
    expect(judgements({ clicked: ['b'], shown, implicit: 'all' }).skipped).toEqual(['a', 'c', 'd', 'e']);
    expect(judgements({ clicked: ['e'], shown, implicit: 'none' }).skipped).toEqual([]);
    const j = judgements({ clicked: ['c'], shown, rejected: ['a', 'z'], implicit: 'above' });
    expect(j.negative).toEqual(['a', 'z']);
    expect(j.skipped).toEqual(['b']);  // 'a' is already a rejection
    expect(judgements({ clicked: ['c'], shown, rejected: ['a'], implicit: 'all' }).skipped).toEqual(['b', 'd', 'e']);
    // A click at the top, or on something not shown, skips nothing.
    expect(judgements({ clicked: ['a'], shown }).skipped).toEqual([]);
    expect(judgements({ clicked: ['q'], shown }).skipped).toEqual([]);
    expect(judgements({ clicked: [7, 7] }).positive).toEqual([7]);
  });

  it('says what is wrong', () => {
    const bad = (f: unknown, re: RegExp) => expect(() => judgements(f as never)).toThrow(re);
    bad(null, /clicked: ids/);
    bad({ clicked: [] }, /at least one id/);
    bad({ clicked: 'a' }, /feedback.clicked must be an array/);
    bad({ clicked: ['a'], shown: 'abc' }, /feedback.shown must be an array/);
    bad({ clicked: ['a'], rejected: ['a'] }, /both clicked and rejected/);
    bad({ clicked: ['a'], implicit: 'below' }, /'above', 'all' or 'none'/);
    bad({ clicked: ['a'], positive: ['b'] }, /unknown feedback field "positive"/);
    bad({ positive: [] }, /non-empty array/);
    bad({ positive: [1], clickd: [2] }, /unknown feedback field "clickd"/);
    bad({ clicked: new Array(4097).fill(1) }, /at most 4096/);
  });
});
