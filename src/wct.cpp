#include "wct.h"

// Under Emscripten, -msse4.1 (for xsimd) would send Eigen down its x86 path, which includes the
// MMX header that WASM lacks. Eigen's work here (one eigen-decomposition of a C x C matrix per
// photo or style) is small next to a network's, so scalar Eigen it is.
#if defined(__EMSCRIPTEN__)
#define EIGEN_DONT_VECTORIZE
#endif
#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <string>

#include "parallel.h"
#include "simd.h"

namespace instyle {
namespace {

using namespace simd;

// One R x S block of covariance_sum_f32: rows i0.. against rows j0.., R * S vector sums over
// the pixels (2 to 4 loads per 8 multiply-adds at R = 4, S = 2), then the scalar tail.
template <int R, int S>
void covariance_tile(float* out, const float* x, std::size_t stride, const float* mean,
                     std::size_t C, std::size_t i0, std::size_t j0, std::size_t n) {
  vfloat acc[R][S], mi[R], mj[S];
  for (int r = 0; r < R; ++r) {
    mi[r] = splat(mean[i0 + r]);
    for (int s = 0; s < S; ++s) acc[r][s] = zero();
  }
  for (int s = 0; s < S; ++s) mj[s] = splat(mean[j0 + s]);
  std::size_t p = 0;
  for (; p + kLanes <= n; p += kLanes) {
    vfloat a[R], b[S];
    for (int r = 0; r < R; ++r) a[r] = load(x + (i0 + r) * stride + p) - mi[r];
    for (int s = 0; s < S; ++s) b[s] = load(x + (j0 + s) * stride + p) - mj[s];
    for (int r = 0; r < R; ++r) {
      for (int s = 0; s < S; ++s) acc[r][s] = fmadd(a[r], b[s], acc[r][s]);
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int s = 0; s < S; ++s) {
      float sum = reduce_add(acc[r][s]);
      const float* xi = x + (i0 + r) * stride;
      const float* xj = x + (j0 + s) * stride;
      for (std::size_t q = p; q < n; ++q) sum += (xi[q] - mean[i0 + r]) * (xj[q] - mean[j0 + s]);
      out[(i0 + r) * C + j0 + s] = sum;
    }
  }
}

using CovarianceTile = void (*)(float*, const float*, std::size_t, const float*, std::size_t,
                                std::size_t, std::size_t, std::size_t);
constexpr CovarianceTile kCovarianceTiles[4][2] = {
    {covariance_tile<1, 1>, covariance_tile<1, 2>},
    {covariance_tile<2, 1>, covariance_tile<2, 2>},
    {covariance_tile<3, 1>, covariance_tile<3, 2>},
    {covariance_tile<4, 1>, covariance_tile<4, 2>},
};

// R output channels of channel_mix_f32 over the n pixels of `in` (C rows of n floats): two
// vectors of pixels at a time, R * 2 accumulators, one broadcast weight per channel and row.
template <int R>
void mix_rows(float* y, std::size_t stride, const float* in, const float* M, const float* b,
              std::size_t C, std::size_t o0, std::size_t n, bool relu) {
  std::size_t p = 0;
  for (; p + 2 * kLanes <= n; p += 2 * kLanes) {
    vfloat acc[R][2];
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = splat(b[o0 + r]);
    for (std::size_t d = 0; d < C; ++d) {
      const vfloat v0 = load(in + d * n + p), v1 = load(in + d * n + p + kLanes);
      for (int r = 0; r < R; ++r) {
        const vfloat m = splat(M[(o0 + r) * C + d]);
        acc[r][0] = fmadd(m, v0, acc[r][0]);
        acc[r][1] = fmadd(m, v1, acc[r][1]);
      }
    }
    for (int r = 0; r < R; ++r) {
      if (relu) acc[r][0] = max(acc[r][0], zero()), acc[r][1] = max(acc[r][1], zero());
      store(y + (o0 + r) * stride + p, acc[r][0]);
      store(y + (o0 + r) * stride + p + kLanes, acc[r][1]);
    }
  }
  for (; p < n; ++p) {
    for (int r = 0; r < R; ++r) {
      float sum = b[o0 + r];
      for (std::size_t d = 0; d < C; ++d) sum += M[(o0 + r) * C + d] * in[d * n + p];
      y[(o0 + r) * stride + p] = relu ? std::max(sum, 0.f) : sum;
    }
  }
}

using MixRows = void (*)(float*, std::size_t, const float*, const float*, const float*, std::size_t,
                         std::size_t, std::size_t, bool);
constexpr MixRows kMixRows[4] = {mix_rows<1>, mix_rows<2>, mix_rows<3>, mix_rows<4>};

// Pixels per block: covariance sums stay short enough for float, and a block of 128 channels
// (256 KB) stays in L2 while every output channel reads it.
constexpr std::size_t kBlock = 512;

using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// S^p of a symmetric positive semi-definite C x C matrix S (row-major), its eigenvalues
// (clamped at 0) raised by floor_of_mean times their mean plus eps. Only the eigensolver is
// Eigen's: the products here and in wct_affine are plain loops (C^3 multiply-adds, a few
// milliseconds), because Eigen's matrix products would add 13 KB more to the WebAssembly
// download; the solver itself is 45 KB of it.
Result<std::vector<double>> symmetric_power(const double* s, std::size_t C, double p,
                                            double floor_of_mean, double eps, const char* what) {
  const auto n = static_cast<Eigen::Index>(C);
  const Matrix S = Eigen::Map<const Matrix>(s, n, n);
  if (!S.allFinite()) {
    return invalid_argument(std::string(what) + " is not finite (NaN or infinity)");
  }
  Eigen::SelfAdjointEigenSolver<Matrix> eig(S);
  if (eig.info() != Eigen::Success) {
    return invalid_argument(std::string("the eigen-decomposition of ") + what +
                            " did not converge");
  }
  std::vector<double> e(C);
  double mean = 0;
  for (std::size_t k = 0; k < C; ++k) mean += (e[k] = std::max(eig.eigenvalues()[k], 0.0));
  mean /= static_cast<double>(C);
  for (double& v : e) v = std::pow(v + floor_of_mean * mean + eps, p);
  const Matrix& V = eig.eigenvectors();  // columns are the eigenvectors
  std::vector<double> out(C * C, 0.0);
  std::vector<double> row(C);
  for (std::size_t i = 0; i < C; ++i) {
    for (std::size_t k = 0; k < C; ++k) row[k] = V(i, k) * e[k];
    for (std::size_t j = i; j < C; ++j) {
      double sum = 0;
      for (std::size_t k = 0; k < C; ++k) sum += row[k] * V(j, k);
      out[i * C + j] = out[j * C + i] = sum;
    }
  }
  return out;
}

}  // namespace

void covariance_sum_f32(float* out, const float* x, std::size_t stride, const float* mean,
                        std::size_t C, std::size_t n) {
  // The upper triangle in blocks of 4 x 2 (a diagonal block also fills a few entries below it),
  // then the lower triangle mirrored from it.
  for (std::size_t i0 = 0; i0 < C; i0 += 4) {
    const std::size_t R = std::min<std::size_t>(4, C - i0);
    for (std::size_t j0 = i0; j0 < C; j0 += 2) {
      const std::size_t S = std::min<std::size_t>(2, C - j0);
      kCovarianceTiles[R - 1][S - 1](out, x, stride, mean, C, i0, j0, n);
    }
  }
  for (std::size_t i = 1; i < C; ++i) {
    for (std::size_t j = 0; j < i; ++j) out[i * C + j] = out[j * C + i];
  }
}

void covariance_sum_f32_ref(float* out, const float* x, std::size_t stride, const float* mean,
                            std::size_t C, std::size_t n) {
  for (std::size_t i = 0; i < C; ++i) {
    for (std::size_t j = 0; j < C; ++j) {
      double sum = 0;
      for (std::size_t p = 0; p < n; ++p) {
        sum += (double(x[i * stride + p]) - mean[i]) * (double(x[j * stride + p]) - mean[j]);
      }
      out[i * C + j] = static_cast<float>(sum);
    }
  }
}

namespace {

// The n pixels of each channel, minus the channel's centre, as C rows of n.
void gather_centred(float* out, const float* x, std::size_t stride, const float* center,
                    std::size_t C, std::size_t n) {
  for (std::size_t d = 0; d < C; ++d) {
    const float* row = x + d * stride;
    float* o = out + d * n;
    const vfloat c = splat(center[d]);
    std::size_t p = 0;
    for (; p + kLanes <= n; p += kLanes) store(o + p, load(row + p) - c);
    for (; p < n; ++p) o[p] = row[p] - center[d];
  }
}

}  // namespace

void channel_mix_f32(float* y, const float* x, std::size_t stride, const float* M,
                     const float* center, const float* b, std::size_t C, std::size_t n, bool relu,
                     float* scratch) {
  gather_centred(scratch, x, stride, center, C, n);
  for (std::size_t o0 = 0; o0 < C; o0 += 4) {
    const std::size_t R = std::min<std::size_t>(4, C - o0);
    kMixRows[R - 1](y, stride, scratch, M, b, C, o0, n, relu);
  }
}

void channel_mix_f32_ref(float* y, const float* x, std::size_t stride, const float* M,
                         const float* center, const float* b, std::size_t C, std::size_t n,
                         bool relu, float* scratch) {
  for (std::size_t d = 0; d < C; ++d) {
    for (std::size_t p = 0; p < n; ++p) scratch[d * n + p] = x[d * stride + p] - center[d];
  }
  for (std::size_t o = 0; o < C; ++o) {
    for (std::size_t p = 0; p < n; ++p) {
      double sum = b[o];
      for (std::size_t d = 0; d < C; ++d) sum += double(M[o * C + d]) * scratch[d * n + p];
      y[o * stride + p] = static_cast<float>(relu ? std::max(sum, 0.0) : sum);
    }
  }
}

void channel_covariance(double* cov, const float* x, const float* mean, std::size_t C,
                        std::size_t HW) {
  const std::size_t blocks = (HW + kBlock - 1) / kBlock;
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(num_threads(), blocks));
  std::vector<double> sums(parts * C * C, 0.0);
  parallel_for(parts, [&](std::size_t begin, std::size_t end) {
    std::vector<float> part(C * C);
    for (std::size_t t = begin; t < end; ++t) {
      double* acc = sums.data() + t * C * C;
      for (std::size_t k = t; k < blocks; k += parts) {
        const std::size_t p0 = k * kBlock, n = std::min(kBlock, HW - p0);
        covariance_sum_f32(part.data(), x + p0, HW, mean, C, n);
        for (std::size_t e = 0; e < C * C; ++e) acc[e] += part[e];
      }
    }
  });
  const double inv = HW > 0 ? 1.0 / static_cast<double>(HW) : 0.0;
  for (std::size_t e = 0; e < C * C; ++e) {
    double s = 0;
    for (std::size_t t = 0; t < parts; ++t) s += sums[t * C * C + e];
    cov[e] = s * inv;
  }
}

