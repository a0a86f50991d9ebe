// Types for the `instyle` package (js/index.node.js and js/index.browser.js export the same API).

/** [N, C, H, W]: tensors are Float32Arrays in NCHW order. */
export type Shape = readonly [number, number, number, number] | readonly number[];

/** Per-channel parameters: a Float32Array or a plain array of numbers. */
export type Params = Float32Array | readonly number[];

export type InstyleErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'OUT_OF_MEMORY'
  | 'DISPOSED'
  | 'UNAVAILABLE'
  /** loadModel: the bytes are not an ONNX model instyle can read (truncated, corrupt). */
  | 'INVALID_MODEL'
  /** loadModel: a valid model using an op or feature instyle lacks (the message names it). */
  | 'UNSUPPORTED'
  /** stylize: stopped by its AbortSignal. */
  | 'CANCELLED';

/** Thrown by every call; `message` names the op and the argument. The instance stays usable. */
export class InstyleError extends Error {
  constructor(code: InstyleErrorCode, message: string);
  readonly name: 'InstyleError';
  readonly code: InstyleErrorCode;
}

export interface InitOptions {
  /**
   * 'auto' (default): Node, one per core up to 8; browsers, one per core up to 8 inside a Worker
   * of a cross-origin-isolated page, else 1 (the main thread never waits on threads).
   * A number forces it (1 = the single-threaded build).
   */
  threads?: number | 'auto';
}

