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
// Heap discipline as in core.js: buffers are allocated in the heap (bindings/runtime.js) per
// call and freed in `finally`; stylize() keeps its buffers across its awaits and frees them
// however it ends.
import { InstyleError } from './errors.js';
import { LIVE_OPTIONS, LiveSession, liveOptions } from './live.js';

const LOAD_OPTIONS = ['range', 'outputRange', 'bgr'];
const STYLIZE_OPTIONS = ['strength', 'preserveColors', 'maxSize', 'onProgress', 'signal', 'tiled',
  'tileSize', 'thumbnailSize', 'maxMemoryMB', 'tileStatistics'];
const DEFAULT_INFO_SIZE = 512;
// Tiled stylize: the engine's working memory unless told otherwise (a phone browser tab can
// rarely grow a WebAssembly heap past ~300 MB), the thumbnail's long side, the largest tile
// chosen automatically (bigger tiles save little overlap and make progress coarse), and the
// width of the cross-fade between tiles.
const DEFAULT_MAX_MEMORY_MB = 256;
const DEFAULT_THUMBNAIL_SIZE = 1024;
const MAX_AUTO_TILE = 768;
const BLEND_PIXELS = 16;

// Bytes out of the heap into a plain (never shared) array, as ImageData needs.
function copyOut(heap, ptr, bytes) {
  const a = new Uint8ClampedArray(bytes);
  a.set(new Uint8Array(heap, ptr, bytes));
  return a;
}

// Writes a stylized tile (tile-sized RGBA) into the result: its core, and `blend` pixels past
// each inner edge, cross-faded with what the tiles before it (left, above) wrote there.
function placeTile(result, w, h, pixels, t, blend) {
  const tw = t.x1 - t.x0;
  const bl = t.cx0 > 0 ? blend : 0, bt = t.cy0 > 0 ? blend : 0;
  const rx0 = t.cx0 - bl, rx1 = Math.min(w, t.cx1 + blend);
  const ry0 = t.cy0 - bt, ry1 = Math.min(h, t.cy1 + blend);
  for (let y = ry0; y < ry1; y++) {
    const ty = y < t.cy0 + bt ? (y - ry0 + 0.5) / (2 * bt) : 1;
    let o = (y * w + rx0) * 4;
    let q = ((y - t.y0) * tw + rx0 - t.x0) * 4;
    for (let x = rx0; x < rx1; x++, o += 4, q += 4) {
      const k = (x < t.cx0 + bl ? (x - rx0 + 0.5) / (2 * bl) : 1) * ty;
      if (k >= 1) {
        result[o] = pixels[q];
        result[o + 1] = pixels[q + 1];
        result[o + 2] = pixels[q + 2];
      } else {
        result[o] = result[o] + k * (pixels[q] - result[o]);
        result[o + 1] = result[o + 1] + k * (pixels[q + 1] - result[o + 1]);
        result[o + 2] = result[o + 2] + k * (pixels[q + 2] - result[o + 2]);
      }
      result[o + 3] = pixels[q + 3];
    }
  }
}

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

// An RGBA image: ImageData or { data: Uint8ClampedArray | Uint8Array, width, height }.
export function checkImage(op, name, image) {
  if (image === null || typeof image !== 'object') throw invalid(op, `${name} must be ImageData or { data, width, height }, got ${typeName(image)}`);
  const { data, width, height } = image;
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    throw invalid(op, `${name}.data must be a Uint8ClampedArray of RGBA bytes, got ${typeName(data)}`);
  }
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw invalid(op, `${name}.width and ${name}.height must be positive integers, got ${width} x ${height}`);
  }
  if (data.length !== width * height * 4) {
    throw new InstyleError('SHAPE_MISMATCH', `${op}: ${name}.data has ${data.length} bytes but ${width} x ${height} RGBA needs ${width * height * 4}`);
  }
  return { data, width, height };
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

// Filled by Model's static block: see there.
export let modelInternals;

// Frees Embind objects a caller forgot to dispose(), when their wrapper is collected.
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry((m) => m.delete()) : null;