void channel_mix(float* y, const float* x, const float* M, const float* center, const float* b,
                 std::size_t C, std::size_t HW, bool relu) {
  const std::size_t blocks = (HW + kBlock - 1) / kBlock;
  parallel_for(blocks, [&](std::size_t begin, std::size_t end) {
    std::vector<float> scratch(C * kBlock);
    for (std::size_t k = begin; k < end; ++k) {
      const std::size_t p0 = k * kBlock, n = std::min(kBlock, HW - p0);
      channel_mix_f32(y + p0, x + p0, HW, M, center, b, C, n, relu, scratch.data());
    }
  });
}

Result<std::vector<float>> wct_coloring(const double* style_cov, std::size_t C) {
  auto root = symmetric_power(style_cov, C, 0.5, 0.0, 0.0, "the style's feature covariance");
  if (!root.ok()) return root.status();
  return std::vector<float>(root.value().begin(), root.value().end());
}

Status wct_affine(float* M, float* b, const double* content_cov, const float* content_mean,
                  const float* coloring, const float* style_mean, std::size_t C, float strength,
                  float eps) {
  auto whiten = symmetric_power(content_cov, C, -0.5, kWhiteningFloor, std::max(eps, 1e-12f),
                                "the photo's feature covariance");
  if (!whiten.ok()) return whiten.status();
  const std::vector<double>& W = whiten.value();
  const double k = strength;
  std::vector<double> row(C);
  for (std::size_t i = 0; i < C; ++i) {
    // Row i of T = coloring * W, then of M = k T + (1 - k) I.
    std::fill(row.begin(), row.end(), 0.0);
    for (std::size_t d = 0; d < C; ++d) {
      const double c = coloring[i * C + d];
      for (std::size_t j = 0; j < C; ++j) row[j] += c * W[d * C + j];
    }
    for (std::size_t j = 0; j < C; ++j) {
      const double m = k * row[j] + (i == j ? 1.0 - k : 0.0);
      if (!std::isfinite(m))
        return invalid_argument("the whitening and colouring transform is not finite");
      M[i * C + j] = static_cast<float>(m);
    }
    b[i] = static_cast<float>(k * style_mean[i] + (1.0 - k) * content_mean[i]);
  }
  return Status();
}

}  // namespace instyle
