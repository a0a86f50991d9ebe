// The normalization family. Every kernel is the same two steps: reduce a contiguous span to
// its moments, then apply y = (x - mean) * scale + shift with the statistics and the affine
// parameters folded into scale and shift. Only the way spans map to statistics differs
// between IN, BN, LN, GN and AdaIN.
#include "norm.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "simd.h"

namespace instyle {

using namespace simd;

namespace {

// Floats per f32 partial sum. Each lane adds kBlock / (4 * kLanes) values (32 with AVX-512,
// 128 with WASM's 4 lanes) before the block's total moves into a double, so rounding error
// stays that of a short sum however long the span is. 8 KiB also keeps a block in L1 for the
// second pass over it.
constexpr std::size_t kBlock = 2048;

// Sum of x[0, n) for n <= kBlock in f32 lanes. Four accumulators, because with one every
// add would wait out the previous one's latency while the core could start two per cycle.
float block_sum(const float* x, std::size_t n) {
  vfloat a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) {
    a0 = a0 + load(x + i);
    a1 = a1 + load(x + i + kLanes);
    a2 = a2 + load(x + i + 2 * kLanes);
    a3 = a3 + load(x + i + 3 * kLanes);
  }
  for (; i + kLanes <= n; i += kLanes) a0 = a0 + load(x + i);
  float s = reduce_add((a0 + a1) + (a2 + a3));
  for (; i < n; ++i) s += x[i];
  return s;
}

// Running sums of d = x - m and of d^2 in four vectors each (four independent chains): the
// deviation step shared by block_deviations and the one-sweep loop of apply_and_measure, so
// both give the same bits.
struct Deviations {
  vfloat d0 = zero(), d1 = zero(), d2 = zero(), d3 = zero();
  vfloat q0 = zero(), q1 = zero(), q2 = zero(), q3 = zero();

  // Four vectors from x on.
  void add4(const float* x, vfloat vm) {
    const vfloat e0 = load(x) - vm, e1 = load(x + kLanes) - vm;
    const vfloat e2 = load(x + 2 * kLanes) - vm, e3 = load(x + 3 * kLanes) - vm;
    d0 = d0 + e0;
    d1 = d1 + e1;
    d2 = d2 + e2;
    d3 = d3 + e3;
    q0 = fmadd(e0, e0, q0);
    q1 = fmadd(e1, e1, q1);
    q2 = fmadd(e2, e2, q2);
    q3 = fmadd(e3, e3, q3);
  }
  void add1(const float* x, vfloat vm) {
    const vfloat e = load(x) - vm;
    d0 = d0 + e;
    q0 = fmadd(e, e, q0);
  }
  float sum_d() const { return reduce_add((d0 + d1) + (d2 + d3)); }
  float sum_dd() const { return reduce_add((q0 + q1) + (q2 + q3)); }
};

// Sums of d = x - m and of d^2 over x[0, n), n <= kBlock.
void block_deviations(float* sum_d, float* sum_dd, const float* x, std::size_t n, float m) {
  const vfloat vm = splat(m);
  Deviations dev;
  std::size_t i = 0;
  for (; i + 4 * kLanes <= n; i += 4 * kLanes) dev.add4(x + i, vm);
  for (; i + kLanes <= n; i += kLanes) dev.add1(x + i, vm);
  float sd = dev.sum_d();
  float sdd = dev.sum_dd();
  for (; i < n; ++i) {
    const float e = x[i] - m;
    sd += e;
    sdd += e * e;
  }
  *sum_d = sd;
  *sum_dd = sdd;
}

// Count, mean and sum of squared deviations (M2) of a span, in double.
struct Moments {
  double count = 0.0, mean = 0.0, m2 = 0.0;

