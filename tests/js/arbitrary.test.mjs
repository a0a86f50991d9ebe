// Arbitrary style (js/arbitrary.js, issue 15): a small arbitrary-style network exported by the
// training code itself (scripts/make_test_models.py -> arbitrary_net.py: random-VGG encoder,
// InstanceNormalization "adain", seeded decoder) against PyTorch's WCT and AdaIN; style codes
// reused, strength, tiles, errors, memory; and the network the package ships.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { InstyleError } from '../../js/index.node.js';
import { testModelsDir } from '../../scripts/test-models.mjs';
import { VARIANTS, diff, engine, photo } from './helpers.mjs';

const dir = testModelsDir();
const spec = JSON.parse(readFileSync(join(dir, 'arbitrary.json'), 'utf8'));
const rgba = ({ file, width, height }) => ({ data: new Uint8ClampedArray(readFileSync(join(dir, file))), width, height });
const reference = (transform, strength) => {
  const o = spec.outputs[`${transform}${strength}`];
  const b = readFileSync(join(dir, o.file));
  return { data: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4), shape: o.shape };
};

// The engine's RGBA result against PyTorch's unclipped float output ([1,3,H,W]).
function againstReference(image, ref) {
  const [, , h, w] = ref.shape;
  assert.deepEqual([image.width, image.height], [w, h]);
  let max = 0, sum = 0;
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < w * h; p++) {
      const want = Math.round(Math.min(255, Math.max(0, ref.data[c * w * h + p])));
      const d = Math.abs(image.data[p * 4 + c] - want);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { max, mean: sum / (3 * w * h) };
}

const meanRGB = ({ data }) => {
  const m = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let c = 0; c < 3; c++) m[c] += data[i + c];
  return m.map((v) => v / (data.length / 4));
};

const rejectsWith = (p, code, pattern) => assert.rejects(p, (e) => {
  assert.ok(e instanceof InstyleError, `an InstyleError, got ${e}`);
  assert.equal(e.code, code, e.message);
  if (pattern) assert.match(e.message, pattern);
  return true;
});

