// Decoding and resampling photos for the demo. The page keeps photos only at display size (a
// preview bitmap, long side at most PREVIEW_MAX); the studio's worker decodes the file itself
// when it needs every pixel. Everything here also runs in a worker, except where a video
// element is involved.

// The long side of what the page keeps and shows of a photo. The studio's compare view is at
// most 600 CSS px wide, so 1600 px stays sharp up to a device pixel ratio of 2.6, and runs at
// the studio's sizes up to 1536 px are shown exactly; a 12 MP photo costs the page 7.7 MB per
// copy instead of 48 MB.
export const PREVIEW_MAX = 1600;

export async function fetchBlob(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
  return response.blob();
}

export async function decodeFile(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`${file.name || 'this file'} is not an image the browser can read`);
  }
}

// `width` x `height` scaled down (never up) so that the long side is at most maxSize (0: as is).
export function fitSize(width, height, maxSize) {
  const scale = maxSize > 0 ? Math.min(1, maxSize / Math.max(width, height)) : 1;
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

// A photo file as the page keeps it: a bitmap whose long side is at most PREVIEW_MAX, and the
// photo's own size. The full-size decode is closed at once; the studio's worker decodes the
// file again for full-size work.
export async function decodePreview(file) {
  const full = await decodeFile(file);
  const { width, height } = full;
  const fit = fitSize(width, height, PREVIEW_MAX);
  if (fit.width === width && fit.height === height) return { image: full, width, height };
  try {
    const image = await createImageBitmap(full, {
      resizeWidth: fit.width, resizeHeight: fit.height, resizeQuality: 'high',
    });
    return { image, width, height };
  } finally {
    full.close();
  }
}

// A photo at the size wanted (long side at most maxSize; 0: full size) as a bitmap, from its
// file or from a bitmap (which is then closed: it was handed over for this).
export async function decodePhoto(source, maxSize) {
  const bitmap = source instanceof Blob ? await decodeFile(source) : source;
  const { width, height } = fitSize(bitmap.width, bitmap.height, maxSize);
  if (width === bitmap.width && height === bitmap.height) return bitmap;
  try {
    return await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
  } finally {
    bitmap.close();
  }
}

// How many rows of `width` RGBA pixels fit in `bytes` (4 MB: a band, not a photo).
export function bandRows(width, height, bytes = 4 << 20) {
  return Math.max(1, Math.min(height, Math.floor(bytes / (4 * width))));
}

// The RGBA bytes of a bitmap a band of rows at a time, { data, y, rows }, drawn through a
// small canvas: a full-size canvas and its ImageData would each hold another copy of the photo.
export function* pixelBands(bitmap) {
  const { width, height } = bitmap;
  const rows = bandRows(width, height);
  const ctx = new OffscreenCanvas(width, rows).getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = false; // 1:1 copies
  for (let y = 0; y < height; y += rows) {
    const h = Math.min(rows, height - y);
    ctx.clearRect(0, 0, width, rows);
    ctx.drawImage(bitmap, 0, y, width, h, 0, 0, width, h);
    yield { data: ctx.getImageData(0, 0, width, h).data, y, rows: h };
  }
}

// The RGBA bytes of a bitmap, whole (read in bands: pixelBands).
export function readPixels(bitmap) {
  const data = new Uint8ClampedArray(bitmap.width * bitmap.height * 4);
  for (const band of pixelBands(bitmap)) data.set(band.data, band.y * bitmap.width * 4);
  return data;
}

// RGBA bytes (sw x sh) scaled down to dw x dh by averaging each destination pixel's box of
// source pixels: no aliasing, and averages commute with the studio's blend, so a blended
// preview looks like the full-size blend scaled down. A plain copy when the sizes agree.
export function downscaleRgba(src, sw, sh, dw, dh) {
  if (dw === sw && dh === sh) return src.slice();
  const out = new Uint8ClampedArray(dw * dh * 4);
  // Source column -> destination column (each destination column owns at least one).
  const column = new Uint32Array(sw);
  const across = new Float64Array(dw);
  for (let x = 0; x < sw; x++) {
    column[x] = Math.min(dw - 1, Math.floor((x * dw) / sw));
    across[column[x]]++;
  }
  const sums = new Float64Array(dw * 4);
  let y0 = 0;
  for (let dy = 0; dy < dh; dy++) {
    const y1 = Math.max(y0 + 1, Math.floor(((dy + 1) * sh) / dh));
    sums.fill(0);
    for (let y = y0; y < y1; y++) {
      for (let x = 0, i = y * sw * 4; x < sw; x++, i += 4) {
        const o = column[x] * 4;
        sums[o] += src[i];
        sums[o + 1] += src[i + 1];
        sums[o + 2] += src[i + 2];
        sums[o + 3] += src[i + 3];
      }
    }
    for (let dx = 0, o = dy * dw * 4; dx < dw; dx++, o += 4) {
      const k = 1 / (across[dx] * (y1 - y0));
      out[o] = sums[4 * dx] * k;
      out[o + 1] = sums[4 * dx + 1] * k;
      out[o + 2] = sums[4 * dx + 2] * k;
      out[o + 3] = sums[4 * dx + 3] * k;
    }
    y0 = y1;
  }
  return out;
}

function context(width, height) {
  const canvas = typeof OffscreenCanvas === 'function'
    ? new OffscreenCanvas(width, height)
    : Object.assign(document.createElement('canvas'), { width, height });
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

export function sourceSize(source) {
  return {
    width: source.videoWidth || source.naturalWidth || source.width,
    height: source.videoHeight || source.naturalHeight || source.height,
  };
}

// The centre square of `source`, scaled to size x size.
export function squareImageData(source, size) {
  const { width, height } = sourceSize(source);
  const side = Math.min(width, height);
  const ctx = context(size, size);
  ctx.drawImage(source, (width - side) / 2, (height - side) / 2, side, side, 0, 0, size, size);
  return ctx.getImageData(0, 0, size, size);
}

// Short, stable text for a number in a figure: plain decimals where they read well,
// exponents for the tiny deviations IN produces.
export function formatFigure(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a < 1e-3 || a >= 1e5) return v.toExponential(1);
  if (a < 1) return v.toFixed(3);
  if (a < 100) return v.toFixed(2);
  return v.toFixed(0);
}

// Means and spreads: fixed decimals, so the figures do not jump about while dragging.
export function formatStat(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  const text = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(3);
  return text === '-0.000' ? '0.000' : text;
}