  // Chan, Golub & LeVeque's pairwise update: exact in exact arithmetic, and stable because
  // it only adds non-negative terms: M2 = M2_a + M2_b + delta^2 * n_a * n_b / (n_a + n_b).
  void merge(double n, double mean_b, double m2_b) {
    const double total = count + n, delta = mean_b - mean, w = n / total;
    mean += delta * w;
    m2 += m2_b + delta * delta * count * w;
    count = total;
  }
  void merge(const Moments& b) { merge(b.count, b.mean, b.m2); }
  double var() const { return m2 / count; }
};

// Folds one block's f32 results into `acc`: its mean m (held in f32 so that x - m is one lane
// op), and the sums of d = x - m and d^2 over it. The mean of the d is m's rounding error;
// taking it back out (the "corrected two-pass" algorithm) leaves no bias from it. A constant
// block gives M2 = 0 and its value as mean exactly: every d is the same short float, so
// n * d^2 - (n * d)^2 / n cancels and m + (n * d) / n is the value.
void merge_block(Moments* acc, float m, float sd, float sdd, std::size_t n) {
  const double dn = double(n), d = double(sd);
  acc->merge(dn, double(m) + d / dn, std::max(0.0, double(sdd) - d * d / dn));
}

// Adds x[0, n), n <= kBlock, to `acc`: two passes over the block, the second from L1.
void add_block(Moments* acc, const float* x, std::size_t n) {
  const float m = block_sum(x, n) / static_cast<float>(n);
  float sd, sdd;
  block_deviations(&sd, &sdd, x, n, m);
  merge_block(acc, m, sd, sdd, n);
}

Moments span_moments(const float* x, std::size_t n) {
  assert(n >= 1);
  Moments acc;
  for (std::size_t b = 0; b < n; b += kBlock) add_block(&acc, x + b, std::min(kBlock, n - b));
  return acc;
}

// How a plane is applied: y = max?((x - center) * scale + shift). Centering first, rather than
// folding the mean into the shift, maps a value equal to the mean to exactly `shift` (beta):
// a constant plane becomes exact zeros, where x * scale + (beta - mean * scale) would leave
// a residue of order |mean| * 2^-24 / sqrt(eps).
struct Affine {
  float center, scale, shift;
};

// The f32 statistics every plane kernel records and applies, so that a kernel fed another
// kernel's recorded statistics (instance_norm_with_stats_f32) reproduces it bit for bit.
Affine fold(float mean, float var, float eps, const float* gamma, const float* beta,
            std::size_t c) {
  const double g = gamma ? gamma[c] : 1.0;
  return {mean, static_cast<float>(g / std::sqrt(double(var) + double(eps))), beta ? beta[c] : 0.f};
}

Affine fold(const Moments& m, float eps, const float* gamma, const float* beta, std::size_t c) {
  return fold(static_cast<float>(m.mean), static_cast<float>(m.var()), eps, gamma, beta, c);
}

void apply(float* y, const float* x, const Affine& a, std::size_t n, bool relu) {
  const vfloat vc = splat(a.center), vs = splat(a.scale), vb = splat(a.shift);
  std::size_t i = 0;
  // Two vectors per trip: the loop is load/store bound, and this halves its loop overhead.
  if (relu) {
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
      store(y + i, max(fmadd(load(x + i) - vc, vs, vb), zero()));
      store(y + i + kLanes, max(fmadd(load(x + i + kLanes) - vc, vs, vb), zero()));
    }
    for (; i + kLanes <= n; i += kLanes) store(y + i, max(fmadd(load(x + i) - vc, vs, vb), zero()));
  } else {
    for (; i + 2 * kLanes <= n; i += 2 * kLanes) {
      store(y + i, fmadd(load(x + i) - vc, vs, vb));
      store(y + i + kLanes, fmadd(load(x + i + kLanes) - vc, vs, vb));
    }
    for (; i + kLanes <= n; i += kLanes) store(y + i, fmadd(load(x + i) - vc, vs, vb));
  }
  for (; i < n; ++i) {
    const float v = (x[i] - a.center) * a.scale + a.shift;
    y[i] = relu ? std::max(v, 0.f) : v;
  }
}

// How far ahead of its reads the one-sweep loop asks for the plane it measures: 4 KiB, about
// the memory latency times one core's bandwidth (measured here: 4 KiB beat 16 KiB and none by
// about 10%). A hint only; __builtin_prefetch compiles to nothing where there is no such
// instruction (WASM).
constexpr std::size_t kPrefetchAhead = 1024;

