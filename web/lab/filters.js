// The lab's fixed first layer: eight hand-made 3x3 filters over RGB (0..255), the kind of
// detectors the first layer of a trained network tends to learn. Weights are [O=8, I=3, 3, 3].
//
// Filters 0-3 and 5-6 sum to zero, so a constant image gives 0 and brightness b cannot reach
// them; 4 and 7 do not, and carry biases, so b and a move them in ways only some
// normalizations undo. That difference is what the GN and LN panels show.

const LUMA = [0.299, 0.587, 0.114];

const SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1].map((v) => v / 4);
const SOBEL_Y = [-1, -2, -1, 0, 0, 0, 1, 2, 1].map((v) => v / 4);
const DIAGONAL = [0, 1, 2, -1, 0, 1, -2, -1, 0].map((v) => v / 4);
const SPOT = [-1, -1, -1, -1, 8, -1, -1, -1, -1].map((v) => v / 8);
const BLUR = [1, 2, 1, 2, 4, 2, 1, 2, 1].map((v) => v / 16);

// mulberry32: a tiny seeded generator, so the "random" filter is the same on every visit.
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomFilter(seed) {
  const rand = mulberry32(seed);
  // Box-Muller normals, scaled like He initialisation for 27 inputs (then shrunk: inputs are 0..255).
  const w = [];
  for (let i = 0; i < 27; i++) {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    w.push((Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v) * Math.sqrt(2 / 27)) / 2);
  }
  return w;
}

// One output channel: the same 3x3 kernel applied to each input colour with a colour weight.
function colourKernel(kernel, colour) {
  return colour.flatMap((c) => kernel.map((k) => k * c));
}

export const CHANNELS = [
  { name: 'Vertical edges', kernel: colourKernel(SOBEL_X, LUMA), bias: 0 },
  { name: 'Horizontal edges', kernel: colourKernel(SOBEL_Y, LUMA), bias: 0 },
  { name: 'Diagonal edges', kernel: colourKernel(DIAGONAL, LUMA), bias: 0 },
  { name: 'Spots (Laplacian)', kernel: colourKernel(SPOT, LUMA), bias: 0 },
  { name: 'Brightness (blur)', kernel: colourKernel(BLUR, LUMA), bias: -128 },
  { name: 'Red vs green', kernel: colourKernel(BLUR, [1, -1, 0]), bias: 0 },
  { name: 'Blue vs yellow', kernel: colourKernel(BLUR, [-0.5, -0.5, 1]), bias: 0 },
  { name: 'Random filter (seed 7)', kernel: randomFilter(7), bias: 12 },
];

// Shown first: brightness is the channel where "the output follows the input's intensity"
// is plainest to see.
export const DEFAULT_CHANNEL = 4;
export const OUT_CHANNELS = CHANNELS.length;
export const WEIGHT_SHAPE = [OUT_CHANNELS, 3, 3, 3];
export const WEIGHTS = Float32Array.from(CHANNELS.flatMap((c) => c.kernel));
export const BIAS = Float32Array.from(CHANNELS.map((c) => c.bias));
