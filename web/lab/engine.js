// The invariance lab's computation, apart from any thread or page: the photos as planar
// floats, the fixed first layer (ist.conv2d) on a*x + b, the four normalizations of its
// feature map (IN, BN, LN, GN), how far each moved from its a = 1, b = 0 reference, one
// channel of each painted as RGBA, and the two plots' numbers. lab/worker.js runs it in a
// Web Worker; tests/browser/lab-engine.test.mjs runs it in Node.
//
//   const lab = new LabEngine(await init());
//   lab.setSamples(512, [{ name, data /* RGBA bytes */ }, ...]);
//   lab.setSource({ key: 'sample:0', sample: 0 });
//   const f = lab.frame({ a: 0.3, b: 0, channel: 4, batch: 4, bnMode: 'running', groups: 2, relu: false });
//   f.devs.in.max  // max |IN(a*x + b) - IN(x)| over every channel and pixel
//
// The a*x + b feature map is recomputed by the layer for every update (not derived from the
// a = 1 map by linearity), so the panels show what the normalizations really get.

import { BIAS, OUT_CHANNELS, WEIGHTS, WEIGHT_SHAPE } from './filters.js';
import { RANGE, divergingLut } from './colormap.js';

const C = OUT_CHANNELS;
const EPS = 1e-5;
export const NORMS = ['in', 'bn', 'ln', 'gn'];
export const SWEEP_A = Array.from({ length: 25 }, (_, i) => -3 + i * 0.25);
const PIXEL_B = [2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64];
const TRIALS = 4000;
const LUT = divergingLut();

function toPlanar(rgba, pixels, x = new Float32Array(3 * pixels)) {
  for (let i = 0; i < pixels; i++) {
    x[i] = rgba[4 * i];
    x[pixels + i] = rgba[4 * i + 1];
    x[2 * pixels + i] = rgba[4 * i + 2];
  }
  return x;
}

function momentsOf(x) {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i];
  const mean = s / x.length;
  let v = 0;
  for (let i = 0; i < x.length; i++) v += (x[i] - mean) ** 2;
  return { meanX: mean, stdX: Math.sqrt(v / x.length) };
}

// Merges per-image channel statistics of equally sized images (Chan et al.'s parallel
// formula with equal counts): what training-mode BN computes over the whole batch at once.
export function mergeStats(list) {
  const mean = new Float64Array(C);
  const variance = new Float64Array(C);
  for (const s of list) {
    for (let c = 0; c < C; c++) mean[c] += s.mean[c] / list.length;
  }
  for (const s of list) {
    for (let c = 0; c < C; c++) {
      const d = s.mean[c] - mean[c];
      variance[c] += (s.variance[c] + d * d) / list.length;
    }
  }
  return { mean: Float32Array.from(mean), variance: Float32Array.from(variance) };
}

// Deviation figures over the whole tensor; with `signs`, also after a ReLU and against a
// sign flip. relu(v) - relu(r) = (v - r + |v| - |r|) / 2: abs and compare only, because a
// branch on the sign of mixed-sign data mispredicts about every other element.
function deviations(y, ref, signs) {
  let dev = 0;
  let devRelu = 0;
  let devFlip = 0;
  if (signs) {
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      const r = ref[i];
      const d = v - r;
      const ad = Math.abs(d);
      if (ad > dev) dev = ad;
      const dr = Math.abs(d + Math.abs(v) - Math.abs(r));
      if (dr > devRelu) devRelu = dr;
      const df = Math.abs(v + r);
      if (df > devFlip) devFlip = df;
    }
  } else {
    for (let i = 0; i < y.length; i++) {
      const d = Math.abs(y[i] - ref[i]);
      if (d > dev) dev = d;
    }
  }
  return { max: dev, relu: devRelu / 2, flip: devFlip };
}

// One channel as displayed (after ReLU when it is on): its mean and spread, and, given
// `pixels32` (RGBA as int32), its colours.
function paintChannel(y, offset, n, relu, pixels32) {
  const scale = 255 / (2 * RANGE);
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    let v = y[offset + i];
    if (relu && v < 0) v = 0;
    sum += v;
    sumSq += v * v;
    if (pixels32) {
      let k = ((v + RANGE) * scale + 0.5) | 0;
      k = k < 0 ? 0 : k > 255 ? 255 : k;
      pixels32[i] = LUT[k];
    }
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sumSq / n - mean * mean, 0)) };
}

export class LabEngine {
  constructor(ist) {
    this.ist = ist;
    this.size = 0;
    // { name, data (RGBA bytes), stats: { mean, variance } }: a sample is kept as its bytes, a
    // third of its planar floats; only the source is needed as floats, made when chosen.
    this.samples = [];
    this.source = null; // { key, index, x, meanX, stdX }
    this.refs = null; // outputs at a = 1, b = 0 for the source and batch settings
    this.arenas = {};
    this.scratch = null;
    // Per-frame results are written into arrays reused from frame to frame when the engine
    // takes { out }: a fresh 8 MB array per call can cost more in page faults than the op.
    try {
      ist.instanceNorm(new Float32Array(1), [1, 1, 1, 1], { out: new Float32Array(1) });
      this.writesInto = true;
    } catch {
      this.writesInto = false;
    }
  }

