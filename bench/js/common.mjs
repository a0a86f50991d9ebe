// common.mjs: the measurements of `npm run bench` that do not depend on where they run, shared by
// the Node child processes (compare-ort.mjs) and the Chromium workers (browser-worker.mjs). Plain
// JS with no Node or DOM imports: each caller loads the engines its own way and passes them in.

// The same seeded input for both engines: a smooth image with texture, values 0..255.
export function input(size) {
  const x = new Float32Array(3 * size * size);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < size * size; i++) {
      const u = (i % size) / size, v = Math.floor(i / size) / size;
      x[c * size * size + i] = 127.5 + 120 * Math.sin(6.3 * (u * (c + 1) + v * 0.7) + 17 * u * v);
    }
  }
  return x;
}

// Min and median wall time in ms of `runs` calls after one untimed warm-up (compilation,
// planning, first-touch of memory).
export async function timeRuns(fn, runs) {
  await fn();
  const ms = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { min: ms[0], median: ms[ms.length >> 1] };
}

// The TransformerNet through instyle at each size: one row per size; keep(size, y) receives the
// last output so the caller can compare it with ORT's.
export async function benchInstyle(ist, bytes, { sizes, runs }, keep) {
  const model = await ist.loadModel(bytes);
  const rows = [];
  for (const size of sizes) {
    const x = input(size);
    let y;
    const t = await timeRuns(() => { y = model.run(x, [1, 3, size, size]).data; }, runs);
    const flops = model.info({ width: size, height: size }).flops;
    keep(size, y);
    rows.push({ size, ...t, flops, heap: ist.memoryUsage().heapBytes });
  }
  model.dispose();
  return rows;
}

// An onnxruntime-web session on its WASM SIMD backend with `threads` threads.
async function ortSession(ort, bytes, threads) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  return ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
}

// The same through onnxruntime-web's WASM backend. heapBytes() gives ORT's WASM heap size where
// the caller can see it (Chromium workers), else the rows carry heap: null.
export async function benchOrt(ort, bytes, { threads, sizes, runs, heapBytes = () => null }, keep) {
  const session = await ortSession(ort, bytes, threads);
  const name = session.inputNames[0];
  const rows = [];
  for (const size of sizes) {
    const x = input(size);
    let y;
    const t = await timeRuns(async () => {
      const result = await session.run({ [name]: new ort.Tensor('float32', x, [1, 3, size, size]) });
      y = result[session.outputNames[0]].data;
    }, runs);
    keep(size, y);
    rows.push({ size, ...t, heap: heapBytes() });
  }
  await session.release();
  return rows;
}

// Live video (model.live()): frames per second of a built-in style at each size, square frames of
// RGBA bytes in, RGBA bytes out ({ out }), one synchronous call per frame: median of `frames`
// frames after a warm-up, and the same network through ORT (session.run on a float tensor
// already planar: ORT's conversions from and to RGBA are not counted).
export const LIVE_FRAMES = 30;

function rgbaFrame(width, height, k) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const x = (i % width) + 2 * k, y = Math.floor(i / width);
    data[4 * i] = 127 + 100 * Math.sin(x * 0.05 + y * 0.02);
    data[4 * i + 1] = 127 + 100 * Math.sin(y * 0.04);
    data[4 * i + 2] = 127 + 100 * Math.cos((x - y) * 0.03);
    data[4 * i + 3] = 255;
  }
  return { data, width, height };
}

export async function benchLive(ist, bytes, { sizes, frames = LIVE_FRAMES }) {
  const model = await ist.loadModel(bytes);
  const rows = [];
  for (const size of sizes) {
    const width = size, height = size;
    const live = model.live({ size });
    const clip = Array.from({ length: 4 }, (_, k) => rgbaFrame(width, height, k));
    const out = new Uint8ClampedArray(width * height * 4);
    let k = 0;
    const t = await timeRuns(() => { live.stylize(clip[k++ % clip.length], { out }); }, frames);
    rows.push({ size: `${width}x${height}`, fps: 1000 / t.median });
    live.dispose();
  }
  model.dispose();
  return rows;
}

