// model.js: ONNX style networks in instyle. `ist.loadModel(bytes, options)` (core.js) calls
// loadModel() below, which wraps the engine's Module.Model (bindings/model_bindings.cpp).
//
//   const model = await ist.loadModel(await readFile('mosaic.onnx'));
//   const { data, shape } = model.run(x, [1, 3, 224, 224]);        // Float32Array in, out
//   const out = await model.stylize(imageData, { strength: 0.8, onProgress: (p) => bar(p) });
//   model.info();  model.dispose();
//
// The zoo convention is the default: RGB, NCHW, pixel values 0..255 in and out, output
// clipped. loadModel options cover other networks: { range: 1 } for 0..1 values, bgr: true.
//
// Heap discipline as in core.js: buffers are _malloc'd per call and freed in `finally`;
// stylize() keeps its buffers across its awaits and frees them however it ends.
import { InstyleError } from './errors.js';

const LOAD_OPTIONS = ['range', 'outputRange', 'bgr'];
const STYLIZE_OPTIONS = ['strength', 'preserveColors', 'maxSize', 'onProgress', 'signal'];
const DEFAULT_INFO_SIZE = 512;

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return v.constructor?.name ?? 'object';
  return typeof v;
}

const invalid = (op, message) => new InstyleError('INVALID_ARGUMENT', `${op}: ${message}`);

