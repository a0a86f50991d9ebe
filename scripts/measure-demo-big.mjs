#!/usr/bin/env node
// The demo's studio on a big photo in headless Chromium (Debian's /usr/bin/chromium), at full
// size (tiled past the studio's 256 MB budget): time, the tile progress it showed, and the peak
// RSS of Chromium's processes sampled every 250 ms. Screenshot: screenshots/studio-big.png.
//
//   node scripts/measure-demo-big.mjs photo-4000x3000.jpg
import { execSync } from 'node:child_process';

import { chromium } from 'playwright-core';

import { startServer } from './serve.mjs';

const photo = process.argv[2];
if (!photo) {
  console.error('usage: node scripts/measure-demo-big.mjs <photo.jpg>');
  process.exit(2);
}
const server = await startServer({ port: 0, isolation: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
await page.goto(server.url);
await page.waitForFunction(() => document.querySelector('[data-testid="engine-status"]').dataset.state === 'ready', null, { timeout: 60000 });
let peak = 0, peakRenderer = 0;
const timer = setInterval(() => { // RSS in KiB
  try {
    const out = execSync("ps -C chromium -o rss=,args= | grep -E 'type=renderer' | awk '{print $1}'", { encoding: 'utf8' });
    const vals = out.trim().split('\n').map(Number).filter(Boolean);
    const all = execSync("ps -C chromium -o rss=", { encoding: 'utf8' }).trim().split('\n').map(Number).reduce((a, b) => a + b, 0);
    peak = Math.max(peak, all); peakRenderer = Math.max(peakRenderer, ...vals);
  } catch {}
}, 250);
await page.getByTestId('upload-input').setInputFiles(photo);
// Decoding a big photo takes a moment: stylizing before it is chosen would run the sample.
await page.waitForFunction((name) => document.getElementById('photo-name').textContent === name,
  photo.split('/').pop(), { timeout: 60000 });
await page.getByTestId('max-size').selectOption('0');
await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled, null, { timeout: 60000 });
const t0 = Date.now();
await page.getByTestId('stylize-button').click();
// The status line once it names a tile (or says Done, for a photo small enough to run whole).
await page.waitForFunction(() => /tile \d+ of \d+|^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 120000 });
const during = await page.getByTestId('studio-status').textContent();
await page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 400000 });
console.log(during, '|', await page.getByTestId('studio-status').textContent(), '| wall', (Date.now() - t0) / 1000, 's');
clearInterval(timer);
console.log('peak RSS all chromium processes', (peak / 1024).toFixed(0), 'MiB; largest renderer', (peakRenderer / 1024).toFixed(0), 'MiB');
await page.getByTestId('studio-status').scrollIntoViewIfNeeded();
await page.screenshot({ path: new URL('../screenshots/studio-big.png', import.meta.url).pathname });
await browser.close(); await server.close();
