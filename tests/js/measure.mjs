// Package figures for the README and issue notes (not a test): the .wasm sizes, init() time in
// a fresh Node process, and what a fresh output array costs against reusing one (why ops take
// `out`). Instance norm's own throughput, through the API and in the heap, is `npm run bench`'s.
// Run: node tests/js/measure.mjs
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

const median = (a) => a.slice().sort((p, q) => p - q)[a.length >> 1];
const min = (a) => Math.min(...a);

function coldInit(threads) {
  const script = `const t=performance.now();const {init}=await import(${JSON.stringify(new URL('../../js/index.node.js', import.meta.url).href)});` +
    `const ist=await init({threads:${threads}});const ms=performance.now()-t;ist.dispose();process.stdout.write(String(ms));`;
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

for (const f of ['instyle-simd-web.wasm', 'instyle-simd-threads-web.wasm']) {
  console.log(`${f}: ${(statSync(new URL(`../../dist/${f}`, import.meta.url)).size / 1024).toFixed(1)} KiB`);
}
for (const threads of [1, 2]) {
  const times = Array.from({ length: 5 }, () => coldInit(threads));
  console.log(`init({ threads: ${threads} }) in a fresh process (import + compile + pool): median ${median(times).toFixed(1)} ms of ${times.map((t) => t.toFixed(0)).join(', ')}`);
}

const shape = [1, 64, 256, 256];
const n = shape.reduce((a, b) => a * b);
const bytes = n * 4;
const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
const target = new Float32Array(n);
const copy = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  target.set(x);
  copy.push(performance.now() - t);
}
// Best and median of 30: on a shared 2-core machine the median includes other processes' time.
const rate = (ms) => `${ms.toFixed(2)} ms = ${((2 * bytes) / ms / 1e6).toFixed(1)} GB/s`;
console.log(`Float32Array.set of ${bytes / 2 ** 20} MiB (read + write): best ${rate(min(copy))}, median ${rate(median(copy))}`);
const fresh = [];
for (let i = 0; i < 30; i++) {
  const t = performance.now();
  x.slice();
  fresh.push(performance.now() - t);
}
console.log(`x.slice() (a fresh array: allocation and page faults + copy): best ${rate(min(fresh))}, median ${rate(median(fresh))}`);
