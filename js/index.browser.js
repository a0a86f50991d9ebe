// instyle for browsers and bundlers (Vite, webpack, esbuild, plain <script type="module">).
//
//   import { init } from 'instyle';
//   const ist = await init();           // in a Worker of a cross-origin-isolated page: threads
//   const y = ist.instanceNorm(x, [1, 3, 256, 256]);
//
// Every engine file is found with `new URL('../dist/...', import.meta.url)`, the pattern
// bundlers copy as an asset without configuration. The Emscripten loaders are imported from
// those URLs at run time, not bundled: the pthread workers import the same file again.
//
// Threads ('auto'): only inside a Worker of a cross-origin-isolated page. On the main thread
// 'auto' stays single-threaded because a threaded call makes the main thread wait for its
// workers, and the main thread cannot sleep (Atomics.wait is forbidden there): it spins, the
// page freezes for the whole call, and a call that needs a worker not yet started would never
// finish. Run instyle in a Worker to get threads without freezing the page; an explicit
// `threads: n` on the main thread is honoured with a console warning.
import { loadRuntime } from '../bindings/runtime.js';
import { Instyle } from './core.js';
import { InstyleError } from './errors.js';

export { Instyle } from './core.js';
export { InstyleError } from './errors.js';
export { VERSION as version } from './version.js';

const MAX_AUTO_THREADS = 8;

function environment() {
  const inWorker = typeof WorkerGlobalScope !== 'undefined' && globalThis instanceof WorkerGlobalScope;
  const isolated = globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === 'function';
  const cores = globalThis.navigator?.hardwareConcurrency || 1;
  return { inWorker, isolated, cores };
}

function resolveThreads(threads, env) {
  if (threads === undefined || threads === 'auto') {
    if (!env.isolated || !env.inWorker) return 1;
    return Math.max(1, Math.min(env.cores, MAX_AUTO_THREADS));
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InstyleError('INVALID_ARGUMENT', `init: threads must be 'auto' or an integer in [1, 64], got ${threads}`);
  }
  if (threads > 1 && !env.isolated) {
    console.warn(
      `instyle: threads: ${threads} needs a cross-origin-isolated page (COOP: same-origin, ` +
        'COEP: require-corp) for SharedArrayBuffer; running single-threaded.',
    );
    return 1;
  }
  if (threads > 1 && !env.inWorker) {
    console.warn(
      `instyle: running ${threads} threads on the main thread: it busy-waits during every call and ` +
        'the page freezes until the call ends. Run instyle in a Web Worker instead.',
    );
  }
  return threads;
}

// The pthread worker script is tiny, so bundlers may inline it as a data: URL, from which a
// worker would get an opaque origin and could not import the engine. A same-origin blob: URL
// made from its text works wherever it ends up.
async function workerBlobUrl(url) {
  const response = await fetch(url);
  if (!response.ok) throw new InstyleError('UNAVAILABLE', `init: could not load ${url} (${response.status})`);
  const blob = new Blob([await response.text()], { type: 'text/javascript' });
  return URL.createObjectURL(blob);
}

// A file of the package (a built-in style) as bytes.
async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Loads the engine. Resolves to an Instyle instance; call dispose() when done with it.
 * @param {{ threads?: number | 'auto' }} [options]
 */
export async function init(options = {}) {
  const threads = resolveThreads(options?.threads, environment());
  let runtime;
  if (threads === 1) {
    const script = new URL('../dist/instyle-simd-web.mjs', import.meta.url).href;
    const wasmUrl = new URL('../dist/instyle-simd-web.wasm', import.meta.url).href;
    const { default: create } = await import(/* @vite-ignore */ /* webpackIgnore: true */ script);
    runtime = await loadRuntime(create, { wasmUrl });
  } else {
    const scriptUrl = new URL('../dist/instyle-simd-threads-web.mjs', import.meta.url).href;
    const wasmUrl = new URL('../dist/instyle-simd-threads-web.wasm', import.meta.url).href;
    const workerScript = new URL('../dist/instyle-simd-threads-web.worker.js', import.meta.url).href;
    const [{ default: create }, workerUrl] = await Promise.all([
      import(/* @vite-ignore */ /* webpackIgnore: true */ scriptUrl),
      workerBlobUrl(workerScript),
    ]);
    // The blob URL stays valid for the page's life: Emscripten starts a new worker from it
    // should a thread ever outlive the pool.
    runtime = await loadRuntime(create, { wasmUrl, scriptUrl, workerUrl, threads });
  }
  return new Instyle(runtime, { variant: threads === 1 ? 'simd' : 'simd-threads', readAsset: fetchBytes });
}
