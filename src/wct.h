// wct.h: the whitening and colouring transform (WCT; Li et al., NeurIPS 2017), the arbitrary-style
// layer that gives a photo's features a style's correlations between channels, where AdaIN
// gives only each channel's mean and standard deviation. For features x of C channels with mean
// m_x and covariance S_x, and a style's m_s and S_s at the same layer,
//
//   WCT(x) = S_s^{1/2} S_x^{-1/2} (x - m_x) + m_s          (mean m_s, covariance S_s)
//
// whitens the photo's features (decorrelates them, unit variance) and colours them with the
// style's covariance. Blended with x at strength k it is one affine map of each pixel's channel
// vector, a 1x1 convolution:
//
//   y = M (x - m_x) + b,   M = k T + (1 - k) I,   b = k m_s + (1 - k) m_x,   T = S_s^{1/2}
//   S_x^{-1/2}
//
// (centred first: T can be large where the photo has little variance, and M x - M m_x would
// then lose the difference to rounding).
//
//   std::vector<double> cov(C * C);
//   channel_covariance(cov.data(), x, mean, C, HW);                 // S_x (threaded)
//   auto coloring = wct_coloring(style_cov.data(), C);              // S_s^{1/2}, once per style
//   std::vector<float> M(C * C), b(C);
//   INSTYLE_RETURN_IF_ERROR(wct_affine(M.data(), b.data(), cov.data(), mean,
//   coloring.value().data(),
//                                      style_mean, C, /*strength=*/1.f, /*eps=*/1e-5f));
//   channel_mix(y, x, M.data(), mean, b.data(), C, HW, /*relu=*/false);   // y may be x (threaded)
//
// The two kernels are SIMD (xsimd) with double-precision scalar references beside them; the
// matrix square roots are Eigen's symmetric eigensolver (Debian's libeigen3-dev, header-only,
// compiled into the WASM build like everything else).
#pragma once

#include <cstddef>
#include <vector>

#include "status.h"

namespace instyle {

// out[i * C + j] = sum over p in [0, n) of (x[i * stride + p] - mean[i]) * (x[j * stride + p] -
// mean[j]): the centred products of C rows of n pixels (rows `stride` floats apart), all C x C
// entries. Float sums, so callers keep n moderate (channel_covariance passes blocks of 512).
void covariance_sum_f32(float* out, const float* x, std::size_t stride, const float* mean,
                        std::size_t C, std::size_t n);
void covariance_sum_f32_ref(float* out, const float* x, std::size_t stride, const float* mean,
                            std::size_t C, std::size_t n);

// y[o * stride + p] = b[o] + sum_d M[o * C + d] * (x[d * stride + p] - center[d]) for p in
// [0, n), then ReLU if asked. y may be x: the n centred pixels of every channel are first
// copied into `scratch` (C * n floats).
void channel_mix_f32(float* y, const float* x, std::size_t stride, const float* M,
                     const float* center, const float* b, std::size_t C, std::size_t n, bool relu,
                     float* scratch);
void channel_mix_f32_ref(float* y, const float* x, std::size_t stride, const float* M,
                         const float* center, const float* b, std::size_t C, std::size_t n,
                         bool relu, float* scratch);

// The covariance of x ([C, HW]) about `mean` (biased: divided by HW), C x C, over the thread
// pool (parallel.h), accumulated in double.
void channel_covariance(double* cov, const float* x, const float* mean, std::size_t C,
                        std::size_t HW);

// channel_mix_f32 over all HW pixels, split across the thread pool; y may be x.
void channel_mix(float* y, const float* x, const float* M, const float* center, const float* b,
                 std::size_t C, std::size_t HW, bool relu);

// A style's colouring matrix S_s^{1/2} (C x C, symmetric) from its covariance.
Result<std::vector<float>> wct_coloring(const double* style_cov, std::size_t C);

// M (C x C) and b (C) of the blended transform above, from the photo's mean and covariance and
// the style's mean and colouring matrix. The photo's covariance is regularized before it is
// inverted: its eigenvalues are raised by kWhiteningFloor times their mean, plus eps (the
// layer's, as instance norm adds it to each variance), so directions in which the photo (or
// the thumbnail whose statistics a tile replays) has almost no variance are not blown up. On
// relu3_1 features of photos the median eigenvalue is about 5% of the mean, a tenth of them
// below 0.1%: the floor damps only those.
constexpr double kWhiteningFloor = 1e-3;
Status wct_affine(float* M, float* b, const double* content_cov, const float* content_mean,
                  const float* coloring, const float* style_mean, std::size_t C, float strength,
                  float eps);

}  // namespace instyle
