// runtime.js: the one JavaScript file that knows Emscripten's module object. Everything in js/
// reaches the engine through a Runtime: the heap (its memory, malloc and free behind one
// guarded limit), the pool threads, and the Embind functions and classes of bindings/*.cpp
// (`runtime.api`). Loading a module with Emscripten 3.1.6's options is here too.
//
//   const runtime = await loadRuntime(create, { wasmBinary });       // or { wasmUrl, ... }
//   const ptr = runtime.malloc(bytes);                                 // 0 when it cannot
//   runtime.bytes().set(data, ptr);
//   runtime.api.someBinding(ptr, bytes);
//   runtime.free(ptr);
//   runtime.dispose();

// wasm32 addresses 4 GiB and malloc takes a 32-bit size: larger requests stop here.
const MAX_HEAP_BYTES = 2 ** 32;
// Requests above 2 GiB that would take the heap within this much of 4 GiB are refused here:
// Emscripten 3.1.6's pthreads build hands out a block it cannot back for such sizes (a trap
// instead of a null pointer). Below 2 GiB the allocator's arithmetic cannot wrap.
const HEAP_HEADROOM = 16 * 2 ** 20;

function findMemory(module) {
  if (module.wasmMemory instanceof WebAssembly.Memory) return module.wasmMemory;
  // Single-threaded builds export their memory under a minified name.
  const memory = Object.values(module.asm ?? {}).find((v) => v instanceof WebAssembly.Memory);
  if (!memory) throw new Error('instyle: the engine exports no WebAssembly.Memory');
  return memory;
}

export class Runtime {
  #module;
  #memory;

  /** @param {object} module an initialized Emscripten module (dist/instyle-*.mjs) */
  constructor(module) {
    this.#module = module;
    this.#memory = findMemory(module);
  }

  /** The Embind functions and classes (bindings/instyle.cpp, bindings/model_bindings.cpp). */
  get api() {
    return this.#module;
  }

  /** The heap's bytes now; a view must be made again after anything that may grow the heap. */
  get buffer() {
    return this.#memory.buffer;
  }

  bytes() {
    return new Uint8Array(this.#memory.buffer);
  }

  floats() {
    return new Float32Array(this.#memory.buffer);
  }

  /**
   * A block of `bytes` in the heap, or 0 when it cannot be had: past 4 GiB, past what the
   * heap can still grow to, or when malloc fails (the build returns 0 rather than aborting).
   */
  malloc(bytes) {
    if (!(bytes > 0) || bytes >= MAX_HEAP_BYTES) return 0;
    if (bytes > 2 ** 31 && bytes + this.#memory.buffer.byteLength + HEAP_HEADROOM > MAX_HEAP_BYTES) return 0;
    return this.#module._malloc(bytes) >>> 0;
  }

  free(ptr) {
    if (ptr) this.#module._free(ptr);
  }

  /** Node: idle pool threads (blocked in Atomics.wait) must not keep the process alive. */
  unrefThreads() {
    const pool = this.#module.PThread;
    if (pool) for (const w of [...pool.unusedWorkers, ...pool.runningWorkers]) w.unref?.();
  }

  /** Joins and ends the pool's threads; the runtime is unusable afterwards. */
  dispose() {
    const m = this.#module;
    if (!m) return;
    this.#module = null;
    this.#memory = null;
    m.setNumThreads(1); // joins the pool's threads before their workers go
    m.PThread?.terminateAllThreads();
  }
}

/**
 * Instantiates an engine variant.
 * @param {(options: object) => Promise<object>} create the loader's default export
 * @param {{ wasmBinary?: Uint8Array, wasmUrl?: string, scriptUrl?: string, workerUrl?: string,
 *           threads?: number }} options
 *   wasmBinary or wasmUrl: the module; scriptUrl and workerUrl: the pthreads build's loader
 *   and worker script; threads: the calling thread plus the pool (1 for the plain build).
 */
export async function loadRuntime(create, options) {
  const { wasmBinary, wasmUrl, scriptUrl, workerUrl, threads = 1 } = options;
  const settings = {};
  if (wasmBinary) settings.wasmBinary = wasmBinary;
  if (threads > 1) {
    // The pool is sized at run time (cmake/wasm.cmake: PTHREAD_POOL_SIZE=Module.instylePoolSize)
    // and fully loaded before the module resolves, so no thread start ever waits.
    settings.instylePoolSize = threads - 1;
    settings.mainScriptUrlOrBlob = scriptUrl;
  }
  settings.locateFile = (name, prefix) => {
    if (name.endsWith('.worker.js') && workerUrl) return workerUrl;
    return wasmUrl ?? prefix + name;
  };
  const module = await create(settings);
  if (threads > 1) module.setNumThreads(threads);
  return new Runtime(module);
}
