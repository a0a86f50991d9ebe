// live.js: model.live(), a camera or video stylized frame by frame. A session resizes every
// frame to one size, so the engine plans once and reuses its buffers; each frame is one call
// into the engine, returned without awaiting anything; and the instance norm statistics are
// averaged across frames (`temporal`), so colours do not pump when something moves into view.
//
//   const live = model.live({ size: 256 });
//   const out = new Uint8ClampedArray(4 * 256 * 192);
//   function onFrame(frame) { const r = live.stylize(frame, { out }); paint(r); }
//   live.update({ strength: 0.5 });   // between frames
//   live.reset();    // a new scene: forget the averaged statistics
//   live.dispose();
import { InstyleError } from './errors.js';

export const LIVE_OPTIONS = ['size', 'temporal', 'strength', 'preserveColors'];
// The weight of the past frames' statistics. 0.8 follows a change within about 10 frames
// (a third of a second at 30 fps) while smoothing the frame-to-frame jitter of camera noise.
export const DEFAULT_TEMPORAL = 0.8;
const DEFAULT_SIZE = 256;
const MAX_SIZE = 4096;

const invalid = (op, message) => new InstyleError('INVALID_ARGUMENT', `${op}: ${message}`);

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  return typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v;
}

// A frame's own size: RGBA objects and the browser's image sources.
function frameSize(frame) {
  if (typeof frame.displayWidth === 'number') return [frame.displayWidth, frame.displayHeight]; // VideoFrame
  if (typeof frame.videoWidth === 'number') return [frame.videoWidth, frame.videoHeight]; // <video>
  if (typeof frame.naturalWidth === 'number') return [frame.naturalWidth, frame.naturalHeight]; // <img>
  return [frame.width, frame.height];
}

/**
 * Checks live()'s options; returns them with their defaults.
 * @returns {{ size: number | [number, number], temporal: number, strength: number, preserveColors: boolean }}
 */
export function liveOptions(op, o) {
  const size = o.size ?? DEFAULT_SIZE;
  const dimension = (v) => Number.isSafeInteger(v) && v >= 1 && v <= MAX_SIZE;
  if (!(dimension(size) || (Array.isArray(size) && size.length === 2 && size.every(dimension)))) {
    throw invalid(op, `size must be a long side or [width, height], integers in [1, ${MAX_SIZE}], got ${Array.isArray(size) ? `[${size}]` : size}`);
  }
  const temporal = o.temporal ?? DEFAULT_TEMPORAL;
  if (typeof temporal !== 'number' || !(temporal >= 0 && temporal < 1)) throw invalid(op, `temporal must be a number in [0, 1), got ${temporal}`);
  const strength = o.strength ?? 1;
  if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) throw invalid(op, `strength must be a number in [0, 1], got ${strength}`);
  const preserveColors = o.preserveColors ?? false;
  if (typeof preserveColors !== 'boolean') throw invalid(op, `preserveColors must be a boolean, got ${typeName(preserveColors)}`);
  return { size, temporal, strength, preserveColors };
}

export class LiveSession {
  #port;      // from Model#live: check(op), run(...), reset(), runtime
  #options;
  #in = { ptr: 0, bytes: 0 };
  #out = { ptr: 0, bytes: 0 };
  #context = null;  // browsers: frames that are not RGBA bytes are drawn here at the session size
  #disposed = false;

  /** @internal use Model#live */
  constructor(port, options) {
    this.#port = port;
    this.#options = options;
  }

  /** The output size for a frame of width x height: the session's size, aspect ratio kept. */
  sizeFor(width, height) {
    const s = this.#options.size;
    if (Array.isArray(s)) return [s[0], s[1]];
    const k = s / Math.max(width, height);
    return [Math.max(1, Math.round(width * k)), Math.max(1, Math.round(height * k))];
  }

