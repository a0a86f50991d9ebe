// Browser tests of the demo (web/): the invariance lab and the stylization studio in headless
// Chromium (Debian's /usr/bin/chromium driven by playwright-core), once on a cross-origin-
// isolated server (WASM threads in the workers) and once without those headers (the
// single-threaded fallback). Each run starts its own server on a free port and closes it.
// Screenshots go to screenshots/ (git-ignored) for people to look at.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import pngjs from 'pngjs';
import { startServer } from '../../scripts/serve.mjs';
import { testModel } from '../../scripts/test-models.mjs';
import { init } from '../../js/index.node.js';
import { smallStyle } from '../js/helpers.mjs';
import { PREVIEW_MAX, downscaleRgba, fitSize } from '../../web/common/images.js';

const { PNG } = pngjs;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = `${ROOT}screenshots`;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
  // A camera for the Camera button: Chromium's moving test pattern, granted without a prompt,
  // at 60 frames per second (20 by default), so that live mode's rate is the engine's.
  '--use-fake-device-for-media-stream=fps=60', '--use-fake-ui-for-media-stream',
];
const LAPTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

// A small style network from the model runner's test models (scripts/test-models.mjs): the
// runner's MixedNet, whose output spans the 0..255 range (a TransformerNet with random
// weights comes out nearly black, which would prove little).

function runnerAvailable() {
  const api = ['js/index.browser.js', 'js/core.js', 'js/model.js']
    .filter((f) => existsSync(`${ROOT}${f}`))
    .map((f) => readFileSync(`${ROOT}${f}`, 'utf8'))
    .join('\n');
  return /loadModel/.test(api) && existsSync(`${ROOT}scripts/make_test_models.py`);
}

function ensureTestModel() {
  return testModel('mixed.opset13.onnx');
}

async function setSlider(page, testid, value) {
  await page.getByTestId(testid).evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  }, String(value));
}

// Waits until the lab shows the frame computed for these settings.
async function waitForLab(page, { a, b = 0, relu = false }) {
  await page.waitForFunction(
    ([wantA, wantB, wantRelu]) => {
      const c = document.querySelector('[data-testid="panel-in"]');
      return c.dataset.a === wantA && c.dataset.b === wantB && c.dataset.relu === wantRelu;
    },
    [String(a), String(b), String(relu)],
    { timeout: 60_000 },
  );
}

async function figure(page, testid) {
  const text = await page.getByTestId(testid).textContent();
  const value = Number(text);
  assert.ok(Number.isFinite(value), `${testid} holds a number, got ${JSON.stringify(text)}`);
  return value;
}

// The RGBA bytes of a lab panel as last painted, checked to be the frame for these settings.
// Read from the lab (the worker, where it paints OffscreenCanvases), not from the canvas: a
// worker's picture reaches the page's compositor some frames later, with no event to wait for.
// 'the panels on screen show what the lab painted' checks the canvases themselves.
async function labPixels(page, panel, { a, b = 0, relu = false }) {
  const shot = await page.evaluate(async (p) => {
    const s = await globalThis.instyleDemo.lab.snapshot();
    return { params: s.params, data: Array.from(s.panels[p]) };
  }, panel);
  assert.deepEqual([shot.params.a, shot.params.b, shot.params.relu], [a, b, relu], 'the painted frame is for these settings');
  return shot.data;
}

