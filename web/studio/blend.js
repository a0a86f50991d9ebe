// Blends the network's raw output with the photo for the studio's sliders, with the same
// formula as model.stylize's `strength` and `preserveColors` (src/image.cpp):
//   preserveColors: the photo's colour with the stylized image's luminance (BT.601 YCbCr: keep
//                   the photo's Cb and Cr, take Y from the stylized image);
//   strength s:     s * stylized + (1 - s) * photo.
// Done here rather than by running the network again, so moving a slider costs milliseconds.
// `out` may be `photo` itself: each pixel is read before it is written.

export function blendStylized(out, stylized, photo, strength, preserveColors) {
  const n = out.length;
  const s = Math.min(Math.max(strength, 0), 1);
  for (let i = 0; i < n; i += 4) {
    const pr = photo[i];
    const pg = photo[i + 1];
    const pb = photo[i + 2];
    let r = stylized[i];
    let g = stylized[i + 1];
    let b = stylized[i + 2];
    if (preserveColors) {
      // Same Cb, Cr as the photo: shift each channel by the luminance difference, clipped.
      const dy = 0.299 * (r - pr) + 0.587 * (g - pg) + 0.114 * (b - pb);
      r = Math.min(Math.max(pr + dy, 0), 255);
      g = Math.min(Math.max(pg + dy, 0), 255);
      b = Math.min(Math.max(pb + dy, 0), 255);
    }
    out[i] = s * r + (1 - s) * pr;
    out[i + 1] = s * g + (1 - s) * pg;
    out[i + 2] = s * b + (1 - s) * pb;
    out[i + 3] = 255;
  }
  return out;
}
