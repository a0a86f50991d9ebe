// The model runner through the JS API: ist.loadModel() on PyTorch's TransformerNet exports
// (opsets 8 to 17, made by scripts/make_test_models.py) against PyTorch's outputs, stylize()
// with its options, info(), bad files and bad calls (InstyleError, module still usable), and
// the `instyle stylize` command line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

import { InstyleError } from '../../js/index.node.js';
import { testModelsDir } from '../../scripts/test-models.mjs';
import { VARIANTS, engine } from './helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = testModelsDir();
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const floats = (file) => {
  const b = readFileSync(join(dir, file));
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4).slice();
};
const modelBytes = (name) => readFileSync(join(dir, name));

function maxAbs(a) {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function expectError(promiseOrFn, code, pattern) {
  let error;
  try {
    await (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof InstyleError, `expected InstyleError ${code}, got ${error}`);
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
}

// A photo-like test image: smooth gradients plus texture, alpha varying.
function testImage(width, height) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = 128 + 100 * Math.sin(x * 0.3) * Math.cos(y * 0.2);
      data[i + 3] = 200 + (x % 50);
    }
  }
  return { data, width, height };
}

// stylize() computed independently: the network through run(), then clip, colour
// preservation (BT.601 luma) and blending in plain JS.
function referenceStylize(model, image, { strength = 1, preserveColors = false } = {}) {
  const { width: w, height: h, data } = image;
  const n = w * h;
  const x = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) x[c * n + i] = data[4 * i + c];
  const y = model.run(x, [1, 3, h, w]).data;
  const out = new Uint8ClampedArray(4 * n);
  const clip = (v) => Math.min(255, Math.max(0, v));
  for (let i = 0; i < n; i++) {
    const p = [data[4 * i], data[4 * i + 1], data[4 * i + 2]];
    let s = [clip(y[i]), clip(y[n + i]), clip(y[2 * n + i])];
    if (preserveColors) {
      const dy = 0.299 * (s[0] - p[0]) + 0.587 * (s[1] - p[1]) + 0.114 * (s[2] - p[2]);
      s = p.map((v) => clip(v + dy));
    }
    for (let c = 0; c < 3; c++) out[4 * i + c] = Math.round(p[c] + strength * (s[c] - p[c]));
    out[4 * i + 3] = data[4 * i + 3];
  }
  return out;
}

function assertPixelsClose(actual, expected, tolerance, label) {
  assert.equal(actual.length, expected.length, label);
  let worst = 0, at = -1;
  for (let i = 0; i < actual.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (d > worst) [worst, at] = [d, i];
  }
  assert.ok(worst <= tolerance, `${label}: byte ${at} is ${actual[at]}, expected ${expected[at]}`);
}

