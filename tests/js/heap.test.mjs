// No leaks: 1000 calls of every op leave malloc's in-use bytes and the heap size where they
// were, in both builds; failing calls free what they allocated too (errors.test.mjs).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { VARIANTS, count, engine, uniform } from './helpers.mjs';

const S = [2, 3, 7, 13];
const x = uniform(count(S), 1);
const style = uniform(3 * 5 * 5, 2);
const weight = uniform(4 * 3 * 3 * 3, 3);

const CALLS = [
  (ist) => ist.instanceNorm(x, S, { gamma: [1, 2, 3], beta: [0, 1, 2], relu: true }),
  (ist) => ist.instanceStats(x, S),
  (ist) => ist.batchNorm(x, S, { mean: [0, 0, 0], variance: [1, 2, 3] }),
  (ist) => ist.batchNorm(x, S, { training: true }),
  (ist) => ist.layerNorm(x, S),
  (ist) => ist.groupNorm(x, S, { groups: 3 }),
  (ist) => ist.adain(x, S, style, [1, 3, 5, 5], { alpha: 0.5 }),
  (ist) => ist.conv2d(x, S, weight, [4, 3, 3, 3], { padding: 1, padMode: 'reflect', bias: [1, 2, 3, 4] }),
];

for (const threads of VARIANTS) {
  describe(`heap (threads: ${threads})`, () => {
    let ist;
    before(async () => {
      ist = await engine(threads);
    });
    after(() => ist.dispose());

    test('1000 calls of each op leave the heap flat', () => {
      for (const call of CALLS) call(ist); // warm up: first-use allocations, heap growth
      const start = ist.memoryUsage();
      for (let i = 0; i < 1000; i++) for (const call of CALLS) call(ist);
      const end = ist.memoryUsage();
      assert.equal(end.allocatedBytes, start.allocatedBytes, 'bytes held by malloc');
      assert.equal(end.heapBytes, start.heapBytes, 'heap size');
    });

    test('a large call returns its memory', () => {
      const shape = [1, 16, 256, 256];
      const big = uniform(count(shape), 4);
      const start = ist.memoryUsage().allocatedBytes;
      for (let i = 0; i < 3; i++) ist.instanceNorm(big, shape);
      assert.equal(ist.memoryUsage().allocatedBytes, start);
    });
  });
}
