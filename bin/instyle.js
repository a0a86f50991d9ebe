#!/usr/bin/env node
// instyle's command line: stylize a photo with a built-in style, an ONNX style network, or any
// image as the style.
//
//   npx instyle stylize photo.jpg out.png                      # the default style
//   npx instyle stylize photo.jpg out.png --style klimt --strength 0.8
//   npx instyle stylize photo.jpg out.png --model mosaic.onnx --size 1024
//   npx instyle stylize photo.jpg out.png --style-image painting.jpg --strength 0.8   # any image
//   npx instyle styles                                         # the built-in styles
//
// Photos of any size: past --max-memory the photo is stylized in tiles that share instance
// norm statistics from a thumbnail (js/model.js, TILING).
//
// Photos are read and written by sharp (libvips, from npm with its prebuilt binaries): JPEG,
// PNG, WebP, TIFF, AVIF in, the output's format from its extension. It decodes a 12 MP JPEG in
// 0.4 s and 55 MB where the pure-JS jpeg-js held 250 MB (and 170 MB more to encode), so that
// the whole run of a 12 MP photo stays near the engine's own memory. sharp is an optional peer
// dependency: the library itself needs no native binary, so `npm install instyle` pulls none,
// and the CLI asks for sharp (`npm install sharp`) only when it has a photo to read.
// The network runs in instyle's WASM engine with as many threads as the machine has cores
// (at most 8).
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';

import { InstyleError, init } from '../js/index.node.js';

let sharpModule;
async function loadSharp() {
  if (!sharpModule) {
    try {
      sharpModule = (await import('sharp')).default;
    } catch (e) {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND' || !/'sharp'/.test(e.message)) throw e;
      throw new InputError("the command line reads and writes photos with the npm package 'sharp', which is not installed; " +
        'install it beside instyle: npm install sharp');
    }
    sharpModule.cache(false); // one photo at a time, nothing kept: the engine wants the memory
  }
  return sharpModule;
}

const OUTPUTS = { '.jpg': 'jpeg', '.jpeg': 'jpeg', '.png': 'png', '.webp': 'webp', '.tif': 'tiff', '.tiff': 'tiff', '.avif': 'avif' };

const USAGE = `usage: instyle stylize <photo> <output.jpg|png|webp|tif|avif> [options]
       instyle styles

options:
  --style <name>      a built-in style (default: the first that 'instyle styles' lists)
  --model <file>      a style network of your own (ONNX) instead
  --style-image <file>  any image as the style (arbitrary style); with --model, your own
                      arbitrary-style network (scripts/train/adain.py --export)
  --style-size <px>   long side the style image is scaled to for its statistics (default 512)
  --transform <t>     with --style-image: wct (default; the style's correlations too) or
                      adain (each channel's mean and spread: softer)
  --strength <s>      0..1, how much of the style to apply (default 1)
  --size <px>         scale the photo down so its long side is at most px first
  --tiled <mode>      auto (default: when the photo needs more than --max-memory), on, off
  --max-memory <MB>   the engine's working memory for tiling decisions (default 256; 160
                      with --style-image)
  --tile-size <px>    tile side, margins included (default: the largest that fits)
  --thumbnail <px>    long side of the thumbnail the tiles' statistics come from (default 1024)
  --preserve-colors   keep the photo's colours, take only the style's luminance
  --range <255|1>     the network's pixel range (default 255, the ONNX zoo convention)
  --bgr               the network takes and gives BGR instead of RGB
  --threads <n>       engine threads (default: one per core, at most 8)
  --quiet             no progress on stderr
  -h, --help          this text`;

class UsageError extends Error {}
class InputError extends Error {}

// RGBA bytes of the photo, turned upright by its EXIF orientation.
async function decode(bytes, path) {
  const sharp = await loadSharp();
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: 2 ** 28 }).rotate().ensureAlpha().raw()
      .toBuffer({ resolveWithObject: true });
    return { data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
  } catch (e) {
    throw new InputError(`${path}: not an image sharp can read (${e.message})`);
  }
}

function outputFormat(path) {
  const format = OUTPUTS[extname(path).toLowerCase()];
  if (!format) throw new UsageError(`${path}: the output must end in ${Object.keys(OUTPUTS).join(', ')}`);
  return format;
}

async function encode(image, path, format) {
  const sharp = await loadSharp();
  const raw = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  let out = sharp(raw, { raw: { width: image.width, height: image.height, channels: 4 } });
  if (format === 'jpeg') out = out.removeAlpha().jpeg({ quality: 92 });
  else out = out[format]();
  await out.toFile(path);
}

function number(name, value, lo, hi) {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isFinite(v) || v < lo || v > hi) throw new UsageError(`--${name} must be a number in [${lo}, ${hi}], got ${value}`);
  return v;
}