  // images: [{ name, data: RGBA bytes of size x size }]
  setSamples(size, images) {
    this.size = size;
    this.samples = images.map(({ name, data }) => ({ name, data }));
    const x = new Float32Array(3 * size * size); // one sample's floats at a time
    for (const s of this.samples) s.stats = this.channelStats(this.features(toPlanar(s.data, size * size, x), 1, 0));
    this.refs = null;
    if (this.source && this.source.size !== size) this.source = null;
  }

  // { key, sample: index } for a sample photo, or { key, data: RGBA bytes } for another image.
  setSource({ key, sample = -1, data }) {
    const x = toPlanar(sample >= 0 ? this.samples[sample].data : data, this.size * this.size);
    this.source = { key, index: sample, size: this.size, x, ...momentsOf(x) };
    this.refs = null;
  }

  get ready() {
    return Boolean(this.source);
  }

  // Results that live for one frame share one set of arrays; the references (`keep`) have a
  // set of their own, reused when they are recomputed (a new photo, batch, or camera frame).
  outOption(name, length, keep) {
    if (!this.writesInto) return {};
    const slot = keep ? `ref:${name}` : name;
    let a = this.arenas[slot];
    if (!a || a.length !== length) a = this.arenas[slot] = new Float32Array(length);
    return { out: a };
  }

  // The layer's output for a*x + b; `keep` for the reference, which outlives the frame.
  features(x, a, b, keep = false) {
    if (!this.scratch || this.scratch.length !== x.length) this.scratch = new Float32Array(x.length);
    const s = this.scratch;
    for (let i = 0; i < x.length; i++) s[i] = a * x[i] + b;
    // Reflect padding keeps a constant image constant, so b shifts every pixel of a channel
    // alike; zero padding would make the borders answer to b.
    return this.ist.conv2d(s, [1, 3, this.size, this.size], WEIGHTS, WEIGHT_SHAPE, {
      bias: BIAS, padding: 1, padMode: 'reflect', ...this.outOption('features', C * this.size * this.size, keep),
    });
  }

  // Per-channel mean and biased variance of one image's feature map: the statistics IN uses,
  // and this image's share of a BN batch.
  channelStats(F) {
    return this.ist.instanceStats(F, [1, C, this.size, this.size]);
  }

  // The batch BN sees: the current image and the next B - 1 sample photos.
  batchOthers(batch) {
    return this.samples.filter((_, i) => i !== this.source.index).slice(0, Math.max(0, batch - 1));
  }

  // Runs the four normalizations, handing each output to `consume` before the next call: so
  // outside the references (`keep`) the four share one array, 8 MB at 512 x 512.
  normalizeAll(F, params, bnStats, consume, keep = false) {
    const { ist } = this;
    const shape = [1, C, this.size, this.size];
    const out = (name) => this.outOption(keep ? name : 'norm', F.length, keep);
    consume('in', ist.instanceNorm(F, shape, { eps: EPS, ...out('in') }));
    consume('bn', ist.batchNorm(F, shape, {
      eps: EPS, mean: bnStats.mean, variance: bnStats.variance, ...out('bn'),
    }));
    consume('ln', ist.layerNorm(F, shape, { eps: EPS, ...out('ln') }));
    consume('gn', ist.groupNorm(F, shape, { groups: params.groups, eps: EPS, ...out('gn') }));
  }

  referenceKey(p) {
    return `${this.source.key}|${this.size}|${p.batch}|${p.groups}`;
  }

  sweepKey(p) {
    return `${this.referenceKey(p)}|${p.channel}|${p.b}|${p.bnMode}|${p.relu}`;
  }

  varianceKey(p) {
    return `${this.referenceKey(p)}|${p.channel}`;
  }

  ensureRefs(params) {
    const key = this.referenceKey(params);
    if (this.refs && this.refs.key === key) return this.refs;
    const F0 = this.features(this.source.x, 1, 0, true);
    const stats0 = this.channelStats(F0);
    const others = this.batchOthers(params.batch);
    // BN's stored statistics: those of the batch at a = 1, b = 0, frozen from then on.
    const frozen = mergeStats([stats0, ...others.map((s) => s.stats)]);
    const out = {};
    this.normalizeAll(F0, params, frozen, (name, y) => { out[name] = y; }, true);
    this.refs = { key, F0, stats0, others, frozen, out };
    return this.refs;
  }

  bnStatsFor(F, params, refs) {
    if (params.bnMode !== 'batch') return refs.frozen;
    return mergeStats([this.channelStats(F), ...refs.others.map((s) => s.stats)]);
  }

