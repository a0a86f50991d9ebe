// Compiled by tests/js/types.test.mjs with `tsc --noEmit`: the API as a TypeScript user writes
// it must type-check against js/index.d.ts, and misuse (the @ts-expect-error lines) must not.
import { init, InstyleError, version, type Instyle, type InstyleErrorCode, type StyleCode, type ArbitraryTransform } from 'instyle';

async function main(): Promise<void> {
  const ist: Instyle = await init({ threads: 'auto' });
  const x = new Float32Array(1 * 3 * 4 * 5);
  const shape = [1, 3, 4, 5] as const;

  const y: Float32Array = ist.instanceNorm(x, shape, { eps: 1e-5, gamma: [1, 2, 3], beta: new Float32Array(3), relu: true });
  const stats: { mean: Float32Array; variance: Float32Array } = ist.instanceStats(x, shape);
  const bn: Float32Array = ist.batchNorm(x, shape, { mean: [0, 0, 0], variance: [1, 1, 1] });
  const train = ist.batchNorm(x, shape, { training: true, eps: 1e-3 });
  const trainMean: Float32Array = train.mean;
  const ln: Float32Array = ist.layerNorm(x, shape, { eps: 1e-5 });
  const gn: Float32Array = ist.groupNorm(x, shape, { groups: 3 });
  const ada: Float32Array = ist.adain(x, shape, x, shape, { alpha: 0.5 });
  const conv: Float32Array = ist.conv2d(x, shape, new Float32Array(2 * 3 * 3 * 3), [2, 3, 3, 3], {
    bias: [0, 1], stride: [1, 2], padding: [1, 1, 1, 1], padMode: 'reflect', groups: 1, relu: false,
  });
  const outShape: [number, number, number, number] = ist.conv2dOutputShape(shape, [2, 3, 3, 3], { padding: 1 });
  const threads: number = ist.threads;
  const variant: 'simd' | 'simd-threads' = ist.variant;
  const v: string = version + ist.version + ist.simd;
  const mem: number = ist.memoryUsage().allocatedBytes;

  try {
    ist.instanceNorm(x, [1, 3, 4, 4]);
  } catch (e) {
    if (e instanceof InstyleError) {
      const code: InstyleErrorCode = e.code;
      console.log(code, e.message);
    }
  }

  // @ts-expect-error x must be a Float32Array
  ist.instanceNorm([1, 2, 3], shape);
  // @ts-expect-error padMode is one of three names
  ist.conv2d(x, shape, x, shape, { padMode: 'mirror' });
  // @ts-expect-error groupNorm needs groups
  ist.groupNorm(x, shape, { eps: 1e-5 });
  // @ts-expect-error inference batch norm needs mean and variance
  ist.batchNorm(x, shape, { eps: 1e-5 });
  // @ts-expect-error threads is a number or 'auto'
  await init({ threads: 'many' });

  const style = await ist.loadStyle(ist.styles()[0].name);
  const live = style.live({ size: [320, 240], temporal: 0.8, strength: 0.9, preserveColors: false });
  const frame = live.stylize({ data: new Uint8ClampedArray(4 * 8 * 8), width: 8, height: 8 }, { out: new Uint8ClampedArray(4 * 320 * 240) });
  const framePixels: Uint8ClampedArray = frame.data;
  live.update({ strength: 0.5 });
  const strength: number = live.options.strength;
  live.reset();
  live.dispose();
  // @ts-expect-error size is a number or [width, height]
  style.live({ size: '256' });
  // @ts-expect-error update takes live's options only
  live.update({ fps: 30 });
  // @ts-expect-error live.stylize returns at once, not a promise
  await live.stylize(frame).then(() => 0);

  const arb = await ist.loadArbitraryStyle();
  const painting = { data: new Uint8ClampedArray(4 * 16 * 16), width: 16, height: 16 };
  const code: StyleCode = arb.styleCode(painting, { maxSize: 256 });
  const codeMean: Float32Array = code.mean;
  const painted = await arb.stylize(frame, code, { strength: 0.7, preserveColors: true, tiled: 'auto' });
  await arb.stylize(painted, painting, { transform: 'adain' });
  const coloring: Float32Array = code.coloring;
  const transform: ArbitraryTransform = 'wct';
  // @ts-expect-error the transforms are 'wct' and 'adain'
  await arb.stylize(painted, painting, { transform: 'whiten' });
  const adainLayer: string = arb.info({ width: 64, height: 64 }).adainLayer;
  const arbLive = arb.live(code, { size: 256, temporal: 0.8, transform });
  arbLive.update({ strength: 0.5 });
  arbLive.dispose();
  arb.dispose();
  // @ts-expect-error the style is an image or a style code, not a file name
  await arb.stylize(painted, 'starry.jpg');
  // @ts-expect-error tile statistics are always the thumbnail's for an arbitrary style
  await arb.stylize(painted, code, { tileStatistics: 'tile' });

  console.log(y, stats, bn, trainMean, ln, gn, ada, conv, outShape, threads, variant, v, mem, framePixels, strength, codeMean, adainLayer);
  ist.dispose();
}

void main();
