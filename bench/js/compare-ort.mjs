#!/usr/bin/env node
// `npm run bench`: instyle against onnxruntime-web (its WASM SIMD backend) on the same ONNX file,
// the pytorch/examples TransformerNet that scripts/make_test_models.py builds, at 256x256 and
// 512x512 with 1 and 2 threads. Each (engine, threads) pair runs in its own Node process so that
// thread pools and peak RSS do not mix; the parent prints one table with the ratios, then
// instance norm's throughput through the JS API beside a copy of the same bytes, then the live
// lines: model.live() frames per second at 256 and 384 beside ORT on the same style file, and
// the arbitrary-style line: ist.loadArbitraryStyle() at 512x512 beside ORT on the same graph.
//
// --browser runs the same comparison in headless Chromium (Debian's /usr/bin/chromium, or
// $CHROMIUM, driven by playwright-core) on a cross-origin-isolated page served by
// scripts/serve.mjs, each (engine, threads) pair in its own module Web Worker
// (browser-worker.mjs). --native prints the native kernels instead (build/instyle_bench,
// Google Benchmark), if that binary has been built. The measurements shared by the Node and
// the browser modes are in common.mjs.
//
//   npm run bench                       # the table, in Node
//   npm run bench -- --runs 3 --sizes 256
//   npm run bench -- --browser          # the same table, in Chromium
//   npm run bench -- --native           # instance norm and conv kernels, native
//   node bench/js/compare-ort.mjs --child instyle --threads 1 ...   (internal)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { loadRuntime } from '../../bindings/runtime.js';
import { STYLES } from '../../js/styles.js';
import { testModel } from '../../scripts/test-models.mjs';
import {
  ARBITRARY_SIZE, benchArbitrary, benchInstyle, benchLive, benchOrt, benchOrtArbitrary, benchOrtLive, LIVE_FRAMES, NORM_RUNS,
  NORM_SHAPE, normThroughput, relativeDiff, timeRuns,
} from './common.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MODEL_NAME = 'transformer.opset13.onnx';
const NATIVE_BENCH = join(ROOT, 'build/instyle_bench');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// As tests/browser/demo.test.mjs launches it.
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic',
];
const THREADS = [1, 2];
// model.live() at these sizes (square frames), with the first built-in style made for video
// (network 'live'), or else the default style.
const LIVE_SIZES = [256, 384];
const LIVE_STYLE = STYLES.find((s) => s.network === 'live') ?? STYLES[0];
const liveStyle = () => join(ROOT, 'styles', LIVE_STYLE.file);
const ARBITRARY = join(ROOT, 'styles/arbitrary.onnx');