  /**
   * Stylizes one frame and returns { data, width, height } (RGBA) at the session's size.
   * frame: ImageData or { data, width, height }; in browsers also ImageBitmap, VideoFrame,
   * HTMLVideoElement, HTMLImageElement, HTMLCanvasElement or OffscreenCanvas.
   * out: a Uint8ClampedArray of width * height * 4 to fill instead of a new array.
   */
  stylize(frame, options = {}) {
    const op = 'live.stylize';
    if (this.#disposed) throw new InstyleError('DISPOSED', `${op}: this live session was disposed`);
    this.#port.check(op);
    if (frame === null || typeof frame !== 'object') throw invalid(op, `frame must be ImageData, { data, width, height } or an image source, got ${typeName(frame)}`);
    if (options === null || typeof options !== 'object') throw invalid(op, `options must be an object, got ${typeName(options)}`);
    for (const k of Object.keys(options)) if (k !== 'out') throw invalid(op, `unknown option '${k}' (known: out)`);
    const [fw, fh] = frameSize(frame);
    if (!Number.isSafeInteger(fw) || !Number.isSafeInteger(fh) || fw < 1 || fh < 1) {
      throw invalid(op, `the frame must have a positive integer width and height, got ${fw} x ${fh}`);
    }
    const [w, h] = this.sizeFor(fw, fh);
    let rgba = frame.data, width = fw, height = fh;
    if (rgba === undefined) {
      [rgba, width, height] = [this.#draw(op, frame, w, h), w, h];
    } else if (!(rgba instanceof Uint8ClampedArray || rgba instanceof Uint8Array)) {
      throw invalid(op, `frame.data must be a Uint8ClampedArray of RGBA bytes, got ${typeName(rgba)}`);
    } else if (rgba.length !== fw * fh * 4) {
      throw new InstyleError('SHAPE_MISMATCH', `${op}: frame.data has ${rgba.length} bytes but ${fw} x ${fh} RGBA needs ${fw * fh * 4}`);
    }
    const out = options.out;
    if (out !== undefined && !(out instanceof Uint8ClampedArray && out.length === w * h * 4)) {
      throw invalid(op, `out must be a Uint8ClampedArray of ${w} x ${h} x 4 = ${w * h * 4} bytes, got ${typeName(out)}${out?.length !== undefined ? ` of ${out.length}` : ''}`);
    }
    const runtime = this.#port.runtime;
    const src = this.#reserve(op, this.#in, rgba.length, 'the frame');
    const dst = this.#reserve(op, this.#out, w * h * 4, 'the stylized frame');
    runtime.bytes().set(rgba, src);
    const { temporal, strength, preserveColors } = this.#options;
    this.#port.run(op, src, width, height, w, h, temporal, dst, strength, preserveColors);
    const result = out ?? new Uint8ClampedArray(w * h * 4);
    result.set(runtime.bytes().subarray(dst, dst + w * h * 4));
    return { data: result, width: w, height: h };
  }

  /**
   * Changes options between frames: any of size, temporal, strength, preserveColors (the
   * others keep their values). The averaged statistics carry on; call reset() for a new scene.
   */
  update(options) {
    const op = 'live.update';
    if (this.#disposed) throw new InstyleError('DISPOSED', `${op}: this live session was disposed`);
    this.#port.check(op);
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw invalid(op, `options must be an object, got ${typeName(options)}`);
    for (const k of Object.keys(options)) if (!LIVE_OPTIONS.includes(k)) throw invalid(op, `unknown option '${k}' (known: ${LIVE_OPTIONS.join(', ')})`);
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.#options = liveOptions(op, { ...this.#options, ...defined });
  }

  /** The session's options as they are now. */
  get options() {
    const { size, ...rest } = this.#options;
    return { size: Array.isArray(size) ? [...size] : size, ...rest };
  }

  /** Forgets the statistics averaged so far: the next frame is normalized on its own. */
  reset() {
    if (this.#disposed) throw new InstyleError('DISPOSED', 'live.reset: this live session was disposed');
    this.#port.check('live.reset');
    this.#port.reset();
  }

  get disposed() {
    return this.#disposed;
  }

  /** Frees the session's buffers in the engine; the model stays usable. */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#port.release(this, [this.#in.ptr, this.#out.ptr]);
    this.#in.ptr = this.#out.ptr = 0;
    this.#context = null;
  }

  // A heap block of at least `bytes`, kept from frame to frame.
  #reserve(op, block, bytes, what) {
    if (block.bytes >= bytes && block.ptr) return block.ptr;
    const runtime = this.#port.runtime;
    runtime.free(block.ptr);
    block.ptr = runtime.malloc(bytes);
    block.bytes = block.ptr ? bytes : 0;
    if (!block.ptr) throw new InstyleError('OUT_OF_MEMORY', `${op}: could not allocate ${(bytes / 1e6).toFixed(1)} MB for ${what} in the WebAssembly heap`);
    return block.ptr;
  }

  // Browsers: an image source drawn at the session size (the browser resizes on the way).
  #draw(op, frame, w, h) {
    if (typeof OffscreenCanvas !== 'function') {
      throw invalid(op, `frame must be ImageData or { data, width, height } here (no OffscreenCanvas to draw a ${typeName(frame)}), got ${typeName(frame)}`);
    }
    if (!this.#context || this.#context.width !== w || this.#context.height !== h) {
      this.#context = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
    }
    try {
      this.#context.drawImage(frame, 0, 0, w, h);
    } catch (e) {
      throw invalid(op, `cannot draw the frame (${typeName(frame)}): ${e.message}`);
    }
    return this.#context.getImageData(0, 0, w, h).data;
  }
}