export interface InstanceNormOptions {
  /** Added to the variance; default 1e-5. */
  eps?: number;
  /** [C] scale, default 1. */
  gamma?: Params;
  /** [C] shift, default 0. */
  beta?: Params;
  /** max(0, .) after the affine step. */
  relu?: boolean;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface BatchNormInferenceOptions {
  training?: false;
  eps?: number;
  /** [C] running mean (required). */
  mean: Params;
  /** [C] running variance (required, >= 0). */
  variance: Params;
  gamma?: Params;
  beta?: Params;
  relu?: boolean;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface BatchNormTrainingOptions {
  training: true;
  eps?: number;
  gamma?: Params;
  beta?: Params;
  relu?: boolean;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface BatchNormTrainingResult {
  output: Float32Array;
  /** [C] batch mean over (N, H, W). */
  mean: Float32Array;
  /** [C] biased batch variance. */
  variance: Float32Array;
}

export interface LayerNormOptions {
  eps?: number;
  /** [C*H*W] element-wise scale (PyTorch's LayerNorm([C, H, W])). */
  gamma?: Params;
  beta?: Params;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface GroupNormOptions {
  /** Number of groups; must divide C. */
  groups: number;
  eps?: number;
  /** [C] per-channel scale. */
  gamma?: Params;
  beta?: Params;
  relu?: boolean;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface AdainOptions {
  /** Blend: 1 = fully the style's statistics, 0 = the content unchanged. Default 1. */
  alpha?: number;
  eps?: number;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface Conv2dOptions {
  /** [O] */
  bias?: Params;
  /** s or [sh, sw]; default 1. */
  stride?: number | readonly [number, number];
  /** p, [ph, pw] or [top, left, bottom, right]; default 0. */
  padding?: number | readonly [number, number] | readonly [number, number, number, number];
  /** d or [dh, dw]; default 1. */
  dilation?: number | readonly [number, number];
  /** How padding is filled; 'reflect' needs padding smaller than the input. Default 'zeros'. */
  padMode?: 'zeros' | 'reflect' | 'edge';
  /** Must divide C and O; groups = C is depthwise. Default 1. */
  groups?: number;
  relu?: boolean;
  /**
   * Receives the result (exactly as many elements), which is then returned instead of a new
   * array: no allocation per call, for loops that run every frame. May be `x` itself.
   */
  out?: Float32Array;
}

export interface MemoryUsage {
  /** Bytes the WebAssembly heap spans (it grows, never shrinks; 4 GB at most). */
  heapBytes: number;
  /** Bytes currently allocated by malloc inside it. */
  allocatedBytes: number;
}

export class Instyle {
  private constructor();
  /** Threads each call uses, the calling thread included. */
  readonly threads: number;
  /** 'simd' (single-threaded build) or 'simd-threads'. */
  readonly variant: 'simd' | 'simd-threads';
  /** Instruction set the kernels were compiled for (xsimd's name, e.g. 'sse4.1' on WASM SIMD128). */
  readonly simd: string;
  readonly version: string;
  readonly disposed: boolean;

  /** Each (n, c) plane normalized by its own mean and variance. Returns a new [N, C, H, W] array. */
  instanceNorm(x: Float32Array, shape: Shape, options?: InstanceNormOptions): Float32Array;
  /** The per-(n, c) statistics instanceNorm uses: mean and biased variance, [N*C] each. */
  instanceStats(x: Float32Array, shape: Shape): { mean: Float32Array; variance: Float32Array };
  batchNorm(x: Float32Array, shape: Shape, options: BatchNormInferenceOptions): Float32Array;
  batchNorm(x: Float32Array, shape: Shape, options: BatchNormTrainingOptions): BatchNormTrainingResult;
  /** Normalized over (C, H, W) of each sample. */
  layerNorm(x: Float32Array, shape: Shape, options?: LayerNormOptions): Float32Array;
  groupNorm(x: Float32Array, shape: Shape, options: GroupNormOptions): Float32Array;
  /** Content with the style's per-channel mean and std. style: [N or 1, C, Hs, Ws]. */
  adain(
    content: Float32Array,
    contentShape: Shape,
    style: Float32Array,
    styleShape: Shape,
    options?: AdainOptions,
  ): Float32Array;
  /** weight: [O, C/groups, kH, kW]. Returns [N, O, outH, outW] (see conv2dOutputShape). */
  conv2d(
    x: Float32Array,
    shape: Shape,
    weight: Float32Array,
    weightShape: Shape,
    options?: Conv2dOptions,
  ): Float32Array;
  conv2dOutputShape(shape: Shape, weightShape: Shape, options?: Conv2dOptions): [number, number, number, number];
  memoryUsage(): MemoryUsage;
  /** Loads an ONNX style network from the bytes of its .onnx file. */
  loadModel(bytes: Uint8Array | ArrayBuffer, options?: LoadModelOptions): Promise<StyleModel>;
  /** The built-in styles, trained by the project; the first is the default. */
  styles(): StyleInfo[];
  /** Loads a built-in style by name; rejects with 'INVALID_ARGUMENT' for an unknown name. */
  loadStyle(name: string, options?: LoadModelOptions): Promise<StyleModel>;
  /**
   * Loads an arbitrary-style network: any image as the style (AdaIN). Without bytes, the one
   * the package ships; with the bytes of an .onnx file, your own export (an
   * InstanceNormalization node named 'adain' between encoder and decoder; rejects with
   * 'UNSUPPORTED' without one).
   */
  loadArbitraryStyle(bytes?: Uint8Array | ArrayBuffer, options?: LoadModelOptions): Promise<ArbitraryStyle>;
  /** Stops the engine's threads and releases the module; later calls throw 'DISPOSED'. */
  dispose(): void;
}

export const version: string;

export function init(options?: InitOptions): Promise<Instyle>;

/** How the network expects pixels. Default: the ONNX zoo convention, RGB values 0..255. */
export interface LoadModelOptions {
  /** The value of white at the input: 255 (default) or 1. */
  range?: 255 | 1;
  /** The value of white at the output; default: `range`. */
  outputRange?: 255 | 1;
  /** The network takes and gives channels in B, G, R order. */
  bgr?: boolean;
}

/** ImageData, or anything shaped like it (RGBA bytes, row by row). */
export interface ImageLike {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

export interface StylizeOptions {
  /** 0: the photo, 1 (default): the stylized image; in between, a blend. */
  strength?: number;
  /** Keep the photo's colours and take only the luminance of the stylized image. */
  preserveColors?: boolean;
  /** Scale the photo down first so its long side is at most this many pixels. */
  maxSize?: number;
  /** Called between steps with the fraction done (0..1) and where the run is, and with 1 at the end. */
  onProgress?: (fraction: number, where: StylizeProgress) => void;
  /** Aborting rejects the call with InstyleError 'CANCELLED' between steps. */
  signal?: AbortSignal;
  /**
   * Cut the photo into overlapping tiles that share instance norm statistics taken from a
   * thumbnail (Thumbnail Instance Normalization), so memory stays bounded at any size.
   * 'auto' (default): only when the untiled run would need more than maxMemoryMB.
   */
  tiled?: 'auto' | boolean;
  /** Tile side in pixels, margins included (default: the largest that fits maxMemoryMB, at most 1024). */
  tileSize?: number;
  /** Long side of the thumbnail the statistics come from (default 1024; never above the photo's). */
  thumbnailSize?: number;
  /** The engine's working memory for one run, in MB (default 256). */
  maxMemoryMB?: number;
  /** 'thumbnail' (default): shared statistics; 'tile': each tile its own (seams; for comparison). */
  tileStatistics?: 'thumbnail' | 'tile';
}

export interface StylizeProgress {
  stage: 'whole' | 'thumbnail' | 'tiles' | 'done';
  /** Tiles finished, and how many there are (1 for an untiled run). */
  tile: number;
  tiles: number;
}

export interface ReceptiveField {
  /** Input pixels an output pixel may depend on, on each side (an upper bound). */
  radius: number;
  /** The network's total stride: tiles start on multiples of it. */
  align: number;
  /** The overlap stylize() gives each tile on its inner sides. */
  margin: number;
}

export interface StyleInfo {
  name: string;
  title: string;
  file: string;
  bytes: number;
  /**
   * 'full' and 'light' for photos; 'live' for video (model.live()): 3x3 first and last layers
   * for speed, trained to change little when the camera's noise does.
   */
  network: 'light' | 'full' | 'live';
  /**
   * How the file stores its weights: 'fp16', or 'int8' (the large kernels as int8 with a scale
   * per output channel, ONNX DequantizeLinear; half the size). Missing: fp16.
   */
  weights?: 'fp16' | 'int8';
  trainingSteps: number;
  trainingHours: number;
  trainingSize: number;
  /**
   * Set when the training started from another style's trained network ('<run>@<steps>',
   * docs/training.md) rather than at random; trainingSteps and trainingHours count this
   * style's own training only.
   */
  startedFrom?: string;
  /**
   * The loss network the style was trained against (styles catalogued since the random-VGG
   * loss; docs/training.md): 'vgg:<seed>' and 'vgghp:<seed>' are VGG-19s with random weights
   * from that seed (width: channel multiplier, pool: pooling), 'mnv2' nsfwjs's MobileNetV2.
   */
  loss?: {
    nets: string[];
    width?: number | null;
    pool?: string | null;
    styleLayers: string[];
    layerWeights: number[];
    contentLayer: string;
    /**
     * The weight of the palette term (the sliced Wasserstein distance between the output's
     * colours and the artwork's; 1 for a photo), where one was used.
     */
    paletteWeight?: number;
  };
  /**
   * Networks trained for video: the weight of the term that made a photo's output and that of
   * the same photo moved by up to `shift` pixels with noise up to `noise` (0..255) agree.
   */
  stability?: { weight: number; noise: number; shift: number };
  artwork: {
    about: string;
    author: string;
    licence: string;
    package: string;
    path: string;
    /** The part of the image used, as fractions [x0, y0, x1, y1]; null: all of it. */
    crop?: [number, number, number, number] | null;
    /**
     * URL of a small JPEG of the artwork as trained on (192 px on the long side), shipped
     * beside the style's network, for a picker: `<img src={style.artwork.thumbnail}>`.
     */
    thumbnail: string;
  };
}

export interface ModelInfo {
  opset: number;
  producer: string;
  /** Float weights of the layers (PyTorch's parameter count). */
  parameters: number;
  weightBytes: number;
  /** op_type -> count, as in the file. */
  ops: Record<string, number>;
  instanceNormLayers: number;
  /** e.g. "input [1,3,height,width]" */
  input: string;
  inputShape: number[];
  outputShape: number[];
  /** Kernels a run executes, after constant folding and fusion. */
  steps: number;
  flops: number;
  /** Activations, reused by liveness. */
  arenaBytes: number;
  /** Convolution scratch. */
  workspaceBytes: number;
  /** The input and output tensors. */
  ioBytes: number;
  /** arena + workspace + io + weights: what a run of this size needs. */
  peakBytes: number;
}

export interface StyleModel {
  /** Runs the network on [1, C, H, W] floats; any H and W it takes. */
  run(input: Float32Array, shape: readonly number[]): { data: Float32Array; shape: number[] };
  /** Stylizes a photo; resolves to an ImageData where the platform has one. */
  stylize(image: ImageLike, options?: StylizeOptions): Promise<ImageLike>;
  /** For an input of [1, 3, H, W] or { width, height }; default the declared size or 512 x 512. */
  info(size?: readonly number[] | { width: number; height: number }): ModelInfo;
  /** How far the network sees, for tiling (throws 'UNSUPPORTED' for networks that change scale). */
  receptiveField(): ReceptiveField;
  /**
   * A session for video frames: each frame resized to `size`, stylized synchronously in one
   * call, instance norm statistics averaged over frames by `temporal`. One open session per
   * model (a second throws 'INVALID_ARGUMENT' until the first is disposed).
   */
  live(options?: LiveOptions): LiveSession;
  readonly disposed: boolean;
  /** Frees the network in the engine (and ends its live session); later calls throw 'DISPOSED'. */
  dispose(): void;
}

/**
 * A style image's statistics at an arbitrary-style network's style layer: computed once by
 * styleCode(), reused for many photos or frames; plain data (structuredClone and postMessage
 * keep it).
 */
export interface StyleCode {
  readonly kind: 'instyle.styleCode';
  readonly layer: string;
  readonly channels: number;
  readonly mean: Float32Array;
  readonly stddev: Float32Array;
  /** channels x channels, row-major: the square root of the features' covariance (for 'wct'). */
  readonly coloring: Float32Array;
  /** The size the style image ran at. */
  readonly width: number;
  readonly height: number;
}

/**
 * How the style's statistics reach the photo's features: 'wct' (default; whitening and
 * colouring, Li et al. 2017: the style's correlations between channels too, more of its
 * texture and colour combinations) or 'adain' (each channel's mean and spread, Huang &
 * Belongie 2017: softer, a tint and tone).
 */
export type ArbitraryTransform = 'wct' | 'adain';

export interface ArbitraryStylizeOptions extends Omit<StylizeOptions, 'tileStatistics'> {
  /**
   * 1 (default): the photo's features take the style's statistics; 0.5: halfway between its
   * own and the style's (inside the network); 0: the photo, unchanged.
   */
  strength?: number;
  transform?: ArbitraryTransform;
}

export interface ArbitraryStyle {
  /** Paints the photo in the style of an image or of a styleCode(). */
  stylize(photo: ImageLike, style: ImageLike | StyleCode, options?: ArbitraryStylizeOptions): Promise<ImageLike>;
  /** The style image's statistics; its long side is first scaled to at most maxSize (default 512). */
  styleCode(styleImage: ImageLike, options?: { maxSize?: number }): StyleCode;
  /**
   * A live session (as StyleModel.live) painting every frame in this style; its strength works
   * inside the network, as in stylize().
   */
  live(style: ImageLike | StyleCode, options?: LiveOptions & { transform?: ArbitraryTransform }): LiveSession;
  info(size?: readonly number[] | { width: number; height: number }): ModelInfo & { adainLayer: string };
  readonly disposed: boolean;
  /** Frees the network; later calls throw 'DISPOSED'. */
  dispose(): void;
}

export interface LiveOptions {
  /** The long side of every output frame, or [width, height]. Default 256. */
  size?: number | readonly [number, number];
  /**
   * In [0, 1): the weight of the past frames' statistics in each instance norm layer
   * (an exponential moving average); 0 gives each frame its own. Default 0.8.
   */
  temporal?: number;
  /** 0..1, as stylize(). Default 1. */
  strength?: number;
  /** As stylize(). Default false. */
  preserveColors?: boolean;
}

/** Anything a live session can take as a frame: RGBA bytes, or (in browsers) an image source. */
export type LiveFrame =
  | ImageLike
  | ImageData
  | ImageBitmap
  | VideoFrame
  | HTMLVideoElement
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas;

export interface LiveSession {
  /** Stylizes a frame; returns at once. `out`: a Uint8ClampedArray of width * height * 4 to fill. */
  stylize(frame: LiveFrame, options?: { out?: Uint8ClampedArray }): { data: Uint8ClampedArray; width: number; height: number };
  /**
   * Changes options between frames (size, temporal, strength, preserveColors; the others keep
   * their values). The averaged statistics carry on.
   */
  update(options: LiveOptions): void;
  /** The session's options as they are now, defaults filled in. */
  readonly options: Required<LiveOptions>;
  /** Forgets the averaged statistics (a new scene): the next frame is normalized on its own. */
  reset(): void;
  readonly disposed: boolean;
  /** Frees the session's buffers; the model stays usable. */
  dispose(): void;
}