// One sweep over a plane pair, as one loop, block by block: applies `a` to block k of xp
// (read back from L2, where it went when it was measured) into yp, sums block k of xn (from
// memory) and takes the deviations of block k - 1 of xn (from L1, summed the trip before).
// Interleaving the three keeps the core's loads and stores to memory in flight while it does
// the arithmetic; run one after the other, the statistics and the apply cost about their sum.
// The accumulators are block_sum's and block_deviations' in the same order, so *next gets the
// bits span_moments(xn, HW) would give, and every output the bits apply() would.
// `readable` is how many floats from xn on lie inside the tensor, the bound for prefetches.
template <bool kRelu>
void apply_and_measure(float* yp, const float* xp, const Affine& a, const float* xn, std::size_t HW,
                       std::size_t readable, Moments* next) {
  static_assert(kBlock % (4 * kLanes) == 0, "blocks are whole trips of the loop");
  const vfloat vc = splat(a.center), vs = splat(a.scale), vb = splat(a.shift);
  const auto out = [&](const float* src) {
    const vfloat v = fmadd(load(src) - vc, vs, vb);
    return kRelu ? max(v, zero()) : v;
  };
  const std::size_t full = HW / kBlock;
  float pending = 0.f;  // mean of block k - 1 of xn, whose deviations are still to take
  for (std::size_t k = 0; k < full; ++k) {
    const float* xb = xp + k * kBlock;
    float* yb = yp + k * kBlock;
    const float* nb = xn + k * kBlock;
    const float* pb = nb - kBlock;
    const vfloat vm = splat(pending);
    const bool prefetch = (k + 1) * kBlock + kPrefetchAhead <= readable;
    vfloat a0 = zero(), a1 = zero(), a2 = zero(), a3 = zero();
    Deviations dev;
    for (std::size_t i = 0; i < kBlock; i += 4 * kLanes) {
      for (std::size_t j = 0; prefetch && j < 4 * kLanes; j += 64 / sizeof(float)) {
        __builtin_prefetch(nb + i + j + kPrefetchAhead);  // each 64-byte line once
      }
      store(yb + i, out(xb + i));
      store(yb + i + kLanes, out(xb + i + kLanes));
      store(yb + i + 2 * kLanes, out(xb + i + 2 * kLanes));
      store(yb + i + 3 * kLanes, out(xb + i + 3 * kLanes));
      a0 = a0 + load(nb + i);
      a1 = a1 + load(nb + i + kLanes);
      a2 = a2 + load(nb + i + 2 * kLanes);
      a3 = a3 + load(nb + i + 3 * kLanes);
      if (k > 0) dev.add4(pb + i, vm);
    }
    if (k > 0) merge_block(next, pending, dev.sum_d(), dev.sum_dd(), kBlock);
    pending = reduce_add((a0 + a1) + (a2 + a3)) / static_cast<float>(kBlock);
  }
  if (full > 0) {
    float sd, sdd;
    block_deviations(&sd, &sdd, xn + (full - 1) * kBlock, kBlock, pending);
    merge_block(next, pending, sd, sdd, kBlock);
  }
  const std::size_t done = full * kBlock;
  if (done < HW) {
    apply(yp + done, xp + done, a, HW - done, kRelu);
    add_block(next, xn + done, HW - done);
  }
}

// Normalizes P consecutive planes of HW floats, plane p through affine_of(p, moments): the
// statistics of plane p + 1 are taken in the same sweep that writes plane p, so the tensor
// crosses the memory bus once each way.
template <class AffineOf>
void normalize_planes(float* y, const float* x, std::size_t P, std::size_t HW, bool relu,
                      AffineOf affine_of) {
  if (P == 0 || HW == 0) return;
  Moments next = span_moments(x, HW);
  for (std::size_t p = 0; p < P; ++p) {
    const Affine a = affine_of(p, next);
    const float* xp = x + p * HW;
    float* yp = y + p * HW;
    if (p + 1 == P) {
      apply(yp, xp, a, HW, relu);
      break;
    }
    next = Moments();
    if (relu) {
      apply_and_measure<true>(yp, xp, a, xp + HW, HW, (P - p - 1) * HW, &next);
    } else {
      apply_and_measure<false>(yp, xp, a, xp + HW, HW, (P - p - 1) * HW, &next);
    }
  }
}

