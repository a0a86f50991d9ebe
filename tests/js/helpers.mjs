// Shared by the JS API tests: seeded random tensors, a tolerant comparison that names the
// worst element, and the engine variants every suite runs against.
import assert from 'node:assert/strict';

import { init } from '../../js/index.node.js';

// Both builds: the single-threaded one and the pthreads one with two threads.
export const VARIANTS = [1, 2];

// The first built-in style on a small network ('light': 16/32/64 channels, 9x9 first and last
// layers; or 'live': the same with 3x3 ones): what tests that need a built-in style but not a
// particular one run, whatever the default is.
export const smallStyle = (ist) => {
  const style = ist.styles().find((s) => s.network === 'light' || s.network === 'live');
  if (!style) throw new Error('the catalogue (js/styles.js) has no light or live style');
  return style;
};

export async function engine(threads) {
  return init({ threads });
}

// mulberry32: small, seedable, good enough for test data.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(n, seed, lo = -1, hi = 1) {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function normal(n, seed, mean = 0, std = 1) {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => {
    const u = 1 - r(), v = r();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

export const count = (shape) => shape.reduce((a, b) => a * b, 1);

// |actual[i] - expected[i]| <= atol + rtol * |expected[i]| (+ scale[i] * rtol when given).
export function assertClose(actual, expected, { atol = 1e-5, rtol = 1e-5, scale, label = '' } = {}) {
  assert.equal(actual.length, expected.length, `${label}: length`);
  let worst = -1, worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const tol = atol + rtol * (Math.abs(expected[i]) + (scale ? scale[i] : 0));
    const excess = Number.isNaN(diff) ? Infinity : diff - tol;
    if (excess > worstExcess) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    assert.fail(`${label}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

export function maxAbsDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

// A photo-like RGBA image: smooth colour fields, edges and some texture; `seed` varies it.
export function photo(width, height, seed = 0) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const u = x / width, v = y / height;
      data[i] = 40 + 180 * u + (Math.hypot(u - 0.3, v - 0.4) < 0.2 ? 30 : 0);
      data[i + 1] = 60 + 150 * v * (1 - u) + 20 * seed;
      data[i + 2] = 128 + 60 * Math.sin(x * (0.09 + 0.05 * seed)) * Math.cos(y * 0.07);
      data[i + 3] = 255;
    }
  }
  return { data, width, height };
}

// Max and mean |a[i] - b[i]| of two equally long byte arrays.
export function diff(a, b) {
  assert.equal(a.length, b.length);
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}
