#!/usr/bin/env node
// `npm run bench`: instyle against onnxruntime-web (its WASM SIMD backend) on the same ONNX file,
// the pytorch/examples TransformerNet that scripts/make_test_models.py builds, at 256x256 and
// 512x512 with 1 and 2 threads. Each (engine, threads) pair runs in its own Node process so that
// thread pools and peak RSS do not mix; the parent prints one table with the ratios.
//
//   npm run bench                       # the table
//   npm run bench -- --runs 3 --sizes 256
//   node bench/js/compare-ort.mjs --child instyle --threads 1 ...   (internal)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MODEL = join(ROOT, 'build/test-models/transformer.opset13.onnx');

const { values: opt } = parseArgs({
  options: {
    child: { type: 'string' },
    threads: { type: 'string', default: '1' },
    sizes: { type: 'string', default: '256,512' },
    runs: { type: 'string', default: '5' },
    out: { type: 'string' },
  },
});
const sizes = opt.sizes.split(',').map(Number);
const runs = Number(opt.runs);

// The same seeded input for both engines: a smooth image with texture, values 0..255.
function input(size) {
  const x = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < size * size; i++) {
      const u = (i % size) / size, v = Math.floor(i / size) / size;
      x[c * size * size + i] = 127.5 + 120 * Math.sin(6.3 * (u * (c + 1) + v * 0.7) + 17 * u * v);
    }
  }
  return x;
}

async function timeRuns(fn) {
  await fn(); // warm-up: compilation, planning, first-touch of memory
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0], median: ms[ms.length >> 1] };
}

async function child(engine, threads) {
  const bytes = readFileSync(MODEL);
  const rows = [];
  if (engine === 'instyle') {
    const { init } = await import('../../js/index.node.js');
    const ist = await init({ threads });
    const model = await ist.loadModel(bytes);
    for (const size of sizes) {
      const x = input(size);
      let y;
      const t = await timeRuns(() => { y = model.run(x, [1, 3, size, size]).data; });
      const flops = model.info({ width: size, height: size }).flops;
      writeFileSync(`${opt.out}.${size}.bin`, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      rows.push({ size, ...t, flops, heap: ist.memoryUsage().heapBytes });
    }
    model.dispose();
    ist.dispose();
  } else {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const name = session.inputNames[0];
    for (const size of sizes) {
      const x = input(size);
      let y;
      const t = await timeRuns(async () => {
        const result = await session.run({ [name]: new ort.Tensor('float32', x, [1, 3, size, size]) });
        y = result[session.outputNames[0]].data;
      });
      writeFileSync(`${opt.out}.${size}.bin`, Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      rows.push({ size, ...t, heap: null });
    }
    await session.release();
  }
  const rssBytes = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ rows, rssBytes }));
}

function parent() {
  if (!existsSync(MODEL)) {
    console.log('making the test models (scripts/make_test_models.py) ...');
    execFileSync('/usr/bin/python3', [join(ROOT, 'scripts/make_test_models.py'), join(ROOT, 'build/test-models')],
      { stdio: 'inherit' });
  }
  const dir = mkdtempSync(join(tmpdir(), 'instyle-bench-'));
  const mib = (b) => (b / 2 ** 20).toFixed(0);
  console.log(`TransformerNet (${MODEL.slice(ROOT.length)}), ${runs} timed runs after a warm-up, Node ${process.version}`);
  console.log('| size | threads | instyle min / median ms | ORT-web min / median ms | instyle GFLOP/s | speed ratio instyle/ORT (min) | max abs diff / max abs ref | instyle wasm heap MiB | RSS MiB instyle / ORT |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const threads of [1, 2]) {
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
      let diff = 0, ref = 0;
      for (let k = 0; k < yb.length; k++) {
        diff = Math.max(diff, Math.abs(ya[k] - yb[k]));
        ref = Math.max(ref, Math.abs(yb[k]));
      }
      console.log(`| ${a.size}x${a.size} | ${threads} | ${a.min.toFixed(0)} / ${a.median.toFixed(0)} | ` +
        `${b.min.toFixed(0)} / ${b.median.toFixed(0)} | ${(a.flops / a.min / 1e6).toFixed(1)} | ` +
        `${(b.min / a.min).toFixed(2)}x | ${(diff / ref).toExponential(1)} | ${mib(a.heap)} | ` +
        `${mib(result.instyle.rssBytes)} / ${mib(result.ort.rssBytes)} |`);
    });
  }
}

if (opt.child) await child(opt.child, Number(opt.threads));
else parent();
