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

// The same through onnxruntime-web's WASM backend. heapBytes() gives ORT's WASM heap size where
// the caller can see it (Chromium workers), else the rows carry heap: null.
export async function benchOrt(ort, bytes, { threads, sizes, runs, heapBytes = () => null }, keep) {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.simd = true;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
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
