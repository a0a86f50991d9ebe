// A diverging colour map for normalized feature maps: blue below zero, light grey at zero,
// red above (Moreland's "cool to warm" control points). Normalized outputs have unit variance,
// so a fixed range of +-RANGE shows every panel on the same scale and nothing flickers while
// dragging; values beyond it saturate.

export const RANGE = 3;

const STOPS = [
  [59, 76, 192],
  [98, 130, 234],
  [141, 176, 254],
  [184, 208, 249],
  [221, 221, 221],
  [245, 196, 173],
  [244, 154, 123],
  [222, 96, 77],
  [180, 4, 38],
];

export function colourAt(t) {
  const f = Math.min(Math.max(t, 0), 1) * (STOPS.length - 1);
  const i = Math.min(Math.floor(f), STOPS.length - 2);
  const w = f - i;
  return STOPS[i].map((c, k) => Math.round(c + (STOPS[i + 1][k] - c) * w));
}

// 256 RGBA colours packed little-endian, as an Int32Array view of ImageData bytes reads them
// (signed, so every entry stays a small integer for the JIT instead of a boxed double).
export function divergingLut() {
  const lut = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    const [r, g, b] = colourAt(i / 255);
    lut[i] = (255 << 24) | (b << 16) | (g << 8) | r;
  }
  return lut;
}

// CSS gradient for the legend bar under the panels.
export function legendGradient() {
  const stops = STOPS.map((c, i) => `rgb(${c.join(' ')}) ${((i / (STOPS.length - 1)) * 100).toFixed(1)}%`);
  return `linear-gradient(90deg, ${stops.join(', ')})`;
}
