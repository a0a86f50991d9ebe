// resize.h: spatial resampling, f32, over NC planes of H x W (NCHW with N*C folded).
//
//   instyle::upsample_nearest_f32(y, x, N * C, H, W, 2, 2);            // y: [NC, 2H, 2W]
//   instyle::resize_bilinear_f32(y, x, N * C, H, W, OH, OW, instyle::CoordMode::kHalfPixel);
#pragma once

#include <cstddef>

namespace instyle {

// How an output coordinate maps to an input coordinate (ONNX Resize's
// coordinate_transformation_mode). kHalfPixel is PyTorch's align_corners=False.
enum class CoordMode { kHalfPixel, kPytorchHalfPixel, kAlignCorners, kAsymmetric };

// y: [NC, H*sh, W*sw], each input pixel repeated sh x sw times.
void upsample_nearest_f32(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
                          std::size_t sh, std::size_t sw);
void upsample_nearest_f32_ref(float* y, const float* x, std::size_t NC, std::size_t H,
                              std::size_t W, std::size_t sh, std::size_t sw);

// Bilinear resize to any size; samples outside the input clamp to the edge. y: [NC, OH, OW].
void resize_bilinear_f32(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
                         std::size_t OH, std::size_t OW, CoordMode mode);
void resize_bilinear_f32_ref(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
                             std::size_t OH, std::size_t OW, CoordMode mode);

}  // namespace instyle
