// The seed's claims about instance normalization, checked through the JS API: a constant
// image normalizes to zeros; IN(a*x + b) = IN(x) for a > 0 within a bound set by eps; a < 0
// flips the sign, which a following ReLU turns into a different image; one sample's IN output
// ignores the rest of the batch while batch norm's does not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import * as ref from './reference.mjs';
import { VARIANTS, count, engine, maxAbsDiff, normal } from './helpers.mjs';

const SHAPE = [1, 3, 17, 23];
const EPS = 1e-5;

for (const threads of VARIANTS) {
  describe(`invariance (threads: ${threads})`, () => {
    let ist;
    before(async () => {
      ist = await engine(threads);
    });
    after(() => ist.dispose());

    test('a constant image gives zeros', () => {
      for (const c of [0, 0.5, -3, 255]) {
        const y = ist.instanceNorm(new Float32Array(count(SHAPE)).fill(c), SHAPE, { eps: EPS });
        // y = x * scale + shift with scale = 1/sqrt(eps): a few float32 ulps of |c|/sqrt(eps).
        const bound = 4 * 2 ** -23 * Math.abs(c) / Math.sqrt(EPS) + 1e-6;
        assert.ok(maxAbsDiff(y, new Float32Array(y.length)) <= bound, `constant ${c}: ${maxAbsDiff(y, new Float32Array(y.length))} > ${bound}`);
      }
    });

    test('IN(a*x + b) = IN(x) for a > 0, within the bound eps sets', () => {
      const x = normal(count(SHAPE), 1, 0.2, 1);
      const base = ist.instanceNorm(x, SHAPE, { eps: EPS });
      const { variance } = ref.instanceStats(x, SHAPE);
      for (const a of [0.01, 0.5, 2, 100]) {
        for (const b of [0, 5, -40]) {
          const y = ist.instanceNorm(x.map((v) => a * v + b), SHAPE, { eps: EPS });
          // Exactly: IN(a x + b) = (x - mu) / sqrt(var + eps / a^2), so it differs from IN(x) by
          // |IN(x)| * |1 - sqrt((var + eps) / (var + eps / a^2))|, plus float32 rounding.
          const plane = SHAPE[2] * SHAPE[3];
          let worst = 0;
          for (let i = 0; i < x.length; i++) {
            const v = variance[Math.floor(i / plane)];
            const bound = Math.abs(base[i]) * Math.abs(1 - Math.sqrt((v + EPS) / (v + EPS / (a * a)))) + 1e-3;
            worst = Math.max(worst, Math.abs(y[i] - base[i]) - bound);
          }
          assert.ok(worst <= 0, `a=${a} b=${b}: exceeds the bound by ${worst}`);
          if (a >= 0.5) assert.ok(maxAbsDiff(y, base) < 2e-3, `a=${a} b=${b}: ${maxAbsDiff(y, base)}`);
        }
      }
    });

    test('a < 0 flips the sign, and ReLU after IN then differs', () => {
      const x = normal(count(SHAPE), 2);
      const flipped = x.map((v) => -2 * v);
      const y = ist.instanceNorm(x, SHAPE);
      const yFlipped = ist.instanceNorm(flipped, SHAPE);
      assert.ok(maxAbsDiff(yFlipped, y.map((v) => -v)) < 1e-3, 'IN(-2x) = -IN(x)');
      const r = ist.instanceNorm(x, SHAPE, { relu: true });
      const rFlipped = ist.instanceNorm(flipped, SHAPE, { relu: true });
      assert.ok(maxAbsDiff(r, rFlipped) > 1, `relu(IN(-2x)) should differ from relu(IN(x)): ${maxAbsDiff(r, rFlipped)}`);
    });

    test("one sample's IN ignores the rest of the batch; batch norm's does not", () => {
      const shape = [4, 3, 9, 11];
      const per = count(shape) / 4;
      const batchA = normal(count(shape), 3);
      const batchB = batchA.slice();
      batchB.set(normal(3 * per, 4, 5, 3), per); // samples 1..3 replaced, sample 0 kept
      const inA = ist.instanceNorm(batchA, shape).subarray(0, per);
      const inB = ist.instanceNorm(batchB, shape).subarray(0, per);
      assert.deepEqual(inA, inB, 'IN of sample 0 must be bit-identical');
      const bnA = ist.batchNorm(batchA, shape, { training: true }).output.subarray(0, per);
      const bnB = ist.batchNorm(batchB, shape, { training: true }).output.subarray(0, per);
      assert.ok(maxAbsDiff(bnA, bnB) > 0.1, `BN of sample 0 should change: ${maxAbsDiff(bnA, bnB)}`);
    });

    test('group norm with G = C is instance norm, with G = 1 layer norm', () => {
      const shape = [2, 6, 5, 7];
      const x = normal(count(shape), 5, 1, 2);
      assert.ok(maxAbsDiff(ist.groupNorm(x, shape, { groups: 6 }), ist.instanceNorm(x, shape)) < 1e-4);
      assert.ok(maxAbsDiff(ist.groupNorm(x, shape, { groups: 1 }), ist.layerNorm(x, shape)) < 1e-4);
    });
  });
}