// y = (x - mean) * rstd * gamma[i] + beta[i] over one layer-norm row; gamma/beta per element.
template <bool kGamma, bool kBeta>
void layer_apply(float* y, const float* x, const float* gamma, const float* beta, float mean,
                 float rstd, std::size_t n) {
  const vfloat vm = splat(mean), vr = splat(rstd);
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const vfloat t = (load(x + i) - vm) * vr;
    const vfloat g = kGamma ? load(gamma + i) : splat(1.f);
    const vfloat b = kBeta ? load(beta + i) : zero();
    store(y + i, fmadd(t, g, b));
  }
  for (; i < n; ++i) {
    const float t = (x[i] - mean) * rstd;
    y[i] = t * (kGamma ? gamma[i] : 1.f) + (kBeta ? beta[i] : 0.f);
  }
}

// The references: the formulas as written, in double, sharing nothing with the kernels.
void moments_ref(double* mean, double* var, const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  const double m = s / double(n);
  double q = 0.0;
  for (std::size_t i = 0; i < n; ++i) q += (x[i] - m) * (x[i] - m);
  *mean = m;
  *var = q / double(n);
}

double normalize_ref(double x, double mean, double var, double eps, double g, double b) {
  return (x - mean) / std::sqrt(var + eps) * g + b;
}

float relu_ref(double v, bool relu) {
  return static_cast<float>(relu && v < 0.0 ? 0.0 : v);
}

}  // namespace

void moments_f32(float* mean, float* var, const float* x, std::size_t count) {
  const Moments m = span_moments(x, count);
  *mean = static_cast<float>(m.mean);
  *var = static_cast<float>(m.var());
}

void moments_f32_ref(float* mean, float* var, const float* x, std::size_t count) {
  double m, v;
  moments_ref(&m, &v, x, count);
  *mean = static_cast<float>(m);
  *var = static_cast<float>(v);
}

void scale_shift_f32(float* y, const float* x, float scale, float shift, std::size_t count,
                     bool relu) {
  const vfloat vs = splat(scale), vb = splat(shift);
  std::size_t i = 0;
  if (relu) {
    for (; i + kLanes <= count; i += kLanes) store(y + i, max(fmadd(load(x + i), vs, vb), zero()));
  } else {
    for (; i + kLanes <= count; i += kLanes) store(y + i, fmadd(load(x + i), vs, vb));
  }
  for (; i < count; ++i) {
    const float v = x[i] * scale + shift;
    y[i] = relu ? std::max(v, 0.f) : v;
  }
}

void scale_shift_f32_ref(float* y, const float* x, float scale, float shift, std::size_t count,
                         bool relu) {
  for (std::size_t i = 0; i < count; ++i) y[i] = relu_ref(double(x[i]) * scale + shift, relu);
}

void instance_norm_f32(float* y, const float* x, const float* gamma, const float* beta,
                       std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu) {
  normalize_planes(y, x, N * C, HW, relu, [&](std::size_t p, const Moments& m) {
    return fold(m, eps, gamma, beta, p % C);
  });
}

void instance_norm_f32_ref(float* y, const float* x, const float* gamma, const float* beta,
                           std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu) {
  if (HW == 0) return;
  for (std::size_t p = 0; p < N * C; ++p) {
    const float* xp = x + p * HW;
    float* yp = y + p * HW;
    double m, v;
    moments_ref(&m, &v, xp, HW);
    const std::size_t c = p % C;
    const double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
    for (std::size_t i = 0; i < HW; ++i) {
      yp[i] = relu_ref(normalize_ref(xp[i], m, v, eps, g, b), relu);
    }
  }
}

void instance_stats_f32(float* mean, float* var, const float* x, std::size_t N, std::size_t C,
                        std::size_t HW) {
  for (std::size_t p = 0; p < N * C; ++p) moments_f32(mean + p, var + p, x + p * HW, HW);
}

void instance_norm_with_stats_f32(float* y, const float* x, const float* mean, const float* var,
                                  const float* gamma, const float* beta, std::size_t N,
                                  std::size_t C, std::size_t HW, float eps, bool relu) {
  for (std::size_t p = 0; p < N * C; ++p) {
    apply(y + p * HW, x + p * HW, fold(mean[p], var[p], eps, gamma, beta, p % C), HW, relu);
  }
}

