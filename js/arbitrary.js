// arbitrary.js: any image as the style (AdaIN, Huang & Belongie 2017). `ist.loadArbitraryStyle()`
// (core.js) loads an arbitrary-style network, one ONNX graph of encoder -> InstanceNormalization
// named "adain" -> decoder (scripts/train/arbitrary_net.py), and wraps it here:
//
//   const arb = await ist.loadArbitraryStyle();                 // the network the package ships
//   const out = await arb.stylize(photo, painting, { strength: 0.8 });
//   const code = arb.styleCode(painting);                       // the style's statistics, once
//   for (const frame of frames) await arb.stylize(frame, code); // ... reused for many photos
//   const live = arb.live(code, { size: 256 });                 // or video, frame by frame
//   arb.info();  arb.dispose();
//
// The engine runs the photo through the encoder; the "adain" layer normalizes each feature
// channel by the photo's own mean and standard deviation and gives it the style's instead
// (RunOptions::adain, src/model/plan.h); the decoder paints the result. A style code is the
// style image's per-channel mean and standard deviation at that layer, a few hundred numbers:
// plain Float32Arrays, so it can be stored or posted to a worker. Big photos tile as
// model.stylize() does: a thumbnail's statistics at every instance norm layer, the AdaIN layer
// included, serve every tile.
import { InstyleError } from './errors.js';
import { checkImage, modelInternals } from './model.js';

const STYLIZE_OPTIONS = ['strength', 'preserveColors', 'maxSize', 'onProgress', 'signal', 'tiled',
  'tileSize', 'thumbnailSize', 'maxMemoryMB'];
const CODE_OPTIONS = ['maxSize'];
// A style image's long side for its statistics: the size AdaIN's decoders are trained at; a
// larger one sees finer texture, a smaller one coarser (the statistics are per channel, so the
// code's size does not change).
export const DEFAULT_STYLE_SIZE = 512;
export const LAYER = 'adain';
// The engine's working memory for one run unless told otherwise. Lower than model.stylize()'s
// 256 MB: the encoder's first layers keep 32 channels at full resolution (2.5x the built-in
// styles' activations per pixel), and the 1024-pixel thumbnail alone would take 214 MB; at 160
// a 12 MP photo stays within 512 MB of process memory (README, "Any image as the style").
const DEFAULT_MAX_MEMORY_MB = 160;
const CODE_KIND = 'instyle.styleCode';

const invalid = (op, message) => new InstyleError('INVALID_ARGUMENT', `${op}: ${message}`);

function checkOptions(op, options, known) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw invalid(op, 'options must be an object');
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalid(op, `unknown option '${key}' (known: ${known.join(', ')})`);
  }
  return options;
}

function isStyleCode(v) {
  return v !== null && typeof v === 'object' && v.kind === CODE_KIND;
}

export class ArbitraryStyle {
  #model;  // the Model (js/model.js) of the one-graph network
  #layer;  // index of the "adain" layer among the network's instance norm layers
  #channels = 0;  // its channel count, known after the first style code

  /** @internal use Instyle#loadArbitraryStyle */
  constructor(model) {
    const layer = modelInternals.normLayerIndex(model, LAYER);
    if (layer < 0) {
      const n = model.info({ width: 64, height: 64 }).instanceNormLayers;
      throw new InstyleError('UNSUPPORTED', `loadArbitraryStyle: the network has no InstanceNormalization node named '${LAYER}' ` +
        `(it has ${n} instance norm layer${n === 1 ? '' : 's'}); export it with scripts/train/adain.py --export`);
    }
    this.#model = model;
    this.#layer = layer;
  }

