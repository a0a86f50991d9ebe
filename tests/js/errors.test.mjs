// Bad arguments throw InstyleError with a code and a message naming the argument, and the
// instance keeps working afterwards (a correct call follows every error).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { InstyleError, init } from '../../js/index.node.js';
import * as ref from './reference.mjs';
import { VARIANTS, assertClose, engine, uniform } from './helpers.mjs';

const x60 = uniform(60, 1);
const S = [1, 3, 4, 5];
const ok = { gamma: [1, 2, 3] };
const w = (n) => new Float32Array(n).fill(0.1);

// [label, call, code, message pattern]
const CASES = [
  ['x not a Float32Array', (i) => i.instanceNorm(Array.from(x60), S), 'INVALID_ARGUMENT', /^instanceNorm: x must be a Float32Array, got Array$/],
  ['x too short', (i) => i.instanceNorm(x60.subarray(1), S), 'SHAPE_MISMATCH', /^instanceNorm: x has 59 elements but shape \[1,3,4,5\] needs 60$/],
  ['x empty', (i) => i.instanceNorm(new Float32Array(0), S), 'SHAPE_MISMATCH', /^instanceNorm: x has 0 elements but shape \[1,3,4,5\] needs 60$/],
  ['x too long', (i) => i.layerNorm(uniform(61, 2), S), 'SHAPE_MISMATCH', /^layerNorm: x has 61 elements but shape \[1,3,4,5\] needs 60$/],
  ['zero dimension', (i) => i.instanceNorm(x60, [1, 0, 4, 5]), 'INVALID_ARGUMENT', /shape \[1,0,4,5\] has C = 0; sizes must be positive/],
  ['negative dimension', (i) => i.groupNorm(x60, [1, 3, -4, -5], { groups: 1 }), 'INVALID_ARGUMENT', /^groupNorm: shape .* has H = -4/],
  ['non-integer dimension', (i) => i.instanceNorm(x60, [1, 3, 4.5, 5]), 'INVALID_ARGUMENT', /^instanceNorm: shape\[2\] must be an integer, got 4.5$/],
  ['shape of 3', (i) => i.instanceNorm(x60, [3, 4, 5]), 'INVALID_ARGUMENT', /shape must be an array of 4 integers \[N, C, H, W\], got \[3,4,5\]/],
  ['shape not an array', (i) => i.instanceNorm(x60, '1,3,4,5'), 'INVALID_ARGUMENT', /shape must be an array of 4 integers/],
  ['NaN eps', (i) => i.instanceNorm(x60, S, { eps: NaN }), 'INVALID_ARGUMENT', /^instanceNorm: eps must be a finite number >= 0, got nan$/],
  ['infinite eps', (i) => i.layerNorm(x60, S, { eps: Infinity }), 'INVALID_ARGUMENT', /^layerNorm: eps must be a finite number >= 0, got inf$/],
  ['negative eps', (i) => i.batchNorm(x60, S, { training: true, eps: -1e-5 }), 'INVALID_ARGUMENT', /^batchNorm: eps must be a finite number >= 0/],
  ['eps not a number', (i) => i.instanceNorm(x60, S, { eps: '1e-5' }), 'INVALID_ARGUMENT', /^instanceNorm: eps must be a number, got string$/],
  ['unknown option', (i) => i.instanceNorm(x60, S, { epsilon: 1e-3 }), 'INVALID_ARGUMENT', /unknown option 'epsilon'/],
  ['relu not a boolean', (i) => i.instanceNorm(x60, S, { relu: 1 }), 'INVALID_ARGUMENT', /relu must be a boolean/],
  ['gamma too short', (i) => i.instanceNorm(x60, S, { gamma: [1, 2] }), 'SHAPE_MISMATCH', /^instanceNorm: gamma has 2 elements but needs C = 3$/],
  ['gamma empty', (i) => i.instanceNorm(x60, S, { gamma: [] }), 'SHAPE_MISMATCH', /^instanceNorm: gamma has 0 elements$/],
  ['beta too long', (i) => i.groupNorm(x60, S, { groups: 3, beta: new Float32Array(4) }), 'SHAPE_MISMATCH', /^groupNorm: beta has 4 elements but needs C = 3$/],
  ['NaN in gamma', (i) => i.instanceNorm(x60, S, { gamma: [1, NaN, 1] }), 'INVALID_ARGUMENT', /^instanceNorm: gamma\[1\] is nan; parameters must be finite$/],
  ['infinite beta', (i) => i.batchNorm(x60, S, { training: true, beta: [0, 0, -Infinity] }), 'INVALID_ARGUMENT', /^batchNorm: beta\[2\] is -inf/],
  ['gamma not an array', (i) => i.instanceNorm(x60, S, { gamma: 2 }), 'INVALID_ARGUMENT', /gamma must be a Float32Array or an array of numbers/],
  ['BN inference without mean', (i) => i.batchNorm(x60, S, { variance: [1, 1, 1] }), 'INVALID_ARGUMENT', /^batchNorm: mean is required for inference/],
  ['BN negative variance', (i) => i.batchNorm(x60, S, { mean: [0, 0, 0], variance: [1, -1, 1] }), 'INVALID_ARGUMENT', /^batchNorm: variance\[1\] is -1; it must be >= 0$/],
  ['BN wrong mean length', (i) => i.batchNorm(x60, S, { mean: [0, 0], variance: [1, 1, 1] }), 'SHAPE_MISMATCH', /^batchNorm: mean has 2 elements but needs C = 3$/],
  ['BN training given mean', (i) => i.batchNorm(x60, S, { training: true, mean: [0, 0, 0] }), 'INVALID_ARGUMENT', /outputs in training mode/],
  ['LN gamma per channel', (i) => i.layerNorm(x60, S, { gamma: [1, 1, 1] }), 'SHAPE_MISMATCH', /^layerNorm: gamma has 3 elements but needs C\*H\*W = 60$/],
  ['GN groups not dividing C', (i) => i.groupNorm(uniform(120, 3), [1, 6, 4, 5], { groups: 4 }), 'INVALID_ARGUMENT', /^groupNorm: groups = 4 must be a positive divisor of C = 6$/],
  ['GN zero groups', (i) => i.groupNorm(x60, S, { groups: 0 }), 'INVALID_ARGUMENT', /groups = 0/],
  ['GN groups missing', (i) => i.groupNorm(x60, S), 'INVALID_ARGUMENT', /^groupNorm: groups is required$/],
  ['AdaIN NaN alpha', (i) => i.adain(x60, S, x60, S, { alpha: NaN }), 'INVALID_ARGUMENT', /^adain: alpha must be finite, got nan$/],
  ['AdaIN style channels', (i) => i.adain(x60, S, uniform(40, 4), [1, 2, 4, 5]), 'SHAPE_MISMATCH', /^adain: styleShape \[1,2,4,5\] must have C = 3/],
  ['AdaIN style batch', (i) => i.adain(uniform(120, 5), [2, 3, 4, 5], uniform(180, 6), [3, 3, 4, 5]), 'SHAPE_MISMATCH', /N = 2 or 1/],
  ['AdaIN style length', (i) => i.adain(x60, S, uniform(10, 7), S), 'SHAPE_MISMATCH', /^adain: style has 10 elements but styleShape \[1,3,4,5\] needs 60$/],
  ['conv kernel larger than padded input', (i) => i.conv2d(x60, S, w(2 * 3 * 7 * 7), [2, 3, 7, 7], { padding: 1 }), 'INVALID_ARGUMENT', /^conv2d: the kernel \(7x7 with dilation\) is larger than the padded input \(6x7\)$/],
  ['conv reflect pad >= size', (i) => i.conv2d(x60, S, w(27), [1, 3, 3, 3], { padding: 4, padMode: 'reflect' }), 'INVALID_ARGUMENT', /^conv2d: reflect padding .* must be smaller than the input \(H = 4, W = 5\)$/],
  ['conv groups not dividing C', (i) => i.conv2d(x60, S, w(4 * 9), [4, 1, 3, 3], { groups: 2 }), 'INVALID_ARGUMENT', /^conv2d: groups = 2 must divide the input channels C = 3/],
  ['conv weight channels', (i) => i.conv2d(x60, S, w(4 * 2 * 9), [4, 2, 3, 3]), 'SHAPE_MISMATCH', /^conv2d: weightShape \[4,2,3,3\] needs C\/groups = 3\/1 = 3/],
  ['conv weight length', (i) => i.conv2d(x60, S, w(10), [4, 3, 3, 3]), 'SHAPE_MISMATCH', /^conv2d: weight has 10 elements but weightShape \[4,3,3,3\] needs 108$/],
  ['conv bias length', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { bias: [1, 2] }), 'SHAPE_MISMATCH', /^conv2d: bias has 2 elements but needs O = 4$/],
  ['conv NaN bias', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { bias: [0, NaN, 0, 0] }), 'INVALID_ARGUMENT', /^conv2d: bias\[1\] is nan/],
  ['conv zero stride', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { stride: 0 }), 'INVALID_ARGUMENT', /^conv2d: stride \(height\) = 0 must be an integer in \[1, /],
  ['conv negative padding', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { padding: [0, -1] }), 'INVALID_ARGUMENT', /^conv2d: padding \(left\) = -1/],
  ['conv fractional stride', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { stride: 1.5 }), 'INVALID_ARGUMENT', /^conv2d: stride must be an integer, got 1.5$/],
  ['conv unknown padMode', (i) => i.conv2d(x60, S, w(108), [4, 3, 3, 3], { padMode: 'mirror' }), 'INVALID_ARGUMENT', /^conv2d: padMode must be 'zeros', 'reflect' or 'edge', got "mirror"$/],
  ['conv weight not a Float32Array', (i) => i.conv2d(x60, S, [1, 2], [1, 1, 1, 2]), 'INVALID_ARGUMENT', /^conv2d: weight must be a Float32Array, got Array$/],
  // Sizes beyond the 4 GB heap: refused before any allocation is attempted.
  ['shape beyond the heap', (i) => i.instanceNorm(x60, [1, 64, 16384, 16384]), 'OUT_OF_MEMORY', /^instanceNorm: shape \[1,64,16384,16384\] needs 1\.718e\+10 elements \(68\.7 GB as float32\), more than the 4 GB WebAssembly heap can hold$/],
  ['shape overflowing 64 bits', (i) => i.layerNorm(x60, [2 ** 40, 2 ** 40, 2 ** 40, 1]), 'OUT_OF_MEMORY', /^layerNorm: shape .* more than the 4 GB WebAssembly heap/],
  ['conv output beyond the heap', (i) => i.conv2d(new Float32Array(1), [1, 1, 1, 1], w(1), [1, 1, 1, 1], { padding: 40000 }), 'OUT_OF_MEMORY', /^conv2d: the output \[1,1,80001,80001\] needs .* more than the 4 GB WebAssembly heap/],
  // Within the 4 GB limit on paper, but the heap (already holding the runtime) cannot grow to it.
  ['malloc failure', (i) => i.conv2d(new Float32Array(1), [1, 1, 1, 1], w(1), [1, 1, 1, 1], { padding: 16383 }), 'OUT_OF_MEMORY', /^conv2d: could not allocate 4\.3 GB for the output in the WebAssembly heap/],
];