export class Model {
  #engine;   // { runtime (bindings/runtime.js), disposed() }
  #native;   // Module.Model
  #stats;    // Module.Statistics: whose instance norm statistics a run uses
  #range;
  #outputRange;
  #bgr;
  #busy = false;
  #disposed = false;
  #live = null;  // the open LiveSession, if any
  #liveStrength = null;  // the AdaIN strength the engine holds for the live session (null: none)

  /** @internal use Instyle#loadModel */
  constructor(engine, native, options) {
    this.#engine = engine;
    this.#native = native;
    this.#stats = engine.runtime.api.Statistics;
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
    const ptr = this.#engine.runtime.malloc(bytes);
    if (ptr === 0) {
      throw new InstyleError('OUT_OF_MEMORY', `${op}: could not allocate ${(bytes / 1e6).toFixed(1)} MB for ${what} in the WebAssembly heap`);
    }
    return ptr;
  }

  #heap() {
    return this.#engine.runtime.buffer;
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
    const { runtime } = this.#engine;
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
      runtime.free(ptr);
    }
  }

  /**
   * Stylizes a photo: ImageData or { data: Uint8ClampedArray (RGBA), width, height }.
   * Resolves to an ImageData (where the platform has one) or an object of the same shape.
   * Big photos are cut into overlapping tiles that share instance norm statistics taken from
   * a thumbnail (see TILING below), so memory stays bounded at any size.
   */
  stylize(image, options) {
    return this.#stylize('stylize', image, options, null);
  }

  // adain: null, or { layer (index), mean, stddev, coloring (Float32Array; coloring null for
  // AdaIN, C x C for WCT), strength } for an arbitrary-style network's style layer
  // (js/arbitrary.js), set in the engine for this call only.
  async #stylize(op, image, options, adain) {
    this.#check(op);
    const o = checkOptions(op, options, STYLIZE_OPTIONS);
    const { data, width, height } = checkImage(op, 'image', image);
    const strength = o.strength ?? 1;
    if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) throw invalid(op, `strength must be a number in [0, 1], got ${strength}`);
    const preserveColors = o.preserveColors ?? false;
    if (typeof preserveColors !== 'boolean') throw invalid(op, `preserveColors must be a boolean, got ${typeName(preserveColors)}`);
    const positive = (name) => {
      const v = o[name];
      if (v !== undefined && (!Number.isSafeInteger(v) || v < 1)) throw invalid(op, `${name} must be a positive integer, got ${v}`);
      return v;
    };
    const maxSize = positive('maxSize');
    const tileSize = positive('tileSize');
    const thumbnailSize = positive('thumbnailSize') ?? DEFAULT_THUMBNAIL_SIZE;
    const maxMemoryMB = o.maxMemoryMB ?? DEFAULT_MAX_MEMORY_MB;
    if (typeof maxMemoryMB !== 'number' || !(maxMemoryMB >= 16 && maxMemoryMB <= 4096)) {
      throw invalid(op, `maxMemoryMB must be a number from 16 to 4096, got ${maxMemoryMB}`);
    }
    const tiled = o.tiled ?? 'auto';
    if (tiled !== 'auto' && tiled !== true && tiled !== false) throw invalid(op, `tiled must be 'auto', true or false, got ${tiled}`);
    const tileStatistics = o.tileStatistics ?? 'thumbnail';
    if (tileStatistics !== 'thumbnail' && tileStatistics !== 'tile') {
      throw invalid(op, `tileStatistics must be 'thumbnail' or 'tile', got ${tileStatistics}`);
    }
    if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw invalid(op, 'onProgress must be a function');
    const signal = o.signal;
    if (signal !== undefined && (signal === null || typeof signal.aborted !== 'boolean')) throw invalid(op, 'signal must be an AbortSignal');
    if (signal?.aborted) throw cancelled(op, signal);

    // maxSize bounds the long side; the aspect ratio is kept.
    let w = width, h = height;
    if (maxSize !== undefined && Math.max(w, h) > maxSize) {
      const k = maxSize / Math.max(w, h);
      w = Math.max(1, Math.round(width * k));
      h = Math.max(1, Math.round(height * k));
    }
    const budget = maxMemoryMB * 2 ** 20;
    const run = { op, signal, onProgress: o.onProgress, strength, preserveColors };
    this.#busy = true;
    try {
      this.#liveStrength = null; // this call sets (or leaves) the layer's style, then clears it
      if (adain) this.#setAdain(op, adain);
      const tiles = tiled === false ? null : this.#tilePlan(op, w, h, { tiled, tileSize, thumbnailSize, budget });
      const pixels = tiles
        ? await this.#stylizeTiled(run, { data, width, height }, w, h, tiles, tileStatistics)
        : await this.#stylizeWhole(run, { data, width, height }, w, h);
      o.onProgress?.(1, tiles ? { stage: 'done', tile: tiles.list.length, tiles: tiles.list.length } : { stage: 'done', tile: 1, tiles: 1 });
      return typeof ImageData === 'function' ? new ImageData(pixels, w, h) : { data: pixels, width: w, height: h };
    } finally {
      if (!this.#disposed && !this.#engine.disposed()) {
        this.#native.cancel();
        this.#native.forgetStatistics();
        if (adain) this.#native.clearAdain();
        this.#liveStrength = null;
      }
      this.#busy = false;
    }
  }

  // One run over the whole photo (resized to w x h in the engine when they differ).
  async #stylizeWhole(run, photo, w, h) {
    const { runtime } = this.#engine;
    let src = 0, out = 0;
    try {
      src = this.#malloc(run.op, photo.data.length, 'the photo');
      new Uint8Array(this.#heap(), src, photo.data.length).set(photo.data);
      checkStatus(this.#native.stylizeStart(src, photo.width, photo.height, w, h, this.#inScale(), this.#bgr, this.#stats.OWN));
      runtime.free(src); // the engine kept its own (resized) copy
      src = 0;
      await this.#steps(run, (p) => [p, { stage: 'whole', tile: 0, tiles: 1 }]);
      out = this.#malloc(run.op, w * h * 4, 'the result');
      this.#finish(out, run);
      return copyOut(this.#heap(), out, w * h * 4);
    } finally {
      if (src) runtime.free(src);
      if (out) runtime.free(out);
    }
  }

  // TILING (Thumbnail Instance Normalization, Chen et al. 2022). Instance norm makes every
  // output pixel depend on the whole image through each layer's mean and variance; once those
  // are fixed, the network is local. So: one run over a thumbnail records every IN layer's
  // statistics; then tiles of the full photo run with them, each tile padded on its inner
  // sides by the network's receptive field (computed from the graph) and placed on its stride
  // grid, so its core comes out as an untiled run with the thumbnail's statistics would give
  // it. Overlaps are cross-faded over a few pixels, and tiles reach that much past the margin,
  // so the fade mixes two exact pixels. Only the photo and the result exist at full size (as
  // bytes, outside the engine); the engine holds one tile's activations.
  //
  // Returns null when the photo fits the budget untiled (tiled: 'auto'), else the plan:
  // { list: [{ x0, y0, x1, y1 (input), cx0, cy0, cx1, cy1 (core) }], thumb: { w, h }, ... }.
  #tilePlan(op, w, h, { tiled, tileSize, thumbnailSize, budget }) {
    const peak = (tw, th) => {
      const r = this.#native.info([1, 3, th, tw]);
      checkStatus(r);
      return r.peakBytes;
    };
    // What the engine holds for a w x h run besides the network: photo and result bytes.
    const buffers = (tw, th) => 8 * tw * th;
    if (tiled === 'auto') {
      let untiled = Infinity; // a photo too big to plan at all (past 2^29 elements a tensor) is tiled
      try {
        untiled = peak(w, h) + buffers(w, h);
      } catch (e) {
        if (e.code !== 'OUT_OF_MEMORY') throw e;
      }
      if (untiled <= budget) return null;
    }
    const rf = this.#native.receptiveField([1, 3, 64, 64]);
    if (rf.code !== 'OK') {
      if (tiled === 'auto') return null; // not tileable: the run tries untiled
      throw new InstyleError(rf.code, `${op}: cannot tile this network: ${rf.message}`);
    }
    const { align, margin } = rf;
    // Memory grows with pixels: a + b * pixels, from two small plans.
    const p1 = peak(128, 128), p2 = peak(256, 256);
    const perPixel = (p2 - p1) / (256 * 256 - 128 * 128);
    const fixed = p1 - perPixel * 128 * 128;
    const fits = (tw, th) => fixed + (perPixel + 8) * tw * th <= budget;

    let side = tileSize;
    if (side === undefined) {
      side = Math.floor(Math.sqrt(Math.max(0, budget - fixed) / (perPixel + 8)));
      side = Math.min(side, MAX_AUTO_TILE);
    }
    side = Math.floor(side / align) * align;
    // Neighbouring tiles cross-fade over `blend` pixels past each core's edge, so each tile
    // reaches that much further than the margin: the fade then mixes two exact pixels.
    const reach = Math.ceil((margin + BLEND_PIXELS) / align) * align;
    const core = Math.floor((side - 2 * reach) / align) * align;
    if (core < align * 4) {
      throw new InstyleError('OUT_OF_MEMORY', `${op}: a tile of ${side} pixels leaves no room inside the network's ${reach}-pixel margins; ` +
        (tileSize === undefined ? `raise maxMemoryMB (now ${(budget / 2 ** 20).toFixed(0)})` : 'use a larger tileSize'));
    }
    // The thumbnail: its long side at thumbnailSize (never larger than the photo), smaller if
    // it would not fit the budget.
    let k = Math.min(1, thumbnailSize / Math.max(w, h));
    while (k * Math.max(w, h) > 64 && !fits(Math.round(w * k), Math.round(h * k))) k *= 0.9;
    const thumb = { w: Math.max(1, Math.round(w * k)), h: Math.max(1, Math.round(h * k)) };

    const list = [];
    for (let cy0 = 0; cy0 < h; cy0 += core) {
      for (let cx0 = 0; cx0 < w; cx0 += core) {
        const cx1 = Math.min(w, cx0 + core), cy1 = Math.min(h, cy0 + core);
        list.push({
          cx0, cy0, cx1, cy1,
          x0: Math.max(0, cx0 - reach), y0: Math.max(0, cy0 - reach),
          x1: Math.min(w, cx1 + reach), y1: Math.min(h, cy1 + reach),
        });
      }
    }
    return { list, thumb, side, core, margin, reach, align, radius: rf.radius, blend: Math.min(BLEND_PIXELS, core >> 2) };
  }

  async #stylizeTiled(run, photo, w, h, tiles, tileStatistics) {
    const { runtime } = this.#engine;
    const { list, thumb, blend } = tiles;
    const shared = tileStatistics === 'thumbnail';
    let src = 0, inTile = 0, outTile = 0;
    try {
      // The photo at the size asked for (maxSize), as bytes outside the engine.
      const full = w !== photo.width || h !== photo.height
        ? this.#resizeBands(run.op, photo.data, photo.width, photo.height, w, h)
        : photo.data;
      // Work in pixels run, for progress: the thumbnail, then each tile.
      const work = [thumb.w * thumb.h * (shared ? 1 : 0), ...list.map((t) => (t.x1 - t.x0) * (t.y1 - t.y0))];
      const total = work.reduce((a, b) => a + b, 0);
      let before = 0;
      const progress = (i, stage) => (p) => [(before + p * work[i]) / total, { stage, tile: Math.max(0, i - 1), tiles: list.length }];

      // The engine's memory for the biggest run (thumbnail or a full tile) first, then the
      // buffers: allocating in growing steps would leave holes the heap cannot reuse.
      const biggest = list.reduce((a, t) => ((t.x1 - t.x0) * (t.y1 - t.y0) > a[0] * a[1] ? [t.x1 - t.x0, t.y1 - t.y0] : a), [0, 0]);
      const runs = [[1, 3, biggest[1], biggest[0]]];
      if (shared) runs.push([1, 3, thumb.h, thumb.w]);
      const need = (shape) => {
        const r = this.#native.info(shape);
        checkStatus(r);
        return r.arenaBytes + r.workspaceBytes;
      };
      runs.sort((a, b) => need(b) - need(a));
      for (const shape of runs) checkStatus(this.#native.prepare(shape));
      const tileBytes = Math.max(...work.slice(1)) * 4;
      inTile = this.#malloc(run.op, tileBytes, 'a tile');
      outTile = this.#malloc(run.op, tileBytes, 'a tile\'s result');

      if (shared) {
        // The thumbnail, made in the heap a band at a time (the photo never enters it whole).
        src = this.#malloc(run.op, thumb.w * thumb.h * 4, 'the thumbnail');
        if (thumb.w === w && thumb.h === h) new Uint8Array(this.#heap(), src, full.length).set(full);
        else this.#resizeBands(run.op, full, w, h, thumb.w, thumb.h, src);
        checkStatus(this.#native.stylizeStart(src, thumb.w, thumb.h, thumb.w, thumb.h, this.#inScale(), this.#bgr, this.#stats.RECORD));
        runtime.free(src);
        src = 0;
        await this.#steps(run, progress(0, 'thumbnail'));
        this.#native.cancel(); // keeps the statistics, drops the thumbnail
        before += work[0];
      }

      const result = new Uint8ClampedArray(w * h * 4);
      for (let i = 0; i < list.length; i++) {
        const t = list[i];
        const tw = t.x1 - t.x0, th = t.y1 - t.y0;
        const heapIn = new Uint8Array(this.#heap(), inTile, tw * th * 4);
        for (let y = 0; y < th; y++) {
          const from = ((t.y0 + y) * w + t.x0) * 4;
          heapIn.set(full.subarray(from, from + tw * 4), y * tw * 4);
        }
        checkStatus(this.#native.stylizeStart(inTile, tw, th, tw, th, this.#inScale(), this.#bgr, shared ? this.#stats.REPLAY : this.#stats.OWN));
        await this.#steps(run, progress(i + 1, 'tiles'));
        this.#finish(outTile, run);
        placeTile(result, w, h, new Uint8Array(this.#heap(), outTile, tw * th * 4), t, blend);
        before += work[i + 1];
      }
      return result;
    } finally {
      for (const p of [src, inTile, outTile]) if (p) runtime.free(p);
    }
  }

  // Resizes RGBA bytes held outside the engine (sw x sh) to dw x dh, a band of output rows at a
  // time through a small buffer in the heap (image.h, resize_rgba_u8_rows; the same bytes as one
  // resize). Writes into the heap at `dst` (dw * dh * 4 bytes), or returns a new array.
  #resizeBands(op, src, sw, sh, dw, dh, dst = 0) {
    const { runtime } = this.#engine;
    const module = runtime.api;
    const BAND = 16;
    const stripBytes = Math.min(sh, Math.ceil((BAND * sh) / dh) + 2) * sw * 4;
    const result = dst ? null : new Uint8ClampedArray(dw * dh * 4);
    let strip = 0, out = 0;
    try {
      strip = this.#malloc(op, stripBytes, 'resizing the photo');
      if (!dst) out = this.#malloc(op, BAND * dw * 4, 'resizing the photo');
      for (let y0 = 0; y0 < dh; y0 += BAND) {
        const y1 = Math.min(dh, y0 + BAND);
        const { s0, s1 } = module.resizeSourceRows(dh, sh, y0, y1);
        new Uint8Array(this.#heap(), strip, stripBytes).set(src.subarray(s0 * sw * 4, s1 * sw * 4));
        checkStatus(module.resizeRgbaRows(dst ? dst + y0 * dw * 4 : out, dw, dh, y0, y1, strip, s0, sw, sh));
        if (!dst) result.set(new Uint8Array(this.#heap(), out, (y1 - y0) * dw * 4), y0 * dw * 4);
      }
    } finally {
      runtime.free(strip);
      if (out) runtime.free(out);
    }
    return result;
  }

  // The engine copies the statistics; the heap buffers go at once.
  // coloring: null for AdaIN, or the C x C colouring matrix of the whitening and colouring
  // transform (WCT).
  #setAdain(op, { layer, mean, stddev, coloring, strength }) {
    const { runtime } = this.#engine;
    const n = mean.length, k = coloring ? coloring.length : 0;
    const ptr = this.#malloc(op, 4 * (2 * n + k), 'the style\'s statistics');
    try {
      new Float32Array(this.#heap(), ptr, n).set(mean);
      new Float32Array(this.#heap(), ptr + 4 * n, n).set(stddev);
      if (k) new Float32Array(this.#heap(), ptr + 8 * n, k).set(coloring);
      this.#native.setAdain(layer, ptr, ptr + 4 * n, k ? ptr + 8 * n : 0, n, strength);
    } finally {
      runtime.free(ptr);
    }
  }

  // An arbitrary-style network's style code: `image` (checked) resized so that its long side is
  // at most maxSize (in bands, so a huge image never enters the heap whole), then run up to
  // and through instance norm layer `layer`: { mean, stddev, coloring } at that layer's input
  // (coloring: the square root of the features' covariance, C x C), and the size the image ran
  // at.
  #styleCode(op, image, maxSize, layer) {
    this.#check(op);
    const { runtime } = this.#engine;
    const k = Math.min(1, maxSize / Math.max(image.width, image.height));
    const w = Math.max(1, Math.round(image.width * k)), h = Math.max(1, Math.round(image.height * k));
    let src = 0;
    this.#busy = true;
    try {
      src = this.#malloc(op, w * h * 4, 'the style image');
      if (w === image.width && h === image.height) new Uint8Array(this.#heap(), src, w * h * 4).set(image.data);
      else this.#resizeBands(op, image.data, image.width, image.height, w, h, src);
      const r = this.#native.styleCode(src, w, h, w, h, this.#inScale(), this.#bgr, layer);
      if (r.code !== 'OK') throw new InstyleError(r.code, `${op}: ${r.message}`);
      // r.coloring views the engine's heap: copied before anything can move or reuse it.
      return { mean: Float32Array.from(r.mean), stddev: Float32Array.from(r.stddev), coloring: r.coloring.slice(), width: w, height: h };
    } finally {
      if (src) runtime.free(src);
      if (!this.#disposed && !this.#engine.disposed()) this.#native.cancel();
      this.#busy = false;
    }
  }

  static {
    // What js/arbitrary.js needs of a model and the package's users do not: not exported
    // from the package's entry points.
    modelInternals = {
      normLayerIndex: (model, name) => model.#native.normLayerIndex(name),
      styleCode: (model, op, image, maxSize, layer) => model.#styleCode(op, image, maxSize, layer),
      stylize: (model, op, image, options, adain) => model.#stylize(op, image, options, adain),
      live: (model, op, options, adain) => model.#openLive(op, options, adain),
    };
  }

  #inScale() {
    return this.#range === 1 ? 1 / 255 : 1;
  }

  // Steps the started run to its end, reporting progress and stopping between steps when
  // the signal aborts or the model is disposed. `report(p)` maps the run's 0..1 to the
  // arguments of onProgress.
  async #steps(run, report) {
    while (!this.#native.done()) {
      checkStatus(this.#native.step(1));
      if (run.onProgress) run.onProgress(...report(this.#native.progress()));
      await yieldToEventLoop();
      if (this.#disposed || this.#engine.disposed()) throw new InstyleError('DISPOSED', `${run.op}: the model was disposed during the call`);
      if (run.signal?.aborted) throw cancelled(run.op, run.signal);
    }
  }

  #finish(out, run) {
    checkStatus(this.#native.stylizeFinish(out, this.#outputRange === 1 ? 255 : 1, this.#bgr, run.strength, run.preserveColors));
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

  /**
   * How far an output pixel reaches into the input, in pixels (an upper bound), the
   * network's total stride, and the tile margin stylize() uses: { radius, align, margin }.
   */
  receptiveField() {
    const op = 'receptiveField';
    this.#check(op);
    const r = this.#native.receptiveField([1, 3, 64, 64]);
    if (r.code !== 'OK') throw new InstyleError(r.code, `${op}: ${r.message}`);
    return { radius: r.radius, align: r.align, margin: r.margin };
  }

  /**
   * A live session for video frames (js/live.js): every frame resized to `size` (the long
   * side, or [width, height]), stylized in one synchronous call, with instance norm statistics
   * averaged over frames by `temporal` (0: each frame its own). One open session per model.
   * @param {{ size?: number | [number, number], temporal?: number, strength?: number, preserveColors?: boolean }} [options]
   */
  live(options) {
    return this.#openLive('live', options, null);
  }

  // adain: null, or { layer, mean, stddev, coloring } of an arbitrary-style network (js/arbitrary.js):
  // each frame then sets the AdaIN layer's style with the session's strength (inside the
  // network), and the pixel blend takes the result whole (or the frame itself at 0).
  #openLive(op, options, adain) {
    this.#check(op);
    const o = liveOptions(op, checkOptions(op, options, LIVE_OPTIONS));
    if (this.#live) throw invalid(op, 'this model already has an open live session; dispose it first');
    const runtime = this.#engine.runtime;
    const port = {
      runtime,
      check: (name) => this.#check(name),
      run: (name, src, width, height, w, h, temporal, dst, strength, preserveColors) => {
        // The style is copied into the engine once, and again only when the strength changed
        // or a stylize() call in between cleared it.
        if (adain && this.#liveStrength !== strength) {
          this.#setAdain(name, { ...adain, strength });
          this.#liveStrength = strength;
        }
        const blend = adain ? (strength > 0 ? 1 : 0) : strength;
        const st = this.#native.liveStylize(src, width, height, w, h, this.#inScale(), this.#outputRange === 1 ? 255 : 1,
          this.#bgr, temporal, dst, blend, preserveColors);
        if (st.code !== 'OK') throw new InstyleError(st.code, `${name}: ${st.message}`);
      },
      reset: () => this.#native.liveReset(),
      release: (session, ptrs) => {
        if (this.#live === session) this.#live = null;
        if (this.#disposed || this.#engine.disposed()) return;
        for (const p of ptrs) runtime.free(p);
        this.#native.liveReset();
        if (adain) this.#native.clearAdain();
        this.#liveStrength = null;
      },
    };
    this.#native.liveReset();
    this.#liveStrength = null;
    this.#live = new LiveSession(port, o);
    return this.#live;
  }

  get disposed() {
    return this.#disposed || this.#engine.disposed();
  }

  /** Frees the network's weights and memory in the engine; later calls throw DISPOSED. */
  dispose() {
    if (this.#disposed) return;
    this.#live?.dispose();
    this.#disposed = true;
    registry?.unregister(this);
    if (!this.#engine.disposed()) this.#native.delete();
    this.#native = null;
  }
}

/**
 * @param {{ runtime: import('../bindings/runtime.js').Runtime, disposed: () => boolean }} engine
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
  const { runtime } = engine;
  const ptr = runtime.malloc(view.length);
  if (ptr === 0) throw new InstyleError('OUT_OF_MEMORY', `${op}: could not allocate ${(view.length / 1e6).toFixed(1)} MB for the file`);
  const native = new runtime.api.Model();
  try {
    runtime.bytes().set(view, ptr);
    const status = native.load(ptr, view.length);
    if (status.code !== 'OK') throw new InstyleError(status.code, `${op}: ${status.message}`);
  } catch (e) {
    native.delete();
    throw e;
  } finally {
    runtime.free(ptr);
  }
  return new Model(engine, native, { range, outputRange, bgr: o.bgr ?? false });
}
