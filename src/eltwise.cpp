#include "eltwise.h"

#include <algorithm>

#include "simd.h"

namespace instyle {

using namespace simd;

void add_f32(float* y, const float* a, const float* b, std::size_t n, bool relu) {
  std::size_t i = 0;
  if (relu) {
    for (; i + kLanes <= n; i += kLanes) store(y + i, max(load(a + i) + load(b + i), zero()));
  } else {
    for (; i + kLanes <= n; i += kLanes) store(y + i, load(a + i) + load(b + i));
  }
  for (; i < n; ++i) {
    const float v = a[i] + b[i];
    y[i] = relu ? std::max(v, 0.f) : v;
  }
}

void add_f32_ref(float* y, const float* a, const float* b, std::size_t n, bool relu) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = a[i] + b[i];
    y[i] = relu && v < 0.f ? 0.f : v;
  }
}

void relu_f32(float* y, const float* x, std::size_t n) {
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(y + i, max(load(x + i), zero()));
  for (; i < n; ++i) y[i] = std::max(x[i], 0.f);
}

void relu_f32_ref(float* y, const float* x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < 0.f ? 0.f : x[i];
}

void clamp_f32(float* y, const float* x, std::size_t n, float lo, float hi) {
  const vfloat vlo = splat(lo), vhi = splat(hi);
  std::size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(y + i, min(max(load(x + i), vlo), vhi));
  for (; i < n; ++i) y[i] = std::min(std::max(x[i], lo), hi);
}

void clamp_f32_ref(float* y, const float* x, std::size_t n, float lo, float hi) {
  for (std::size_t i = 0; i < n; ++i) y[i] = x[i] < lo ? lo : (x[i] > hi ? hi : x[i]);
}

}  // namespace instyle
