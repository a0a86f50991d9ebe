// Decoding and resampling photos for the demo: sample files, uploads and camera frames become
// ImageData at the size the lab or the studio needs.

export async function decodeUrl(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url} (HTTP ${response.status})`);
  return createImageBitmap(await response.blob(), { imageOrientation: 'from-image' });
}

export async function decodeFile(file) {
  try {
    return await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    throw new Error(`${file.name || 'this file'} is not an image the browser can read`);
  }
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

// The whole of `source`, scaled down (never up) so that its longer side is at most maxSize.
export function fitImageData(source, maxSize) {
  const { width, height } = sourceSize(source);
  const scale = maxSize > 0 ? Math.min(1, maxSize / Math.max(width, height)) : 1; // 0: full size
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const ctx = context(w, h);
  ctx.drawImage(source, 0, 0, w, h);
  return ctx.getImageData(0, 0, w, h);
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