// A correct call with a known answer: the module must still give it after every error.
function assertStillWorks(ist) {
  assertClose(ist.instanceNorm(x60, S, ok), ref.instanceNorm(x60, S, ok), { atol: 1e-4, rtol: 1e-4, label: 'after an error' });
}

for (const threads of VARIANTS) {
  describe(`errors (threads: ${threads})`, () => {
    let ist;
    before(async () => {
      ist = await engine(threads);
    });
    after(() => ist.dispose());

    for (const [label, call, code, pattern] of CASES) {
      test(label, () => {
        assert.throws(() => call(ist), (e) => {
          assert.ok(e instanceof InstyleError, `not an InstyleError: ${e}`);
          assert.ok(e instanceof Error);
          assert.equal(e.name, 'InstyleError');
          assert.equal(e.code, code, e.message);
          assert.match(e.message, pattern);
          return true;
        });
        assertStillWorks(ist);
      });
    }

    test('errors leave no allocation behind', () => {
      const before = ist.memoryUsage().allocatedBytes;
      for (const [, call] of CASES) assert.throws(() => call(ist));
      assert.equal(ist.memoryUsage().allocatedBytes, before);
    });
  });
}

describe('init and dispose', () => {
  test('init rejects a bad thread count', async () => {
    for (const threads of [0, -1, 1.5, 'many', 65]) {
      await assert.rejects(init({ threads }), (e) => e instanceof InstyleError && e.code === 'INVALID_ARGUMENT' && /threads/.test(e.message));
    }
  });

  for (const threads of VARIANTS) {
    test(`calls after dispose throw DISPOSED (threads: ${threads})`, async () => {
      const ist = await init({ threads });
      assertStillWorks(ist);
      ist.dispose();
      assert.equal(ist.disposed, true);
      ist.dispose(); // a second dispose is harmless
      for (const call of [(i) => i.instanceNorm(x60, S), (i) => i.conv2d(x60, S, w(3), [1, 3, 1, 1]), (i) => i.memoryUsage()]) {
        assert.throws(() => call(ist), (e) => e instanceof InstyleError && e.code === 'DISPOSED' && /disposed/.test(e.message));
      }
    });
  }

  test('a disposed instance does not affect a new one', async () => {
    const a = await init({ threads: 2 });
    a.dispose();
    const b = await init({ threads: 2 });
    assertStillWorks(b);
    b.dispose();
  });
});
