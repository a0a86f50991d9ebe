// instyle for Node: loads the engine from dist/ with the bytes read from disk (Emscripten
// 3.1.6 would try fetch() on a file path, TOOLCHAIN.md #2).
//
//   import { init } from 'instyle';
//   const ist = await init();                  // threads: 'auto' = one per core (at most 8)
//   const y = ist.instanceNorm(x, [1, 3, 256, 256]);
//
// Threads run on worker_threads (the simd-threads build); threads: 1 loads the smaller
// single-threaded build. Pool workers are unref'd, so a script may exit without dispose().
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

import { loadRuntime } from '../bindings/runtime.js';
import { Instyle } from './core.js';
import { InstyleError } from './errors.js';

export { Instyle } from './core.js';
export { InstyleError } from './errors.js';
export { VERSION as version } from './version.js';

const MAX_AUTO_THREADS = 8;

function resolveThreads(threads) {
  if (threads === undefined || threads === 'auto') {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    return Math.max(1, Math.min(cores, MAX_AUTO_THREADS));
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new InstyleError('INVALID_ARGUMENT', `init: threads must be 'auto' or an integer in [1, 64], got ${threads}`);
  }
  return threads;
}

/**
 * Loads the engine. Resolves to an Instyle instance; call dispose() when done with it.
 * @param {{ threads?: number | 'auto' }} [options]
 */
export async function init(options = {}) {
  const threads = resolveThreads(options?.threads);
  const runtime = await loadNodeRuntime(threads);
  return new Instyle(runtime, { variant: threads === 1 ? 'simd' : 'simd-threads', readAsset: (url) => readFile(url) });
}

/**
 * The engine's runtime (bindings/runtime.js) with this many threads: the single-threaded build
 * for 1, the threads build otherwise. For tools that call the bindings directly
 * (scripts/profile.mjs); applications use init().
 * @internal
 */
export async function loadNodeRuntime(threads) {
  if (threads === 1) {
    const [{ default: create }, wasmBinary] = await Promise.all([
      import('../dist/instyle-simd-node.mjs'),
      readFile(new URL('../dist/instyle-simd-web.wasm', import.meta.url)),
    ]);
    return loadRuntime(create, { wasmBinary });
  }
  const [{ default: create }, wasmBinary] = await Promise.all([
    import('../dist/instyle-simd-threads-node.mjs'),
    readFile(new URL('../dist/instyle-simd-threads-web.wasm', import.meta.url)),
  ]);
  const runtime = await loadRuntime(create, {
    wasmBinary,
    threads,
    scriptUrl: new URL('../dist/instyle-simd-threads-node.mjs', import.meta.url).href,
    workerUrl: fileURLToPath(new URL('../dist/instyle-simd-threads-node.worker.cjs', import.meta.url)),
  });
  runtime.unrefThreads();
  return runtime;
}