for (const threads of VARIANTS) {
  describe(`models, ${threads} thread(s)`, { timeout: 300_000 }, () => {
    let ist;
    before(async () => {
      ist = await engine(threads);
    });
    after(() => ist.dispose());

    test('every opset and both sizes match PyTorch within 1e-3 * max|ref|', async () => {
      const loaded = new Map();
      const worst = new Map();
      for (const c of manifest) {
        if (!loaded.has(c.model)) loaded.set(c.model, await ist.loadModel(modelBytes(c.model)));
        const model = loaded.get(c.model);
        const { data, shape } = model.run(floats(c.input), c.inputShape);
        const ref = floats(c.output);
        assert.deepEqual(shape, c.outputShape, c.model);
        const rel = maxDiff(data, ref) / maxAbs(ref);
        assert.ok(rel <= 1e-3, `${c.model} at ${c.inputShape}: max |diff| / max |ref| = ${rel}`);
        worst.set(c.model, Math.max(worst.get(c.model) ?? 0, rel));
      }
      for (const m of loaded.values()) m.dispose();
      if (threads === 1) {
        for (const [name, rel] of worst) console.log(`  ${name.padEnd(32)} max |diff| / max |ref| = ${rel.toExponential(2)}`);
      }
    });

    test('stylize: the network, clipped, colour-preserved and blended as documented', async () => {
      const model = await ist.loadModel(modelBytes('small.opset13.onnx'));
      const image = testImage(37, 29);
      for (const opts of [{}, { strength: 0.4 }, { preserveColors: true }, { strength: 0.7, preserveColors: true }]) {
        const out = await model.stylize(image, opts);
        assert.equal(out.width, 37);
        assert.equal(out.height, 29);
        assert.ok(out.data instanceof Uint8ClampedArray);
        assertPixelsClose(out.data, referenceStylize(model, image, opts), 1, JSON.stringify(opts));
      }
      const none = await model.stylize(image, { strength: 0 });
      assert.deepEqual(none.data, image.data); // strength 0 gives the photo back
      model.dispose();
    });

    test('stylize: maxSize, progress, cancellation', async () => {
      const model = await ist.loadModel(modelBytes('small.opset11.onnx'));
      const image = testImage(120, 80);
      const seen = [];
      const out = await model.stylize(image, { maxSize: 60, onProgress: (p) => seen.push(p) });
      assert.equal(out.width, 60);
      assert.equal(out.height, 40);
      assert.ok(seen.length > 5, 'progress is reported between steps');
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], 'progress never goes back');
      assert.equal(seen.at(-1), 1);

      const controller = new AbortController();
      await expectError(
        model.stylize(image, { onProgress: (p) => p > 0.2 && controller.abort(), signal: controller.signal }),
        'CANCELLED',
        /^stylize: cancelled$/,
      );
      const aborted = new AbortController();
      aborted.abort();
      await expectError(model.stylize(image, { signal: aborted.signal }), 'CANCELLED');
      // Usable after a cancelled call.
      const again = await model.stylize(image, { maxSize: 60 });
      assert.deepEqual(again.data, out.data);
      // One call at a time.
      const pending = model.stylize(image, { maxSize: 40 });
      await expectError(() => model.run(new Float32Array(3 * 16), [1, 3, 4, 4]), 'INVALID_ARGUMENT', /busy/);
      await pending;
      model.dispose();
    });

    test('stylize: 0..1 and BGR networks through loadModel options', async () => {
      // bgr: the photo's channels go to the network in B, G, R order and come back the same
      // way, so a BGR-configured model fed swapped pixels gives the RGB result swapped.
      const model = await ist.loadModel(modelBytes('mixed.opset13.onnx'), { range: 255, bgr: false });
      const image = testImage(33, 21);
      const rgb = await model.stylize(image);
      const bgrModel = await ist.loadModel(modelBytes('mixed.opset13.onnx'), { bgr: true });
      const swapped = { ...image, data: image.data.slice() };
      for (let i = 0; i < swapped.data.length; i += 4) [swapped.data[i], swapped.data[i + 2]] = [image.data[i + 2], image.data[i]];
      const bgr = await bgrModel.stylize(swapped);
      // Feeding BGR pixels to a BGR-configured model is the RGB run with channels swapped.
      for (let i = 0; i < rgb.data.length; i += 4) {
        assert.ok(Math.abs(bgr.data[i] - rgb.data[i + 2]) <= 1 && Math.abs(bgr.data[i + 2] - rgb.data[i]) <= 1, `pixel ${i / 4}`);
      }
      // range: 1: stylize feeds the network RGB / 255 and scales its output by 255, so its
      // pixels are the raw run on 0..1 planes, times 255, clipped and rounded.
      const unit = await ist.loadModel(modelBytes('mixed.opset13.onnx'), { range: 1 });
      const plane = 21 * 33;
      const x = new Float32Array(3 * plane);
      for (let p = 0; p < plane; ++p) for (let c = 0; c < 3; ++c) x[c * plane + p] = image.data[p * 4 + c] / 255;
      const y = unit.run(x, [1, 3, 21, 33]).data;
      const viaStylize = await unit.stylize(image);
      let worst = 0;
      for (let p = 0; p < plane; ++p) {
        for (let c = 0; c < 3; ++c) {
          const want = Math.min(255, Math.max(0, Math.round(y[c * plane + p] * 255)));
          worst = Math.max(worst, Math.abs(viaStylize.data[p * 4 + c] - want));
        }
      }
      assert.ok(worst <= 1, `range 1: stylize is ${worst} away from the raw run`);
      assert.notDeepEqual(viaStylize.data, rgb.data, 'range 1 and range 255 feed the network different values');
      for (const m of [model, bgrModel, unit]) m.dispose();
    });

    test('info: parameters, ops and peak memory', async () => {
      const model = await ist.loadModel(modelBytes('transformer.opset13.onnx'));
      const info = model.info({ width: 1024, height: 1024 });
      assert.equal(info.parameters, 1679235);
      assert.equal(info.ops.Conv, 16);
      assert.equal(info.ops.InstanceNormalization, 15);
      assert.equal(info.instanceNormLayers, 15);
      assert.deepEqual(info.outputShape, [1, 3, 1024, 1024]);
      // 16 convs (padding and upsampling folded in), 15 INs (with their ReLUs), 5 adds.
      assert.equal(info.steps, 36);
      assert.ok(info.peakBytes >= info.arenaBytes + info.weightBytes);
      // The last upsampling conv's input (64 channels at half size) and output (32 at full):
      // 1.5x the largest activation, 128 MiB, since the upsampled tensor is never made.
      assert.ok(info.arenaBytes <= 1.5 * 128 * 2 ** 20 + 2 ** 20, `arena ${info.arenaBytes}`);
      assert.deepEqual(model.info([1, 3, 64, 80]).outputShape, [1, 3, 64, 80]);
      assert.deepEqual(model.info().inputShape, [1, 3, 512, 512]);
      if (threads === 1) {
        const mib = (b) => (b / 2 ** 20).toFixed(1);
        console.log(`  TransformerNet at 1024x1024: arena ${mib(info.arenaBytes)} MiB, workspace ${mib(info.workspaceBytes)} MiB, ` +
          `io ${mib(info.ioBytes)} MiB, weights ${mib(info.weightBytes)} MiB, peak ${mib(info.peakBytes)} MiB, ${(info.flops / 1e9).toFixed(1)} GFLOP`);
      }
      model.dispose();
    });

    test('bad files and bad calls throw InstyleError and leave the engine usable', async () => {
      const good = modelBytes('small.opset11.onnx');
      await expectError(ist.loadModel(new Uint8Array(0)), 'INVALID_MODEL', /empty/);
      await expectError(ist.loadModel('model.onnx'), 'INVALID_ARGUMENT', /bytes must be a Uint8Array or an ArrayBuffer/);
      await expectError(ist.loadModel(good.subarray(0, good.length >> 1)), 'INVALID_MODEL', /declares \d+ bytes but only \d+ remain/);
      await expectError(ist.loadModel(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'INVALID_MODEL');
      const noise = new Uint8Array(5000);
      for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
      await expectError(ist.loadModel(noise), 'INVALID_MODEL');
      const softmax = readFileSync('/usr/share/libonnx-testdata/data/node/test_softmax_example/model.onnx');
      await expectError(ist.loadModel(softmax), 'UNSUPPORTED', /^loadModel: unsupported op 'Softmax' at node '#0'$/);
      await expectError(ist.loadModel(good, { colour: 'rgb' }), 'INVALID_ARGUMENT', /unknown option 'colour'/);
      await expectError(ist.loadModel(good, { range: 100 }), 'INVALID_ARGUMENT', /range must be 255/);

      const model = await ist.loadModel(good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength)); // an ArrayBuffer
      await expectError(() => model.run(new Float32Array(4 * 64), [1, 4, 8, 8]), 'INVALID_ARGUMENT', /^input 'input' must be \[1,3,height,width\], got \[1,4,8,8\]$/);
      await expectError(() => model.run(new Float32Array(10), [1, 3, 8, 8]), 'SHAPE_MISMATCH', /has 10 elements/);
      await expectError(() => model.run([1, 2, 3], [1, 3, 1, 1]), 'INVALID_ARGUMENT', /Float32Array/);
      await expectError(() => model.run(new Float32Array(12), [1, 3, 2, 2]), 'INVALID_ARGUMENT', /node '/);
      await expectError(model.stylize({ data: new Uint8ClampedArray(10), width: 2, height: 2 }), 'SHAPE_MISMATCH');
      await expectError(model.stylize(testImage(8, 8), { strength: 2 }), 'INVALID_ARGUMENT', /strength/);
      await expectError(model.stylize(testImage(8, 8), { blur: 1 }), 'INVALID_ARGUMENT', /unknown option 'blur'/);
      await expectError(model.stylize(testImage(1, 1)), 'INVALID_ARGUMENT', /reflect padding/);
      // Still usable: a correct run after all of that.
      const ok = model.run(new Float32Array(3 * 16 * 16).fill(100), [1, 3, 16, 16]);
      assert.deepEqual(ok.shape, [1, 3, 16, 16]);
      model.dispose();
      await expectError(() => model.run(new Float32Array(3 * 16 * 16), [1, 3, 16, 16]), 'DISPOSED');
    });

    test('loading and disposing leaves the heap flat', async () => {
      const bytes = modelBytes('small.opset13.onnx');
      const x = new Float32Array(3 * 24 * 24).fill(50);
      const warm = await ist.loadModel(bytes);
      warm.run(x, [1, 3, 24, 24]);
      warm.dispose();
      const before = ist.memoryUsage().allocatedBytes;
      for (let i = 0; i < 20; i++) {
        const m = await ist.loadModel(bytes);
        m.run(x, [1, 3, 24, 24]);
        await m.stylize(testImage(24, 24));
        m.dispose();
        await expectError(ist.loadModel(bytes.subarray(0, 1000)), 'INVALID_MODEL');
      }
      assert.equal(ist.memoryUsage().allocatedBytes, before);
    });
  });
}