void batch_norm_f32(float* y, const float* x, const float* mean, const float* var,
                    const float* gamma, const float* beta, std::size_t N, std::size_t C,
                    std::size_t HW, float eps, bool relu) {
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t c = 0; c < C; ++c) {
      const std::size_t off = (n * C + c) * HW;
      apply(y + off, x + off, fold(mean[c], var[c], eps, gamma, beta, c), HW, relu);
    }
  }
}

void batch_norm_f32_ref(float* y, const float* x, const float* mean, const float* var,
                        const float* gamma, const float* beta, std::size_t N, std::size_t C,
                        std::size_t HW, float eps, bool relu) {
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t c = 0; c < C; ++c) {
      const double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
      const std::size_t off = (n * C + c) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        y[off + i] = relu_ref(normalize_ref(x[off + i], mean[c], var[c], eps, g, b), relu);
      }
    }
  }
}

// Each plane's moments come from span_moments; the planes of a channel are then merged with
// the same Chan update that merged the blocks of a plane. The statistics need the whole batch
// before anything is written, so the apply is a second sweep.
void batch_norm_train_f32(float* y, float* batch_mean, float* batch_var, const float* x,
                          const float* gamma, const float* beta, std::size_t N, std::size_t C,
                          std::size_t HW, float eps, bool relu) {
  assert(N >= 1 && HW >= 1);
  for (std::size_t c = 0; c < C; ++c) {
    Moments acc;
    for (std::size_t n = 0; n < N; ++n) acc.merge(span_moments(x + (n * C + c) * HW, HW));
    batch_mean[c] = static_cast<float>(acc.mean);
    batch_var[c] = static_cast<float>(acc.var());
  }
  batch_norm_f32(y, x, batch_mean, batch_var, gamma, beta, N, C, HW, eps, relu);
}

void batch_norm_train_f32_ref(float* y, float* batch_mean, float* batch_var, const float* x,
                              const float* gamma, const float* beta, std::size_t N, std::size_t C,
                              std::size_t HW, float eps, bool relu) {
  for (std::size_t c = 0; c < C; ++c) {
    double s = 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      for (std::size_t i = 0; i < HW; ++i) s += x[(n * C + c) * HW + i];
    }
    const double count = double(N * HW), m = s / count;
    double q = 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      for (std::size_t i = 0; i < HW; ++i) {
        const double d = x[(n * C + c) * HW + i] - m;
        q += d * d;
      }
    }
    const double v = q / count;
    batch_mean[c] = static_cast<float>(m);
    batch_var[c] = static_cast<float>(v);
    const double g = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
    for (std::size_t n = 0; n < N; ++n) {
      const std::size_t off = (n * C + c) * HW;
      for (std::size_t i = 0; i < HW; ++i) {
        y[off + i] = relu_ref(normalize_ref(x[off + i], m, v, eps, g, b), relu);
      }
    }
  }
}

void layer_norm_f32(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                    const float* beta, std::size_t outer, std::size_t inner, float eps) {
  if (inner == 0) return;
  for (std::size_t r = 0; r < outer; ++r) {
    const float* xr = x + r * inner;
    float* yr = y + r * inner;
    // No affine is the per-channel fold with gamma = 1, beta = 0: the apply GN uses, so LN
    // over a whole sample and GN with one group give the same bits.
    const Affine a = fold(span_moments(xr, inner), eps, nullptr, nullptr, 0);
    if (mean) mean[r] = a.center;
    if (rstd) rstd[r] = a.scale;
    if (gamma && beta) {
      layer_apply<true, true>(yr, xr, gamma, beta, a.center, a.scale, inner);
    } else if (gamma) {
      layer_apply<true, false>(yr, xr, gamma, beta, a.center, a.scale, inner);
    } else if (beta) {
      layer_apply<false, true>(yr, xr, gamma, beta, a.center, a.scale, inner);
    } else {
      apply(yr, xr, a, inner, false);
    }
  }
}

void layer_norm_f32_ref(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                        const float* beta, std::size_t outer, std::size_t inner, float eps) {
  if (inner == 0) return;
  for (std::size_t r = 0; r < outer; ++r) {
    const float* xr = x + r * inner;
    float* yr = y + r * inner;
    double m, v;
    moments_ref(&m, &v, xr, inner);
    if (mean) mean[r] = static_cast<float>(m);
    if (rstd) rstd[r] = static_cast<float>(1.0 / std::sqrt(v + eps));
    for (std::size_t i = 0; i < inner; ++i) {
      yr[i] = static_cast<float>(
          normalize_ref(xr[i], m, v, eps, gamma ? gamma[i] : 1.0, beta ? beta[i] : 0.0));
    }
  }
}