for (const threads of VARIANTS) {
  describe(`arbitrary style, ${threads} thread(s)`, { timeout: 300_000 }, () => {
    let ist, arb;
    const photo0 = rgba(spec.photo), style0 = rgba(spec.style);
    before(async () => {
      ist = await engine(threads);
      arb = await ist.loadArbitraryStyle(readFileSync(join(dir, spec.model)));
    });
    after(() => {
      arb?.dispose();
      ist.dispose();
    });

    test('paints what PyTorch paints, by WCT (the default) and AdaIN, at strength 1 and 0.5', async () => {
      for (const transform of ['wct', 'adain']) {
        for (const strength of [1, 0.5]) {
          const out = await arb.stylize(photo0, style0, { strength, transform });
          const d = againstReference(out, reference(transform, strength));
          assert.ok(d.max <= 1 && d.mean < 0.02, `${transform} at ${strength}: |engine - PyTorch| max ${d.max}, mean ${d.mean} per byte`);
        }
      }
      const wct = await arb.stylize(photo0, style0);
      assert.deepEqual(wct.data, (await arb.stylize(photo0, style0, { transform: 'wct' })).data, 'WCT is the default');
      // The two strengths differ: the blend of statistics happens inside the network; so do the
      // transforms: WCT carries the correlations between channels too.
      const half = await arb.stylize(photo0, style0, { strength: 0.5 });
      assert.ok(diff(wct.data, half.data).mean > 1, `strength 0.5 against 1: mean |diff| ${diff(wct.data, half.data).mean}`);
      const adain = await arb.stylize(photo0, style0, { transform: 'adain' });
      assert.ok(diff(wct.data, adain.data).mean > 1, `WCT against AdaIN: mean |diff| ${diff(wct.data, adain.data).mean}`);
    });

    test('a style code gives the same pixels as the style image, and survives structuredClone', async () => {
      const code = arb.styleCode(style0);
      assert.equal(code.kind, 'instyle.styleCode');
      assert.equal(code.layer, 'adain');
      assert.ok(code.mean instanceof Float32Array && code.stddev instanceof Float32Array);
      assert.equal(code.channels, code.mean.length);
      assert.ok(code.coloring instanceof Float32Array);
      assert.equal(code.coloring.length, code.channels ** 2);
      const n = code.channels;
      for (let i = 0; i < n; i++) {  // the covariance's root: symmetric, its diagonal^2 <= variance
        assert.ok(code.coloring[i * n + i] >= 0);
        for (let j = 0; j < i; j++) assert.ok(Math.abs(code.coloring[i * n + j] - code.coloring[j * n + i]) < 1e-4);
      }
      assert.deepEqual([code.width, code.height], [spec.style.width, spec.style.height]);
      assert.ok(code.stddev.every((s) => s > 0));
      for (const transform of ['wct', 'adain']) {
        const byImage = await arb.stylize(photo0, style0, { transform });
        const byCode = await arb.stylize(photo0, code, { transform });
        const byClone = await arb.stylize(photo0, structuredClone(code), { transform });
        assert.deepEqual(byCode.data, byImage.data, transform);
        assert.deepEqual(byClone.data, byImage.data, transform);
      }
      // A code without its colouring matrix (an AdaIN-only code) serves AdaIN only.
      const { coloring, ...adainOnly } = code;
      assert.equal(coloring.length, n * n);
      await arb.stylize(photo0, adainOnly, { transform: 'adain' });
      await rejectsWith(arb.stylize(photo0, adainOnly), 'INVALID_ARGUMENT', /coloring Float32Array of \d+ x \d+ values for transform 'wct'/);
      // Another photo with the same code: the code holds the style, not the photo.
      const other = photo(64, 48, 1);
      assert.deepEqual((await arb.stylize(other, code)).data, (await arb.stylize(other, style0)).data);
    });

    test('strength 0 returns the photo; the style moves the colours toward its own', async () => {
      const out = await arb.stylize(photo0, style0, { strength: 0 });
      assert.deepEqual(out.data, photo0.data);
      const flat = (r, g, b) => {
        const data = new Uint8ClampedArray(48 * 48 * 4);
        for (let i = 0; i < data.length; i += 4) data.set([r + ((i >> 2) % 7) * 3, g + ((i >> 4) % 5) * 3, b, 255], i);
        return { data, width: 48, height: 48 };
      };
      const red = meanRGB(await arb.stylize(photo0, flat(220, 40, 40)));
      const blue = meanRGB(await arb.stylize(photo0, flat(40, 40, 220)));
      // A random decoder still maps different statistics to different pictures.
      assert.ok(Math.abs(red[0] - blue[0]) + Math.abs(red[2] - blue[2]) > 5, `red style ${red}, blue style ${blue}`);
    });

    test('tiles with the whole photo as thumbnail rebuild the untiled result', async () => {
      const image = photo(264, 200);
      const code = arb.styleCode(style0);
      for (const transform of ['wct', 'adain']) {
        const whole = await arb.stylize(image, code, { tiled: false, transform });
        const reports = [];
        const tiled = await arb.stylize(image, code, { tiled: true, tileSize: 128, thumbnailSize: 264, transform, onProgress: (p, w) => reports.push(w) });
        assert.ok(reports.at(-1).tiles >= 4, `${reports.at(-1).tiles} tiles`);
        const d = diff(whole.data, tiled.data);
        assert.ok(d.max <= 1 && d.mean < 0.01, `${transform}: |tiled - whole|: max ${d.max}, mean ${d.mean}`);
      }
    });

    test('a huge style image is resized in bands: the heap never holds it whole', async () => {
      const big = photo(4000, 3000, 2); // 48 MB of RGBA
      const heap0 = ist.memoryUsage();
      const code = arb.styleCode(big);
      assert.deepEqual([code.width, code.height], [512, 384]);
      const small = arb.styleCode(big, { maxSize: 64 });
      assert.deepEqual([small.width, small.height], [64, 48]);
      const heap1 = ist.memoryUsage();
      assert.ok(heap1.heapBytes - heap0.heapBytes < 24 * 2 ** 20, `the heap grew by ${((heap1.heapBytes - heap0.heapBytes) / 2 ** 20).toFixed(1)} MiB`);
    });

    test('errors name what was wrong, and the network works on after them', async () => {
      const empty = { data: new Uint8ClampedArray(0), width: 0, height: 0 };
      await rejectsWith(arb.stylize(photo0, empty), 'INVALID_ARGUMENT', /style\.width and style\.height must be positive/);
      assert.throws(() => arb.styleCode(empty), /styleImage\.width and styleImage\.height must be positive/);
      await rejectsWith(arb.stylize(photo0, { data: new Uint8ClampedArray(10), width: 4, height: 4 }), 'SHAPE_MISMATCH', /style\.data has 10 bytes/);
      await rejectsWith(arb.stylize(photo0, 'art.jpg'), 'INVALID_ARGUMENT', /style must be ImageData/);
      await rejectsWith(arb.stylize(null, style0), 'INVALID_ARGUMENT', /photo must be ImageData/);
      await rejectsWith(arb.stylize(photo0, style0, { strength: 1.5 }), 'INVALID_ARGUMENT', /strength must be a number in \[0, 1\]/);
      await rejectsWith(arb.stylize(photo0, style0, { colour: true }), 'INVALID_ARGUMENT', /unknown option 'colour'/);
      assert.throws(() => arb.styleCode(style0, { maxSize: 0 }), /maxSize must be an integer from 16 to 4096/);
      const code = arb.styleCode(style0);
      const short = { ...code, mean: code.mean.slice(1), stddev: code.stddev.slice(1) };
      await rejectsWith(arb.stylize(photo0, short), 'SHAPE_MISMATCH', /style code has \d+ channels; this network's style layer has \d+/);
      const nan = { ...code, mean: code.mean.map((v, i) => (i === 2 ? NaN : v)) };
      await rejectsWith(arb.stylize(photo0, nan), 'INVALID_ARGUMENT', /channel 2 is not finite/);
      const badColoring = { ...code, coloring: code.coloring.map((v, i) => (i === 5 ? Infinity : v)) };
      await rejectsWith(arb.stylize(photo0, badColoring), 'INVALID_ARGUMENT', /coloring\[5\] is not finite/);
      await arb.stylize(photo0, badColoring, { transform: 'adain' });  // AdaIN does not read it
      await rejectsWith(arb.stylize(photo0, style0, { transform: 'whiten' }), 'INVALID_ARGUMENT', /transform must be one of 'wct', 'adain', got "whiten"/);
      assert.throws(() => arb.live(style0, { transform: 'x' }), /transform must be one of/);
      // A network without an AdaIN layer, and a file that is not a network.
      const plain = readFileSync(join(dir, 'small.opset11.onnx'));
      await rejectsWith(ist.loadArbitraryStyle(plain), 'UNSUPPORTED', /no InstanceNormalization node named 'adain'.*adain\.py --export/);
      const bytes = readFileSync(join(dir, spec.model));
      await rejectsWith(ist.loadArbitraryStyle(bytes.subarray(0, bytes.length >> 1)), 'INVALID_MODEL');
      const again = await arb.stylize(photo0, style0);
      const d = againstReference(again, reference('wct', 1));
      assert.ok(d.max <= 1, 'the network gives the same result after the errors');
    });

    test('repeated calls and cancelled ones hold no memory', async () => {
      const code = arb.styleCode(style0);
      await arb.stylize(photo0, code);
      const before0 = ist.memoryUsage().allocatedBytes;
      for (let i = 0; i < 10; i++) {
        await arb.stylize(photo0, i % 2 ? code : style0, { strength: i / 10, transform: i % 3 ? 'wct' : 'adain' });
        arb.styleCode(style0);
      }
      const controller = new AbortController();
      controller.abort();
      await rejectsWith(arb.stylize(photo0, code, { signal: controller.signal }), 'CANCELLED');
      await arb.stylize(photo0, code);
      const held = ist.memoryUsage().allocatedBytes - before0;
      assert.ok(Math.abs(held) < 4096, `${held} bytes more after 10 calls`);
    });

    test('live(): each frame painted as stylize() paints it, strength inside the network, nothing kept', async () => {
      const code = arb.styleCode(style0);
      const size = [spec.photo.width, spec.photo.height];
      const before0 = ist.memoryUsage().allocatedBytes;
      const live = arb.live(code, { size, temporal: 0 });
      for (const strength of [1, 0.5]) {
        live.update({ strength });
        const frame = live.stylize(photo0);
        // stylize() between frames sets and clears the layer's style for itself; the session
        // sets its own before each frame.
        const still = await arb.stylize(photo0, code, { strength, tiled: false });
        assert.deepEqual(frame.data, still.data, `strength ${strength}: the live frame is stylize()'s picture`);
      }
      // The same strength again after a stylize() call cleared the layer's style.
      const again = live.stylize(photo0);
      assert.deepEqual(again.data, (await arb.stylize(photo0, code, { strength: 0.5, tiled: false })).data);
      live.update({ strength: 0 });
      assert.deepEqual(live.stylize(photo0).data, photo0.data, 'strength 0: the frame itself');
      live.dispose();
      // A style image works as well as its code.
      const byImage = arb.live(style0, { size, temporal: 0 });
      const frame = byImage.stylize(photo0);
      assert.deepEqual(frame.data, (await arb.stylize(photo0, code, { tiled: false })).data);
      byImage.dispose();
      assert.throws(() => arb.live('art.jpg'), /style must be ImageData/);
      // AdaIN live, as AdaIN stylize().
      const soft = arb.live(code, { size, temporal: 0, transform: 'adain' });
      assert.deepEqual(soft.stylize(photo0).data, (await arb.stylize(photo0, code, { tiled: false, transform: 'adain' })).data);
      soft.dispose();
      const held = ist.memoryUsage().allocatedBytes - before0;
      assert.ok(Math.abs(held) < 4096, `${held} bytes more after the live sessions`);
    });

    test('info() names the AdaIN layer; dispose() ends the network', async () => {
      const info = arb.info({ width: 64, height: 64 });
      assert.equal(info.adainLayer, 'adain');
      assert.equal(info.instanceNormLayers, 1);
      assert.equal(info.ops.AveragePool, 2);
      const spare = await ist.loadArbitraryStyle(readFileSync(join(dir, spec.model)));
      spare.dispose();
      assert.equal(spare.disposed, true);
      await rejectsWith(spare.stylize(photo0, style0), 'DISPOSED');
      assert.throws(() => spare.styleCode(style0), (e) => e.code === 'DISPOSED');
    });
  });
}

const SHIPPED = new URL('../../styles/arbitrary.onnx', import.meta.url);

describe('the arbitrary-style network the package ships', { skip: !existsSync(SHIPPED) && 'styles/arbitrary.onnx is not built', timeout: 300_000 }, () => {
  let ist, arb;
  before(async () => {
    ist = await engine(2);
    arb = await ist.loadArbitraryStyle();
  });
  after(() => {
    arb?.dispose();
    ist?.dispose();
  });

  test('loads without bytes and moves a photo toward the style image\'s palette', async () => {
    const image = photo(192, 144);
    const info = arb.info({ width: 192, height: 144 });
    assert.equal(info.adainLayer, 'adain');
    const palette = (r, g, b) => {
      const data = new Uint8ClampedArray(128 * 128 * 4);
      for (let y = 0; y < 128; y++) {
        for (let x = 0; x < 128; x++) {
          const k = ((x >> 3) + (y >> 3)) % 2 ? 1.15 : 0.85; // a checker: some texture
          data.set([r * k, g * k, b * k, 255], (y * 128 + x) * 4);
        }
      }
      return { data, width: 128, height: 128 };
    };
    const warm = meanRGB(await arb.stylize(image, palette(200, 110, 40)));
    const cool = meanRGB(await arb.stylize(image, palette(40, 90, 190)));
    assert.ok(warm[0] - warm[2] > cool[0] - cool[2] + 30, `red minus blue: ${(warm[0] - warm[2]).toFixed(0)} for an orange style, ${(cool[0] - cool[2]).toFixed(0)} for a blue one`);
  });
});
