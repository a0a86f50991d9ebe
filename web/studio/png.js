// A PNG encoder fed a band of rows at a time, compressing as it goes with the browser's own
// deflate (CompressionStream), so that saving a 12 MP result never needs a full-size canvas:
// OffscreenCanvas.convertToBlob would want one (48 MB) and a copy of its pixels while it
// encodes, which took the tab past its memory budget. Hand-written because the npm encoders
// (pngjs, fast-png, UPNG.js) take the whole image at once; what is left to write here is small:
// the PNG framing (signature, IHDR, IDAT, IEND, each chunk with its CRC-32) and the Paeth row
// filter.
//
//   const png = new PngStream(width, height);
//   for (...) await png.addRows(rgbaBand, rows);   // top to bottom, 4 bytes a pixel
//   const blob = await png.finish();               // image/png, 8-bit RGB (alpha is dropped)

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes, crc = 0xffffffff) {
  for (let i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return crc;
}

// One chunk: length, type, data, CRC-32 of type and data.
function chunk(type, data) {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) head[4 + i] = type.charCodeAt(i);
  const crc = crc32(data, crc32(head.subarray(4)));
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, (crc ^ 0xffffffff) >>> 0);
  return [head, data, tail];
}

export class PngStream {
  #width;
  #height;
  #rows = 0;
  #previous; // the last row written, unfiltered RGB (zeros above the first row)
  #current; // the row being filtered
  #writer;
  #compressed = []; // deflate output, read as it comes
  #reading;

  constructor(width, height) {
    if (!(width > 0 && height > 0)) throw new Error(`cannot encode a ${width} x ${height} PNG`);
    this.#width = width;
    this.#height = height;
    this.#previous = new Uint8Array(width * 3);
    this.#current = new Uint8Array(width * 3);
    const deflate = new CompressionStream('deflate'); // zlib framing, as IDAT wants
    this.#writer = deflate.writable.getWriter();
    this.#reading = (async () => {
      const reader = deflate.readable.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        this.#compressed.push(value);
      }
    })();
  }

  // `rows` rows of RGBA bytes (width * 4 per row), the next ones down.
  async addRows(rgba, rows) {
    const w = this.#width, stride = 1 + 3 * w;
    if (this.#rows + rows > this.#height || rgba.length < rows * w * 4) {
      throw new Error(`PNG: ${rows} more rows do not fit a ${w} x ${this.#height} image`);
    }
    const out = new Uint8Array(rows * stride);
    let prev = this.#previous, cur = this.#current;
    for (let r = 0; r < rows; r++) {
      const line = out.subarray(r * stride, (r + 1) * stride);
      for (let x = 0, i = r * w * 4; x < w; x++, i += 4) {
        cur[3 * x] = rgba[i];
        cur[3 * x + 1] = rgba[i + 1];
        cur[3 * x + 2] = rgba[i + 2];
      }
      // Paeth: each byte minus whichever of left, up and up-left is nearest left + up -
      // up-left. Photos compress about a third better with it than unfiltered.
      line[0] = 4;
      for (let i = 0; i < cur.length; i++) {
        const a = i >= 3 ? cur[i - 3] : 0, b = prev[i], c = i >= 3 ? prev[i - 3] : 0;
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        const predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        line[1 + i] = cur[i] - predicted;
      }
      [prev, cur] = [cur, prev];
    }
    this.#previous = prev;
    this.#current = cur;
    this.#rows += rows;
    await this.#writer.write(out);
  }

  async finish() {
    if (this.#rows !== this.#height) throw new Error(`PNG: ${this.#rows} of ${this.#height} rows written`);
    await this.#writer.close();
    await this.#reading;
    const header = new Uint8Array(13);
    const view = new DataView(header.buffer);
    view.setUint32(0, this.#width);
    view.setUint32(4, this.#height);
    header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB, deflate, adaptive filters, no interlace
    const parts = [new Uint8Array(SIGNATURE), ...chunk('IHDR', header)];
    for (const data of this.#compressed) parts.push(...chunk('IDAT', data));
    parts.push(...chunk('IEND', new Uint8Array(0)));
    this.#compressed = [];
    return new Blob(parts, { type: 'image/png' });
  }
}
