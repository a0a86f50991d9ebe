// The computation the consumer test runs everywhere instyle is installed: Node, a browser
// page's main thread, and a Web Worker. Same input, same ops: the numbers must agree.
export const SHAPE = [2, 3, 8, 9];

export function input() {
  const x = new Float32Array(SHAPE.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(Math.sin(i * 0.37) * 3 + (i % 7) * 0.25);
  return x;
}

export function compute(ist) {
  const x = input();
  const weight = new Float32Array(4 * 3 * 3 * 3).map((_, i) => Math.fround(Math.cos(i) * 0.2));
  return {
    instanceNorm: Array.from(ist.instanceNorm(x, SHAPE, { gamma: [1, 2, 3], beta: [0, 0.5, -1], relu: true })),
    batchNormMean: Array.from(ist.batchNorm(x, SHAPE, { training: true }).mean),
    groupNorm: Array.from(ist.groupNorm(x, SHAPE, { groups: 3 })),
    adain: Array.from(ist.adain(x, SHAPE, x.subarray(0, 216), [1, 3, 8, 9], { alpha: 0.5 })),
    conv2d: Array.from(ist.conv2d(x, SHAPE, weight, [4, 3, 3, 3], { padding: 1, padMode: 'reflect', relu: true })),
  };
}

// The built-in styles: the default one, loaded from the installed package (a bundler must
// have shipped its .onnx file and its artwork's thumbnail), on a small gradient. Returns the
// style names, the result's bytes summed and the thumbnail's size, which must agree everywhere.
// readUrl(url) -> bytes: fetch in browsers; Node's fetch cannot read the file: URLs there.
const fetchBytes = async (url) => new Uint8Array(await (await fetch(url)).arrayBuffer());
export async function styleCheck(ist, readUrl = fetchBytes) {
  const styles = ist.styles();
  const names = styles.map((s) => s.name);
  const model = await ist.loadStyle(names[0]);
  const data = new Uint8ClampedArray(24 * 16 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) % 256));
  const out = await model.stylize({ data, width: 24, height: 16 });
  model.dispose();
  const thumbnail = await readUrl(styles[0].artwork.thumbnail);
  return { names, sum: out.data.reduce((a, b) => a + b, 0), thumbnailBytes: thumbnail.length, jpeg: thumbnail[0] === 0xff && thumbnail[1] === 0xd8 };
}
