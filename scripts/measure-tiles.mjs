#!/usr/bin/env node
// How tiled stylize compares with one run over the whole photo (js/model.js, TILING), on a
// photo small enough to run untiled: with statistics from thumbnails of several sizes, and
// with each tile's own statistics (the naive way). Prints max and mean |diff| per byte, and
// the patchiness: how much the tiles disagree with one another. Each tile core's mean signed
// difference to the untiled result (per channel) is its offset; the spread (standard
// deviation) of those offsets over the tiles is what shows as patches and seams, while an
// offset shared by all tiles is a uniform change of look.
//
//   node scripts/measure-tiles.mjs photo.jpg [--style klimt | --model m.onnx] [--tile 384]
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

import { init } from '../js/index.node.js';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    style: { type: 'string' },
    model: { type: 'string' },
    tile: { type: 'string', default: '384' },
    threads: { type: 'string', default: '2' },
  },
});
if (positionals.length !== 1) {
  console.error('usage: node scripts/measure-tiles.mjs <photo.jpg|png> [--style name | --model file.onnx] [--tile px]');
  process.exit(2);
}

function decode(bytes) {
  const img = bytes[0] === 0x89 ? pngjs.PNG.sync.read(bytes) : jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 2048 });
  return { data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length), width: img.width, height: img.height };
}

function diff(a, b) {
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    if (i % 4 === 3) continue;
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / (a.length * 0.75) };
}

// The standard deviation over tile cores of each core's mean signed difference r - w,
// averaged over the three channels.
function patchiness(r, w, width, height, core) {
  let spread = 0;
  for (let c = 0; c < 3; c++) {
    const offsets = [];
    for (let y0 = 0; y0 < height; y0 += core) {
      for (let x0 = 0; x0 < width; x0 += core) {
        let sum = 0, n = 0;
        for (let y = y0; y < Math.min(height, y0 + core); y++) {
          for (let x = x0; x < Math.min(width, x0 + core); x++, n++) {
            const i = (y * width + x) * 4 + c;
            sum += r[i] - w[i];
          }
        }
        offsets.push(sum / n);
      }
    }
    const mean = offsets.reduce((a, b) => a + b, 0) / offsets.length;
    spread += Math.sqrt(offsets.reduce((a, o) => a + (o - mean) ** 2, 0) / offsets.length) / 3;
  }
  return spread;
}

const photo = decode(await readFile(positionals[0]));
const ist = await init({ threads: Number(opt.threads) });
const model = opt.model ? await ist.loadModel(await readFile(opt.model)) : await ist.loadStyle(opt.style ?? ist.styles()[0].name);
const tileSize = Number(opt.tile);
const { margin, align } = model.receptiveField();
const core = Math.floor((tileSize - 2 * margin) / align) * align;
const tiles = Math.ceil(photo.width / core) * Math.ceil(photo.height / core);

const t0 = performance.now();
const whole = await model.stylize(photo, { tiled: false });
console.log(`${positionals[0]}: ${photo.width}x${photo.height}, ${opt.model ?? opt.style ?? ist.styles()[0].name}, ` +
  `${ist.threads} thread(s); untiled ${((performance.now() - t0) / 1000).toFixed(1)} s; tiles of ${tileSize} px ` +
  `(core ${core}, margin ${margin}), ${tiles} tiles; differences to the untiled result in 0..255 per byte`);
console.log('| statistics | max abs diff | mean abs diff | tile-to-tile spread |');
console.log('| --- | --- | --- | --- |');
const rows = [
  ...[Math.max(photo.width, photo.height), 1024, 512, 256]
    .filter((s, i, a) => s <= Math.max(photo.width, photo.height) && a.indexOf(s) === i)
    .map((s) => [`thumbnail, long side ${s}`, { thumbnailSize: s }]),
  ['each tile its own (naive)', { tileStatistics: 'tile' }],
];
for (const [label, options] of rows) {
  const r = await model.stylize(photo, { tiled: true, tileSize, ...options });
  const d = diff(r.data, whole.data);
  console.log(`| ${label} | ${d.max} | ${d.mean.toFixed(2)} | ${patchiness(r.data, whole.data, photo.width, photo.height, core).toFixed(2)} |`);
}
model.dispose();
ist.dispose();
