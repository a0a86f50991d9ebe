// core.js: the platform-independent half of the API. index.node.js and index.browser.js load
// an engine variant and hand it to `new Instyle(...)`; this file checks what only JS can check
// (types, integer sizes, option names), copies typed arrays into the WASM heap and results out
// into fresh Float32Arrays the caller owns, and turns the engine's Status into InstyleError.
//
// Heap discipline: every call allocates its buffers in the WASM heap (bindings/runtime.js) inside
// one HeapScope and frees them in a finally block, so errors never leak. Heap views are made
// fresh for each copy (the heap may have grown, which replaces its ArrayBuffer) and never
// escape this file.
import { ArbitraryStyle } from './arbitrary.js';
import { InstyleError } from './errors.js';
import { loadModel } from './model.js';
import { STYLES } from './styles.js';
import { VERSION } from './version.js';

const PAD_MODES = Object.freeze({ zeros: 0, reflect: 1, edge: 2 });
const NONE = Object.freeze({ ptr: 0, size: 0 });

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

function formatBytes(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

function invalid(op, message) {
  return new InstyleError('INVALID_ARGUMENT', `${op}: ${message}`);
}

// options.out: a Float32Array of exactly `count` elements that receives the result, or undefined.
function outArray(op, out, count) {
  if (out === undefined) return undefined;
  if (!(out instanceof Float32Array)) throw invalid(op, `out must be a Float32Array, got ${typeName(out)}`);
  if (out.length !== count) {
    throw new InstyleError('SHAPE_MISMATCH', `${op}: out has ${out.length} elements, the result has ${count}`);
  }
  return out;
}

function checkOptions(op, options, known) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(op, `options must be an object, got ${typeName(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw invalid(op, `unknown option '${key}' (known: ${known.join(', ')})`);
    }
  }
  return options;
}

function checkTensor(op, name, x) {
  if (!(x instanceof Float32Array)) {
    throw invalid(op, `${name} must be a Float32Array, got ${typeName(x)}`);
  }
  return x;
}

// Sizes must be integers in JS; their sign and range are checked by the engine (src/api.cpp),
// which also serves the model runner.
function checkInteger(op, name, v) {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw invalid(op, `${name} must be an integer, got ${typeof v === 'number' ? v : typeName(v)}`);
  }
  return v;
}

function checkShape(op, name, shape) {
  if (!(Array.isArray(shape) || ArrayBuffer.isView(shape)) || shape.length !== 4) {
    const got = Array.isArray(shape) ? `[${shape.join(',')}]` : typeName(shape);
    throw invalid(op, `${name} must be an array of 4 integers [N, C, H, W], got ${got}`);
  }
  return Array.from(shape, (v, i) => checkInteger(op, `${name}[${i}]`, v));
}

function checkNumber(op, name, v, fallback) {
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw invalid(op, `${name} must be a number, got ${typeName(v)}`);
  return v; // NaN and Infinity go on to the engine, which names them
}

function checkBoolean(op, name, v, fallback) {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw invalid(op, `${name} must be a boolean, got ${typeName(v)}`);
  return v;
}

// A number or an array of `sizes[i]` numbers, expanded to `expand` entries.
function checkPair(op, name, v, fallback) {
  if (v === undefined) return [fallback, fallback];
  if (typeof v === 'number') return [checkInteger(op, name, v), v];
  if (Array.isArray(v) && v.length === 2) return v.map((e, i) => checkInteger(op, `${name}[${i}]`, e));
  throw invalid(op, `${name} must be an integer or [height, width], got ${typeName(v)}`);
}

// padding: p | [ph, pw] | [top, left, bottom, right] (ONNX's order).
function checkPadding(op, v) {
  if (v === undefined) return [0, 0, 0, 0];
  if (typeof v === 'number') {
    checkInteger(op, 'padding', v);
    return [v, v, v, v];
  }
  if (Array.isArray(v) && (v.length === 2 || v.length === 4)) {
    const p = v.map((e, i) => checkInteger(op, `padding[${i}]`, e));
    return p.length === 2 ? [p[0], p[1], p[0], p[1]] : p;
  }
  throw invalid(op, `padding must be an integer, [h, w] or [top, left, bottom, right], got ${typeName(v)}`);
}

// The buffers of one call: allocated in the heap, freed together by free().
class HeapScope {
  constructor(runtime, op) {
    this.runtime = runtime;
    this.op = op;
    this.ptrs = [];
  }

  f32() {
    return this.runtime.floats();
  }

  alloc(name, count) {
    if (count <= 0) return NONE;
    const bytes = count * 4;
    const ptr = this.runtime.malloc(bytes);
    if (ptr === 0) {
      throw new InstyleError(
        'OUT_OF_MEMORY',
        `${this.op}: could not allocate ${formatBytes(bytes)} for ${name} in the WebAssembly heap (4 GB at most)`,
      );
    }
    this.ptrs.push(ptr);
    return { ptr, size: count };
  }

  input(name, array) {
    const buffer = this.alloc(name, array.length);
    if (buffer.size) this.f32().set(array, buffer.ptr >>> 2);
    return buffer;
  }

  // Optional per-channel parameters: Float32Array or number[]; null/undefined = not given.
  param(name, values) {
    if (values === undefined || values === null) return NONE;
    if (!(values instanceof Float32Array || Array.isArray(values))) {
      throw invalid(this.op, `${name} must be a Float32Array or an array of numbers, got ${typeName(values)}`);
    }
    if (values.length === 0) {
      throw new InstyleError('SHAPE_MISMATCH', `${this.op}: ${name} has 0 elements`);
    }
    return this.input(name, values);
  }

  // The result, copied out of the heap: into `out` when the caller passed one (checked by
  // outArray), else into a fresh array. A fresh multi-megabyte array per call costs page
  // faults that can outweigh the op itself in a loop that runs every animation frame.
  read(buffer, out) {
    const at = buffer.ptr >>> 2;
    if (out === undefined) return this.f32().slice(at, at + buffer.size);
    out.set(this.f32().subarray(at, at + buffer.size));
    return out;
  }

  check(status) {
    if (status.code !== 'OK') throw new InstyleError(status.code, status.message);
  }

  free() {
    for (const ptr of this.ptrs) this.runtime.free(ptr);
    this.ptrs.length = 0;
  }
}

export class Instyle {
  #runtime;
  #api;
  #readAsset;
  #disposed = false;

  /**
   * @param {import('../bindings/runtime.js').Runtime} runtime the engine (bindings/runtime.js)
   * @param {{ variant: string, readAsset: (url: URL) => Promise<Uint8Array> }} info
   *   readAsset: reads a file of the package (fs in Node, fetch in browsers)
   */
  constructor(runtime, info) {
    this.#runtime = runtime;
    this.#api = runtime.api;
    const module = runtime.api;
    this.#readAsset = info.readAsset;
    /** Threads each call uses, the calling thread included. */
    this.threads = module.numThreads();
    /** The engine build: 'simd' (one thread) or 'simd-threads'. */
    this.variant = info.variant;
    /** The instruction set the kernels were compiled for (xsimd's name; WASM SIMD128 underneath). */
    this.simd = module.simdArch();
    this.version = VERSION;
  }

  #call(op, fn) {
    if (this.#disposed) {
      throw new InstyleError('DISPOSED', `${op}: this instyle instance was disposed`);
    }
    const heap = new HeapScope(this.#runtime, op);
    try {
      return fn(heap, this.#api);
    } finally {
      heap.free();
    }
  }

  instanceNorm(x, shape, options) {
    const op = 'instanceNorm';
    const o = checkOptions(op, options, ['eps', 'gamma', 'beta', 'relu', 'out']);
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      checkTensor(op, 'x', x);
      const eps = checkNumber(op, 'eps', o.eps, 1e-5);
      const relu = checkBoolean(op, 'relu', o.relu, false);
      const gamma = heap.param('gamma', o.gamma);
      const beta = heap.param('beta', o.beta);
      const out = outArray(op, o.out, x.length);
      const xy = heap.input('x', x); // normalized in place: one buffer, two copies in all
      heap.check(m.instanceNorm(xy, xy, s, gamma, beta, eps, relu));
      return heap.read(xy, out);
    });
  }

  instanceStats(x, shape) {
    const op = 'instanceStats';
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      checkTensor(op, 'x', x);
      const xb = heap.input('x', x);
      const planes = Math.min(Math.max(s[0] * s[1], 0), x.length);
      const mean = heap.alloc('mean', planes);
      const variance = heap.alloc('variance', planes);
      heap.check(m.instanceStats(mean, variance, xb, s));
      return { mean: heap.read(mean), variance: heap.read(variance) };
    });
  }

  batchNorm(x, shape, options) {
    const op = 'batchNorm';
    const o = checkOptions(op, options, ['training', 'eps', 'mean', 'variance', 'gamma', 'beta', 'relu', 'out']);
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      checkTensor(op, 'x', x);
      const training = checkBoolean(op, 'training', o.training, false);
      const eps = checkNumber(op, 'eps', o.eps, 1e-5);
      const relu = checkBoolean(op, 'relu', o.relu, false);
      if (training && (o.mean !== undefined || o.variance !== undefined)) {
        throw invalid(op, 'mean and variance are outputs in training mode; pass them only for inference');
      }
      const gamma = heap.param('gamma', o.gamma);
      const beta = heap.param('beta', o.beta);
      if (!training) {
        if (o.mean === undefined || o.variance === undefined) {
          throw invalid(op, `${o.mean === undefined ? 'mean' : 'variance'} is required for inference (or pass training: true)`);
        }
        const mean = heap.param('mean', o.mean);
        const variance = heap.param('variance', o.variance);
        const out = outArray(op, o.out, x.length);
        const xy = heap.input('x', x);
        heap.check(m.batchNorm(xy, xy, s, mean, variance, gamma, beta, eps, relu));
        return heap.read(xy, out);
      }
      const channels = Math.min(Math.max(s[1], 0), x.length); // the engine checks the shape first
      const mean = heap.alloc('mean', channels);
      const variance = heap.alloc('variance', channels);
      const out = outArray(op, o.out, x.length);
      const xy = heap.input('x', x);
      heap.check(m.batchNormTrain(xy, mean, variance, xy, s, gamma, beta, eps, relu));
      return { output: heap.read(xy, out), mean: heap.read(mean), variance: heap.read(variance) };
    });
  }

  layerNorm(x, shape, options) {
    const op = 'layerNorm';
    const o = checkOptions(op, options, ['eps', 'gamma', 'beta', 'out']);
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      checkTensor(op, 'x', x);
      const eps = checkNumber(op, 'eps', o.eps, 1e-5);
      const gamma = heap.param('gamma', o.gamma);
      const beta = heap.param('beta', o.beta);
      const out = outArray(op, o.out, x.length);
      const xy = heap.input('x', x);
      heap.check(m.layerNorm(xy, xy, s, gamma, beta, eps));
      return heap.read(xy, out);
    });
  }

  groupNorm(x, shape, options) {
    const op = 'groupNorm';
    const o = checkOptions(op, options, ['groups', 'eps', 'gamma', 'beta', 'relu', 'out']);
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      checkTensor(op, 'x', x);
      if (o.groups === undefined) throw invalid(op, 'groups is required');
      const groups = checkInteger(op, 'groups', o.groups);
      const eps = checkNumber(op, 'eps', o.eps, 1e-5);
      const relu = checkBoolean(op, 'relu', o.relu, false);
      const gamma = heap.param('gamma', o.gamma);
      const beta = heap.param('beta', o.beta);
      const out = outArray(op, o.out, x.length);
      const xy = heap.input('x', x);
      heap.check(m.groupNorm(xy, xy, s, groups, gamma, beta, eps, relu));
      return heap.read(xy, out);
    });
  }

  adain(content, contentShape, style, styleShape, options) {
    const op = 'adain';
    const o = checkOptions(op, options, ['alpha', 'eps', 'out']);
    return this.#call(op, (heap, m) => {
      const cs = checkShape(op, 'contentShape', contentShape);
      const ss = checkShape(op, 'styleShape', styleShape);
      checkTensor(op, 'content', content);
      checkTensor(op, 'style', style);
      const alpha = checkNumber(op, 'alpha', o.alpha, 1);
      const eps = checkNumber(op, 'eps', o.eps, 1e-5);
      const sb = heap.input('style', style);
      const out = outArray(op, o.out, content.length);
      const xy = heap.input('content', content);
      heap.check(m.adain(xy, xy, cs, sb, ss, alpha, eps));
      return heap.read(xy, out);
    });
  }

  #convParams(op, o) {
    const [strideH, strideW] = checkPair(op, 'stride', o.stride, 1);
    const [dilationH, dilationW] = checkPair(op, 'dilation', o.dilation, 1);
    const [padTop, padLeft, padBottom, padRight] = checkPadding(op, o.padding);
    const modeName = o.padMode ?? 'zeros';
    if (!Object.hasOwn(PAD_MODES, modeName)) {
      throw invalid(op, `padMode must be 'zeros', 'reflect' or 'edge', got ${JSON.stringify(modeName)}`);
    }
    return {
      strideH, strideW, padTop, padLeft, padBottom, padRight, dilationH, dilationW,
      groups: o.groups === undefined ? 1 : checkInteger(op, 'groups', o.groups),
      padMode: PAD_MODES[modeName],
      relu: checkBoolean(op, 'relu', o.relu, false),
    };
  }

  conv2dOutputShape(shape, weightShape, options) {
    const op = 'conv2d';
    const o = checkOptions(op, options, ['bias', 'stride', 'padding', 'dilation', 'padMode', 'groups', 'relu', 'out']);
    return this.#call(op, (heap, m) => {
      const r = m.conv2dOutputShape(checkShape(op, 'shape', shape), checkShape(op, 'weightShape', weightShape), this.#convParams(op, o));
      heap.check(r);
      return r.shape;
    });
  }

  conv2d(x, shape, weight, weightShape, options) {
    const op = 'conv2d';
    const o = checkOptions(op, options, ['bias', 'stride', 'padding', 'dilation', 'padMode', 'groups', 'relu', 'out']);
    return this.#call(op, (heap, m) => {
      const s = checkShape(op, 'shape', shape);
      const ws = checkShape(op, 'weightShape', weightShape);
      checkTensor(op, 'x', x);
      checkTensor(op, 'weight', weight);
      const params = this.#convParams(op, o);
      const r = m.conv2dOutputShape(s, ws, params);
      heap.check(r);
      const bias = heap.param('bias', o.bias);
      const out = outArray(op, o.out, r.shape[0] * r.shape[1] * r.shape[2] * r.shape[3]);
      const xb = heap.input('x', x);
      const wb = heap.input('weight', weight);
      const y = heap.alloc('the output', r.shape[0] * r.shape[1] * r.shape[2] * r.shape[3]);
      heap.check(m.conv2d(y, xb, s, wb, ws, bias, params));
      return heap.read(y, out);
    });
  }

  /**
   * Loads an ONNX style network (a Uint8Array or ArrayBuffer of the .onnx file); see
   * js/model.js for the model's run(), stylize(), info() and dispose().
   */
  loadModel(bytes, options) {
    if (this.#disposed) {
      return Promise.reject(new InstyleError('DISPOSED', 'loadModel: this instyle instance was disposed'));
    }
    const engine = { runtime: this.#runtime, disposed: () => this.#disposed };
    return loadModel(engine, bytes, options); // async: errors arrive as rejections
  }

  /**
   * The styles this package ships, trained by the project (docs/training.md): name, title,
   * network ('full', 'light' or 'live': made for video), file size, training steps and hours, and the artwork with its
   * author and licence. The first is the default.
   */
  styles() {
    return STYLES.map(({ url, thumbnailUrl, ...meta }) => {
      const style = structuredClone(meta);
      style.artwork.thumbnail = thumbnailUrl().href;
      return style;
    });
  }

  /**
   * Loads a built-in style by name (see styles()) as a model: model.stylize(photo) paints
   * the photo in it. The file is read from the package (fetched next to js/ in browsers).
   */
  async loadStyle(name, options) {
    const op = 'loadStyle';
    if (this.#disposed) throw new InstyleError('DISPOSED', `${op}: this instyle instance was disposed`);
    const style = STYLES.find((s) => s.name === name);
    if (!style) {
      throw invalid(op, `no style named ${JSON.stringify(name)} (built in: ${STYLES.map((s) => s.name).join(', ')})`);
    }
    let bytes;
    try {
      bytes = await this.#readAsset(style.url());
    } catch (e) {
      throw new InstyleError('UNAVAILABLE', `${op}: could not read ${style.file} from the package: ${e.message}`);
    }
    return this.loadModel(bytes, options);
  }

  /**
   * Loads an arbitrary-style network (js/arbitrary.js): any image as the style. Without bytes,
   * the one this package ships (styles/arbitrary.onnx); with the bytes of an .onnx file, your
   * own export (scripts/train/adain.py --export: an InstanceNormalization node named 'adain'
   * between encoder and decoder). options as loadModel's.
   */
  async loadArbitraryStyle(bytes, options) {
    const op = 'loadArbitraryStyle';
    if (this.#disposed) throw new InstyleError('DISPOSED', `${op}: this instyle instance was disposed`);
    if (bytes === undefined || bytes === null) {
      try {
        bytes = await this.#readAsset(new URL('../styles/arbitrary.onnx', import.meta.url));
      } catch (e) {
        throw new InstyleError('UNAVAILABLE', `${op}: could not read arbitrary.onnx from the package: ${e.message}`);
      }
    }
    const model = await this.loadModel(bytes, options);
    try {
      return new ArbitraryStyle(model);
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  /** Bytes the WASM heap spans now, and bytes malloc holds (0 growth across calls = no leak). */
  memoryUsage() {
    if (this.#disposed) throw new InstyleError('DISPOSED', 'memoryUsage: this instyle instance was disposed');
    return { heapBytes: this.#runtime.buffer.byteLength, allocatedBytes: this.#api.heapInUse() };
  }

  get disposed() {
    return this.#disposed;
  }

  /** Stops the engine's threads and drops the module; later calls throw DISPOSED. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    const runtime = this.#runtime;
    this.#runtime = null;
    this.#api = null;
    runtime.dispose();
  }
}
