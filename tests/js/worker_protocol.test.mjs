// neurovec/worker's packed searchBatch results: lists of numeric ids and
// distances travel as three typed arrays and come back as the same objects;
// anything else (string ids, metadata, scores) travels as it is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packResults, unpackResults } from '../../js/dist/worker/protocol.js';

test('packed search results round-trip exactly and only when they are plain ids and distances', () => {
  const lists = [
    [{ id: 7, distance: 0.1 }, { id: 2 ** 40 + 3, distance: 1 / 3 }],
    [],
    [{ id: -0.5, distance: Number.MAX_VALUE }],
  ];
  const packed = packResults(lists);
  assert.deepEqual([...packed.counts], [2, 0, 1]);
  assert.ok(packed.ids instanceof Float64Array && packed.distances instanceof Float64Array);
  // Through a real structured clone with the buffers transferred, as postMessage does.
  const moved = structuredClone(packed, { transfer: [packed.counts.buffer, packed.ids.buffer, packed.distances.buffer] });
  assert.equal(packed.ids.byteLength, 0, 'the buffers were transferred, not copied');
  assert.deepEqual(unpackResults(moved), lists);
  assert.deepEqual(unpackResults(packResults([])), []);

  assert.equal(packResults([[{ id: 'a', distance: 1 }]]), undefined);
  assert.equal(packResults([[{ id: 1, distance: 1 }], [{ id: 2, distance: 2, metadata: { tag: 'x' } }]]), undefined);
  assert.equal(packResults([[{ id: 1, distance: 1, score: 0.5 }]]), undefined);
});
