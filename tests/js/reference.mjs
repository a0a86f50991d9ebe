// Plain-JS references for the JS API tests, written from the definitions (PyTorch / ONNX
// semantics) in double precision, sharing no code with src/: straightforward loops over
// NCHW indices, two-pass statistics, biased variances.

const at = (shape, n, c, h, w) => ((n * shape[1] + c) * shape[2] + h) * shape[3] + w;

// Mean and biased variance of x[begin .. begin + count) taken with `stride` 1.
function moments(x, begin, count) {
  let sum = 0;
  for (let i = 0; i < count; i++) sum += x[begin + i];
  const mean = sum / count;
  let sq = 0;
  for (let i = 0; i < count; i++) sq += (x[begin + i] - mean) ** 2;
  return { mean, variance: sq / count };
}

const affine = (v, c, gamma, beta) => v * (gamma ? gamma[c] : 1) + (beta ? beta[c] : 0);
const maybeRelu = (v, relu) => (relu && v < 0 ? 0 : v);

export function instanceNorm(x, shape, { eps = 1e-5, gamma, beta, relu = false } = {}) {
  const [N, C, H, W] = shape;
  const plane = H * W;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const begin = (n * C + c) * plane;
      const { mean, variance } = moments(x, begin, plane);
      const inv = 1 / Math.sqrt(variance + eps);
      for (let i = 0; i < plane; i++) {
        y[begin + i] = maybeRelu(affine((x[begin + i] - mean) * inv, c, gamma, beta), relu);
      }
    }
  }
  return y;
}

export function instanceStats(x, shape) {
  const [N, C, H, W] = shape;
  const mean = new Float64Array(N * C), variance = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    const m = moments(x, p * H * W, H * W);
    mean[p] = m.mean;
    variance[p] = m.variance;
  }
  return { mean, variance };
}

export function batchNormInference(x, shape, { eps = 1e-5, mean, variance, gamma, beta, relu = false }) {
  const [N, C, H, W] = shape;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const inv = 1 / Math.sqrt(variance[c] + eps);
      for (let h = 0; h < H; h++) {
        for (let w = 0; w < W; w++) {
          const i = at(shape, n, c, h, w);
          y[i] = maybeRelu(affine((x[i] - mean[c]) * inv, c, gamma, beta), relu);
        }
      }
    }
  }
  return y;
}

export function batchNormTraining(x, shape, { eps = 1e-5, gamma, beta, relu = false } = {}) {
  const [N, C, H, W] = shape;
  const mean = new Float64Array(C), variance = new Float64Array(C);
  const count = N * H * W;
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) sum += x[at(shape, n, c, h, w)];
    mean[c] = sum / count;
    let sq = 0;
    for (let n = 0; n < N; n++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) sq += (x[at(shape, n, c, h, w)] - mean[c]) ** 2;
    variance[c] = sq / count;
  }
  const output = batchNormInference(x, shape, { eps, mean, variance, gamma, beta, relu });
  return { output, mean, variance };
}

export function layerNorm(x, shape, { eps = 1e-5, gamma, beta } = {}) {
  const [N] = shape;
  const inner = x.length / N;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    const { mean, variance } = moments(x, n * inner, inner);
    const inv = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < inner; i++) {
      const v = (x[n * inner + i] - mean) * inv;
      y[n * inner + i] = v * (gamma ? gamma[i] : 1) + (beta ? beta[i] : 0);
    }
  }
  return y;
}

export function groupNorm(x, shape, { groups, eps = 1e-5, gamma, beta, relu = false }) {
  const [N, C, H, W] = shape;
  const perGroup = (C / groups) * H * W;
  const y = new Float64Array(x.length);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const begin = (n * groups + g) * perGroup;
      const { mean, variance } = moments(x, begin, perGroup);
      const inv = 1 / Math.sqrt(variance + eps);
      for (let i = 0; i < perGroup; i++) {
        const c = g * (C / groups) + Math.floor(i / (H * W));
        y[begin + i] = maybeRelu(affine((x[begin + i] - mean) * inv, c, gamma, beta), relu);
      }
    }
  }
  return y;
}

export function adain(content, contentShape, style, styleShape, { alpha = 1, eps = 1e-5 } = {}) {
  const [N, C, H, W] = contentShape;
  const [, , Hs, Ws] = styleShape;
  const y = new Float64Array(content.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const sn = styleShape[0] === 1 ? 0 : n;
      const s = moments(style, (sn * C + c) * Hs * Ws, Hs * Ws);
      const x = moments(content, (n * C + c) * H * W, H * W);
      const styleStd = Math.sqrt(s.variance + eps);
      const inv = 1 / Math.sqrt(x.variance + eps);
      for (let i = 0; i < H * W; i++) {
        const v = content[(n * C + c) * H * W + i];
        const t = styleStd * (v - x.mean) * inv + s.mean;
        y[(n * C + c) * H * W + i] = alpha * t + (1 - alpha) * v;
      }
    }
  }
  return y;
}

// Source index for a padded coordinate i of an axis of length `size`, or -1 for zeros.
function source(i, size, mode) {
  if (i >= 0 && i < size) return i;
  if (mode === 'zeros') return -1;
  if (mode === 'edge') return i < 0 ? 0 : size - 1;
  // reflect: ... 2 1 | 0 1 2 3 | 2 1 ... (the edge is not repeated)
  let j = i;
  while (j < 0 || j >= size) j = j < 0 ? -j : 2 * (size - 1) - j;
  return j;
}

// Returns { y, absSum }: absSum[i] = sum of |x * w| terms behind y[i], to scale tolerances.
export function conv2d(x, shape, weight, weightShape, options = {}) {
  const { bias, padMode = 'zeros', groups = 1, relu = false } = options;
  const pair = (v, d) => (v === undefined ? [d, d] : typeof v === 'number' ? [v, v] : v);
  const [sh, sw] = pair(options.stride, 1);
  const [dh, dw] = pair(options.dilation, 1);
  let pad = options.padding ?? 0;
  pad = typeof pad === 'number' ? [pad, pad, pad, pad] : pad.length === 2 ? [pad[0], pad[1], pad[0], pad[1]] : pad;
  const [top, left, bottom, right] = pad;
  const [N, , H, W] = shape;
  const [O, Cg, kH, kW] = weightShape;
  const OH = Math.floor((H + top + bottom - dh * (kH - 1) - 1) / sh) + 1;
  const OW = Math.floor((W + left + right - dw * (kW - 1) - 1) / sw) + 1;
  const Og = O / groups;
  const y = new Float64Array(N * O * OH * OW), absSum = new Float64Array(y.length);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          let acc = bias ? bias[o] : 0, abs = Math.abs(acc);
          for (let ci = 0; ci < Cg; ci++) {
            for (let kh = 0; kh < kH; kh++) {
              const ih = source(oh * sh + kh * dh - top, H, padMode);
              if (ih < 0) continue;
              for (let kw = 0; kw < kW; kw++) {
                const iw = source(ow * sw + kw * dw - left, W, padMode);
                if (iw < 0) continue;
                const term = x[at(shape, n, g * Cg + ci, ih, iw)] * weight[((o * Cg + ci) * kH + kh) * kW + kw];
                acc += term;
                abs += Math.abs(term);
              }
            }
          }
          const i = ((n * O + o) * OH + oh) * OW + ow;
          y[i] = relu && acc < 0 ? 0 : acc;
          absSum[i] = abs;
        }
      }
    }
  }
  return { y, absSum, shape: [N, O, OH, OW] };
}