async function stylize(args) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      style: { type: 'string' },
      'style-image': { type: 'string' },
      'style-size': { type: 'string' },
      transform: { type: 'string' },
      strength: { type: 'string' },
      tiled: { type: 'string' },
      'max-memory': { type: 'string' },
      'tile-size': { type: 'string' },
      thumbnail: { type: 'string' },
      size: { type: 'string' },
      'preserve-colors': { type: 'boolean' },
      range: { type: 'string' },
      bgr: { type: 'boolean' },
      threads: { type: 'string' },
      quiet: { type: 'boolean' },
    },
  });
  if (positionals.length !== 2) throw new UsageError('stylize needs an input and an output file');
  if (values.model && values.style) throw new UsageError('give --style or --model, not both');
  if (values['style-image'] && values.style) throw new UsageError('give --style or --style-image, not both');
  if (values['style-size'] && !values['style-image']) throw new UsageError('--style-size goes with --style-image');
  if (values.transform && !values['style-image']) throw new UsageError('--transform goes with --style-image');
  if (values.transform && !['wct', 'adain'].includes(values.transform)) throw new UsageError(`--transform must be wct or adain, got ${values.transform}`);
  const [input, output] = positionals;
  const tiled = { auto: 'auto', on: true, off: false }[values.tiled ?? 'auto'];
  if (tiled === undefined) throw new UsageError(`--tiled must be auto, on or off, got ${values.tiled}`);
  const maxMemoryMB = number('max-memory', values['max-memory'], 16, 4096);
  const tileSize = number('tile-size', values['tile-size'], 64, 1 << 14);
  const thumbnailSize = number('thumbnail', values.thumbnail, 16, 1 << 14);
  const strength = number('strength', values.strength, 0, 1) ?? 1;
  const size = number('size', values.size, 1, 1 << 16);
  const threads = number('threads', values.threads, 1, 64);
  const range = values.range === undefined ? 255 : number('range', values.range, 1, 255);
  const styleSize = number('style-size', values['style-size'], 16, 4096);
  if (range !== 1 && range !== 255) throw new UsageError('--range must be 255 or 1');

  const format = outputFormat(output);
  const styleImage = values['style-image'];
  const [photoBytes, modelBytes, styleBytes] = await Promise.all([
    readFile(input), values.model ? readFile(values.model) : null, styleImage ? readFile(styleImage) : null]);
  const photo = await decode(photoBytes, input);
  const style = styleBytes ? await decode(styleBytes, styleImage) : null;
  const ist = await init({ threads: threads === undefined ? 'auto' : Math.round(threads) });
  try {
    const options = { range, bgr: values.bgr ?? false };
    let model, run;
    if (style) {
      // Any image as the style: its statistics once, then the photo (tiles and all).
      model = await ist.loadArbitraryStyle(modelBytes ?? undefined, options);
      const code = model.styleCode(style, styleSize === undefined ? undefined : { maxSize: Math.round(styleSize) });
      run = (o) => model.stylize(photo, code, { ...o, transform: values.transform ?? 'wct' });
    } else {
      model = modelBytes ? await ist.loadModel(modelBytes, options) : await ist.loadStyle(values.style ?? ist.styles()[0].name, options);
      run = (o) => model.stylize(photo, o);
    }
    const started = performance.now();
    let shown = '';
    const result = await run({
      strength,
      preserveColors: values['preserve-colors'] ?? false,
      maxSize: size === undefined ? undefined : Math.round(size),
      tiled,
      maxMemoryMB,
      tileSize: tileSize === undefined ? undefined : Math.round(tileSize),
      thumbnailSize: thumbnailSize === undefined ? undefined : Math.round(thumbnailSize),
      onProgress: (p, where) => {
        const tiles = where.tiles > 1 ? ` (${where.stage === 'thumbnail' ? 'thumbnail' : `tile ${Math.min(where.tile + 1, where.tiles)}/${where.tiles}`})` : '';
        const line = `stylizing ${photo.width}x${photo.height}: ${Math.floor(p * 100)}%${tiles}`;
        if (!values.quiet && process.stderr.isTTY && line !== shown) {
          shown = line;
          process.stderr.write(`\r${line}\x1b[K`);
        }
      },
    });
    await encode(result, output, format);
    if (!values.quiet) {
      const s = ((performance.now() - started) / 1000).toFixed(1);
      const heap = (ist.memoryUsage().heapBytes / 2 ** 20).toFixed(0);
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${output}: ${result.width}x${result.height}, ${s} s on ${ist.threads} thread${ist.threads > 1 ? 's' : ''}, engine heap ${heap} MiB\n`);
    }
    model.dispose();
  } finally {
    ist.dispose();
  }
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command === 'styles') {
    const ist = await init({ threads: 1 });
    for (const [i, s] of ist.styles().entries()) {
      console.log(`${s.name.padEnd(12)} ${s.network} network, ${(s.bytes / 1e6).toFixed(2)} MB${i === 0 ? ' (default)' : ''}: ` +
        `${s.artwork.about}, by ${s.artwork.author} (${s.artwork.licence})`);
    }
    ist.dispose();
    return 0;
  }
  if (command !== 'stylize') throw new UsageError(`unknown command '${command}'`);
  await stylize(rest);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code; // not process.exit(): it could cut off piped stdout
  },
  (e) => {
    if (e instanceof UsageError || e?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e?.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      console.error(`instyle: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (e instanceof InstyleError || e instanceof InputError || e?.code === 'ENOENT') {
      console.error(`instyle: ${e.message}`);
      process.exit(1);
    }
    console.error(e);
    process.exit(1);
  },
);
