// register_tile.h: the register budget and GEMM register tile shared by the convolution
// paths (conv.cpp's im2col, winograd.cpp's transformed-domain GEMMs), and the table of
// micro-kernel instantiations they dispatch remainder tiles through.
//
//   constexpr auto kGemm = register_tile_table<GemmMicro>(
//       [](auto mr, auto nv) { return &gemm_micro<mr, nv>; });
//   kGemm[mr - 1][nv - 1](...);   // mr in [1, kMR], nv in [1, kNV]
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "simd.h"

namespace instyle::simd {

// Register budget. AVX-512 has 32 vector registers, AVX2 16. WASM SIMD has no registers of its
// own: V8 maps it onto the 16 SSE/AVX registers, keeps one as scratch, and has no FMA, so a
// multiply-add needs a temporary. Every register tile is sized from these two numbers.
#if defined(__wasm_simd128__)
constexpr std::size_t kVectorRegs = 15;
constexpr std::size_t kTempRegs = 2;  // the broadcast weight and the product
#else
constexpr std::size_t kVectorRegs = kLanes >= 16 ? 32 : 16;
constexpr std::size_t kTempRegs = 1;  // the broadcast weight
#endif

// GEMM register tile: kMR output channels x kNV vectors of outputs in accumulators, plus kNV
// input vectors and the temporaries: 4x3 with AVX2, 5x2 in WASM (measured faster there than
// 4x3, which spills, and 4x2), 8x3 with AVX-512 (capped at 8, which divides the usual channel
// counts).
constexpr std::size_t kNV = kVectorRegs >= 32 || kTempRegs == 1 ? 3 : 2;
constexpr std::size_t kMR = std::min<std::size_t>(8, (kVectorRegs - kTempRegs - kNV) / kNV);
static_assert(kMR >= 1 && kMR * kNV + kNV + kTempRegs <= kVectorRegs);
constexpr std::size_t kNR = kNV * kLanes;

namespace detail {
template <class Fn, class Make, std::size_t MR, std::size_t... NV>
constexpr std::array<Fn, kNV> register_tile_row(Make make, std::index_sequence<NV...>) {
  return {make(std::integral_constant<std::size_t, MR>(),
               std::integral_constant<std::size_t, NV + 1>())...};
}
template <class Fn, class Make, std::size_t... MR>
constexpr std::array<std::array<Fn, kNV>, kMR> register_tile_table(Make make,
                                                                   std::index_sequence<MR...>) {
  return {register_tile_row<Fn, Make, MR + 1>(make, std::make_index_sequence<kNV>())...};
}
}  // namespace detail

// table[mr - 1][nv - 1] = make(mr, nv) for every smaller register tile, so remainder blocks
// (fewer channels or outputs) get their own instantiation rather than padding. `make` receives
// std::integral_constants, usable as template arguments.
template <class Fn, class Make>
constexpr std::array<std::array<Fn, kNV>, kMR> register_tile_table(Make make) {
  return detail::register_tile_table<Fn>(make, std::make_index_sequence<kMR>());
}

}  // namespace instyle::simd