  /**
   * The style's statistics at the network's AdaIN layer, computed once and reused for many
   * photos or frames: { kind, layer, channels, mean, stddev, width, height } (width and
   * height: the size the style image ran at, its long side at most maxSize, default 512).
   */
  styleCode(styleImage, options) {
    const op = 'styleCode';
    const o = checkOptions(op, options, CODE_OPTIONS);
    const maxSize = o.maxSize ?? DEFAULT_STYLE_SIZE;
    if (!Number.isSafeInteger(maxSize) || maxSize < 16 || maxSize > 4096) {
      throw invalid(op, `maxSize must be an integer from 16 to 4096, got ${maxSize}`);
    }
    const image = checkImage(op, 'styleImage', styleImage);
    const r = modelInternals.styleCode(this.#model, op, image, maxSize, this.#layer);
    this.#channels = r.mean.length;
    return Object.freeze({ kind: CODE_KIND, layer: LAYER, channels: r.mean.length, ...r });
  }

  /**
   * Paints `photo` in the style of `style`, an image (as photo) or a styleCode() result.
   * strength 1 gives the photo the style's statistics, 0.5 halfway between its own and the
   * style's (inside the network: AdaIN's alpha), 0 returns the photo unchanged. The other
   * options are model.stylize()'s: preserveColors, maxSize, tiled, tileSize, thumbnailSize,
   * maxMemoryMB (default 160 here), onProgress, signal.
   */
  async stylize(photo, style, options) {
    const op = 'stylize';
    const o = checkOptions(op, options, STYLIZE_OPTIONS);
    const strength = o.strength ?? 1;
    if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) throw invalid(op, `strength must be a number in [0, 1], got ${strength}`);
    checkImage(op, 'photo', photo);
    const code = isStyleCode(style) ? this.#checkCode(op, style) : this.styleCode(checkImage(op, 'style', style));
    const adain = { layer: this.#layer, mean: code.mean, stddev: code.stddev, strength };
    // At strength 0 the engine's blend hands back the photo itself, not the decoder's rendering
    // of it (which is close, not equal).
    return modelInternals.stylize(this.#model, op, photo, { ...o, maxMemoryMB: o.maxMemoryMB ?? DEFAULT_MAX_MEMORY_MB, strength: strength > 0 ? 1 : 0 }, adain);
  }

  #checkCode(op, code) {
    const ok = code.mean instanceof Float32Array && code.stddev instanceof Float32Array &&
      code.mean.length === code.stddev.length && code.mean.length > 0;
    if (!ok) throw invalid(op, 'style code must hold mean and stddev Float32Arrays of the same length, as styleCode() returns');
    if (this.#channels && code.mean.length !== this.#channels) {
      throw new InstyleError('SHAPE_MISMATCH', `${op}: the style code has ${code.mean.length} channels; this network's AdaIN layer has ${this.#channels} ` +
        '(a code from another network?)');
    }
    for (let c = 0; c < code.mean.length; c++) {
      if (!Number.isFinite(code.mean[c]) || !(code.stddev[c] >= 0 && Number.isFinite(code.stddev[c]))) {
        throw invalid(op, `style code channel ${c} is not finite (mean ${code.mean[c]}, stddev ${code.stddev[c]})`);
      }
    }
    return code;
  }

  /**
   * A live session (model.live(): frames resized to `size`, one synchronous call each, the
   * statistics averaged over frames by `temporal`) painting every frame in `style`, an image
   * or a styleCode(). Its strength is AdaIN's, inside the network, as in stylize();
   * live.update({ strength }) changes it between frames.
   */
  live(style, options) {
    const op = 'live';
    const code = isStyleCode(style) ? this.#checkCode(op, style) : this.styleCode(checkImage(op, 'style', style));
    return modelInternals.live(this.#model, op, options, { layer: this.#layer, mean: code.mean, stddev: code.stddev });
  }

  /** The network (model.info() at `size`), with the AdaIN layer's name. */
  info(size) {
    return { ...this.#model.info(size), adainLayer: LAYER };
  }

  get disposed() {
    return this.#model.disposed;
  }

  /** Frees the network; later calls throw DISPOSED. */
  dispose() {
    this.#model.dispose();
  }
}
