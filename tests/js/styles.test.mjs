// The built-in styles (styles/*.onnx, catalogue js/styles.js): each loads, and paints photos
// in its own way: not blank, not a copy of the photo, its colours moved toward the
// artwork's, more than a colour filter (measure-style.mjs: what no global colour mapping of
// the photo explains, and how far its edges are not the photo's), and unlike the other styles.
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import jpeg from 'jpeg-js';

import { InstyleError } from '../../js/index.node.js';
import { STYLES } from '../../js/styles.js';
import { engine } from './helpers.mjs';
import { blockAverage, colourMapResidual, edgeCorrelation } from './measure-style.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
// Demo samples (web/samples, GPL-2+, DATA_SOURCES.md): photos none of the styles trained on.
const SAMPLES = ['lady-bird.jpg', 'dune.jpg', 'storm.jpg'];

function load(file) {
  const img = jpeg.decode(readFileSync(`${root}web/samples/${file}`), { useTArray: true, formatAsRGBA: true });
  return { data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height };
}

// Per-channel mean and standard deviation of RGBA bytes.
function stats(data) {
  const n = data.length / 4;
  const mean = [0, 0, 0], sq = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      mean[c] += data[i + c];
      sq[c] += data[i + c] ** 2;
    }
  }
  return { mean: mean.map((m) => m / n), std: mean.map((m, c) => Math.sqrt(sq[c] / n - (m / n) ** 2)) };
}

const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function meanAbsDiff(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) if (i % 4 !== 3) s += Math.abs(a[i] - b[i]);
  return s / (a.length * 0.75);
}

