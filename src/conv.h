// conv.h: 2-D convolution, f32, NCHW, with padding modes, stride, dilation, groups.
//
//   instyle::Conv2dShape s{/*N*/1, /*C*/3, /*H*/256, /*W*/256, /*O*/32, /*kH*/9, /*kW*/9};
//   s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 4;
//   s.pad_mode = instyle::PadMode::kReflect;
//   std::vector<float> ws(instyle::conv2d_workspace_size(s));
//   instyle::conv2d_f32(y, x, w, bias, s, /*relu=*/true, ws.data());
//
// x: [N, C, H, W]; w: [O, C/groups, kH, kW] (ONNX / PyTorch order); bias: [O] or nullptr;
// y: [N, O, out_h(), out_w()]. Padding is applied on the fly while gathering input rows: no
// padded copy of the whole input is made. Kernels allocate nothing: scratch comes from
// `workspace` (conv2d_workspace_size floats). y must not alias x.
//
// up_h, up_w > 1: the convolution reads x upsampled (nearest neighbour) by these whole factors,
// without that image being made: position (iy, ix) of the in_h() x in_w() input it pads and
// convolves is x[iy / up_h][ix / up_w]. This is an Upsample followed by a conv, folded by the
// model planner: the upsampled tensor, often the largest of a style network, never exists.
#pragma once

#include <cstddef>

#include "pad.h"

namespace instyle {

struct Conv2dShape {
  std::size_t N = 1, C = 1, H = 1, W = 1;  // input
  std::size_t O = 1, kH = 1, kW = 1;       // output channels, kernel size
  std::size_t stride_h = 1, stride_w = 1;
  std::size_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::size_t dilation_h = 1, dilation_w = 1;
  std::size_t groups = 1;  // C % groups == 0 and O % groups == 0; groups == C is depthwise
  PadMode pad_mode = PadMode::kZeros;
  std::size_t up_h = 1, up_w = 1;  // nearest-neighbour upsampling of x before padding

  // The size of the image the kernel slides over (before padding): x's, upsampled.
  std::size_t in_h() const { return H * up_h; }
  std::size_t in_w() const { return W * up_w; }
  std::size_t out_h() const {
    return (in_h() + pad_top + pad_bottom - dilation_h * (kH - 1) - 1) / stride_h + 1;
  }
  std::size_t out_w() const {
    return (in_w() + pad_left + pad_right - dilation_w * (kW - 1) - 1) / stride_w + 1;
  }
  // Multiply-adds times two: the usual FLOP count for benchmarks.
  double flops() const { return 2.0 * N * O * out_h() * out_w() * (C / groups) * kH * kW; }
};

// Scratch floats conv2d_f32 needs for this shape (may be 0).
std::size_t conv2d_workspace_size(const Conv2dShape& s);

// Which kernel conv2d_f32 takes for this shape: "winograd", "direct" or "im2col" (profiles).
const char* conv2d_algorithm(const Conv2dShape& s);

void conv2d_f32(float* y, const float* x, const float* w, const float* bias, const Conv2dShape& s,
                bool relu, float* workspace);
// Direct seven-loop reference in double; ignores `workspace`.
void conv2d_f32_ref(float* y, const float* x, const float* w, const float* bias,
                    const Conv2dShape& s, bool relu, float* workspace);

}  // namespace instyle
