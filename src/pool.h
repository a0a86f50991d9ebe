// pool.h: 2-D average and max pooling, f32, over NC planes of H x W (NCHW with N*C folded):
// ONNX AveragePool / MaxPool, PyTorch AvgPool2d / MaxPool2d.
//
//   instyle::Pool2dShape s{/*NC*/N * C, /*H*/64, /*W*/64, /*OH*/32, /*OW*/32, /*kH*/2, /*kW*/2};
//   s.stride_h = s.stride_w = 2;
//   std::vector<float> scratch(instyle::pool2d_scratch_size(s));
//   instyle::pool2d_f32(y, x, s, scratch.data());        // y: [NC, OH, OW]
//
// Output pixel (oy, ox) pools the window of input rows oy*stride_h - pad_top + [0, kH) and
// columns ox*stride_w - pad_left + [0, kW). Positions outside the input are padding: max
// ignores them; average divides the sum of the window's input pixels by their count, or by
// kH*kW when count_include_pad (padding counted as zeros). The bottom and right padding are
// whatever OH and OW imply, so a caller's ceil_mode is just a larger OH or OW. Every window
// must hold at least one input pixel: pad_top < kH, pad_left < kW, (OH-1)*stride_h < H + pad_top
// and (OW-1)*stride_w < W + pad_left (asserted).
//
// The SIMD kernel reduces each output row's window rows into one row of W floats (max or sum,
// across the row in vectors), then slides the window along that row. A sum therefore adds
// column sums, where the scalar reference adds row by row: averages agree to rounding, maxima
// exactly. Kernels allocate nothing: the row comes from `scratch` (pool2d_scratch_size floats).
// y must not alias x.
#pragma once

#include <cstddef>

namespace instyle {

enum class PoolMode { kAverage, kMax };

struct Pool2dShape {
  std::size_t NC = 1, H = 1, W = 1;  // input planes
  std::size_t OH = 1, OW = 1;        // output plane
  std::size_t kH = 1, kW = 1;
  std::size_t stride_h = 1, stride_w = 1;
  std::size_t pad_top = 0, pad_left = 0;
  PoolMode mode = PoolMode::kMax;
  bool count_include_pad = false;  // average only
};

// Scratch floats pool2d_f32 needs: one input row.
inline std::size_t pool2d_scratch_size(const Pool2dShape& s) {
  return s.W;
}

// y: [NC, OH, OW]; x: [NC, H, W]. The reference ignores scratch.
void pool2d_f32(float* y, const float* x, const Pool2dShape& s, float* scratch);
void pool2d_f32_ref(float* y, const float* x, const Pool2dShape& s, float* scratch);

}  // namespace instyle