  // Paints a*x + b (clipped to 0..255, as a screen must); its mean and spread follow from
  // the photo's own: a * mean + b and |a| * std.
  renderInput(a, b, rgba) {
    const { x, meanX, stdX } = this.source;
    const n = this.size * this.size;
    for (let i = 0; i < n; i++) {
      rgba[4 * i] = a * x[i] + b; // Uint8ClampedArray rounds and clips
      rgba[4 * i + 1] = a * x[n + i] + b;
      rgba[4 * i + 2] = a * x[2 * n + i] + b;
      rgba[4 * i + 3] = 255;
    }
    return { mean: a * meanX + b, std: Math.abs(a) * stdX };
  }

  // One update: five RGBA panels, painted into pixelsFor(panel, bytes) (an ArrayBuffer), the
  // shown channel's statistics per panel, and the deviation figures: over the whole feature
  // map for IN and BN, over the shown channel for LN and GN (whose invariance differs from
  // channel to channel). `engineMs`: the part spent in instyle's calls.
  frame(params, pixelsFor = (panel, bytes) => new ArrayBuffer(bytes)) {
    const t0 = performance.now();
    const refs = this.ensureRefs(params);
    const n = this.size * this.size;
    const buffers = { input: pixelsFor('input', 4 * n) };
    const stats = { input: this.renderInput(params.a, params.b, new Uint8ClampedArray(buffers.input)) };
    const devs = {};
    const offset = params.channel * n;
    let t = performance.now();
    const F = this.features(this.source.x, params.a, params.b);
    const bnStats = this.bnStatsFor(F, params, refs);
    let engineMs = performance.now() - t;
    t = performance.now();
    this.normalizeAll(F, params, bnStats, (name, y) => {
      engineMs += performance.now() - t;
      buffers[name] = pixelsFor(name, 4 * n);
      const ref = refs.out[name];
      devs[name] = name === 'in' || name === 'bn'
        ? deviations(y, ref, name === 'in')
        : deviations(y.subarray(offset, offset + n), ref.subarray(offset, offset + n), false);
      stats[name] = paintChannel(y, offset, n, params.relu, new Int32Array(buffers[name]));
      t = performance.now();
    });
    return { buffers, stats, devs, ms: performance.now() - t0, engineMs };
  }

  // One point of the output-vs-intensity plot: the shown channel's mean and spread after
  // each normalization at contrast a.
  sweepPoint(params, a) {
    const refs = this.ensureRefs(params);
    const n = this.size * this.size;
    const F = this.features(this.source.x, a, params.b);
    const bnStats = this.bnStatsFor(F, params, refs);
    const point = { intensity: a * this.source.meanX + params.b };
    this.normalizeAll(F, params, bnStats, (name, y) => {
      point[name] = paintChannel(y, params.channel * n, n, params.relu, null);
    });
    return point;
  }

  // Monte Carlo of the variance estimate's squared relative error, E[(s^2 / sigma^2 - 1)^2]:
  // from B pixels of the shown channel drawn at random, and from batches of B whole photos.
  variance(params) {
    const refs = this.ensureRefs(params);
    const n = this.size * this.size;
    const values = refs.F0.subarray(params.channel * n, (params.channel + 1) * n);
    let mean = 0;
    for (let i = 0; i < n; i++) mean += values[i];
    mean /= n;
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      const d = (values[i] - mean) ** 2;
      m2 += d;
      m4 += d * d;
    }
    m2 /= n;
    m4 /= n;
    const kurtosis = m4 / (m2 * m2);

    let seed = 12345;
    const rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 4294967296;
    };
    const pixels = PIXEL_B.map((B) => {
      let err = 0;
      for (let t = 0; t < TRIALS; t++) {
        let s = 0;
        let ss = 0;
        for (let k = 0; k < B; k++) {
          const v = values[(rand() * n) | 0] - mean;
          s += v;
          ss += v * v;
        }
        const unbiased = (ss - (s * s) / B) / (B - 1);
        err += (unbiased / m2 - 1) ** 2;
      }
      // Independent draws from this very distribution give, exactly,
      // Var(s^2) / sigma^4 = (kurtosis - (B - 3) / (B - 1)) / B; 2 / (B - 1) when kurtosis = 3.
      return { B, err: err / TRIALS, predicted: (kurtosis - (B - 3) / (B - 1)) / B };
    });

    // Whole photos: the population is every sample photo, plus the current image if it is
    // not one of them; batches of B drawn from it with replacement.
    const population = this.samples.map((s) => s.stats);
    if (this.source.index < 0) population.push(refs.stats0);
    const c = params.channel;
    const all = mergeStats(population);
    const photos = [];
    for (let B = 2; B <= Math.min(8, population.length); B++) {
      let err = 0;
      for (let t = 0; t < TRIALS; t++) {
        let s1 = 0;
        let s2 = 0;
        for (let k = 0; k < B; k++) {
          const p = population[(rand() * population.length) | 0];
          s1 += p.mean[c];
          s2 += p.variance[c] + p.mean[c] * p.mean[c];
        }
        const m = s1 / B;
        err += ((s2 / B - m * m) / all.variance[c] - 1) ** 2;
      }
      photos.push({ B, err: err / TRIALS });
    }
    return {
      kurtosis, pixels, photos, batch: params.batch, population: population.length,
      batchError: refs.frozen.variance[c] / all.variance[c] - 1,
    };
  }
}
