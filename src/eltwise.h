// eltwise.h: element-wise kernels over n contiguous floats. y may alias any input.
//
//   instyle::add_f32(y, a, b, n, /*relu=*/false);   // residual connections
//   instyle::clamp_f32(y, x, n, 0.f, 255.f);
#pragma once

#include <cstddef>

namespace instyle {

// y = a + b, then max(0, .) when relu.
void add_f32(float* y, const float* a, const float* b, std::size_t n, bool relu);
void add_f32_ref(float* y, const float* a, const float* b, std::size_t n, bool relu);

void relu_f32(float* y, const float* x, std::size_t n);
void relu_f32_ref(float* y, const float* x, std::size_t n);

// y = min(max(x, lo), hi)
void clamp_f32(float* y, const float* x, std::size_t n, float lo, float hi);
void clamp_f32_ref(float* y, const float* x, std::size_t n, float lo, float hi);

}  // namespace instyle