export async function benchOrtLive(ort, bytes, { threads, sizes, frames = LIVE_FRAMES }) {
  const session = await ortSession(ort, bytes, threads);
  const name = session.inputNames[0];
  const rows = [];
  for (const size of sizes) {
    const width = size, height = size;
    const x = new ort.Tensor('float32', new Float32Array(3 * width * height).fill(127), [1, 3, height, width]);
    const t = await timeRuns(async () => { await session.run({ [name]: x }); }, frames);
    rows.push({ size: `${width}x${height}`, fps: 1000 / t.median });
  }
  await session.release();
  return rows;
}

// Any image as the style (ist.loadArbitraryStyle, styles/arbitrary.onnx): a square photo of
// `size` in RGBA, stylized whole with a style code computed once (the style image's statistics
// at its 512-pixel size, timed apart), and the same graph through ORT, whose instance norm runs
// with the file's unit scale and zero shift: the same operations, so the same work.
export const ARBITRARY_SIZE = 512;

// Both transforms on the same photo and code: WCT (the default; the covariance, its
// eigen-decomposition and a channel mix at the style layer) and AdaIN (a plain instance norm
// with the style's scale and shift, the same work ORT-web does on the graph).
export async function benchArbitrary(ist, bytes, { size = ARBITRARY_SIZE, runs }) {
  const arb = await ist.loadArbitraryStyle(bytes);
  const photo = rgbaFrame(size, size, 0);
  const art = rgbaFrame(512, 384, 7);
  const code = await timeRuns(() => arb.styleCode(art), runs);
  const c = arb.styleCode(art);
  const t = await timeRuns(() => arb.stylize(photo, c), runs);
  const adain = await timeRuns(() => arb.stylize(photo, c, { transform: 'adain' }), runs);
  const { flops } = arb.info({ width: size, height: size });
  arb.dispose();
  return { size, ...t, adain, codeMs: code.min, flops, heap: ist.memoryUsage().heapBytes };
}

export async function benchOrtArbitrary(ort, bytes, { threads, size = ARBITRARY_SIZE, runs }) {
  const session = await ortSession(ort, bytes, threads);
  const x = new ort.Tensor('float32', input(size), [1, 3, size, size]);
  const t = await timeRuns(async () => { await session.run({ [session.inputNames[0]]: x }); }, runs);
  await session.release();
  return { size, ...t };
}

// Max |y - ref| over max |ref|: how far instyle's output is from ORT's, relative to its range.
export function relativeDiff(y, ref) {
  let diff = 0, top = 0;
  for (let k = 0; k < ref.length; k++) {
    diff = Math.max(diff, Math.abs(y[k] - ref[k]));
    top = Math.max(top, Math.abs(ref[k]));
  }
  return diff / top;
}

// Instance norm through the JS API on a typical activation, [1,64,256,256] (16 MiB), in place
// (`out: x`), beside a plain copy of the same bytes: the memory-bound ceiling. Both count every
// byte read once and written once (2 * 4 * N per call), like the native norm benchmarks; the JS
// call also copies x into the WASM heap and the result out, which the figure includes.
export const NORM_SHAPE = [1, 64, 256, 256];
export const NORM_RUNS = 20;

export async function normThroughput(ist) {
  const n = NORM_SHAPE.reduce((a, b) => a * b);
  const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const copy = new Float32Array(n);
  // IN of IN is IN, so normalizing the previous output again keeps the data (and the work) alike.
  const norm = await timeRuns(() => { ist.instanceNorm(x, NORM_SHAPE, { out: x }); }, NORM_RUNS);
  const memcpy = await timeRuns(() => { copy.set(x); }, NORM_RUNS);
  const gbs = (ms) => (2 * 4 * n) / ms / 1e6;
  return { normGBs: gbs(norm.min), copyGBs: gbs(memcpy.min) };
}
