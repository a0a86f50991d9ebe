// simd.h: the one place instyle includes xsimd. Kernels use these few names, so xsimd's
// version quirks (8.1 here: `hadd`, not `reduce_add`) live in one file.
//
//   using namespace instyle::simd;
//   for (; i + kLanes <= n; i += kLanes) store(y + i, load(x + i) * splat(2.f));
//   for (; i < n; ++i) y[i] = x[i] * 2.f;   // scalar tail
//
// Natively the batch is AVX2 (8 lanes) with -march=native on this machine kind; under
// Emscripten, -msimd128 -msse4.1 makes xsimd pick SSE4.1 (4 lanes), which Emscripten's SSE
// headers lower to WASM SIMD (f32x4) instructions.
#pragma once

#include <cstddef>
#include <xsimd/xsimd.hpp>

namespace instyle::simd {

using vfloat = xsimd::batch<float>;
constexpr std::size_t kLanes = vfloat::size;

inline vfloat load(const float* p) {
  return vfloat::load_unaligned(p);
}
inline void store(float* p, vfloat v) {
  v.store_unaligned(p);
}
inline vfloat splat(float v) {
  return vfloat(v);
}
inline vfloat zero() {
  return vfloat(0.f);
}
inline float reduce_add(vfloat v) {
  return xsimd::hadd(v);
}
// a * b + c; a true fused multiply-add where the target has one (AVX2+FMA), mul+add otherwise.
inline vfloat fmadd(vfloat a, vfloat b, vfloat c) {
  return xsimd::fma(a, b, c);
}
inline vfloat max(vfloat a, vfloat b) {
  return xsimd::max(a, b);
}
inline vfloat min(vfloat a, vfloat b) {
  return xsimd::min(a, b);
}

// The instruction set the kernels were compiled for ("avx2", "sse4.1", ...).
inline const char* arch_name() {
  return xsimd::default_arch::name();
}

}  // namespace instyle::simd