const { values: opt } = parseArgs({
  options: {
    child: { type: 'string' },
    threads: { type: 'string', default: '1' },
    sizes: { type: 'string', default: '256,512' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string' },
    browser: { type: 'boolean', default: false },
    native: { type: 'boolean', default: false },
  },
});
const sizes = opt.sizes.split(',').map(Number);
const runs = Number(opt.runs);

async function child(engine, threads) {
  const bytes = readFileSync(testModel(MODEL_NAME));
  const keep = (size, y) => writeFileSync(`${opt.out}.${size}.bin`, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  const result = {};
  if (engine === 'instyle') {
    const { init } = await import('../../js/index.node.js');
    const ist = await init({ threads });
    result.rows = await benchInstyle(ist, bytes, { sizes, runs }, keep);
    // Peak RSS of the network alone: taken before the instance norm figures add their buffers.
    result.rssBytes = process.resourceUsage().maxRSS * 1024;
    result.norm = await normThroughput(ist);
    result.live = await benchLive(ist, readFileSync(liveStyle()), { sizes: LIVE_SIZES });
    result.arbitrary = await benchArbitrary(ist, readFileSync(ARBITRARY), { runs });
    ist.dispose();
  } else {
    const ort = await import('onnxruntime-web');
    result.rows = await benchOrt(ort, bytes, { threads, sizes, runs }, keep);
    result.rssBytes = process.resourceUsage().maxRSS * 1024;
    result.live = await benchOrtLive(ort, readFileSync(liveStyle()), { threads, sizes: LIVE_SIZES });
    result.arbitrary = await benchOrtArbitrary(ort, readFileSync(ARBITRARY), { threads, runs });
  }
  process.stdout.write(JSON.stringify(result));
}


// The table both modes print; only the last column differs: peak RSS of each Node process, or
// ORT's WASM heap in Chromium (where a worker's RSS cannot be seen).
const mib = (b) => (b == null ? 'n/a' : (b / 2 ** 20).toFixed(0));

function printHeader(where, lastColumn) {
  console.log(`TransformerNet (${testModel(MODEL_NAME).slice(ROOT.length)}), ${runs} timed runs after a warm-up, ${where}`);
  console.log('| size | threads | instyle min / median ms | ORT-web min / median ms | instyle GFLOP/s | speed ratio ' +
    `instyle/ORT (min) | max abs diff / max abs ref | instyle wasm heap MiB | ${lastColumn} |`);
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
}

// a, b: the instyle and ORT rows of one size; diff: relativeDiff of their outputs.
function printRow(threads, a, b, diff, last) {
  console.log(`| ${a.size}x${a.size} | ${threads} | ${a.min.toFixed(0)} / ${a.median.toFixed(0)} | ` +
    `${b.min.toFixed(0)} / ${b.median.toFixed(0)} | ${(a.flops / a.min / 1e6).toFixed(1)} | ` +
    `${(b.min / a.min).toFixed(2)}x | ${diff.toExponential(1)} | ${mib(a.heap)} | ${last} |`);
}

// The instance norm lines under the table, one per thread count: [[threads, norm], ...].
function printNorm(norms) {
  console.log(`\ninstance norm [${NORM_SHAPE}] through the JS API, in place ({ out: x }, copies into and out of ` +
    `the WASM heap included), 2 * 4 * N bytes per call, min of ${NORM_RUNS} runs after a warm-up:`);
  for (const [threads, { normGBs, copyGBs }] of norms) {
    console.log(`  ${threads} thread(s): instanceNorm ${normGBs.toFixed(1)} GB/s, Float32Array.set of the same ` +
      `bytes ${copyGBs.toFixed(1)} GB/s, IN/memcpy ${(normGBs / copyGBs).toFixed(2)}`);
  }
}

// The live lines: frames per second of model.live() beside ORT on the same file.
function printLive(lives) {
  console.log(`\nmodel.live() with the built-in style '${LIVE_STYLE.name}' (${LIVE_STYLE.network} network, ` +
    `styles/${LIVE_STYLE.file}), RGBA frames in and out, median of ${LIVE_FRAMES} frames; ORT-web: session.run on ` +
    'the same file with a planar float tensor (its RGBA conversions not counted):');
  console.log('| frame | threads | instyle fps | ORT-web fps | ratio |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const [threads, a, b] of lives) {
    a.forEach((r, i) => console.log(`| ${r.size} | ${threads} | ${r.fps.toFixed(1)} | ${b[i].fps.toFixed(1)} | ${(r.fps / b[i].fps).toFixed(2)}x |`));
  }
}

// The arbitrary-style lines: [[threads, instyle, ort], ...].
function printArbitrary(rows) {
  console.log(`\nAny image as the style: ist.loadArbitraryStyle() (styles/arbitrary.onnx), a ${ARBITRARY_SIZE}x${ARBITRARY_SIZE} ` +
    `RGBA photo with a style code computed once (its time apart), min / median of ${runs} runs, by WCT (the default) and ` +
    'AdaIN; ORT-web: session.run on the same graph (a float tensor, its instance norm with the file\'s unit scale: ' +
    'AdaIN\'s work):');
  console.log('| size | threads | instyle WCT ms | instyle AdaIN ms | styleCode ms | ORT-web ms | instyle GFLOP/s (AdaIN) | ratio WCT / AdaIN (min) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [threads, a, b] of rows) {
    console.log(`| ${a.size}x${a.size} | ${threads} | ${a.min.toFixed(0)} / ${a.median.toFixed(0)} | ` +
      `${a.adain.min.toFixed(0)} / ${a.adain.median.toFixed(0)} | ${a.codeMs.toFixed(0)} | ` +
      `${b.min.toFixed(0)} / ${b.median.toFixed(0)} | ${(a.flops / a.adain.min / 1e6).toFixed(1)} | ` +
      `${(b.min / a.min).toFixed(2)}x / ${(b.min / a.adain.min).toFixed(2)}x |`);
  }
}

// Instance norm as a model runner calls it: the tensor already in the WASM heap, in place, no
// copies (the single-threaded engine, loaded directly; the same call the JS API makes), beside
// a copy of the same bytes within the heap (TypedArray.copyWithin, a memmove in V8).
async function normInHeap() {
  const { default: create } = await import('../../dist/instyle-simd-node.mjs');
  const runtime = await loadRuntime(create, { wasmBinary: readFileSync(new URL('../../dist/instyle-simd-web.wasm', import.meta.url)) });
  const n = NORM_SHAPE.reduce((a, b) => a * b);
  const ptr = runtime.malloc(8 * n);
  const heap = new Float32Array(runtime.buffer, ptr, 2 * n);
  for (let i = 0; i < n; i++) heap[i] = Math.sin(i);
  const buf = { ptr, size: n };
  const none = { ptr: 0, size: 0 };
  const norm = await timeRuns(() => {
    const st = runtime.api.instanceNorm(buf, buf, NORM_SHAPE, none, none, 1e-5, false);
    if (st.code !== 'OK') throw new Error(st.message);
  }, NORM_RUNS);
  const copy = await timeRuns(() => { heap.copyWithin(n, 0, n); }, NORM_RUNS);
  runtime.free(ptr);
  runtime.dispose();
  const gbs = (ms) => (2 * 4 * n) / ms / 1e6;
  console.log(`  in the heap, 1 thread, no copies: instanceNorm ${gbs(norm.min).toFixed(1)} GB/s, copyWithin of the ` +
    `same bytes ${gbs(copy.min).toFixed(1)} GB/s, IN/memcpy ${(norm.min ? copy.min / norm.min : 0).toFixed(2)}`);
}

async function nodeParent() {
  const dir = mkdtempSync(join(tmpdir(), 'instyle-bench-'));
  printHeader(`Node ${process.version}`, 'RSS MiB instyle / ORT');
  const norms = [], lives = [], arbitrary = [];
  for (const threads of THREADS) {
    const result = {};
    for (const engine of ['instyle', 'ort']) {
      const out = join(dir, `${engine}-${threads}`);
      const text = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', engine,
        '--threads', String(threads), '--sizes', opt.sizes, '--runs', opt.runs, '--out', out],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 20 });
      result[engine] = { ...JSON.parse(text), out };
    }
    result.instyle.rows.forEach((a, i) => {
      const b = result.ort.rows[i];
      const ya = new Float32Array(readFileSync(`${result.instyle.out}.${a.size}.bin`).buffer.slice(0));
      const yb = new Float32Array(readFileSync(`${result.ort.out}.${a.size}.bin`).buffer.slice(0));
      printRow(threads, a, b, relativeDiff(ya, yb), `${mib(result.instyle.rssBytes)} / ${mib(result.ort.rssBytes)}`);
    });
    norms.push([threads, result.instyle.norm]);
    lives.push([threads, result.instyle.live, result.ort.live]);
    arbitrary.push([threads, result.instyle.arbitrary, result.ort.arbitrary]);
  }
  printNorm(norms);
  printLive(lives);
  printArbitrary(arbitrary);
  await printFlicker();
  await normInHeap();
}

