#!/usr/bin/env node
// The demo's studio on a big photo in headless Chromium (Debian's /usr/bin/chromium), at full
// size (tiled past the studio's 256 MB budget): time, the tile progress it showed, the
// download's PNG, and the resident memory (RSS) of Chromium's renderer process, which holds
// the page and all its workers, stage by stage: at rest after load, after the upload, the
// peak during the run, after it, and after the download. Sampled every 100 ms; "now" is
// taken after things settle for 1.5 s. Screenshot: screenshots/studio-big.png.
//
//   node scripts/measure-demo-big.mjs photo-4000x3000.jpg [--style klimt]   # default: the studio's
//
// Where a figure surprises, performance.measureUserAgentSpecificMemory() (launch Chromium
// with --enable-blink-features=ForceEagerMeasureMemory) splits the JS and WASM memory by
// page and worker.
import { execSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';

import { chromium } from 'playwright-core';
import pngjs from 'pngjs';

import { startServer } from './serve.mjs';

const photo = process.argv[2];
const styleFlag = process.argv.indexOf('--style');
const style = styleFlag > 0 ? process.argv[styleFlag + 1] : null;
if (!photo || (styleFlag > 0 && !style)) {
  console.error('usage: node scripts/measure-demo-big.mjs <photo.jpg> [--style NAME]');
  process.exit(2);
}
const MiB = 2 ** 20;

// The largest renderer's RSS in MiB (the page's; others are extensions or spares).
function rendererMiB() {
  try {
    const out = execSync('ps -C chromium -o rss=,args=', { encoding: 'utf8' });
    const kib = out.split('\n').filter((l) => l.includes('--type=renderer')).map((l) => Number(l.trim().split(/\s+/)[0]));
    return Math.max(0, ...kib) / 1024;
  } catch {
    return 0;
  }
}

let peak = 0;
const sampler = setInterval(() => { peak = Math.max(peak, rendererMiB()); }, 100);
const rows = [];
async function stage(name) {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const now = rendererMiB();
  peak = Math.max(peak, now);
  rows.push({ stage: name, now, peak });
  console.log(`${name.padEnd(26)} now ${now.toFixed(0).padStart(5)} MiB   peak since the last stage ${peak.toFixed(0).padStart(5)} MiB`);
  peak = 0;
}

const server = await startServer({ port: 0, isolation: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
const status = () => page.getByTestId('studio-status').textContent();
await page.goto(server.url);
await page.waitForFunction(() => document.querySelector('[data-testid="engine-status"]').dataset.state === 'ready', null, { timeout: 60000 });
await page.waitForFunction(() => /^Loaded/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 60000 });
await stage('at rest after load');

await page.getByTestId('upload-input').setInputFiles(photo);
// Decoding a big photo takes a moment: stylizing before it is chosen would run the sample.
await page.waitForFunction((name) => document.getElementById('photo-name').textContent === name,
  photo.split('/').pop(), { timeout: 60000 });
if (style) await page.getByTestId('style-select').selectOption(`builtin:${style}`);
await page.getByTestId('max-size').selectOption('0');
await page.waitForFunction(() => !document.querySelector('[data-testid="stylize-button"]').disabled, null, { timeout: 60000 });
await stage('after upload');

const t0 = Date.now();
await page.getByTestId('stylize-button').click();
// The status line once it names a tile (or says Done, for a photo small enough to run whole).
await page.waitForFunction(() => /tile \d+ of \d+|^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 120000 });
const during = await status();
const labNotice = await page.getByTestId('lab-paused').evaluate((el) => (el.hidden ? '(none)' : el.textContent));
await page.waitForFunction(() => /^Done/.test(document.querySelector('[data-testid="studio-status"]').textContent), null, { timeout: 400000 });
const wall = (Date.now() - t0) / 1000;
const done = await status();
await stage('during the run (peak)');
// The lab is back once the run ends: wait for its first frame.
await page.waitForFunction(() => document.querySelector('[data-testid="lab-paused"]').hidden && globalThis.instyleDemo.lab.workerReady(),
  null, { timeout: 60000 });
await stage('after the run');

const [download] = await Promise.all([
  page.waitForEvent('download', { timeout: 120000 }),
  page.getByTestId('download-button').click(),
]);
const saved = `/tmp/instyle-studio-big-${process.pid}.png`;
await download.saveAs(saved);
await stage('after the download');
clearInterval(sampler);

const { width, height } = pngjs.PNG.sync.read(readFileSync(saved));
const { size } = statSync(saved);
console.log(`\n${during} | ${done} | wall ${wall.toFixed(1)} s`);
console.log(`lab while it ran: ${labNotice}`);
console.log(`download: ${download.suggestedFilename()}, ${width} x ${height}, ${(size / MiB).toFixed(1)} MiB (${saved})`);
console.log(`largest renderer RSS over the whole run: ${Math.max(...rows.map((r) => r.peak)).toFixed(0)} MiB`);

await page.getByTestId('studio-status').scrollIntoViewIfNeeded();
mkdirSync(new URL('../screenshots/', import.meta.url), { recursive: true });
await page.screenshot({ path: new URL('../screenshots/studio-big.png', import.meta.url).pathname });
await browser.close();
await server.close();