describe('instyle stylize (command line)', { timeout: 300_000 }, () => {
  let work;
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'instyle-cli-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  const cli = (...args) => spawnSync(process.execPath, [join(root, 'bin/instyle.js'), ...args], { encoding: 'utf8' });

  test('PNG and JPEG in, PNG and JPEG out, with --strength and --size', () => {
    const { PNG } = pngjs;
    const image = testImage(90, 60);
    const png = new PNG({ width: 90, height: 60 });
    png.data.set(image.data);
    writeFileSync(join(work, 'in.png'), PNG.sync.write(png));
    writeFileSync(join(work, 'in.jpg'), jpeg.encode({ data: Buffer.from(image.data), width: 90, height: 60 }, 95).data);
    const model = join(dir, 'small.opset13.onnx');

    let r = cli('stylize', join(work, 'in.png'), join(work, 'out.png'), '--model', model, '--strength', '0.8', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    const out = PNG.sync.read(readFileSync(join(work, 'out.png')));
    assert.equal(out.width, 90);
    assert.equal(out.height, 60);

    r = cli('stylize', join(work, 'in.jpg'), join(work, 'out.jpg'), '--model', model, '--size', '45', '--quiet');
    assert.equal(r.status, 0, r.stderr);
    const small = jpeg.decode(readFileSync(join(work, 'out.jpg')));
    assert.equal(small.width, 45);
    assert.equal(small.height, 30);
  });

  test('built-in styles: the default, --style, tiles, and the list', () => {
    const { PNG } = pngjs;
    const image = testImage(120, 80);
    const png = new PNG({ width: 120, height: 80 });
    png.data.set(image.data);
    writeFileSync(join(work, 'photo.png'), PNG.sync.write(png));
    const list = cli('styles');
    assert.equal(list.status, 0, list.stderr);
    const names = list.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    assert.ok(names.length >= 1, list.stdout);
    assert.match(list.stdout, /\(default\)/);
    const read = (f) => PNG.sync.read(readFileSync(join(work, f)));
    let r = cli('stylize', join(work, 'photo.png'), join(work, 'default.png'), '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    r = cli('stylize', join(work, 'photo.png'), join(work, 'named.png'), '--style', names[0], '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(read('named.png').data, read('default.png').data, 'the default style is the first listed');
    // Tiles (the default may be the full network, whose margins take 80 pixels a side: a photo
    // of a few 224-pixel tiles).
    const big = testImage(360, 240);
    const bigPng = new PNG({ width: 360, height: 240 });
    bigPng.data.set(big.data);
    writeFileSync(join(work, 'big.png'), PNG.sync.write(bigPng));
    r = cli('stylize', join(work, 'big.png'), join(work, 'whole.png'), '--tiled', 'off', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    r = cli('stylize', join(work, 'big.png'), join(work, 'tiled.png'), '--tiled', 'on', '--tile-size', '224',
      '--thumbnail', '360', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    const tiled = read('tiled.png');
    assert.deepEqual([tiled.width, tiled.height], [360, 240]);
    const whole = read('whole.png');
    let worst = 0;
    for (let i = 0; i < tiled.data.length; i++) worst = Math.max(worst, Math.abs(tiled.data[i] - whole.data[i]));
    assert.ok(worst <= 1, `tiles with the whole photo as thumbnail: max |diff| ${worst}`);
  });

  test('--style-image: any image as the style, with --model for an arbitrary-style network', () => {
    const { PNG } = pngjs;
    const write = (name, image) => {
      const png = new PNG({ width: image.width, height: image.height });
      png.data.set(image.data);
      writeFileSync(join(work, name), PNG.sync.write(png));
    };
    write('p.png', testImage(96, 64));
    const art = testImage(40, 40);
    for (let i = 0; i < art.data.length; i += 4) art.data.set([255 - art.data[i + 2], art.data[i], 90], i); // other statistics
    write('art.png', art);
    const model = join(dir, 'arbitrary.onnx');
    const read = (f) => PNG.sync.read(readFileSync(join(work, f)));
    let r = cli('stylize', join(work, 'p.png'), join(work, 'a1.png'), '--style-image', join(work, 'art.png'), '--model', model, '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual([read('a1.png').width, read('a1.png').height], [96, 64]);
    r = cli('stylize', join(work, 'p.png'), join(work, 'a0.png'), '--style-image', join(work, 'art.png'), '--model', model,
      '--strength', '0', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(read('a0.png').data, read('p.png').data, 'strength 0 gives the photo back');
    r = cli('stylize', join(work, 'p.png'), join(work, 'a2.png'), '--style-image', join(work, 'p.png'), '--model', model, '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    const [a1, a2] = ['a1.png', 'a2.png'].map(read);
    let sum = 0;
    for (let i = 0; i < a1.data.length; i++) sum += Math.abs(a1.data[i] - a2.data[i]);
    assert.ok(sum / a1.data.length > 1, 'another style image gives another picture');
    r = cli('stylize', join(work, 'p.png'), join(work, 'a3.png'), '--style-image', join(work, 'art.png'), '--model', model,
      '--transform', 'adain', '--threads', '1');
    assert.equal(r.status, 0, r.stderr);
    sum = 0;
    const a3 = read('a3.png');
    for (let i = 0; i < a1.data.length; i++) sum += Math.abs(a1.data[i] - a3.data[i]);
    assert.ok(sum / a1.data.length > 0.5, '--transform adain paints otherwise than the default wct');
    r = cli('stylize', join(work, 'p.png'), join(work, 'x.png'), '--style-image', join(work, 'art.png'), '--model', model, '--transform', 'cov');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--transform must be wct or adain, got cov/);
    r = cli('stylize', join(work, 'p.png'), join(work, 'x.png'), '--transform', 'wct');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--transform goes with --style-image/);
    r = cli('stylize', join(work, 'p.png'), join(work, 'x.png'), '--style-image', join(work, 'art.png'), '--model', join(dir, 'small.opset13.onnx'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no InstanceNormalization node named 'adain'/);
    writeFileSync(join(work, 'art.jpg'), 'not a jpeg');
    r = cli('stylize', join(work, 'p.png'), join(work, 'x.png'), '--style-image', join(work, 'art.jpg'), '--model', model);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /art.jpg: not an image sharp can read/);
    r = cli('stylize', join(work, 'p.png'), join(work, 'x.png'), '--style-image', join(work, 'art.png'), '--style', 'starry');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /give --style or --style-image, not both/);
  });

  test('errors: usage, missing model, bad files', () => {
    let r = cli('stylize', 'a.png');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /stylize needs an input and an output file/);
    r = cli('stylize', 'a.png', 'b.png', '--style', 'x', '--model', 'y.onnx');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /give --style or --model, not both/);
    r = cli('stylize', 'a.png', 'b.png', '--tiled', 'maybe');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--tiled must be auto, on or off/);
    writeFileSync(join(work, 'small.png'), pngjs.PNG.sync.write(new pngjs.PNG({ width: 8, height: 8 })));
    r = cli('stylize', join(work, 'small.png'), join(work, 'x.png'), '--style', 'velvet');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /loadStyle: no style named "velvet" \(built in: /);
    r = cli('paint');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command 'paint'/);
    writeFileSync(join(work, 'not-an-image.png'), 'hello');
    r = cli('stylize', join(work, 'not-an-image.png'), join(work, 'x.png'), '--model', join(dir, 'small.opset13.onnx'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /not-an-image.png: not an image sharp can read/);
    writeFileSync(join(work, 'bad.onnx'), 'garbage');
    const { PNG } = pngjs;
    const png = new PNG({ width: 8, height: 8 });
    writeFileSync(join(work, 'tiny.png'), PNG.sync.write(png));
    r = cli('stylize', join(work, 'tiny.png'), join(work, 'x.png'), '--model', join(work, 'bad.onnx'));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^instyle: loadModel: /);
    r = cli('stylize', join(work, 'tiny.png'), join(work, 'x.png'), '--model', join(dir, 'small.opset13.onnx'), '--strength', '3');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--strength must be a number in \[0, 1\]/);
  });
});