// Flicker (bench/js/flicker.mjs) of the live style and, for comparison, the default style.
async function printFlicker() {
  const { FLICKER, measureFlicker, panFrames } = await import('./flicker.mjs');
  const { init } = await import('../../js/index.node.js');
  const ist = await init({ threads: 1 });
  const frames = panFrames();
  console.log(`\nFlicker (bench/js/flicker.mjs): ${FLICKER.frames} frames of ${FLICKER.width}x${FLICKER.height} panning ` +
    `${FLICKER.pan} px per frame with noise of sigma ${FLICKER.sigma}, mean |change| per byte between consecutive ` +
    'frames aligned by the pan:');
  console.log('| style | network | temporal | camera frames | stylized | ratio |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const style of new Set([LIVE_STYLE, STYLES[0]])) {
    const model = await ist.loadStyle(style.name);
    for (const temporal of [undefined, 0]) {
      const r = measureFlicker(model, { temporal }, frames);
      console.log(`| ${style.name} | ${style.network} | ${temporal ?? 'default'} | ${r.input.toFixed(2)} | ` +
        `${r.output.toFixed(2)} | ${(r.output / r.input).toFixed(2)}x |`);
    }
    model.dispose();
  }
  ist.dispose();
}

// In the page (this function's source is sent there): one module Worker per engine, started
// after the previous one ended, then the difference between the outputs, so that only numbers
// come back to Node.
async function comparePairInPage({ threads, sizes, runs, liveFile, liveSizes, arbitraryFile }) {
  const { relativeDiff } = await import('/bench/js/common.mjs');
  const run = (engine) => new Promise((resolve, reject) => {
    const worker = new Worker('/bench/js/browser-worker.mjs', { type: 'module' });
    worker.onmessage = ({ data }) => {
      worker.terminate();
      if (data.error) reject(new Error(data.error));
      else resolve(data);
    };
    worker.onerror = (e) => {
      worker.terminate();
      reject(new Error(`${engine} worker: ${e.message || 'failed to load'}`));
    };
    worker.postMessage({ engine, threads, sizes, runs, liveFile, liveSizes, arbitraryFile });
  });
  const instyle = await run('instyle');
  const ort = await run('ort');
  const diffs = instyle.rows.map(({ size }) => relativeDiff(instyle.outputs[size], ort.outputs[size]));
  return {
    instyle: instyle.rows, ort: ort.rows, diffs, norm: instyle.norm, live: [instyle.live, ort.live],
    arbitrary: [instyle.arbitrary, ort.arbitrary], isolated: crossOriginIsolated,
  };
}

