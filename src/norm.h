// norm.h: the normalization family (instance, batch, layer, group norm) and AdaIN, f32.
//
//   // x, y: N*C*H*W floats in NCHW order; gamma, beta: C floats or nullptr.
//   instyle::instance_norm_f32(y, x, gamma, beta, N, C, H * W, 1e-5f, /*relu=*/true);
//
// Layout: NCHW. Each (n, c) plane of H*W values is contiguous, so every statistic instyle
// needs is a reduction over one contiguous span: an (n, c) plane for IN, C/G consecutive
// planes for GN, all C planes of a sample for LN. It is also the order ONNX and PyTorch use,
// so tensors cross the API without a transpose.
//
// Numerics: variance is two-pass (mean first, then the mean of squared deviations), never
// E[x^2] - E[x]^2, which cancels catastrophically on data such as 1e4 + N(0, 1). The passes
// run over short blocks (2048 floats, in L1 for the second pass) with f32 SIMD lane partial
// sums, and the blocks' (count, mean, M2) are merged in double with Chan's parallel formula,
// so the error does not grow with H*W and a span is read from memory once. Variances are
// biased (divided by the count), as in PyTorch's and ONNX's normalizations. Normalizations
// apply y = (x - mean) * scale + beta, so a constant plane gives exactly beta (zeros).
//
// Every kernel with a `_ref` twin has the same signature; the twin is a plain scalar loop in
// double precision, the oracle for tests. Kernels allocate nothing and allow y == x (in place).
#pragma once

#include <cstddef>

namespace instyle {

// mean and biased variance of `count` contiguous floats (count >= 1).
void moments_f32(float* mean, float* var, const float* x, std::size_t count);
void moments_f32_ref(float* mean, float* var, const float* x, std::size_t count);

// y[i] = max?(x[i] * scale + shift) over `count` contiguous floats: a normalization whose
// statistics are frozen, folded into one scale and shift (e.g. batch norm at inference).
void scale_shift_f32(float* y, const float* x, float scale, float shift, std::size_t count,
                     bool relu);
void scale_shift_f32_ref(float* y, const float* x, float scale, float shift, std::size_t count,
                         bool relu);

// Instance norm: each (n, c) plane by its own mean and variance.
// y, x: [N, C, HW]; gamma, beta: [C] or nullptr (1 and 0). To record the statistics it uses,
// call instance_stats_f32 (the same numbers, bit for bit).
void instance_norm_f32(float* y, const float* x, const float* gamma, const float* beta,
                       std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu);
void instance_norm_f32_ref(float* y, const float* x, const float* gamma, const float* beta,
                           std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu);

// Per-(n, c) plane statistics alone: mean, var: [N, C]. What IN would use; recorded on a
// thumbnail and replayed by instance_norm_with_stats_f32 for tiled inference.
void instance_stats_f32(float* mean, float* var, const float* x, std::size_t N, std::size_t C,
                        std::size_t HW);

// IN with given statistics (mean, var: [N, C]) instead of the tensor's own.
void instance_norm_with_stats_f32(float* y, const float* x, const float* mean, const float* var,
                                  const float* gamma, const float* beta, std::size_t N,
                                  std::size_t C, std::size_t HW, float eps, bool relu);

// Batch norm, inference: per-channel running statistics. mean, var: [C]; gamma, beta: [C] or
// nullptr. y, x: [N, C, HW].
void batch_norm_f32(float* y, const float* x, const float* mean, const float* var,
                    const float* gamma, const float* beta, std::size_t N, std::size_t C,
                    std::size_t HW, float eps, bool relu);
void batch_norm_f32_ref(float* y, const float* x, const float* mean, const float* var,
                        const float* gamma, const float* beta, std::size_t N, std::size_t C,
                        std::size_t HW, float eps, bool relu);

// Batch norm, training: statistics over (N, HW) per channel, written to batch_mean and
// batch_var ([C], biased variance), then applied. Per-plane moments are merged with Chan's
// parallel formula, so the statistics take one sweep over the batch (and the apply another).
void batch_norm_train_f32(float* y, float* batch_mean, float* batch_var, const float* x,
                          const float* gamma, const float* beta, std::size_t N, std::size_t C,
                          std::size_t HW, float eps, bool relu);
void batch_norm_train_f32_ref(float* y, float* batch_mean, float* batch_var, const float* x,
                              const float* gamma, const float* beta, std::size_t N, std::size_t C,
                              std::size_t HW, float eps, bool relu);

// Layer norm over the trailing `inner` values of each of `outer` rows (for NCHW with
// LN over C, H, W: outer = N, inner = C*H*W). gamma, beta: [inner] element-wise or nullptr,
// as in PyTorch's LayerNorm and ONNX's LayerNormalization. mean, rstd (optional): [outer].
void layer_norm_f32(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                    const float* beta, std::size_t outer, std::size_t inner, float eps);
void layer_norm_f32_ref(float* y, float* mean, float* rstd, const float* x, const float* gamma,
                        const float* beta, std::size_t outer, std::size_t inner, float eps);

// Group norm: C channels in G groups of C/G consecutive channels (C % G == 0), statistics per
// (n, group). gamma, beta: [C] per channel or nullptr. G == C is IN; G == 1 is LN with
// per-channel affine.
void group_norm_f32(float* y, const float* x, const float* gamma, const float* beta, std::size_t N,
                    std::size_t C, std::size_t HW, std::size_t G, float eps, bool relu);
void group_norm_f32_ref(float* y, const float* x, const float* gamma, const float* beta,
                        std::size_t N, std::size_t C, std::size_t HW, std::size_t G, float eps,
                        bool relu);

// AdaIN (Huang & Belongie 2017): each content plane normalized by its own statistics, then
// given the style's: t = style_std[n,c] * (x - mu) / sqrt(var + eps) + style_mean[n,c];
// y = alpha * t + (1 - alpha) * x. style_mean, style_std: [N, C] (see style_stats_f32).
// alpha = 0 returns the content unchanged, bit for bit.
void adain_f32(float* y, const float* content, const float* style_mean, const float* style_std,
               std::size_t N, std::size_t C, std::size_t HW, float alpha, float eps);
void adain_f32_ref(float* y, const float* content, const float* style_mean, const float* style_std,
                   std::size_t N, std::size_t C, std::size_t HW, float alpha, float eps);

// The style statistics AdaIN takes: per-plane mean and std = sqrt(var + eps).
// style: [N, C, HW]; mean, std: [N, C].
void style_stats_f32(float* mean, float* std, const float* style, std::size_t N, std::size_t C,
                     std::size_t HW, float eps);

}  // namespace instyle
