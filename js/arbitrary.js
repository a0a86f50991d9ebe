// arbitrary.js: any image as the style (WCT, Li et al. 2017, or AdaIN, Huang & Belongie 2017).
// `ist.loadArbitraryStyle()`
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
// The engine runs the photo through the encoder; at the layer named "adain" it gives the
// photo's features the style's statistics (RunOptions::adain, src/model/plan.h), and the decoder
// paints the result. Two ways, the `transform` option:
// - 'wct' (the default): whitening and colouring (src/wct.h). The features are decorrelated with
//   the photo's own covariance and given the style's: the style's correlations between channels
//   come along, which is where much of its texture and colour combinations live;
// - 'adain': each channel's mean and standard deviation only (softer; a tint and tone).
// A style code is the style image's mean, standard deviation and colouring matrix (the square
// root of its feature covariance) at that layer: plain Float32Arrays, so it can be stored or
// posted to a worker. Big photos tile as model.stylize() does: a thumbnail's statistics at every
// instance norm layer, the style layer's covariance included, serve every tile.
import { InstyleError } from './errors.js';
import { checkImage, modelInternals } from './model.js';

const STYLIZE_OPTIONS = ['strength', 'transform', 'preserveColors', 'maxSize', 'onProgress', 'signal',
  'tiled', 'tileSize', 'thumbnailSize', 'maxMemoryMB'];
export const TRANSFORMS = ['wct', 'adain'];
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

function checkTransform(op, transform = 'wct') {
  if (!TRANSFORMS.includes(transform)) throw invalid(op, `transform must be one of ${TRANSFORMS.map((t) => `'${t}'`).join(', ')}, got ${JSON.stringify(transform)}`);
  return transform;
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
   * The style's statistics at the network's style layer, computed once and reused for many
   * photos or frames: { kind, layer, channels, mean, stddev, coloring, width, height } (coloring:
   * channels x channels, the square root of the features' covariance; width and height: the
   * size the style image ran at, its long side at most maxSize, default 512).
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
   * style's (inside the network), 0 returns the photo unchanged. transform: 'wct' (default) or
   * 'adain'. The other options are model.stylize()'s: preserveColors, maxSize, tiled, tileSize,
   * thumbnailSize, maxMemoryMB (default 160 here), onProgress, signal.
   */
  async stylize(photo, style, options) {
    const op = 'stylize';
    const { transform, ...o } = checkOptions(op, options, STYLIZE_OPTIONS);
    const strength = o.strength ?? 1;
    if (typeof strength !== 'number' || !(strength >= 0 && strength <= 1)) throw invalid(op, `strength must be a number in [0, 1], got ${strength}`);
    checkImage(op, 'photo', photo);
    const adain = { ...this.#styleLayer(op, style, checkTransform(op, transform)), strength };
    // At strength 0 the engine's blend hands back the photo itself, not the decoder's rendering
    // of it (which is close, not equal).
    return modelInternals.stylize(this.#model, op, photo, { ...o, maxMemoryMB: o.maxMemoryMB ?? DEFAULT_MAX_MEMORY_MB, strength: strength > 0 ? 1 : 0 }, adain);
  }

  // What the engine's style layer takes for `style` (an image or a code) and the transform.
  #styleLayer(op, style, transform) {
    const code = isStyleCode(style) ? this.#checkCode(op, style, transform) : this.styleCode(checkImage(op, 'style', style));
    return { layer: this.#layer, mean: code.mean, stddev: code.stddev, coloring: transform === 'wct' ? code.coloring : null };
  }

  #checkCode(op, code, transform) {
    const n = code.mean instanceof Float32Array ? code.mean.length : 0;
    const ok = n > 0 && code.stddev instanceof Float32Array && code.stddev.length === n;
    if (!ok) throw invalid(op, 'style code must hold mean and stddev Float32Arrays of the same length, as styleCode() returns');
    if (this.#channels && n !== this.#channels) {
      throw new InstyleError('SHAPE_MISMATCH', `${op}: the style code has ${n} channels; this network's style layer has ${this.#channels} ` +
        '(a code from another network?)');
    }
    for (let c = 0; c < n; c++) {
      if (!Number.isFinite(code.mean[c]) || !(code.stddev[c] >= 0 && Number.isFinite(code.stddev[c]))) {
        throw invalid(op, `style code channel ${c} is not finite (mean ${code.mean[c]}, stddev ${code.stddev[c]})`);
      }
    }
    if (transform === 'wct') {
      if (!(code.coloring instanceof Float32Array) || code.coloring.length !== n * n) {
        throw invalid(op, `style code must hold a coloring Float32Array of ${n} x ${n} values for transform 'wct', ` +
          'as styleCode() returns (or use transform \'adain\')');
      }
      const bad = code.coloring.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) throw invalid(op, `style code coloring[${bad}] is not finite (${code.coloring[bad]})`);
    }
    return code;
  }

  /**
   * A live session (model.live(): frames resized to `size`, one synchronous call each, the
   * statistics averaged over frames by `temporal`) painting every frame in `style`, an image
   * or a styleCode(). Its strength works inside the network, as in stylize();
   * live.update({ strength }) changes it between frames. options.transform as stylize().
   */
  live(style, options) {
    const op = 'live';
    // transform is this method's; model.live() checks the rest (and options that are no object).
    const own = options !== null && typeof options === 'object' && !Array.isArray(options);
    const { transform, ...rest } = own ? options : {};
    const layer = this.#styleLayer(op, style, checkTransform(op, transform));
    return modelInternals.live(this.#model, op, own ? rest : options, layer);
  }

  /** The network (model.info() at `size`), with the style layer's name. */
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