describe('built-in styles', { timeout: 300_000 }, () => {
  let ist;
  const photos = SAMPLES.map(load);
  const outputs = new Map(); // style -> [ImageData-like per photo]
  before(async () => {
    ist = await engine(2);
  });
  after(() => ist.dispose());

  test('the catalogue: at least three styles, one for video, each file present at its stated size', () => {
    const styles = ist.styles();
    assert.ok(styles.length >= 3, `${styles.length} styles`);
    assert.ok(styles.some((s) => s.network === 'live'), 'a network made for video');
    assert.equal(new Set(styles.map((s) => s.name)).size, styles.length, 'names are unique');
    for (const s of styles) {
      assert.equal(statSync(`${root}styles/${s.file}`).size, s.bytes, s.file);
      assert.ok(s.trainingSteps > 0 && s.artwork.author && s.artwork.licence, `${s.name}: training and credits`);
      // The artwork's thumbnail, for pickers: a small JPEG beside the network.
      const thumb = jpeg.decode(readFileSync(new URL(s.artwork.thumbnail)));
      assert.equal(Math.max(thumb.width, thumb.height), 192, `${s.name}: thumbnail ${thumb.width}x${thumb.height}`);
      // The list is a copy: changing it changes nothing inside.
      s.name = 'changed';
    }
    assert.notEqual(ist.styles()[0].name, 'changed');
  });

  for (const { url, ...style } of STYLES) {
    test(`${style.name}: loads, and paints each photo (not blank, not a copy, toward the artwork's colours)`, async (t) => {
      const model = await ist.loadStyle(style.name);
      try {
        assert.ok(model.info({ width: 64, height: 64 }).instanceNormLayers > 0, 'an instance-norm network');
        const results = [];
        const repaint = [];
        let before = 0, after = 0;
        for (const [i, photo] of photos.entries()) {
          const out = await model.stylize(photo, { maxSize: 256 });
          const small = await model.stylize(photo, { maxSize: 256, strength: 0 });
          const s = stats(out.data);
          assert.ok(Math.min(...s.std) > 8, `${SAMPLES[i]}: the result has texture (std ${s.std.map((v) => v.toFixed(1))})`);
          const changed = meanAbsDiff(out.data, small.data);
          assert.ok(changed > 12, `${SAMPLES[i]}: the result is not the photo (mean |diff| ${changed.toFixed(1)})`);
          // A colour filter, however strong, leaves the output a function of the photo's colour at
          // each pixel (residual near 0) and its edges where the photo's are (correlation near 1).
          const residual = colourMapResidual(small.data, out.data);
          const coarse = colourMapResidual(blockAverage(small, 8).data, blockAverage(out, 8).data);
          const edges = edgeCorrelation(small, out);
          repaint.push(`${residual.toFixed(2)}/${coarse.toFixed(2)}/${edges.toFixed(2)}`);
          assert.ok(residual > 0.15, `${SAMPLES[i]}: no more than a colour mapping of the photo (unexplained ${residual.toFixed(2)})`);
          assert.ok(edges < 0.8, `${SAMPLES[i]}: the photo's edges and no others (correlation ${edges.toFixed(2)})`);
          before += distance(stats(small.data).mean, style.artwork.meanRGB);
          after += distance(s.mean, style.artwork.meanRGB);
          results.push(out);
        }
        t.diagnostic(`${style.name}: mean colour ${(before / 3).toFixed(1)} -> ${(after / 3).toFixed(1)} from the artwork's; ` +
          `not explained by a colour mapping (pixels / 8 px blocks) and edge correlation per photo: ${repaint.join(' ')}`);
        assert.ok(after < 0.8 * before,
          `the photos' mean colour moves toward the artwork's ${style.artwork.meanRGB}: from ${(before / 3).toFixed(1)} to ${(after / 3).toFixed(1)} away`);
        outputs.set(style.name, results);
      } finally {
        model.dispose();
      }
    });
  }

  test('the measures tell a colour filter from a repainting', () => {
    const photo = photos[0];
    // A strong colour filter: sepia toning with a contrast curve.
    const filtered = new Uint8ClampedArray(photo.data.length);
    for (let i = 0; i < photo.data.length; i += 4) {
      const [r, g, b] = [photo.data[i], photo.data[i + 1], photo.data[i + 2]];
      const curve = (v) => 255 / (1 + Math.exp(-(v - 128) / 30));
      filtered[i] = curve(0.393 * r + 0.769 * g + 0.189 * b);
      filtered[i + 1] = curve(0.349 * r + 0.686 * g + 0.168 * b);
      filtered[i + 2] = curve(0.272 * r + 0.534 * g + 0.131 * b);
      filtered[i + 3] = 255;
    }
    const filter = { ...photo, data: filtered };
    assert.ok(colourMapResidual(photo.data, filtered) < 0.05, 'a colour filter is a colour mapping');
    assert.ok(edgeCorrelation(photo, filter) > 0.8, 'a colour filter keeps the edges');
    // The same with strokes of its own: diagonal bands 6 px wide over the picture.
    const stroked = filtered.slice();
    for (let i = 0; i < stroked.length; i += 4) {
      const x = (i / 4) % photo.width, y = Math.floor(i / 4 / photo.width);
      if (Math.floor((x + y) / 6) % 2) for (let c = 0; c < 3; c++) stroked[i + c] *= 0.6;
    }
    assert.ok(colourMapResidual(photo.data, stroked) > 0.15, 'strokes are not a colour mapping');
    assert.ok(edgeCorrelation(photo, { ...photo, data: stroked }) < 0.8, 'strokes draw edges of their own');
  });

  // The shipped files themselves, through an independent runtime: onnxruntime-web reads the same
  // bytes (fp16 weights behind Cast, int8 ones behind DequantizeLinear) and must compute what
  // instyle does, up to float32 summation order.
  test('each style file gives the same network output in onnxruntime-web', async (t) => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    const [w, h] = [96, 64];
    const x = new Float32Array(3 * w * h);
    const px = photos[0];
    for (let c = 0; c < 3; c++) {
      for (let i = 0; i < w * h; i++) x[c * w * h + i] = px.data[4 * ((i / w | 0) * px.width + (i % w)) + c];
    }
    const report = [];
    for (const s of STYLES) {
      const bytes = readFileSync(`${root}styles/${s.file}`);
      const model = await ist.loadModel(bytes);
      const ours = model.run(x, [1, 3, h, w]).data.slice();
      model.dispose();
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const result = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [1, 3, h, w]) });
      const theirs = result[session.outputNames[0]].data;
      await session.release();
      assert.equal(theirs.length, ours.length, s.name);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
      report.push(`${s.name} ${worst.toExponential(1)}`);
      assert.ok(worst < 0.05, `${s.name}: instyle and onnxruntime-web differ by ${worst} (of 0..255)`);
    }
    t.diagnostic(`largest difference per style (0..255 scale): ${report.join(', ')}`);
  });

  test('the styles differ from one another', () => {
    const names = [...outputs.keys()];
    for (let a = 0; a < names.length; a++) {
      for (let b = a + 1; b < names.length; b++) {
        const d = meanAbsDiff(outputs.get(names[a])[0].data, outputs.get(names[b])[0].data);
        assert.ok(d > 12, `${names[a]} and ${names[b]} give nearly the same picture (mean |diff| ${d.toFixed(1)})`);
      }
    }
  });

  test('an unknown name is an error that lists the styles', async () => {
    await assert.rejects(ist.loadStyle('velvet'), (e) => e instanceof InstyleError && e.code === 'INVALID_ARGUMENT' &&
      /no style named "velvet" \(built in: \w+/.test(e.message));
    await assert.rejects(ist.loadStyle(undefined), (e) => e instanceof InstyleError && e.code === 'INVALID_ARGUMENT');
  });
});
