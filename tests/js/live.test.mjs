// model.live(): frames resized to the session size and stylized synchronously, with instance
// norm statistics averaged across frames (temporal), reset(), out, errors, dispose.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { FLICKER, measureFlicker, panFrames } from '../../bench/js/flicker.mjs';
import { InstyleError } from '../../js/index.node.js';
import { STYLES } from '../../js/styles.js';
import { VARIANTS, engine, smallStyle } from './helpers.mjs';

// A textured frame; `shift` pans it, `patch` puts a blue object into the bottom-right
// sixteenth.
function frame(width, height, { shift = 0, patch = false } = {}) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; ++y) {
    for (let x = 0; x < width; ++x) {
      const i = (y * width + x) * 4, u = x + shift;
      data[i] = 90 + 60 * Math.sin(u * 0.21) + 30 * Math.cos(y * 0.13);
      data[i + 1] = 110 + 50 * Math.sin((u + y) * 0.07);
      data[i + 2] = 80 + 70 * Math.cos(u * 0.05 - y * 0.11);
      data[i + 3] = 255;
      if (patch && x > (width * 3) / 4 && y > (height * 3) / 4) [data[i], data[i + 1], data[i + 2]] = [40, 60, 140];
    }
  }
  return { data, width, height };
}

const meanAbs = (a, b) => {
  let s = 0;
  for (let i = 0; i < a.length; ++i) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

for (const threads of VARIANTS) {
  describe(`model.live (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    let ist, model;
    before(async () => {
      ist = await engine(threads);
      model = await ist.loadStyle(smallStyle(ist).name);
    });
    after(() => {
      model.dispose();
      ist.dispose();
    });

    test('temporal 0: a frame at the session size is exactly what stylize() gives', async () => {
      const live = model.live({ size: 64, temporal: 0 });
      try {
        const f = frame(64, 48);
        const r = live.stylize(f);
        assert.equal(r.width, 64);
        assert.equal(r.height, 48);
        assert.deepEqual(r.data, (await model.stylize(f)).data);
      } finally {
        live.dispose();
      }
      // strength and preserveColors as stylize() applies them
      const soft = model.live({ size: 64, temporal: 0, strength: 0.4, preserveColors: true });
      try {
        const f = frame(64, 48);
        assert.deepEqual(soft.stylize(f).data, (await model.stylize(f, { strength: 0.4, preserveColors: true })).data);
      } finally {
        soft.dispose();
      }
    });

    test('frames are resized to the session size, aspect ratio kept; size [w, h] is exact', () => {
      let live = model.live({ size: 64 });
      try {
        const r = live.stylize(frame(200, 100));
        assert.deepEqual([r.width, r.height], [64, 32]);
        const up = live.stylize(frame(20, 40));
        assert.deepEqual([up.width, up.height], [32, 64]);
      } finally {
        live.dispose();
      }
      live = model.live({ size: [48, 40] });
      try {
        const r = live.stylize(frame(200, 100));
        assert.deepEqual([r.width, r.height], [48, 40]);
      } finally {
        live.dispose();
      }
    });

    test('temporal smoothing damps the colour shift when something moves into view', async () => {
      // The object fills the bottom-right sixteenth of 256 x 192; the top-left 80 x 48 pixels
      // are beyond the network's reach (48 px), so only the statistics can change them.
      const a = frame(256, 192), b = frame(256, 192, { patch: true });
      const farCorner = (data) => {
        const rows = [];
        for (let y = 0; y < 48; ++y) rows.push(...data.subarray(y * 256 * 4, (y * 256 + 80) * 4));
        return rows;
      };
      const shiftOf = (temporal) => {
        const live = model.live({ size: 256, temporal });
        try {
          const first = farCorner(live.stylize(a).data);
          return meanAbs(first, farCorner(live.stylize(b).data));
        } finally {
          live.dispose();
        }
      };
      const own = shiftOf(0), smoothed = shiftOf(0.9);
      console.log(`# far from an object that appears: ${own.toFixed(2)} per byte change on each frame's own statistics, ${smoothed.toFixed(2)} with temporal 0.9`);
      assert.ok(own > 0.5, `the object should move the statistics (${own})`);
      assert.ok(smoothed < own * 0.5, `temporal 0.9: ${smoothed} vs ${own}`);
    });

    test('the first frame and the first after reset() use their own statistics; out is filled', async () => {
      const a = frame(64, 48), b = frame(64, 48, { patch: true });
      const live = model.live({ size: 64, temporal: 0.9 });
      try {
        const own = (await model.stylize(b)).data;
        assert.deepEqual(live.stylize(b).data, own, 'first frame');
        live.stylize(a);
        assert.notDeepEqual(live.stylize(b).data, own, 'after a: the average');
        live.reset();
        const out = new Uint8ClampedArray(64 * 48 * 4);
        const r = live.stylize(b, { out });
        assert.equal(r.data, out, 'out is the returned array');
        assert.deepEqual(out, own, 'after reset(): its own statistics again');
      } finally {
        live.dispose();
      }
    });

    test('update() changes strength, colours and size between frames, as a new session would', () => {
      const f = frame(96, 64);
      let live = model.live({ size: 64, temporal: 0 });
      try {
        const full = live.stylize(f).data;
        live.update({ strength: 0.4, preserveColors: true });
        assert.deepEqual(live.options, { size: 64, temporal: 0, strength: 0.4, preserveColors: true });
        const soft = live.stylize(f).data;
        assert.notDeepEqual(soft, full);
        live.dispose();
        const fresh = model.live({ size: 64, temporal: 0, strength: 0.4, preserveColors: true });
        assert.deepEqual(soft, fresh.stylize(f).data, 'as a session made with those options');
        fresh.dispose();
        live = model.live({ size: 64, temporal: 0, strength: 0.4 });
        live.update({ size: 48, strength: undefined });
        const r = live.stylize(f);
        assert.deepEqual([r.width, r.height], [48, 32]);
        assert.equal(live.options.strength, 0.4, 'undefined leaves an option as it was');
        const expect = (fn, pattern) => assert.throws(fn, (e) => e instanceof InstyleError && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message));
        expect(() => live.update({ strength: 2 }), /^live.update: strength must be a number in \[0, 1\]/);
        expect(() => live.update({ fps: 30 }), /^live.update: unknown option 'fps'/);
        expect(() => live.update(null), /^live.update: options must be an object/);
        assert.equal(live.options.strength, 0.4, 'a failed update changes nothing');
      } finally {
        live.dispose();
      }
      assert.throws(() => live.update({ strength: 1 }), (e) => e.code === 'DISPOSED');
    });

    test('1000 frames: the heap does not grow, and reuse keeps the buffers', () => {
      const live = model.live({ size: 64 });
      try {
        const frames = [frame(80, 60), frame(80, 60, { shift: 3 }), frame(80, 60, { patch: true })];
        const out = new Uint8ClampedArray(64 * 48 * 4);
        for (let i = 0; i < 20; i++) live.stylize(frames[i % 3], { out });
        const before = ist.memoryUsage();
        for (let i = 0; i < 1000; i++) live.stylize(frames[i % 3], { out });
        const after = ist.memoryUsage();
        assert.equal(after.heapBytes, before.heapBytes, 'the WebAssembly heap kept its size');
        assert.equal(after.allocatedBytes, before.allocatedBytes, 'nothing more allocated in it');
      } finally {
        live.dispose();
      }
    });

    test('errors name what was wrong; the model and session stay usable', () => {
      const expect = (fn, code, pattern) => assert.throws(fn, (e) => e instanceof InstyleError && e.code === code && pattern.test(e.message));
      expect(() => model.live({ size: 0 }), 'INVALID_ARGUMENT', /^live: size must be/);
      expect(() => model.live({ size: [64] }), 'INVALID_ARGUMENT', /^live: size must be/);
      expect(() => model.live({ temporal: 1 }), 'INVALID_ARGUMENT', /temporal must be a number in \[0, 1\)/);
      expect(() => model.live({ fps: 30 }), 'INVALID_ARGUMENT', /unknown option 'fps'/);
      const live = model.live({ size: 32 });
      try {
        expect(() => model.live(), 'INVALID_ARGUMENT', /already has an open live session/);
        expect(() => live.stylize(null), 'INVALID_ARGUMENT', /^live.stylize: frame must be/);
        expect(() => live.stylize({ data: new Uint8ClampedArray(10), width: 4, height: 4 }), 'SHAPE_MISMATCH', /needs 64/);
        expect(() => live.stylize({ data: new Float32Array(64), width: 4, height: 4 }), 'INVALID_ARGUMENT', /Uint8ClampedArray/);
        expect(() => live.stylize(frame(8, 8), { out: new Uint8ClampedArray(3) }), 'INVALID_ARGUMENT', /out must be a Uint8ClampedArray of 32 x 32 x 4/);
        assert.equal(live.stylize(frame(8, 8)).width, 32);
      } finally {
        live.dispose();
      }
      assert.ok(live.disposed);
      expect(() => live.stylize(frame(8, 8)), 'DISPOSED', /live session was disposed/);
      const again = model.live({ size: 16 });
      assert.equal(again.stylize(frame(8, 8)).width, 16);
      again.dispose();
    });
  });
}

