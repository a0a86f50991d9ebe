#!/usr/bin/env node
// Runs an ONNX model through the WASM engine at one size and prints what it cost: time,
// the plan's own accounting (model.info()), the WebAssembly heap and the process's peak RSS.
//
//   node scripts/measure-model.mjs build/test-models/transformer.opset13.onnx [1024] [threads]
import { readFile } from 'node:fs/promises';

import { init } from '../js/index.node.js';

const [file, sizeArg = '1024', threadsArg = '1'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/measure-model.mjs <model.onnx> [size] [threads]');
  process.exit(2);
}
const size = Number(sizeArg);
const mib = (b) => `${(b / 2 ** 20).toFixed(1)} MiB`;

const ist = await init({ threads: Number(threadsArg) });
const model = await ist.loadModel(await readFile(file));
const info = model.info({ width: size, height: size });
const image = { data: new Uint8ClampedArray(size * size * 4).fill(128), width: size, height: size };
const t0 = performance.now();
await model.stylize(image);
const ms = performance.now() - t0;
const heap = ist.memoryUsage().heapBytes;
console.log(`${file} at ${size}x${size}, ${ist.threads} thread(s), ${ist.variant}:`);
console.log(`  stylize: ${(ms / 1000).toFixed(2)} s (${(info.flops / ms / 1e6).toFixed(1)} GFLOP/s over ${(info.flops / 1e9).toFixed(1)} GFLOP)`);
console.log(`  plan: arena ${mib(info.arenaBytes)}, workspace ${mib(info.workspaceBytes)}, io ${mib(info.ioBytes)}, weights ${mib(info.weightBytes)}: peak ${mib(info.peakBytes)}`);
console.log(`  measured: WebAssembly heap ${mib(heap)}, process peak RSS ${mib(process.resourceUsage().maxRSS * 1024)}`);
model.dispose();
ist.dispose();
