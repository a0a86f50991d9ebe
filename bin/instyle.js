#!/usr/bin/env node
// instyle's command line: stylize a photo with a built-in style or an ONNX style network.
//
//   npx instyle stylize photo.jpg out.png                      # the default style
//   npx instyle stylize photo.jpg out.png --style elephants --strength 0.8
//   npx instyle stylize photo.jpg out.png --model mosaic.onnx --size 1024
//   npx instyle styles                                         # the built-in styles
//
// Photos of any size: past --max-memory the photo is stylized in tiles that share instance
// norm statistics from a thumbnail (js/model.js, TILING).
//
// JPEG and PNG in (detected from the bytes), PNG or JPEG out (from the extension). JPEGs are
// decoded by @jsquash/jpeg (MozJPEG in WebAssembly: a 12 MP photo in about 1.5 s and 110 MB,
// where the pure-JS jpeg-js takes 250 MB) and encoded by jpeg-js (MozJPEG's encoder holds
// 250 MB for the same photo); PNGs go through pngjs. The network runs in instyle's WASM
// engine with as many threads as the machine has cores (at most 8).
import { readFile, writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import decodeJpeg, { init as initJpegDecoder } from '@jsquash/jpeg/decode.js';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

import { InstyleError, init } from '../js/index.node.js';

const { PNG } = pngjs;

const USAGE = `usage: instyle stylize <input.jpg|png> <output.png|jpg> [options]
       instyle styles

options:
  --style <name>      a built-in style (default: the first that 'instyle styles' lists)
  --model <file>      a style network of your own (ONNX) instead
  --strength <s>      0..1, how much of the style to apply (default 1)
  --size <px>         scale the photo down so its long side is at most px first
  --tiled <mode>      auto (default: when the photo needs more than --max-memory), on, off
  --max-memory <MB>   the engine's working memory for tiling decisions (default 256)
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

async function decode(bytes, path) {
  if (bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47) {
    const png = PNG.sync.read(bytes);
    return { data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length), width: png.width, height: png.height };
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    // Emscripten would fetch() the .wasm by path, which Node cannot: hand it over compiled.
    const wasm = fileURLToPath(import.meta.resolve('@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm'));
    await initJpegDecoder(await WebAssembly.compile(readFileSync(wasm)));
    let img;
    try {
      img = await decodeJpeg(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    } catch (e) {
      throw new InputError(`${path}: not a readable JPEG file (${e.message})`);
    }
    return { data: img.data, width: img.width, height: img.height };
  }
  throw new InputError(`${path}: not a JPEG or PNG file`);
}

function encode(image, path) {
  const ext = extname(path).toLowerCase();
  const data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length);
  if (ext === '.jpg' || ext === '.jpeg') {
    return jpeg.encode({ data, width: image.width, height: image.height }, 92).data;
  }
  if (ext !== '.png') throw new UsageError(`${path}: the output must end in .png, .jpg or .jpeg`);
  const png = new PNG({ width: image.width, height: image.height });
  data.copy(png.data);
  return PNG.sync.write(png);
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
  if (range !== 1 && range !== 255) throw new UsageError('--range must be 255 or 1');

  const [photoBytes, modelBytes] = await Promise.all([readFile(input), values.model ? readFile(values.model) : null]);
  const photo = await decode(photoBytes, input);
  const ist = await init({ threads: threads === undefined ? 'auto' : Math.round(threads) });
  try {
    const options = { range, bgr: values.bgr ?? false };
    const model = modelBytes ? await ist.loadModel(modelBytes, options) : await ist.loadStyle(values.style ?? ist.styles()[0].name, options);
    const started = performance.now();
    let shown = '';
    const result = await model.stylize(photo, {
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
    await writeFile(output, encode(result, output));
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
