// Every op of the JS API against the plain-JS references (tests/js/reference.mjs) on random
// data with odd shapes, for the single-threaded and the threaded build.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as ref from './reference.mjs';
import { VARIANTS, assertClose, count, engine, normal, uniform } from './helpers.mjs';

// Planes 1x1, 3x5, 7x13, 64x64, widths not multiples of 4; channels 1, 3, 13, 127.
const NORM_SHAPES = [
  [1, 1, 1, 1],
  [2, 3, 3, 5],
  [1, 13, 7, 13],
  [3, 5, 1, 17],
  [1, 127, 2, 3],
  [2, 4, 64, 64],
];

const CONV_CASES = [
  { shape: [1, 1, 1, 1], w: [1, 1, 1, 1], options: {} },
  { shape: [1, 3, 7, 13], w: [5, 3, 3, 3], options: { padding: 1, bias: true } },
  { shape: [2, 3, 9, 11], w: [4, 3, 3, 3], options: { stride: 2, padding: 1, padMode: 'reflect', relu: true } },
  { shape: [1, 3, 17, 19], w: [8, 3, 9, 9], options: { padding: 4, padMode: 'reflect', bias: true } },
  { shape: [1, 4, 6, 7], w: [6, 2, 3, 3], options: { groups: 2, padding: [1, 2], padMode: 'edge', bias: true } },
  { shape: [2, 13, 5, 9], w: [13, 1, 3, 3], options: { groups: 13, padding: 1, relu: true } },
  { shape: [1, 5, 12, 10], w: [7, 5, 5, 5], options: { stride: [2, 1], padding: [2, 1, 2, 3], padMode: 'zeros' } },
  { shape: [1, 2, 11, 11], w: [3, 2, 3, 3], options: { dilation: 2, padding: 2, padMode: 'reflect' } },
  { shape: [1, 16, 16, 16], w: [32, 16, 1, 1], options: { bias: true } },
  { shape: [1, 3, 8, 8], w: [2, 3, 7, 7], options: { padding: 3, padMode: 'edge', stride: 2 } },
];

// The engine folds each plane's statistics into y = x * scale + shift, whose rounding error
// grows with |x| * scale (1 / sqrt(eps) on a 1x1 plane): the tolerance scales with it.
function foldedScale(x, shape, { eps = 1e-5, gamma } = {}) {
  const { variance } = ref.instanceStats(x, shape);
  const plane = shape[2] * shape[3];
  return Float64Array.from(x, (v, i) => {
    const p = Math.floor(i / plane);
    return (Math.abs(v) * (gamma ? Math.abs(gamma[p % shape[1]]) : 1)) / Math.sqrt(variance[p] + eps);
  });
}

