// browser-worker.mjs: one engine of `npm run bench -- --browser`, in a module Web Worker of the
// cross-origin-isolated bench page (bench/js/browser.html), the way an app should run either
// engine: threads in a Worker, not on the main thread. compare-ort.mjs starts one worker per
// (engine, threads) pair, so thread pools and heaps do not mix (the Node mode's child processes).
//
//   message in:  { engine: 'instyle' | 'ort', threads, sizes, runs, liveFile, liveSizes, arbitraryFile }
//   message out: { rows, outputs: { [size]: Float32Array }, norm?, live, arbitrary } or { error }
import { benchArbitrary, benchInstyle, benchLive, benchOrt, benchOrtArbitrary, benchOrtLive, normThroughput } from './common.mjs';

const MODEL_URL = '/build/test-models/transformer.opset13.onnx';
const ORT_DIST = '/node_modules/onnxruntime-web/dist/';

// ORT-web keeps its Emscripten module to itself, but creates its heap with `new
// WebAssembly.Memory` in JS (the threaded build, used for any thread count). Seeing every Memory
// made in this worker gives its size; the largest one is the heap (ORT also makes a 0-page one
// to find SharedArrayBuffer). ORT's own pthread workers share that heap, so nothing is missed.
const memories = [];
WebAssembly.Memory = new Proxy(WebAssembly.Memory, {
  construct(target, args, newTarget) {
    const memory = Reflect.construct(target, args, newTarget);
    memories.push(memory);
    return memory;
  },
});
const largestMemory = () => (memories.length ? Math.max(...memories.map((m) => m.buffer.byteLength)) : null);

async function run({ engine, threads, sizes, runs, liveFile, liveSizes, arbitraryFile }) {
  const fetchBytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
  const bytes = await fetchBytes(MODEL_URL);
  const liveBytes = await fetchBytes(liveFile);
  const arbitraryBytes = await fetchBytes(arbitraryFile);
  const outputs = {};
  const keep = (size, y) => { outputs[size] = y; };
  if (engine === 'instyle') {
    const { init } = await import('/js/index.browser.js');
    const ist = await init({ threads });
    const rows = await benchInstyle(ist, bytes, { sizes, runs }, keep);
    const norm = await normThroughput(ist); // after the rows took their heap sizes
    const live = await benchLive(ist, liveBytes, { sizes: liveSizes });
    const arbitrary = await benchArbitrary(ist, arbitraryBytes, { runs });
    ist.dispose();
    return { rows, outputs, norm, live, arbitrary };
  }
  const ort = await import(`${ORT_DIST}ort.wasm.min.mjs`); // the WASM backend alone, as in Node
  ort.env.wasm.wasmPaths = ORT_DIST;
  const rows = await benchOrt(ort, bytes, { threads, sizes, runs, heapBytes: largestMemory }, keep);
  const live = await benchOrtLive(ort, liveBytes, { threads, sizes: liveSizes });
  const arbitrary = await benchOrtArbitrary(ort, arbitraryBytes, { threads, runs });
  return { rows, outputs, live, arbitrary };
}

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await run(data));
  } catch (e) {
    self.postMessage({ error: `${data.engine}, ${data.threads} thread(s): ${e?.stack ?? e}` });
  }
};