// Statistics per group span (C/G planes, contiguous), then each plane of the group applied
// with its own channel's gamma and beta. G == C takes IN's one-sweep path: same result.
void group_norm_f32(float* y, const float* x, const float* gamma, const float* beta, std::size_t N,
                    std::size_t C, std::size_t HW, std::size_t G, float eps, bool relu) {
  assert(G >= 1 && C % G == 0);
  if (G == C) {
    instance_norm_f32(y, x, gamma, beta, N, C, HW, eps, relu);
    return;
  }
  if (HW == 0) return;
  const std::size_t cpg = C / G;
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t g = 0; g < G; ++g) {
      const std::size_t off = (n * C + g * cpg) * HW;
      const Moments m = span_moments(x + off, cpg * HW);
      for (std::size_t k = 0; k < cpg; ++k) {
        apply(y + off + k * HW, x + off + k * HW, fold(m, eps, gamma, beta, g * cpg + k), HW, relu);
      }
    }
  }
}

void group_norm_f32_ref(float* y, const float* x, const float* gamma, const float* beta,
                        std::size_t N, std::size_t C, std::size_t HW, std::size_t G, float eps,
                        bool relu) {
  if (HW == 0) return;
  const std::size_t cpg = C / G, span = cpg * HW;
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t g = 0; g < G; ++g) {
      const std::size_t off = (n * C + g * cpg) * HW;
      double m, v;
      moments_ref(&m, &v, x + off, span);
      for (std::size_t i = 0; i < span; ++i) {
        const std::size_t c = g * cpg + i / HW;
        const double gm = gamma ? gamma[c] : 1.0, b = beta ? beta[c] : 0.0;
        y[off + i] = relu_ref(normalize_ref(x[off + i], m, v, eps, gm, b), relu);
      }
    }
  }
}

// y = alpha * (s * (x - mu) * rstd + style_mean) + (1 - alpha) * x is still affine in x, and
// centered on mu it is (x - mu) * (alpha * s * rstd + 1 - alpha) + alpha * style_mean
// + (1 - alpha) * mu: one apply per plane. alpha = 0 is a copy, exact rather than
// (x - mu) + mu.
void adain_f32(float* y, const float* content, const float* style_mean, const float* style_std,
               std::size_t N, std::size_t C, std::size_t HW, float alpha, float eps) {
  if (alpha == 0.f) {
    if (y != content) std::memmove(y, content, N * C * HW * sizeof(float));
    return;
  }
  normalize_planes(y, content, N * C, HW, false, [&](std::size_t p, const Moments& m) {
    const float mu = static_cast<float>(m.mean), var = static_cast<float>(m.var());
    const double a = alpha, t = double(style_std[p]) / std::sqrt(double(var) + double(eps));
    return Affine{mu, static_cast<float>(a * t + (1.0 - a)),
                  static_cast<float>(a * style_mean[p] + (1.0 - a) * mu)};
  });
}

void adain_f32_ref(float* y, const float* content, const float* style_mean, const float* style_std,
                   std::size_t N, std::size_t C, std::size_t HW, float alpha, float eps) {
  if (HW == 0) return;
  for (std::size_t p = 0; p < N * C; ++p) {
    const float* xp = content + p * HW;
    float* yp = y + p * HW;
    double m, v;
    moments_ref(&m, &v, xp, HW);
    for (std::size_t i = 0; i < HW; ++i) {
      const double t = normalize_ref(xp[i], m, v, eps, style_std[p], style_mean[p]);
      yp[i] = static_cast<float>(double(alpha) * t + (1.0 - double(alpha)) * xp[i]);
    }
  }
}

void style_stats_f32(float* mean, float* std, const float* style, std::size_t N, std::size_t C,
                     std::size_t HW, float eps) {
  for (std::size_t p = 0; p < N * C; ++p) {
    const Moments m = span_moments(style + p * HW, HW);
    mean[p] = static_cast<float>(m.mean);
    std[p] = static_cast<float>(std::sqrt(m.var() + double(eps)));
  }
}

}  // namespace instyle
