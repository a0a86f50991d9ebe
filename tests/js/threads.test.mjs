// Threads in Node: the pthreads build gives bit-identical results to the single-threaded one
// (work is split by whole planes, groups and output channels, never inside a reduction), with
// any thread count, and 'auto' picks the threaded build on a multi-core machine.
import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, test } from 'node:test';

import { init } from '../../js/index.node.js';
import { count, normal, uniform } from './helpers.mjs';

describe('threads in Node', () => {
  const engines = {};
  before(async () => {
    engines[1] = await init({ threads: 1 });
    engines[2] = await init({ threads: 2 });
    engines[3] = await init({ threads: 3 });
  });
  after(() => Object.values(engines).forEach((e) => e.dispose()));

  test('thread counts and variants', () => {
    assert.equal(engines[1].threads, 1);
    assert.equal(engines[1].variant, 'simd');
    assert.equal(engines[2].threads, 2);
    assert.equal(engines[2].variant, 'simd-threads');
    assert.equal(engines[3].threads, 3);
  });

  test("'auto' uses the cores (threaded build when there are several)", async () => {
    const ist = await init();
    const cores = os.availableParallelism?.() ?? os.cpus().length;
    assert.equal(ist.threads, Math.min(cores, 8));
    assert.equal(ist.variant, cores > 1 ? 'simd-threads' : 'simd');
    ist.dispose();
  });

  const shape = [2, 13, 37, 41];
  const x = normal(count(shape), 1, 2, 3);
  const C = shape[1];
  const ops = {
    instanceNorm: (ist) => ist.instanceNorm(x, shape, { gamma: uniform(C, 2), beta: uniform(C, 3), relu: true }),
    batchNorm: (ist) => ist.batchNorm(x, shape, { mean: uniform(C, 4), variance: uniform(C, 5, 0.5, 2) }),
    batchNormTraining: (ist) => ist.batchNorm(x, shape, { training: true }).output,
    layerNorm: (ist) => ist.layerNorm(x, shape),
    groupNorm: (ist) => ist.groupNorm(x, shape, { groups: 13 }),
    adain: (ist) => ist.adain(x, shape, normal(13 * 50, 6), [1, 13, 5, 10], { alpha: 0.7 }),
    conv2d: (ist) => ist.conv2d(x, shape, uniform(16 * 13 * 9, 7), [16, 13, 3, 3], { padding: 1, padMode: 'reflect' }),
    conv2dStride: (ist) => ist.conv2d(x, shape, uniform(5 * 13 * 25, 8), [5, 13, 5, 5], { stride: 2, padding: 2 }),
    conv2dDepthwise: (ist) => ist.conv2d(x, shape, uniform(13 * 9, 9), [13, 1, 3, 3], { groups: 13, padding: 1 }),
    conv2dOneSample: (ist) => ist.conv2d(x.subarray(0, count(shape) / 2), [1, 13, 37, 41], uniform(7 * 13 * 9, 10), [7, 13, 3, 3], { padding: 1 }),
  };
  for (const [name, op] of Object.entries(ops)) {
    test(`${name}: 2 and 3 threads give the single-threaded numbers, bit for bit`, () => {
      const single = op(engines[1]);
      assert.deepEqual(op(engines[2]), single);
      assert.deepEqual(op(engines[3]), single);
    });
  }
});
