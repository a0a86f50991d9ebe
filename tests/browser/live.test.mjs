// model.live() in Chromium: the browser's image sources (OffscreenCanvas, ImageBitmap,
// VideoFrame) are drawn at the session size and give the pixels their ImageData gives.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startServer } from '../../scripts/serve.mjs';

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];

let browser, server, page;
before(async () => {
  server = await startServer({ port: 0, isolation: false });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage();
  // Any page of the same origin (here the server's plain 404) to import the package into,
  // without the demo's own engines.
  await page.goto(new URL('/live-test', server.url).href);
}, { timeout: 60_000 });
after(async () => {
  await browser?.close();
  await server?.close();
});

test('live.stylize takes OffscreenCanvas, ImageBitmap and VideoFrame like their ImageData', { timeout: 120_000 }, async () => {
  const r = await page.evaluate(async () => {
    const { init } = await import('/js/index.browser.js');
    const ist = await init({ threads: 1 });
    const model = await ist.loadStyle(ist.styles().find((s) => s.network === 'light' || s.network === 'live').name);
    const live = model.live({ size: 96, temporal: 0 });
    // A frame drawn at the session size, so no resizing is involved.
    const canvas = new OffscreenCanvas(96, 64);
    const ctx = canvas.getContext('2d');
    const g = ctx.createLinearGradient(0, 0, 96, 64);
    g.addColorStop(0, '#2a6'); g.addColorStop(1, '#c52');
    ctx.fillStyle = g;
    ctx.fillRect(0, 0, 96, 64);
    ctx.fillStyle = '#ffd';
    ctx.beginPath(); ctx.arc(40, 30, 14, 0, 7); ctx.fill();
    const image = ctx.getImageData(0, 0, 96, 64);
    const same = (a, b) => a.width === b.width && a.height === b.height && a.data.every((v, i) => v === b.data[i]);
    const fromData = live.stylize(image);
    const bitmap = await createImageBitmap(canvas);
    const video = new VideoFrame(canvas, { timestamp: 0 });
    const results = {
      size: [fromData.width, fromData.height],
      canvas: same(live.stylize(canvas), fromData),
      bitmap: same(live.stylize(bitmap), fromData),
      videoFrame: same(live.stylize(video), fromData),
      changed: !fromData.data.every((v, i) => v === image.data[i]),
      bigger: [live.stylize(new OffscreenCanvas(300, 150)).width],
    };
    video.close();
    live.dispose();
    model.dispose();
    ist.dispose();
    return results;
  });
  assert.deepEqual(r.size, [96, 64]);
  assert.equal(r.changed, true, 'the style changed the frame');
  assert.equal(r.canvas, true, 'OffscreenCanvas');
  assert.equal(r.bitmap, true, 'ImageBitmap');
  assert.equal(r.videoFrame, true, 'VideoFrame');
  assert.deepEqual(r.bigger, [96], 'a larger source is drawn at the session size');
});
