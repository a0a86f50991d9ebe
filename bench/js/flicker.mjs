// Flicker of model.live(): a photo panning 2 px per frame with camera-like noise (Gaussian,
// sigma 3 per channel), 24 frames at 256 x 192; the mean absolute difference between
// consecutive outputs, aligned by the pan, per byte (issue 13's measure). The same for the
// frames themselves says how much change the camera put in.
//
//   node bench/js/flicker.mjs [--style NAME ...] [--temporal 0.8]
//   import { measureFlicker } from './flicker.mjs';   // npm run bench, tests/js/live.test.mjs
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

import jpeg from 'jpeg-js';

export const FLICKER = { width: 256, height: 192, frames: 24, pan: 2, sigma: 3 };
const PHOTO = new URL('../../web/samples/garden.jpg', import.meta.url);

// A seeded standard normal (xorshift + Box-Muller): every run sees the same noise.
function normals(seed) {
  let s = seed >>> 0 || 1;
  const uniform = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The panning, noisy frames: RGBA { data, width, height }, FLICKER.frames of them. */
export function panFrames(photo = jpeg.decode(readFileSync(PHOTO), { useTArray: true })) {
  const { width, height, frames, pan, sigma } = FLICKER;
  if (photo.width < width + pan * frames || photo.height < height) throw new Error('the photo is too small to pan over');
  const noise = normals(20261205);
  const top = (photo.height - height) >> 1;
  const out = [];
  for (let f = 0; f < frames; f++) {
    const data = new Uint8ClampedArray(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s = ((top + y) * photo.width + x + f * pan) * 4, d = (y * width + x) * 4;
        for (let c = 0; c < 3; c++) data[d + c] = photo.data[s + c] + sigma * noise();
        data[d + 3] = 255;
      }
    }
    out.push({ data, width, height });
  }
  return out;
}

// Mean |a - b| per RGB byte between consecutive pictures aligned by the pan: column x of
// picture f+1 shows what column x + pan of picture f showed.
export function alignedChange(pictures) {
  const { pan } = FLICKER;
  let sum = 0, count = 0;
  for (let f = 0; f + 1 < pictures.length; f++) {
    const a = pictures[f], b = pictures[f + 1];
    for (let y = 0; y < a.height; y++) {
      for (let x = 0; x + pan < a.width; x++) {
        const i = (y * a.width + x + pan) * 4, j = (y * b.width + x) * 4;
        for (let c = 0; c < 3; c++) sum += Math.abs(a.data[i + c] - b.data[j + c]);
        count += 3;
      }
    }
  }
  return sum / count;
}

/**
 * { input, output }: the frames' own aligned change and the stylized frames', per byte.
 * @param {import('../../js/index.d.ts').Model} model
 */
export function measureFlicker(model, { temporal } = {}, frames = panFrames()) {
  const live = model.live({ size: [FLICKER.width, FLICKER.height], temporal });
  try {
    const outputs = frames.map((f) => live.stylize(f));
    return { input: alignedChange(frames), output: alignedChange(outputs) };
  } finally {
    live.dispose();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { style: { type: 'string', multiple: true }, temporal: { type: 'string' } } });
  const { init } = await import('../../js/index.node.js');
  const ist = await init({ threads: 1 });
  const names = values.style ?? ist.styles().map((s) => s.name);
  const temporals = values.temporal !== undefined ? [Number(values.temporal)] : [0, undefined];
  const frames = panFrames();
  console.log(`Flicker: ${FLICKER.frames} frames of ${FLICKER.width}x${FLICKER.height} panning ${FLICKER.pan} px per frame, ` +
    `noise sigma ${FLICKER.sigma}; mean |change| per byte between consecutive frames, aligned by the pan\n`);
  console.log('| style | network | temporal | camera frames | stylized frames | ratio |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const name of names) {
    const model = await ist.loadStyle(name);
    const network = ist.styles().find((s) => s.name === name)?.network ?? '?';
    for (const temporal of temporals) {
      const r = measureFlicker(model, { temporal }, frames);
      const t = temporal ?? 'default';
      console.log(`| ${name} | ${network} | ${t} | ${r.input.toFixed(2)} | ${r.output.toFixed(2)} | ${(r.output / r.input).toFixed(2)}x |`);
    }
    model.dispose();
  }
  ist.dispose();
}
