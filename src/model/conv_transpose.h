// conv_transpose.h: 2-D transposed convolution (ONNX ConvTranspose, PyTorch ConvTranspose2d),
// f32, NCHW. Style networks rarely use it (nearest upsample + conv is the usual choice), so it
// lives beside the runner as a plain scatter loop rather than among the SIMD kernels.
//
//   instyle::model::ConvTransposeShape s;  // N, C, H, W, O, kH, kW, strides, pads, groups
//   s.OH = ...; s.OW = ...;                // from ONNX's output-size formula
//   conv_transpose2d_f32(y, x, w, bias, s);
//
// x: [N, C, H, W]; w: [C, O/groups, kH, kW] (ONNX order: input channels first);
// bias: [O] or nullptr; y: [N, O, OH, OW]. Each input pixel scatters w * x into the output
// at (ih * stride - pad_top + kh * dilation, ...); y must not alias x.
#pragma once

#include <cstddef>

namespace instyle::model {

struct ConvTransposeShape {
  std::size_t N = 1, C = 1, H = 1, W = 1;
  std::size_t O = 1, kH = 1, kW = 1;
  std::size_t stride_h = 1, stride_w = 1;
  std::size_t pad_top = 0, pad_left = 0;  // begin pads; the end pads only shrink OH, OW
  std::size_t dilation_h = 1, dilation_w = 1;
  std::size_t groups = 1;
  std::size_t OH = 1, OW = 1;
};

void conv_transpose2d_f32(float* y, const float* x, const float* w, const float* bias,
                          const ConvTransposeShape& s);
// The definition written as a gather over outputs, in double: the test oracle.
void conv_transpose2d_f32_ref(float* y, const float* x, const float* w, const float* bias,
                              const ConvTransposeShape& s);

}  // namespace instyle::model
