#!/usr/bin/env node
// The arbitrary-style contact sheet (issue 15): held-out photos x artworks, each photo in
// several rows (by default WCT at strength 1 and 0.5), painted by the shipped network through
// the engine itself (ist.loadArbitraryStyle, as a user's call would), with built-in styles
// beside for comparison.
//
//   node scripts/arbitrary-sheet.mjs --out docs/arbitrary-sheet.jpg \
//     [--artworks cafe,kandinsky,grimaltar,starry,wave,klimt] [--builtin starry-live] [--size 224]
//     [--model styles/arbitrary.onnx] [--rows wct:1,wct:0.5]   # transform:strength per row
//     [--seen starry,wave,klimt]   # artworks the decoder's training used: labelled so
//
// Photos: <cache>/data/content/eval/*.jpg (never used in training); artworks:
// <cache>/data/styles/<name>.png (scripts/train/prepare_data.py fetches both from Debian
// packages, DATA_SOURCES.md). Needs sharp (a dev dependency).
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import sharp from 'sharp';

import { init } from '../js/index.node.js';

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/arbitrary-sheet.jpg' },
    artworks: { type: 'string', default: 'cafe,kandinsky,grimaltar,starry,wave,klimt' },
    builtin: { type: 'string', default: '' },
    size: { type: 'string', default: '224' },
    model: { type: 'string' },
    rows: { type: 'string', default: 'wct:1,wct:0.5' },
    seen: { type: 'string', default: '' },
    cache: { type: 'string', default: process.env.INSTYLE_CACHE || join(homedir(), '.cache/instyle') },
  },
});
const S = Number(opt.size);
const LABEL = 22;

// A square crop of the image's centre at S x S, as RGBA.
async function square(path, side = S) {
  const { data, info } = await sharp(path).resize(side, side, { fit: 'cover' }).ensureAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

const png = (image) => sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length),
  { raw: { width: image.width, height: image.height, channels: 4 } }).png().toBuffer();

const label = (text, width) => Buffer.from(`<svg width="${width}" height="${LABEL}"><text x="4" y="16" ` +
  `font-family="DejaVu Sans, sans-serif" font-size="13" fill="#222">${text}</text></svg>`);

const ist = await init({ threads: 'auto' });
const arb = await ist.loadArbitraryStyle(opt.model ? readFileSync(opt.model) : undefined);
const photosDir = join(opt.cache, 'data/content/eval');
const photos = readdirSync(photosDir).filter((f) => f.endsWith('.jpg')).sort();
const artworks = opt.artworks.split(',').filter(Boolean);
const seen = new Set(opt.seen.split(',').filter(Boolean));
const builtins = opt.builtin.split(',').filter(Boolean);
const models = await Promise.all(builtins.map((name) => ist.loadStyle(name)));

const variants = opt.rows.split(',').map((r) => {
  const [transform, strength] = r.split(':');
  return { transform, strength: Number(strength ?? 1) };
});
const cols = 1 + artworks.length + builtins.length;
const rows = 1 + variants.length * photos.length;
const tiles = [];
const put = (input, col, row) => tiles.push({ input, left: col * S, top: LABEL + row * S });

// Header: the artworks (their statistics come from the whole image at 512, as styleCode does).
const codes = [];
for (const [j, name] of artworks.entries()) {
  const path = join(opt.cache, 'data/styles', `${name}.png`);
  put(await sharp(path).resize(S, S, { fit: 'cover' }).png().toBuffer(), j + 1, 0);
  const { data, info } = await sharp(path).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  codes.push(arb.styleCode({ data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }));
  tiles.push({ input: label(seen.has(name) ? `${name} (seen in training)` : `${name} (unseen)`, S), left: (j + 1) * S, top: 0 });
}
for (const [j, name] of builtins.entries()) tiles.push({ input: label(`built-in ${name}`, S), left: (1 + artworks.length + j) * S, top: 0 });
tiles.push({ input: label('photo / strength', S), left: 0, top: 0 });

const t0 = performance.now();
for (const [i, file] of photos.entries()) {
  const photo = await square(join(photosDir, file));
  for (const [k, { transform, strength }] of variants.entries()) {
    const row = 1 + variants.length * i + k;
    put(await png(photo), 0, row);
    tiles.push({ input: label(`${file.replace('.jpg', '')}, ${transform} ${strength}`, S), left: 0, top: LABEL + row * S + S - LABEL });
    for (const [j, code] of codes.entries()) put(await png(await arb.stylize(photo, code, { strength, transform })), j + 1, row);
    for (const [j, model] of models.entries()) put(await png(await model.stylize(photo, { strength })), 1 + artworks.length + j, row);
  }
}
const seconds = (performance.now() - t0) / 1000;
await sharp({ create: { width: cols * S, height: LABEL + rows * S, channels: 3, background: '#ffffff' } })
  .composite(tiles).jpeg({ quality: 85 }).toFile(opt.out);
console.log(`wrote ${opt.out}: ${photos.length} held-out photos x ${artworks.length} artworks (${opt.rows})` +
  `${builtins.length ? `, beside ${builtins.join(', ')}` : ''} (${S} px; ${seconds.toFixed(1)} s of stylizing)`);
for (const m of models) m.dispose();
arb.dispose();
ist.dispose();