// What a canvas shows now, as RGBA bytes at its own size.
async function canvasPixels(page, testid) {
  return page.getByTestId(testid).evaluate((canvas) => {
    const copy = document.createElement('canvas');
    copy.width = canvas.width;
    copy.height = canvas.height;
    const ctx = copy.getContext('2d');
    ctx.drawImage(canvas, 0, 0);
    return Array.from(ctx.getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

function meanAbsDiff(p, q) {
  assert.equal(p.length, q.length);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return s / p.length;
}

let browser;
before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
});

for (const isolation of [true, false]) {
  const mode = isolation ? 'isolated' : 'not-isolated';
  describe(`demo page, ${isolation ? 'cross-origin isolated (threads)' : 'not isolated (one thread)'}`, { timeout: 240_000 }, () => {
    let server;
    let context;
    let page;
    const problems = [];

    before(async () => {
      server = await startServer({ port: 0, isolation });
      context = await browser.newContext({ viewport: LAPTOP });
      page = await context.newPage();
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('crash', () => problems.push('the page crashed'));
      await page.goto(server.url);
      await waitForLab(page, { a: 1 });
    }, { timeout: 90_000 });

    after(async () => {
      await context?.close();
      await server?.close();
    });

    test('the engine starts, with threads only when the page is isolated', async () => {
      assert.equal(await page.evaluate(() => crossOriginIsolated), isolation);
      const status = page.getByTestId('engine-status');
      assert.equal(await status.getAttribute('data-state'), 'ready');
      const threads = Number(await status.getAttribute('data-threads'));
      const cores = await page.evaluate(() => navigator.hardwareConcurrency);
      if (isolation && cores > 1) assert.ok(threads > 1, `threads = ${threads} with ${cores} cores`);
      if (!isolation) assert.equal(threads, 1);
      await page.screenshot({ path: `${SCREENSHOTS}/lab-laptop-${mode}.png` });
    });

    test('contrast 0.3 and 2.5: IN stays put (< 1e-2), BN moves and moves more', async () => {
      const boxes = () => page.evaluate(() => [...document.querySelectorAll('.panel, .plot-card')]
        .map((el) => { const r = el.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }));
      const layout = await boxes();
      const initialIn = await figure(page, 'in-deviation');
      assert.ok(initialIn < 1e-6, `at a = 1 the deviation is ${initialIn}`);
      await setSlider(page, 'contrast-slider', 0.3);
      await waitForLab(page, { a: 0.3 });
      const in03 = await figure(page, 'in-deviation');
      const bn03 = await figure(page, 'bn-deviation');
      await setSlider(page, 'contrast-slider', 2.5);
      await waitForLab(page, { a: 2.5 });
      const in25 = await figure(page, 'in-deviation');
      const bn25 = await figure(page, 'bn-deviation');
      assert.ok(in03 < 1e-2, `IN deviation at a = 0.3: ${in03}`);
      assert.ok(in25 < 1e-2, `IN deviation at a = 2.5: ${in25}`);
      assert.ok(bn03 > 0.1, `BN deviation at a = 0.3: ${bn03}`);
      assert.ok(bn25 > bn03, `BN deviation grows: ${bn03} at 0.3, ${bn25} at 2.5`);
      assert.deepEqual(await boxes(), layout, 'no panel moved or resized while dragging');
      // Brightness too: IN ignores it, BN does not.
      await setSlider(page, 'contrast-slider', 1);
      await setSlider(page, 'brightness-slider', 60);
      await waitForLab(page, { a: 1, b: 60 });
      const inB = await figure(page, 'in-deviation');
      const bnB = await figure(page, 'bn-deviation');
      await setSlider(page, 'brightness-slider', 0);
      await waitForLab(page, { a: 1, b: 0 });
      assert.ok(inB < 1e-2, `IN deviation at b = 60: ${inB}`);
      assert.ok(bnB > 0.1, `BN deviation at b = 60: ${bnB}`);
    });

    test('contrast -1: IN flips sign, so the IN panel after ReLU differs', async (t) => {
      t.after(async () => { // leave the lab as the next tests expect it, pass or fail
        await page.getByTestId('relu-toggle').uncheck();
        await setSlider(page, 'contrast-slider', 1);
        await waitForLab(page, { a: 1 });
      });
      await page.getByTestId('relu-toggle').check();
      await setSlider(page, 'brightness-slider', 0);
      await setSlider(page, 'contrast-slider', 1);
      await waitForLab(page, { a: 1, relu: true });
      const reference = await labPixels(page, 'in', { a: 1, relu: true });
      await setSlider(page, 'contrast-slider', 2);
      await waitForLab(page, { a: 2, relu: true });
      const scaled = await labPixels(page, 'in', { a: 2, relu: true });
      await setSlider(page, 'contrast-slider', -1);
      await waitForLab(page, { a: -1, relu: true });
      const flipped = await labPixels(page, 'in', { a: -1, relu: true });
      const reluDeviation = await figure(page, 'in-relu-deviation');
      await page.evaluate(() => document.getElementById('lab').scrollIntoView({ behavior: 'instant' }));
      await page.screenshot({ path: `${SCREENSHOTS}/lab-relu-negative-${mode}.png` });

      const same = meanAbsDiff(reference, scaled);
      t.diagnostic(`IN + ReLU panel, a = 2 against a = 1: mean |diff| ${same.toFixed(4)} per byte`);
      assert.ok(same < 0.05, `a = 2 leaves the IN + ReLU panel as it was (mean |diff| ${same} per byte)`);
      const changed = meanAbsDiff(reference, flipped);
      assert.ok(changed > 5, `a = -1 changes the IN + ReLU panel (mean |diff| ${changed} per byte)`);
      assert.ok(reluDeviation > 0.5, `max |ReLU(IN(-x)) - ReLU(IN(x))| = ${reluDeviation}`);
    });

    test('the panels on screen show what the lab painted', async () => {
      await waitForLab(page, { a: 1 });
      const painted = await labPixels(page, 'in', { a: 1 });
      // The page's copy of a worker's canvas catches up within frames; allow it seconds.
      let shown = null;
      for (const until = Date.now() + 10_000; Date.now() < until;) {
        shown = await canvasPixels(page, 'panel-in');
        if (meanAbsDiff(shown, painted) === 0) break;
        await page.waitForTimeout(100);
      }
      assert.equal(meanAbsDiff(shown, painted), 0, 'panel-in shows the pixels the lab painted');
    });

    test('the update rate is measured and shown', async (t) => {
      await page.getByTestId('bench-button').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="fps"]').dataset.bench,
        null, { timeout: 30_000 });
      const rate = Number(await page.getByTestId('fps').getAttribute('data-bench'));
      assert.ok(rate > 0, `updates per second: ${rate}`);
      t.diagnostic(`lab updates/s at 512x512, ${mode}: ${rate.toFixed(1)}`);
      await waitForLab(page, { a: 1 });
    });

    test('the built-in styles as a gallery of their artworks: a click picks one', async () => {
      const ist = await init({ threads: 1 });
      const styles = ist.styles();
      ist.dispose();
      const gallery = page.getByTestId('style-gallery');
      // Every thumbnail arrives (styles/*.jpg beside the networks) and decodes.
      await page.waitForFunction((n) => {
        const imgs = [...document.querySelectorAll('[data-testid="style-gallery"] img')];
        return imgs.length === n && imgs.every((i) => i.complete && i.naturalWidth > 0);
      }, styles.length, { timeout: 30_000 });
      const marked = () => gallery.locator('[aria-checked="true"]').getAttribute('data-value');
      const loaded = (title) => page.waitForFunction((t) => document.querySelector('[data-testid="studio-status"]')
        .textContent.startsWith(`Loaded ${t}`), title, { timeout: 60_000 });
      assert.equal(await marked(), `builtin:${styles[0].name}`, 'the default style is marked');
      const other = styles.find((s) => s.network === 'full' && s.name !== styles[0].name) ?? styles[1];
      await gallery.locator(`[data-value="builtin:${other.name}"]`).click();
      assert.equal(await page.getByTestId('style-select').inputValue(), `builtin:${other.name}`, 'the select follows');
      assert.equal(await marked(), `builtin:${other.name}`);
      await loaded(other.title);
      // And the gallery follows the select.
      await page.getByTestId('style-select').selectOption(`builtin:${styles[0].name}`);
      assert.equal(await marked(), `builtin:${styles[0].name}`);
      await loaded(styles[0].title);
    });

    const stylizeName = 'stylizing with a small test model fills result-canvas';
    if (!runnerAvailable()) test.todo(`${stylizeName}: needs the model runner (ist.loadModel) in js/`);
    else test(stylizeName, async () => {
      const modelPath = ensureTestModel();
      await page.getByTestId('model-input').setInputFiles(modelPath);
      await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled,
        null, { timeout: 60_000 });
      await page.getByTestId('max-size').selectOption('256');
      await page.getByTestId('stylize-button').click();
      await page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent),
        null, { timeout: 120_000 });
      const read = (testid) => page.getByTestId(testid).evaluate((c) => ({
        width: c.width, height: c.height,
        data: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data),
      }));
      const result = await read('result-canvas');
      const photo = await read('before-canvas');
      assert.equal(Math.max(result.width, result.height), 256);
      assert.deepEqual([result.width, result.height], [photo.width, photo.height]);
      for (let i = 3; i < result.data.length; i += 4) assert.equal(result.data[i], 255, 'every pixel painted');
      assert.ok(meanAbsDiff(result.data, photo.data) > 2, 'the result is not a copy of the photo');

      // The page's result is what the package gives in Node for the same photo.
      const ist = await init({ threads: 1 });
      try {
        const model = await ist.loadModel(readFileSync(modelPath));
        const expected = await model.stylize({
          data: Uint8ClampedArray.from(photo.data), width: photo.width, height: photo.height,
        });
        model.dispose();
        let worst = 0;
        for (let i = 0; i < expected.data.length; i++) worst = Math.max(worst, Math.abs(expected.data[i] - result.data[i]));
        assert.ok(worst <= 2, `the page's result differs from Node's by up to ${worst}`);
      } finally {
        ist.dispose();
      }
      await page.getByTestId('studio-status').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SCREENSHOTS}/studio-laptop-${mode}.png` });
    });

    test('a built-in style at full size: a big photo goes in tiles, with progress and cancel', async (t) => {
      // A 2000 x 1500 photo: more than the studio's 256 MB budget untiled, so it is tiled
      // (1600 x 1200 was, until the engine learned to fuse the upsample into the next conv).
      // Bigger than the page's previews, too: the page shows it at 1600 x 1200.
      const W = 2000, H = 1500;
      const png = new PNG({ width: W, height: H });
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          const i = (y * W + x) * 4;
          png.data[i] = (x * 255) / W;
          png.data[i + 1] = (y * 255) / H;
          png.data[i + 2] = 128 + 100 * Math.sin(x * 0.05) * Math.cos(y * 0.04);
          png.data[i + 3] = 255;
        }
      }
      await page.getByTestId('upload-input').setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: PNG.sync.write(png) });
      // The upload is decoded asynchronously; until then Stylize would paint the sample photo.
      await page.waitForFunction(() => document.getElementById('photo-name').textContent === 'big.png', null, { timeout: 60_000 });
      const ist = await init({ threads: 1 });
      const style = smallStyle(ist).name;
      ist.dispose();
      await page.getByTestId('style-select').selectOption(`builtin:${style}`);
      await page.getByTestId('max-size').selectOption('0');
      await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled, null, { timeout: 60_000 });
      const status = () => page.getByTestId('studio-status').textContent();
      const tileStatus = () => /tile \d+ of \d+/.test(document.querySelector('[data-testid="studio-status"]').textContent);

      await page.getByTestId('stylize-button').click();
      await page.waitForFunction(tileStatus, null, { timeout: 120_000 });
      await page.getByTestId('cancel-button').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="studio-status"]').textContent === 'Cancelled.', null, { timeout: 30_000 });

      const started = Date.now();
      await page.getByTestId('stylize-button').click();
      await page.waitForFunction(tileStatus, null, { timeout: 120_000 });
      const during = await status();
      // A run this big takes the lab's memory: its worker is ended meanwhile, with a notice.
      assert.equal(await page.evaluate(() => globalThis.instyleDemo.lab.paused()), true, 'the lab is paused during the run');
      const notice = page.getByTestId('lab-paused');
      assert.equal(await notice.isVisible(), true);
      assert.equal(await notice.textContent(), 'Paused while the studio stylizes a 3 MP photo.');
      await page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 240_000 });
      t.diagnostic(`${W}x${H} in tiles (${during.match(/of (\d+)/)[1]}), ${mode}: ${((Date.now() - started) / 1000).toFixed(1)} s; ${await status()}`);
      assert.match(await status(), new RegExp(`\\(${W} × ${H}\\)\\.$`), 'the status gives the full size');
      const result = await page.getByTestId('result-canvas').evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let opaque = 0;
        for (let i = 3; i < d.length; i += 4) opaque += d[i] === 255;
        return { width: c.width, height: c.height, opaque };
      });
      const shown = fitSize(W, H, PREVIEW_MAX);
      assert.deepEqual(result, { ...shown, opaque: shown.width * shown.height }, 'the page shows a preview, every pixel painted');
      await page.getByTestId('studio-status').scrollIntoViewIfNeeded();
      await page.screenshot({ path: `${SCREENSHOTS}/studio-tiled-${mode}.png` });

      // The lab is back, in a fresh worker, with the same photo and settings, and answers.
      await page.waitForFunction(() => !globalThis.instyleDemo.lab.paused() && globalThis.instyleDemo.lab.workerReady(), null, { timeout: 60_000 });
      assert.equal(await notice.isVisible(), false);
      await setSlider(page, 'contrast-slider', 0.5);
      await waitForLab(page, { a: 0.5 });
      assert.ok(await figure(page, 'in-deviation') < 1e-2, 'IN is still invariant after the restart');
      await setSlider(page, 'contrast-slider', 1);
      await waitForLab(page, { a: 1 });
      await page.getByTestId('max-size').selectOption('512');
    });

    // Download: a worker blends the full-size result (which the page never holds) with the photo
    // and encodes it. The page's preview is that result scaled down (downscaleRgba), so the PNG
    // scaled down the same way must give the preview: exactly at strength 1, and within
    // rounding for any other setting (the blend and the averaging then commute only nearly).
    test('Download gives the full-size PNG of the blend shown', async () => {
      // The result canvas's pixels, as base64: an array of 7.7 million numbers is slow to pass.
      const shown = async () => {
        const { width, height, base64 } = await page.getByTestId('result-canvas').evaluate((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let text = '';
          for (let i = 0; i < d.length; i += 0x8000) text += String.fromCharCode(...d.subarray(i, i + 0x8000));
          return { width: c.width, height: c.height, base64: btoa(text) };
        });
        return { width, height, data: new Uint8ClampedArray(Buffer.from(base64, 'base64')) };
      };
      const download = async () => {
        const [file] = await Promise.all([
          page.waitForEvent('download', { timeout: 120_000 }),
          page.getByTestId('download-button').click(),
        ]);
        assert.match(file.suggestedFilename(), /^big-.+\.png$/);
        const png = PNG.sync.read(readFileSync(await file.path()));
        await page.waitForFunction(() => !document.querySelector('[data-testid="download-button"]').disabled);
        return png;
      };
      const W = 2000, H = 1500;
      assert.match(await page.getByTestId('studio-status').textContent(), new RegExp(`^Done .*\\(${W} × ${H}\\)\\.$`), 'the run of the test before');
      const preview = await shown();
      const scaled = (png) => downscaleRgba(Uint8ClampedArray.from(png.data), png.width, png.height, preview.width, preview.height);

      const raw = await download();
      assert.deepEqual([raw.width, raw.height], [W, H], 'the PNG has the full size');
      let opaque = 0;
      for (let i = 3; i < raw.data.length; i += 4) opaque += raw.data[i] === 255;
      assert.equal(opaque, W * H);
      assert.equal(meanAbsDiff(scaled(raw), preview.data), 0, 'strength 1: the PNG scaled down is the preview');

      await setSlider(page, 'strength-slider', 0.6);
      await page.getByTestId('preserve-colors').check();
      try {
        const blended = await download();
        const small = scaled(blended);
        const shownNow = await shown();
        // Off by more than rounding only where keeping the colours clips a channel.
        let off = 0;
        for (let i = 0; i < small.length; i++) off += Math.abs(small[i] - shownNow.data[i]) > 2;
        const mean = meanAbsDiff(small, shownNow.data);
        assert.ok(mean < 0.5 && off < small.length / 1000,
          `strength 0.6, colours kept: the PNG scaled down is the blend shown (mean |diff| ${mean}, ${off} bytes off by more than 2)`);
        assert.ok(meanAbsDiff(blended.data, raw.data) > 2, 'and not the raw result');
      } finally {
        await page.getByTestId('preserve-colors').uncheck();
        await setSlider(page, 'strength-slider', 1);
      }
    });

    // A camera frame cannot be decoded again from a file: the studio keeps its bytes, and the
    // download blends with them (the other branch of the PNG worker).
    test('Camera: a frame is stylized, and its download blends with that frame', async () => {
      if (!isolation) return; // the camera path does not depend on isolation
      const camera = page.locator('#camera-button');
      await camera.click();
      try {
        await page.waitForFunction(() => document.getElementById('photo-name').textContent === 'camera.png', null, { timeout: 30_000 });
        await page.getByTestId('max-size').selectOption('256');
        await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled, null, { timeout: 60_000 });
        await page.getByTestId('stylize-button').click();
        await page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 120_000 });
        const [w, h] = (await page.getByTestId('studio-status').textContent()).match(/\((\d+) × (\d+)\)/).slice(1).map(Number);
        assert.equal(Math.max(w, h), 256);
        await setSlider(page, 'strength-slider', 0.5);
        const [file] = await Promise.all([
          page.waitForEvent('download', { timeout: 60_000 }),
          page.getByTestId('download-button').click(),
        ]);
        assert.match(file.suggestedFilename(), /^camera-.+\.png$/);
        const png = PNG.sync.read(readFileSync(await file.path()));
        assert.deepEqual([png.width, png.height], [w, h]);
        // At 256 px the preview is the run's own size: the PNG is the blend shown, to rounding.
        assert.deepEqual(await page.getByTestId('result-canvas').evaluate((c) => [c.width, c.height]), [w, h]);
        const shown = await canvasPixels(page, 'result-canvas');
        const mean = meanAbsDiff(Uint8ClampedArray.from(png.data), shown);
        assert.ok(mean < 0.5, `the downloaded camera frame's blend is the one shown (mean |diff| ${mean})`);
      } finally {
        await setSlider(page, 'strength-slider', 1);
        await camera.click(); // back to the photo before
      }
      await page.waitForFunction(() => document.getElementById('photo-name').textContent !== 'camera.png');
    });

    // Live mode: Chromium's fake camera (a moving test pattern), stylized by the live worker on
    // the live canvas; the rate shown, the style, strength and size changed while it runs, a
    // snapshot downloaded, the lab paused meanwhile and resumed after.
    // Any image as the style (issue 15): the shipped arbitrary-style network with the image's
    // statistics; the strength slider runs the network again (AdaIN's blend inside it), and 0
    // gives the photo back.
    test('Your own style image: upload, stylize, strength inside the network, drop another', async (t) => {
      if (!isolation) return; // the worker path does not depend on isolation
      if (!existsSync(`${ROOT}styles/arbitrary.onnx`)) return t.skip('styles/arbitrary.onnx is not built');
      const status = () => page.getByTestId('studio-status').textContent();
      const done = () => page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 120_000 });
      const pixels = (testid) => page.getByTestId(testid).evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
      // The strength slider moved and let go of: the network runs again.
      const letGo = async (value) => {
        await page.getByTestId('strength-slider').evaluate((el, v) => {
          el.value = v;
          el.dispatchEvent(new Event('input', { bubbles: true }));
          el.dispatchEvent(new Event('change', { bubbles: true }));
        }, String(value));
        await page.waitForFunction(() => /^Stylizing/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 30_000 });
        await done();
      };
      const builtin = await page.getByTestId('style-select').inputValue();
      t.after(async () => {
        await page.getByTestId('style-select').selectOption(builtin);
        await setSlider(page, 'strength-slider', 1);
        await page.getByTestId('max-size').selectOption('512');
      });
      await page.getByTestId('max-size').selectOption('256');
      assert.equal(await page.getByTestId('style-image-drop').isVisible(), false, 'no style image shown for a built-in style');
      await page.getByTestId('style-image-input').setInputFiles(`${ROOT}web/samples/storm.jpg`);
      await page.waitForFunction(() => /^Loaded your style image storm\.jpg/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 60_000 });
      assert.equal(await page.getByTestId('style-image-drop').isVisible(), true);
      assert.equal(await page.getByTestId('style-select').inputValue(), 'image:storm.jpg');
      await page.getByTestId('stylize-button').click();
      await done();
      const full = await pixels('result-canvas');
      await page.locator('#studio').screenshot({ path: `${SCREENSHOTS}/studio-style-image.png` });

      // "Carry over": AdaIN instead of WCT (the default) runs the network again and paints
      // otherwise; back to WCT gives the first picture again.
      const transform = async (value) => {
        await page.getByTestId('style-transform').selectOption(value);
        await page.waitForFunction(() => /^Stylizing/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 30_000 });
        await done();
      };
      assert.equal(await page.getByTestId('style-transform').inputValue(), 'wct');
      await transform('adain');
      const adainDiff = meanAbsDiff(await pixels('result-canvas'), full);
      assert.ok(adainDiff > 2, `AdaIN paints otherwise than WCT: mean |diff| ${adainDiff}`);
      await transform('wct');
      assert.equal(meanAbsDiff(await pixels('result-canvas'), full), 0, 'WCT again: the same picture');

      // Letting go of the slider runs the network again, with progress; the result changes,
      // and is not the page's pixel blend of the full-strength result with the photo.
      await letGo(0.4);
      const half = await pixels('result-canvas');
      const photo = await pixels('before-canvas');
      assert.equal(full.length, half.length);
      const blend = full.map((v, i) => Math.round(0.4 * v + 0.6 * photo[i]));
      assert.ok(meanAbsDiff(half, full) > 2, 'strength 0.4 changes the picture');
      assert.ok(meanAbsDiff(half, blend) > 1, 'by the network, not by a pixel blend');
      await letGo(0);
      assert.equal(meanAbsDiff(await pixels('result-canvas'), await pixels('before-canvas')), 0, 'strength 0: the photo itself');

      // Another image dropped on the style image; a file that is not an image is refused.
      const drop = (name, base64, type) => page.getByTestId('style-image-drop').evaluate((el, f) => {
        const bytes = Uint8Array.from(atob(f.base64), (ch) => ch.charCodeAt(0));
        const dt = new DataTransfer();
        dt.items.add(new File([bytes], f.name, { type: f.type }));
        el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      }, { name, base64, type });
      await drop('wood.jpg', readFileSync(`${ROOT}web/samples/wood.jpg`).toString('base64'), 'image/jpeg');
      await page.waitForFunction(() => /^Loaded your style image wood\.jpg/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 60_000 });
      assert.equal(await page.getByTestId('style-select').inputValue(), 'image:wood.jpg');
      assert.equal(await page.locator('#photo-name').textContent() !== 'wood.jpg', true, 'the photo stays');
      await drop('broken.jpg', Buffer.from('not a jpeg').toString('base64'), 'image/jpeg');
      await page.waitForFunction(() => /broken\.jpg: not an image this browser can read/.test(document.getElementById('toast').textContent), null, { timeout: 10_000 });
      assert.equal(await page.getByTestId('style-select').inputValue(), 'image:wood.jpg', 'the style image stays');
      assert.match(await status(), /wood\.jpg/);
    });

    test('Live camera: frames painted at a rate shown, style and size change while it runs', async (t) => {
      if (!isolation) return; // one pass is enough; the engine's threads are checked above
      const stats = () => page.evaluate(() => globalThis.instyleDemo.studio.live.stats());
      const frames = () => page.getByTestId('live-view').evaluate((v) => Number(v.dataset.frames));
      // A network made for video first, if the catalogue has one.
      const options = await page.locator('#builtin-styles option').evaluateAll((os) => os.map((o) => [o.value, o.text]));
      const styles = [...options.filter(([, text]) => /\(live\)$/.test(text)), ...options.filter(([, text]) => !/\(live\)$/.test(text))]
        .map(([value]) => value);
      assert.ok(styles.length >= 2, `two built-in styles to switch between, got ${styles}`);
      await page.getByTestId('style-select').selectOption(styles[0]);
      await page.getByTestId('live-button').click();
      try {
        await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-view"]').dataset.frames) >= 8, null, { timeout: 60_000 });
        await page.waitForFunction(() => Number(document.querySelector('[data-testid="live-fps"]').textContent) > 0, null, { timeout: 10_000 });
        const fps = await figure(page, 'live-fps');
        t.diagnostic(`live mode in Chromium: ${fps} frames/s at 256 px, ${styles[0].slice(8)} (the fake camera gives 60)`);
        assert.equal(await page.getByTestId('lab-paused').isHidden(), false, 'the lab steps aside');
        assert.equal(await page.getByTestId('stylize-button').isDisabled(), true);
        const a = await stats();
        assert.deepEqual([a.width, a.height], [256, 192], 'the camera 640 x 480 at long side 256');
        // The camera's pattern moves: later frames differ.
        const before = await frames();
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-view"]').dataset.frames) >= n + 4, before);
        const b = await stats();
        assert.notEqual(b.checksum, a.checksum, 'new frames are painted');
        // What is on screen is the painted frame, not a blank canvas.
        const shot = PNG.sync.read(await page.getByTestId('live-canvas').screenshot());
        let lo = 255, hi = 0;
        for (let i = 0; i < shot.data.length; i += 4) {
          lo = Math.min(lo, shot.data[i + 1]);
          hi = Math.max(hi, shot.data[i + 1]);
        }
        assert.ok(hi - lo > 40, `the live canvas shows a picture (green ${lo}..${hi})`);
        await page.screenshot({ path: `${SCREENSHOTS}/studio-live.png` });

        // Another style while it runs: its own palette.
        await page.getByTestId('style-select').selectOption(styles[1]);
        const name1 = styles[1].slice('builtin:'.length);
        await page.waitForFunction((n) => document.querySelector('[data-testid="live-status"]').textContent.includes(n), name1, { timeout: 30_000 });
        const mark = await frames();
        await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-view"]').dataset.frames) >= n + 3, mark);
        const c = await stats();
        const moved = Math.hypot(...c.mean.map((v, i) => v - b.mean[i]));
        assert.ok(moved > 8, `the second style paints in other colours (mean RGB ${b.mean.map(Math.round)} -> ${c.mean.map(Math.round)})`);

        // A style image while it runs (the style image test before left two in the picker):
        // the arbitrary-style network paints the camera in that image's palette.
        const pictures = await page.locator('#image-styles option').evaluateAll((os) => os.map((o) => o.value));
        if (pictures.length) {
          const picture = pictures.at(-1);
          await page.getByTestId('style-select').selectOption(picture);
          await page.waitForFunction((n) => document.querySelector('[data-testid="live-status"]').textContent.includes(n), picture.slice(6), { timeout: 30_000 });
          const m = await frames();
          await page.waitForFunction((n) => Number(document.querySelector('[data-testid="live-view"]').dataset.frames) >= n + 3, m, { timeout: 30_000 });
          const e = await stats();
          const shift = Math.hypot(...e.mean.map((v, i) => v - c.mean[i]));
          assert.ok(shift > 8, `the style image paints in other colours (mean RGB ${c.mean.map(Math.round)} -> ${e.mean.map(Math.round)})`);
          await page.getByTestId('style-select').selectOption(styles[1]);
          await page.waitForFunction((n) => document.querySelector('[data-testid="live-status"]').textContent.includes(n), name1, { timeout: 30_000 });
        }

        // Strength, colours and size reach the running session.
        await setSlider(page, 'strength-slider', 0.3);
        await page.getByTestId('preserve-colors').check();
        await page.getByTestId('live-size').selectOption('384');
        await page.waitForFunction(async () => (await globalThis.instyleDemo.studio.live.stats()).width === 384, null, { timeout: 30_000 });
        const d = await stats();
        assert.deepEqual(d.options, { size: 384, temporal: d.options.temporal, strength: 0.3, preserveColors: true });
        assert.equal(d.height, 288);

        const [file] = await Promise.all([
          page.waitForEvent('download', { timeout: 30_000 }),
          page.getByTestId('live-snapshot').click(),
        ]);
        assert.match(file.suggestedFilename(), new RegExp(`^camera-${name1}\\.png$`));
        const png = PNG.sync.read(readFileSync(await file.path()));
        assert.deepEqual([png.width, png.height], [384, 288]);
      } finally {
        await setSlider(page, 'strength-slider', 1);
        await page.getByTestId('preserve-colors').uncheck();
        await page.getByTestId('live-button').click();
      }
      await page.waitForFunction(() => document.querySelector('[data-testid="live-fps"]').textContent === '–');
      assert.equal(await page.getByTestId('live-view').isHidden(), true);
      await page.waitForFunction(() => document.querySelector('[data-testid="lab-paused"]').hidden, null, { timeout: 10_000 });
      await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled, null, { timeout: 60_000 });
    });

    test('phone width: panels fit, nothing overflows sideways', async () => {
      if (!isolation) return; // the layout does not depend on isolation: one pass is enough
      const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      p.on('pageerror', (e) => problems.push(`phone page error: ${e.message}`));
      p.on('console', (m) => {
        if (m.type() === 'error') problems.push(`phone console.error: ${m.text()}`);
      });
      await p.goto(server.url);
      await waitForLab(p, { a: 1 });
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than the phone`);
      await p.screenshot({ path: `${SCREENSHOTS}/lab-phone.png` });
      await p.getByTestId('panel-in').scrollIntoViewIfNeeded();
      await p.screenshot({ path: `${SCREENSHOTS}/lab-phone-panels.png` });
      await phone.close();
    });

    test('no console errors', () => {
      assert.deepEqual(problems, []);
    });
  });
}