test('disposing the model ends its live session', async () => {
  const ist = await engine(1);
  const model = await ist.loadStyle(smallStyle(ist).name);
  const live = model.live({ size: 32 });
  live.stylize(frame(16, 16));
  model.dispose();
  assert.ok(live.disposed);
  assert.throws(() => live.stylize(frame(16, 16)), (e) => e.code === 'DISPOSED');
  ist.dispose();
});

// Flicker of the networks made for video (bench/js/flicker.mjs): on a photo panning 2 px per
// frame with noise of sigma 3, the mean change per byte between consecutive outputs aligned by
// the pan; a photo style, trained without the stability term, is printed beside them. Issue
// 13's target: at most 6 (starry-live: 2.9, the camera frames themselves 3.1).
const FLICKER_LIMIT = 6;
test(`the live networks keep camera noise in check: flicker at most ${FLICKER_LIMIT} per byte`, { timeout: 120_000 }, async (t) => {
  const live = STYLES.filter((s) => s.network === 'live');
  assert.ok(live.length >= 1, 'the catalogue has a network made for video');
  const ist = await engine(1);
  const frames = panFrames();
  try {
    for (const style of [...live, STYLES.find((s) => s.network !== 'live')]) {
      const model = await ist.loadStyle(style.name);
      const r = measureFlicker(model, {}, frames);
      model.dispose();
      t.diagnostic(`${style.name} (${style.network}): ${r.output.toFixed(2)} per byte between frames, the camera's ${r.input.toFixed(2)}`);
      assert.ok(r.input > 2.5 && r.input < 4, `the frames carry sigma ${FLICKER.sigma} noise (${r.input})`);
      if (style.network === 'live') assert.ok(r.output <= FLICKER_LIMIT, `${style.name}: ${r.output.toFixed(2)} per byte`);
    }
  } finally {
    ist.dispose();
  }
});
