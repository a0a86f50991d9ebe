#!/usr/bin/env node
// `npm run profile -- [MODEL.onnx] [--size 256x256] [--threads 1] [--runs 20]`: where a style
// network's time goes in the WebAssembly build, step by step (src/model/profile.h: median ms,
// share and GFLOP/s per step and per kind of step). Without a model, the first built-in style.
// The native tool ./build/instyle_profile prints the same table for the native build.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { loadNodeRuntime } from '../js/index.node.js';
import { STYLES } from '../js/styles.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    size: { type: 'string', default: '256x256' },
    threads: { type: 'string', default: '1' },
    runs: { type: 'string', default: '20' },
  },
});
const file = positionals[0] ?? new URL(`../styles/${STYLES[0].file}`, import.meta.url);
const [width, height] = values.size.split('x').map(Number);
const threads = Number(values.threads), runs = Number(values.runs);
if (!(width >= 8 && height >= 8) || !(threads >= 1) || !(runs >= 1)) {
  console.error('usage: npm run profile -- [MODEL.onnx] [--size WxH] [--threads N] [--runs N]');
  process.exit(2);
}

const runtime = await loadNodeRuntime(threads);
const bytes = readFileSync(file);
const model = new runtime.api.Model();
const held = [];
const alloc = (n) => {
  const ptr = runtime.malloc(n);
  if (!ptr) throw new Error(`could not allocate ${n} bytes`);
  held.push(ptr);
  return ptr;
};
try {
  const src = alloc(bytes.length);
  runtime.bytes().set(bytes, src);
  let st = model.load(src, bytes.length);
  if (st.code !== 'OK') throw new Error(`${file}: ${st.message}`);
  // A picture in 0..255; the time does not depend on what it shows.
  const n = 3 * width * height;
  const input = alloc(4 * n);
  const floats = new Float32Array(runtime.buffer, input, n);
  for (let i = 0; i < n; i++) floats[i] = (i * 7919) % 256;
  st = model.profile(input, [1, 3, height, width], runs);
  if (st.code !== 'OK') throw new Error(`${file}: ${st.message}`);
  console.log(`${file} at ${width}x${height}, WebAssembly SIMD, ${threads} thread${threads > 1 ? 's' : ''}, median of ${runs} runs: ${st.text}`);
} finally {
  for (const ptr of held) runtime.free(ptr);
  model.delete();
  runtime.dispose();
}