for (const threads of VARIANTS) {
  describe(`ops (threads: ${threads})`, () => {
    let ist;
    before(async () => {
      ist = await engine(threads);
    });
    after(() => ist.dispose());

    test('instanceNorm matches the reference, with and without affine and relu', () => {
      NORM_SHAPES.forEach((shape, k) => {
        const x = normal(count(shape), 10 + k, 3, 2);
        const C = shape[1];
        for (const options of [{}, { gamma: uniform(C, 20 + k, 0.5, 2), beta: uniform(C, 30 + k), relu: true, eps: 1e-3 }]) {
          const y = ist.instanceNorm(x, shape, options);
          assert.ok(y instanceof Float32Array);
          assertClose(y, ref.instanceNorm(x, shape, options), { atol: 1e-4, rtol: 1e-4, scale: foldedScale(x, shape, options), label: `IN ${shape}` });
        }
      });
    });

    test('instanceNorm accepts plain arrays for gamma and beta', () => {
      const shape = [1, 2, 3, 3];
      const x = uniform(18, 5);
      const y = ist.instanceNorm(x, shape, { gamma: [2, 3], beta: [0.5, -1] });
      assertClose(y, ref.instanceNorm(x, shape, { gamma: [2, 3], beta: [0.5, -1] }), { atol: 1e-4, rtol: 1e-4 });
    });

    test('instanceNorm does not modify its input', () => {
      const x = uniform(60, 6);
      const copy = x.slice();
      ist.instanceNorm(x, [1, 3, 4, 5]);
      assert.deepEqual(x, copy);
    });

    test('instanceStats matches the reference', () => {
      for (const shape of NORM_SHAPES) {
        const x = normal(count(shape), 40, 1e4, 1); // large offset: two-pass variance needed
        const s = ist.instanceStats(x, shape);
        const r = ref.instanceStats(x, shape);
        assertClose(s.mean, r.mean, { atol: 1e-3, rtol: 1e-6, label: 'mean' });
        assertClose(s.variance, r.variance, { atol: 1e-3, rtol: 1e-3, label: 'variance' });
      }
    });

    test('batchNorm inference matches the reference', () => {
      NORM_SHAPES.forEach((shape, k) => {
        const C = shape[1];
        const x = normal(count(shape), 50 + k);
        const options = { mean: uniform(C, 60 + k), variance: uniform(C, 70 + k, 0.1, 3), gamma: uniform(C, 80 + k), beta: uniform(C, 90 + k), relu: k % 2 === 1 };
        assertClose(ist.batchNorm(x, shape, options), ref.batchNormInference(x, shape, options), { atol: 1e-4, rtol: 1e-4, label: `BN ${shape}` });
      });
    });

    test('batchNorm training matches the reference and returns the batch statistics', () => {
      NORM_SHAPES.forEach((shape, k) => {
        const C = shape[1];
        const x = normal(count(shape), 100 + k, -2, 3);
        const options = { training: true, gamma: uniform(C, 110 + k), beta: uniform(C, 120 + k) };
        const r = ref.batchNormTraining(x, shape, options);
        const out = ist.batchNorm(x, shape, options);
        assertClose(out.output, r.output, { atol: 1e-4, rtol: 1e-4, label: `BN train ${shape}` });
        assertClose(out.mean, r.mean, { atol: 1e-5, rtol: 1e-5, label: 'mean' });
        assertClose(out.variance, r.variance, { atol: 1e-5, rtol: 1e-4, label: 'variance' });
      });
    });

    test('layerNorm matches the reference, with element-wise affine', () => {
      NORM_SHAPES.forEach((shape, k) => {
        const x = normal(count(shape), 130 + k, 1, 4);
        const inner = count(shape) / shape[0];
        for (const options of [{}, { gamma: uniform(inner, 140 + k), beta: uniform(inner, 150 + k), eps: 1e-3 }]) {
          assertClose(ist.layerNorm(x, shape, options), ref.layerNorm(x, shape, options), { atol: 1e-4, rtol: 1e-4, label: `LN ${shape}` });
        }
      });
    });

    test('groupNorm matches the reference for every divisor of C', () => {
      for (const shape of [[2, 6, 5, 7], [1, 13, 3, 3], [1, 12, 8, 9]]) {
        const C = shape[1];
        const x = normal(count(shape), 160 + C);
        for (let groups = 1; groups <= C; groups++) {
          if (C % groups) continue;
          const options = { groups, gamma: uniform(C, 170 + groups), beta: uniform(C, 180 + groups), relu: groups % 2 === 0 };
          assertClose(ist.groupNorm(x, shape, options), ref.groupNorm(x, shape, options), { atol: 1e-4, rtol: 1e-4, label: `GN ${shape} G=${groups}` });
        }
      }
    });

    test('adain matches the reference: per-sample style, shared style, other style sizes, alpha', () => {
      const cases = [
        { cs: [1, 3, 7, 13], ss: [1, 3, 5, 5] },
        { cs: [2, 5, 9, 3], ss: [2, 5, 9, 3] },
        { cs: [3, 13, 4, 4], ss: [1, 13, 11, 1] },
        { cs: [1, 1, 1, 1], ss: [1, 1, 2, 2] },
      ];
      cases.forEach(({ cs, ss }, k) => {
        const content = normal(count(cs), 190 + k, 1, 2);
        const style = normal(count(ss), 200 + k, -3, 0.5);
        for (const options of [{}, { alpha: 0.3 }, { alpha: 0, eps: 1e-3 }]) {
          assertClose(ist.adain(content, cs, style, ss, options), ref.adain(content, cs, style, ss, options), { atol: 2e-4, rtol: 1e-4, label: `AdaIN ${cs} ${ss}` });
        }
      });
    });

    test('conv2d matches the reference: kernels 1-9, strides, pad modes, groups, dilation', () => {
      CONV_CASES.forEach(({ shape, w, options }, k) => {
        const x = uniform(count(shape), 210 + k);
        const weight = uniform(count(w), 220 + k, -0.5, 0.5);
        const opts = { ...options, bias: options.bias ? uniform(w[0], 230 + k) : undefined };
        const r = ref.conv2d(x, shape, weight, w, opts);
        assert.deepEqual(ist.conv2dOutputShape(shape, w, opts), r.shape, `shape of case ${k}`);
        const y = ist.conv2d(x, shape, weight, w, opts);
        assertClose(y, r.y, { atol: 1e-5, rtol: 1e-5, scale: r.absSum, label: `conv case ${k} ${JSON.stringify(options)}` });
      });
    });
  });
}