function checkOptions(op, options, known) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw invalid(op, `options must be an object, got ${typeName(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalid(op, `unknown option '${key}' (known: ${known.join(', ')})`);
  }
  return options;
}

function checkRange(op, name, v, fallback) {
  if (v === undefined) return fallback;
  if (v !== 1 && v !== 255) throw invalid(op, `${name} must be 255 (values 0..255) or 1 (values 0..1), got ${v}`);
  return v;
}

function checkStatus(status) {
  if (status.code !== 'OK') throw new InstyleError(status.code, status.message);
}

// Lets the event loop run (progress callbacks repaint, abort events arrive) between steps.
function yieldToEventLoop() {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const { port1, port2 } = new MessageChannel();
      port1.onmessage = () => {
        port1.close();
        resolve();
      };
      port2.postMessage(0);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function cancelled(op, signal) {
  const e = new InstyleError('CANCELLED', `${op}: cancelled`);
  if (signal?.reason !== undefined) e.cause = signal.reason;
  return e;
}

// Frees Embind objects a caller forgot to dispose(), when their wrapper is collected.
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((m) => m.delete()) : null;

export class Model {
  #engine;   // { module, memory, disposed() }
  #native;   // Module.Model
  #range;
  #outputRange;
  #bgr;
  #busy = false;
  #disposed = false;

  /** @internal use Instyle#loadModel */
  constructor(engine, native, options) {
    this.#engine = engine;
    this.#native = native;
    this.#range = options.range;
    this.#outputRange = options.outputRange;
    this.#bgr = options.bgr;
    registry?.register(this, native, this);
  }

  #check(op) {
    if (this.#disposed || this.#engine.disposed()) {
      throw new InstyleError('DISPOSED', `${op}: this model was disposed`);
    }
    if (this.#busy) throw invalid(op, 'the model is busy with a stylize() call; await it first');
  }

  #malloc(op, bytes, what) {
    const { module } = this.#engine;
    const ptr = bytes > 0 && bytes < 2 ** 32 ? module._malloc(bytes) >>> 0 : 0;
    if (ptr === 0) {
      throw new InstyleError('OUT_OF_MEMORY', `${op}: could not allocate ${(bytes / 1e6).toFixed(1)} MB for ${what} in the WebAssembly heap`);
    }
    return ptr;
  }

  #heap() {
    return this.#engine.memory.buffer;
  }

  /**
   * Runs the network on one input tensor, [1, C, H, W] floats in NCHW order, at any H and W
   * the network takes. Returns a new Float32Array the caller owns, with its shape.
   */
  run(input, shape) {
    const op = 'run';
    this.#check(op);
    if (!(input instanceof Float32Array)) throw invalid(op, `input must be a Float32Array, got ${typeName(input)}`);
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d > 0)) {
      throw invalid(op, `shape must be an array of positive integers such as [1, 3, H, W], got ${Array.isArray(shape) ? `[${shape.join(',')}]` : typeName(shape)}`);
    }
    const count = shape.reduce((a, b) => a * b, 1);
    if (input.length !== count) {
      throw new InstyleError('SHAPE_MISMATCH', `${op}: input has ${input.length} elements but shape [${shape.join(',')}] needs ${count}`);
    }
    const { module } = this.#engine;
    const ptr = this.#malloc(op, count * 4, 'the input');
    try {
      new Float32Array(this.#heap(), ptr, count).set(input);
      checkStatus(this.#native.start(ptr, shape));
      checkStatus(this.#native.step(0x7fffffff));
      const outShape = this.#native.outputShape();
      const n = outShape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(this.#heap(), this.#native.output(), n).slice();
      return { data, shape: outShape };
    } finally {
      module._free(ptr);
    }
  }

  /**
   * Stylizes a photo: ImageData or { data: Uint8ClampedArray (RGBA), width, height }.
   * Resolves to an ImageData (where the platform has one) or an object of the same shape.
   */
  async stylize(image, options) {
    const op = 'stylize';
    this.#check(op);
    const o = checkOptions(op, options, STYLIZE_OPTIONS);
    if (image === null || typeof image !== 'object') throw invalid(op, `image must be ImageData or { data, width, height }, got ${typeName(image)}`);
    const { data, width, height } = image;
    if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
      throw invalid(op, `image.data must be a Uint8ClampedArray of RGBA bytes, got ${typeName(data)}`);
    }
    if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
      throw invalid(op, `image.width and image.height must be positive integers, got ${width} x ${height}`);
    }
    if (data.length !== width * height * 4) {
      throw new InstyleError('SHAPE_MISMATCH', `${op}: image.data has ${data.length} bytes but ${width} x ${height} RGBA needs ${width * height * 4}`);
    }
    const strength = o.strength ?? 1;
    if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) throw invalid(op, `strength must be a number in [0, 1], got ${strength}`);
    const preserveColors = o.preserveColors ?? false;
    if (typeof preserveColors !== 'boolean') throw invalid(op, `preserveColors must be a boolean, got ${typeName(preserveColors)}`);
    if (o.maxSize !== undefined && (!Number.isSafeInteger(o.maxSize) || o.maxSize < 1)) {
      throw invalid(op, `maxSize must be a positive integer, got ${o.maxSize}`);
    }
    if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid(op, 'onProgress must be a function');
    const signal = o.signal;
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalid(op, 'signal must be an AbortSignal');
    if (signal?.aborted) throw cancelled(op, signal);

    // maxSize bounds the long side; the aspect ratio is kept.
    let w = width, h = height;
    if (o.maxSize !== undefined && Math.max(w, h) > o.maxSize) {
      const k = o.maxSize / Math.max(w, h);
      w = Math.max(1, Math.round(width * k));
      h = Math.max(1, Math.round(height * k));
    }
    const { module } = this.#engine;
    this.#busy = true;
    let photo = 0, out = 0;
    try {
      photo = this.#malloc(op, width * height * 4, 'the photo');
      new Uint8Array(this.#heap(), photo, data.length).set(data);
      checkStatus(this.#native.stylizeStart(photo, width, height, w, h, this.#range === 1 ? 1 / 255 : 1, this.#bgr));
      module._free(photo); // the engine kept its own (resized) copy
      photo = 0;
      while (!this.#native.done()) {
        checkStatus(this.#native.step(1));
        o.onProgress?.(this.#native.progress());
        await yieldToEventLoop();
        if (this.#disposed || this.#engine.disposed()) throw new InstyleError('DISPOSED', `${op}: the model was disposed during the call`);
        if (signal?.aborted) throw cancelled(op, signal);
      }
      out = this.#malloc(op, w * h * 4, 'the result');
      checkStatus(this.#native.stylizeFinish(out, this.#outputRange === 1 ? 255 : 1, this.#bgr, strength, preserveColors));
      const pixels = new Uint8ClampedArray(w * h * 4);
      pixels.set(new Uint8Array(this.#heap(), out, w * h * 4));
      if (o.onProgress) o.onProgress(1);
      return typeof ImageData === 'function' ? new ImageData(pixels, w, h) : { data: pixels, width: w, height: h };
    } finally {
      if (photo) module._free(photo);
      if (out) module._free(out);
      if (!this.#disposed && !this.#engine.disposed()) this.#native.cancel();
      this.#busy = false;
    }
  }

  /**
   * What the network is and what a run at `size` needs: parameters, op counts, and memory
   * (peakBytes: activations + scratch + input/output + weights). size: [1, 3, H, W] or
   * { width, height }; default the declared size, or 512 x 512 where it is dynamic.
   */
  info(size) {
    const op = 'info';
    this.#check(op);
    let shape;
    if (size === undefined) {
      const dims = this.#native.inputDims();
      shape = dims.length === 4 ? dims.map((d, i) => (d > 0 ? d : i === 0 ? 1 : i === 1 ? 3 : DEFAULT_INFO_SIZE)) : [1, 3, DEFAULT_INFO_SIZE, DEFAULT_INFO_SIZE];
    } else if (Array.isArray(size)) {
      shape = size;
    } else if (size && typeof size === 'object') {
      shape = [1, 3, size.height, size.width];
    } else {
      throw invalid(op, `size must be [1, 3, H, W] or { width, height }, got ${typeName(size)}`);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d > 0)) throw invalid(op, `size must hold positive integers, got [${shape.join(',')}]`);
    const r = this.#native.info(shape);
    checkStatus(r);
    delete r.code;
    delete r.message;
    return r;
  }

  get disposed() {
    return this.#disposed || this.#engine.disposed();
  }

  /** Frees the network's weights and memory in the engine; later calls throw DISPOSED. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    registry?.unregister(this);
    if (!this.#engine.disposed()) this.#native.delete();
    this.#native = null;
  }
}

/**
 * @param {{ module: object, memory: WebAssembly.Memory, disposed: () => boolean }} engine
 * @param {Uint8Array | ArrayBuffer} bytes the .onnx file
 * @param {{ range?: 255 | 1, outputRange?: 255 | 1, bgr?: boolean }} [options]
 */
export async function loadModel(engine, bytes, options) {
  const op = 'loadModel';
  const o = checkOptions(op, options, LOAD_OPTIONS);
  const range = checkRange(op, 'range', o.range, 255);
  const outputRange = checkRange(op, 'outputRange', o.outputRange, range);
  if (o.bgr !== undefined && typeof o.bgr !== 'boolean') throw invalid(op, `bgr must be a boolean, got ${typeName(o.bgr)}`);
  let view;
  if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && bytes instanceof SharedArrayBuffer)) {
    view = new Uint8Array(bytes);
  } else if (ArrayBuffer.isView(bytes)) {
    view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  } else {
    throw invalid(op, `bytes must be a Uint8Array or an ArrayBuffer holding an .onnx file, got ${typeName(bytes)}`);
  }
  if (view.length === 0) throw new InstyleError('INVALID_MODEL', `${op}: the file is empty`);
  const { module } = engine;
  const ptr = view.length < 2 ** 31 ? module._malloc(view.length) >>> 0 : 0;
  if (ptr === 0) throw new InstyleError('OUT_OF_MEMORY', `${op}: could not allocate ${(view.length / 1e6).toFixed(1)} MB for the file`);
  const native = new module.Model();
  try {
    new Uint8Array(engine.memory.buffer, ptr, view.length).set(view);
    const status = native.load(ptr, view.length);
    if (status.code !== 'OK') throw new InstyleError(status.code, `${op}: ${status.message}`);
  } catch (e) {
    native.delete();
    throw e;
  } finally {
    module._free(ptr);
  }
  return new Model(engine, native, { range, outputRange, bgr: o.bgr ?? false });
}
