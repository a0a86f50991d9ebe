// Measures of how a style changes a photo beyond its colours, for tests/js/styles.test.mjs and
// the training notes: a colour filter (any smooth mapping of each pixel's colour, the same over
// the whole picture) scores near 0 on the first and near 1 on the second.

const LUMA = [0.299, 0.587, 0.114];

/**
 * The share of the output's variance that no global colour mapping of the photo explains: each
 * output channel is fitted by least squares as a quadratic function of the photo's R, G, B at
 * the same pixel (10 terms), and 1 - R^2 averaged over the channels is returned. Both are RGBA
 * bytes of the same size.
 */
export function colourMapResidual(photo, out) {
  const terms = (r, g, b) => [1, r, g, b, r * r, g * g, b * b, r * g, r * b, g * b];
  const k = 10;
  const ata = Array.from({ length: k }, () => new Float64Array(k));
  const aty = [0, 1, 2].map(() => new Float64Array(k));
  const sum = [0, 0, 0], sumSq = [0, 0, 0];
  let n = 0;
  for (let i = 0; i < photo.length; i += 4) {
    const t = terms(photo[i] / 255, photo[i + 1] / 255, photo[i + 2] / 255);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) ata[a][b] += t[a] * t[b];
    for (let c = 0; c < 3; c++) {
      const y = out[i + c] / 255;
      for (let a = 0; a < k; a++) aty[c][a] += t[a] * y;
      sum[c] += y;
      sumSq[c] += y * y;
    }
    n++;
  }
  let unexplained = 0;
  for (let c = 0; c < 3; c++) {
    const w = solve(ata.map((row) => Float64Array.from(row)), Float64Array.from(aty[c]));
    // Residual sum of squares = y.y - w.(A^T y) for the least-squares w.
    let fitted = 0;
    for (let a = 0; a < k; a++) fitted += w[a] * aty[c][a];
    const total = sumSq[c] - sum[c] * sum[c] / n;
    unexplained += total > 1e-9 ? Math.max(0, sumSq[c] - fitted) / total : 0;
  }
  return unexplained / 3;
}

/**
 * RGBA bytes averaged over blocks of `f` x `f` pixels: what a style did at the scale of shapes
 * rather than of its fine texture.
 */
export function blockAverage({ data, width, height }, f) {
  const w = Math.floor(width / f), h = Math.floor(height / f);
  const out = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const sum = [0, 0, 0];
      for (let dy = 0; dy < f; dy++) {
        for (let dx = 0; dx < f; dx++) {
          const i = ((y * f + dy) * width + x * f + dx) * 4;
          for (let c = 0; c < 3; c++) sum[c] += data[i + c];
        }
      }
      const o = (y * w + x) * 4;
      for (let c = 0; c < 3; c++) out[o + c] = sum[c] / (f * f);
      out[o + 3] = 255;
    }
  }
  return { data: out, width: w, height: h };
}

// Solves m x = v by Gaussian elimination with partial pivoting (m is small and symmetric
// positive semi-definite; a tiny ridge keeps it invertible for flat photos).
function solve(m, v) {
  const k = v.length;
  for (let i = 0; i < k; i++) m[i][i] += 1e-9;
  for (let col = 0; col < k; col++) {
    let p = col;
    for (let r = col + 1; r < k; r++) if (Math.abs(m[r][col]) > Math.abs(m[p][col])) p = r;
    [m[col], m[p]] = [m[p], m[col]];
    [v[col], v[p]] = [v[p], v[col]];
    for (let r = col + 1; r < k; r++) {
      const f = m[r][col] / m[col][col];
      for (let c = col; c < k; c++) m[r][c] -= f * m[col][c];
      v[r] -= f * v[col];
    }
  }
  const x = new Float64Array(k);
  for (let r = k - 1; r >= 0; r--) {
    let s = v[r];
    for (let c = r + 1; c < k; c++) s -= m[r][c] * x[c];
    x[r] = s / m[r][r];
  }
  return x;
}

// Sobel gradient magnitude of the luma of RGBA bytes, width x height, borders left at 0.
function edges({ data, width, height }) {
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i++) luma[i] = LUMA[0] * data[4 * i] + LUMA[1] * data[4 * i + 1] + LUMA[2] * data[4 * i + 2];
  const g = new Float32Array(width * height);
  for (let y = 1; y + 1 < height; y++) {
    for (let x = 1; x + 1 < width; x++) {
      const at = (dx, dy) => luma[(y + dy) * width + x + dx];
      const gx = at(1, -1) + 2 * at(1, 0) + at(1, 1) - at(-1, -1) - 2 * at(-1, 0) - at(-1, 1);
      const gy = at(-1, 1) + 2 * at(0, 1) + at(1, 1) - at(-1, -1) - 2 * at(0, -1) - at(1, -1);
      g[y * width + x] = Math.hypot(gx, gy);
    }
  }
  return g;
}

/**
 * The correlation between the photo's and the output's edge strength (Sobel magnitude of
 * luma), pixel by pixel: 1 when the output's edges are the photo's (a colour filter), lower as
 * the style draws edges of its own and drops the photo's.
 */
export function edgeCorrelation(photo, out) {
  const a = edges(photo), b = edges(out);
  let ma = 0, mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= a.length;
  mb /= b.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb || 1);
}
