// The invariance lab's computation (web/lab/engine.js) in Node, with the Node build of the
// package: the properties the demo shows, checked on synthetic photos without a browser, and
// the CPU time one 512x512 update costs (reported, since the page's rate depends on it).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { init } from '../../js/index.node.js';
import { LabEngine, SWEEP_A } from '../../web/lab/engine.js';

// A deterministic stand-in for a photo: smooth colour gradients, blobs and a little noise,
// so that every filter of the lab's layer has something to respond to.
function syntheticPhoto(size, seed) {
  const data = new Uint8ClampedArray(size * size * 4);
  let s = seed >>> 0;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const blobs = Array.from({ length: 6 }, () => [rand() * size, rand() * size, (0.05 + rand() * 0.2) * size, rand() * 255]);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let v = 0;
      for (const [bx, by, r, a] of blobs) v += a * Math.exp(-((x - bx) ** 2 + (y - by) ** 2) / (r * r));
      const i = 4 * (y * size + x);
      data[i] = 40 + (150 * x) / size + 0.3 * v + 8 * rand();
      data[i + 1] = 60 + (120 * y) / size + 0.2 * v + 8 * rand();
      data[i + 2] = 200 - 0.4 * v + 8 * rand();
      data[i + 3] = 255;
    }
  }
  return data;
}

const BASE = { a: 1, b: 0, channel: 4, batch: 4, bnMode: 'running', groups: 2, relu: false };

for (const threads of [1, 2]) {
  describe(`lab engine (threads: ${threads})`, { timeout: 120_000 }, () => {
    let ist;
    let lab;
    const size = 128;

    before(async () => {
      ist = await init({ threads });
      lab = new LabEngine(ist);
      lab.setSamples(size, Array.from({ length: 5 }, (_, i) => ({ name: `p${i}`, data: syntheticPhoto(size, i + 1) })));
      lab.setSource({ key: 'sample:0', sample: 0 });
    }, { timeout: 60_000 });
    after(() => ist?.dispose());

    test('writes results into reused arrays (the { out } option)', () => {
      assert.equal(lab.writesInto, true);
    });

    test('at a = 1, b = 0 every output equals its reference', () => {
      const f = lab.frame(BASE);
      for (const norm of ['in', 'bn', 'ln', 'gn']) assert.ok(f.devs[norm].max < 1e-6, `${norm}: ${f.devs[norm].max}`);
      assert.ok(Math.abs(f.stats.in.mean) < 1e-3 && Math.abs(f.stats.in.std - 1) < 1e-3, JSON.stringify(f.stats.in));
    });

    test('IN ignores contrast and brightness; BN (stored statistics) does not', () => {
      let lastBn = 0;
      for (const [a, b] of [[0.3, 0], [2.5, 0], [2.5, 60], [0.05, -20]]) {
        const f = lab.frame({ ...BASE, a, b });
        assert.ok(f.devs.in.max < 1e-2, `IN at a=${a}, b=${b}: ${f.devs.in.max}`);
        assert.ok(f.devs.bn.max > 0.1, `BN at a=${a}, b=${b}: ${f.devs.bn.max}`);
        if (a === 2.5 && b === 0) assert.ok(f.devs.bn.max > lastBn, 'BN deviation grows from a = 0.3 to 2.5');
        lastBn = f.devs.bn.max;
      }
    });

    test('a < 0 flips IN exactly; after a ReLU it differs', () => {
      const f = lab.frame({ ...BASE, a: -1, relu: true });
      assert.ok(f.devs.in.flip < 1e-2, `max |IN(-x) + IN(x)| = ${f.devs.in.flip}`);
      assert.ok(f.devs.in.relu > 0.5, `max |ReLU(IN(-x)) - ReLU(IN(x))| = ${f.devs.in.relu}`);
      assert.ok(f.devs.in.max > 1, 'without the ReLU the sign flip itself shows');
    });

    test('GN with one channel per group is IN, with one group it is LN', () => {
      const p = { ...BASE, a: 1.7, b: 10, channel: 5 };
      const g8 = lab.frame({ ...p, groups: 8 });
      const g1 = lab.frame({ ...p, groups: 1 });
      assert.ok(Math.abs(g8.stats.gn.mean - g8.stats.in.mean) < 1e-4 && Math.abs(g8.stats.gn.std - g8.stats.in.std) < 1e-4);
      assert.ok(Math.abs(g1.stats.gn.mean - g1.stats.ln.mean) < 1e-4 && Math.abs(g1.stats.gn.std - g1.stats.ln.std) < 1e-4);
    });

    test('BN in training mode adapts by its share of the batch; with B = 1 it is IN', () => {
      const solo = lab.frame({ ...BASE, a: 2.5, b: 30, batch: 1, bnMode: 'batch' });
      assert.ok(solo.devs.bn.max < 1e-2, `B = 1: ${solo.devs.bn.max}`);
      const shared = lab.frame({ ...BASE, a: 2.5, b: 30, batch: 4, bnMode: 'batch' });
      const stored = lab.frame({ ...BASE, a: 2.5, b: 30, batch: 4, bnMode: 'running' });
      assert.ok(shared.devs.bn.max > 0.05 && shared.devs.bn.max < stored.devs.bn.max,
        `batch ${shared.devs.bn.max} vs stored ${stored.devs.bn.max}`);
    });

    test('the sweep: IN flat, BN a straight line in the input intensity', () => {
      const points = SWEEP_A.filter((a) => a > 0).map((a) => lab.sweepPoint(BASE, a));
      for (const p of points) assert.ok(Math.abs(p.in.mean) < 1e-3, `IN mean ${p.in.mean}`);
      const [p0, p1, p2] = [points[0], points[4], points[points.length - 1]];
      const slope = (p2.bn.mean - p0.bn.mean) / (p2.intensity - p0.intensity);
      const mid = p0.bn.mean + slope * (p1.intensity - p0.intensity);
      assert.ok(Math.abs(slope) > 1e-3, `BN mean moves with intensity (slope ${slope})`);
      assert.ok(Math.abs(mid - p1.bn.mean) < 1e-3, 'and on a straight line');
    });

    test('the variance plot: B random pixels follow the kurtosis prediction', () => {
      const v = lab.variance(BASE);
      for (const p of v.pixels) {
        const rel = Math.abs(p.err - p.predicted) / p.predicted;
        assert.ok(rel < 0.25, `B = ${p.B}: measured ${p.err}, predicted ${p.predicted}`);
      }
      assert.equal(v.photos.length, 4);
    });

    test('CPU time of one 512x512 update', (t) => {
      const big = new LabEngine(ist);
      big.setSamples(512, Array.from({ length: 4 }, (_, i) => ({ name: `p${i}`, data: syntheticPhoto(512, i + 7) })));
      big.setSource({ key: 'sample:0', sample: 0 });
      const pool = [];
      const take = (bytes) => pool.pop() ?? new ArrayBuffer(bytes);
      for (let i = 0; i < 3; i++) pool.push(...Object.values(big.frame({ ...BASE, a: 1 + i / 10 }, take).buffers));
      const frames = 10;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let engineMs = 0;
      for (let i = 0; i < frames; i++) {
        const f = big.frame({ ...BASE, a: 0.5 + i / 10 }, take);
        engineMs += f.engineMs;
        pool.push(...Object.values(f.buffers));
      }
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000 / frames;
      t.diagnostic(`512x512 update, threads ${threads}: ${cpuMs.toFixed(1)} ms CPU, ` +
        `${((performance.now() - t0) / frames).toFixed(1)} ms wall (${(engineMs / frames).toFixed(1)} in instyle)`);
    });
  });
}