// The demo's invariance lab (web/): updates per second at its default 512x512, as its own
// "Speed test" button measures them (3 s of updates back to back), three times.
async function labRate(browser, server) {
  const page = await browser.newPage();
  try {
    await page.goto(`${server.origin}/web/`);
    await page.waitForFunction(() => document.querySelector('[data-testid="panel-in"]')?.dataset.a === '1', null, { timeout: 60_000 });
    const threads = await page.getByTestId('engine-status').getAttribute('data-threads');
    const rates = [];
    for (let k = 0; k < 3; k++) {
      await page.getByTestId('bench-button').click();
      await page.waitForFunction(() => document.querySelector('[data-testid="fps"]').dataset.bench, null, { timeout: 30_000 });
      rates.push(Number(await page.getByTestId('fps').evaluate((el) => {
        const rate = el.dataset.bench;
        delete el.dataset.bench;
        return rate;
      })));
    }
    console.log(`\nThe demo's invariance lab at 512x512 (${threads} threads, its Speed test button): ` +
      `${rates.map((r) => r.toFixed(1)).join(', ')} updates/s`);
  } finally {
    await page.close();
  }
}

async function browserParent() {
  const { chromium } = await import('playwright-core');
  const { startServer } = await import('../../scripts/serve.mjs');
  const server = await startServer({ port: 0, isolation: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    // The engines' warnings and errors, which would otherwise stay in the page.
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`[chromium] ${m.text()}`); });
    page.on('pageerror', (e) => console.error(`[chromium] ${e.message}`));
    await page.goto(`${server.origin}/bench/js/browser.html`);
    printHeader(`headless Chromium ${browser.version()}, each engine in its own module Web Worker`,
      'ORT wasm heap MiB');
    const norms = [], lives = [], arbitrary = [];
    for (const threads of THREADS) {
      const r = await page.evaluate(comparePairInPage, {
        threads, sizes, runs, liveFile: `/styles/${LIVE_STYLE.file}`, liveSizes: LIVE_SIZES, arbitraryFile: '/styles/arbitrary.onnx',
      });
      if (!r.isolated) throw new Error('the bench page is not cross-origin isolated: no WASM threads');
      r.instyle.forEach((a, i) => printRow(threads, a, r.ort[i], r.diffs[i], mib(r.ort[i].heap)));
      norms.push([threads, r.norm]);
      lives.push([threads, ...r.live]);
      arbitrary.push([threads, ...r.arbitrary]);
    }
    printNorm(norms);
    printLive(lives);
    printArbitrary(arbitrary);
    await labRate(browser, server);
  } finally {
    await browser.close();
    await server.close();
  }
}

// The native kernels behind the table (bench/norm_bench.cpp, bench/conv_bench.cpp): memcpy,
// instance norm and the TransformerNet's convolutions, one thread, as last built.
const MS_PER = { ns: 1e-6, us: 1e-3, ms: 1, s: 1e3 };

function nativeBench() {
  if (!existsSync(NATIVE_BENCH)) {
    console.log(`${NATIVE_BENCH.slice(ROOT.length)} not found: build it with scripts/build.sh native; skipping --native`);
    return;
  }
  const built = statSync(NATIVE_BENCH).mtime.toISOString().slice(0, 16).replace('T', ' ');
  const json = execFileSync(NATIVE_BENCH, ['--benchmark_format=json',
    '--benchmark_filter=^BM_(Memcpy/offset:0|InstanceNorm/|InstanceNormInPlace|Conv2d_[0-9D])'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  const { benchmarks } = JSON.parse(json);
  console.log(`native kernels, ${NATIVE_BENCH.slice(ROOT.length)} (built ${built} UTC), one thread`);
  console.log('| kernel | ms | figure |');
  console.log('| --- | --- | --- |');
  for (const b of benchmarks) {
    // Rates come already divided by the time: bytes/s, and the conv benchmarks' GFLOP/s counter.
    const figure = b.bytes_per_second ? `${(b.bytes_per_second / 1e9).toFixed(1)} GB/s` : `${b['GFLOP/s'].toFixed(1)} GFLOP/s`;
    console.log(`| ${b.name.replace(/^BM_/, '')} | ${(b.real_time * MS_PER[b.time_unit]).toFixed(2)} | ${figure} |`);
  }
  const rate = (name) => benchmarks.find((b) => b.name === name)?.bytes_per_second;
  const norm = rate('BM_InstanceNorm/relu:0/offset:0'), copy = rate('BM_Memcpy/offset:0');
  if (norm && copy) console.log(`IN/memcpy ${(norm / copy).toFixed(2)}`);
}

if (opt.child) await child(opt.child, Number(opt.threads));
else {
  if (opt.browser) await browserParent();
  if (opt.native) nativeBench();
  if (!opt.browser && !opt.native) await nodeParent();
}
