// Convolution as a tiled GEMM: Y[o, p] = sum_k W[o, k] * X'[k, p] with k = (c, ky, kx) and p an
// output pixel. X' (im2col) is never built for the whole image: a tile of output pixels and a
// chunk of input channels at a time is gathered into the workspace, with padding resolved
// during the gather, then a register-blocked micro-kernel multiplies it by the weights.
//
// Blocking, innermost first:
//   micro-kernel  kMR output channels x kNV vectors of pixels, accumulators in registers; per
//                 k it loads kNV pixel vectors and broadcasts kMR weights (read in place from
//                 w, whose rows are contiguous in k, so no packed copy is needed);
//   strip         the micro-kernel runs over every output-channel block of a group for one
//                 strip of pixels, so the strip (kc rows of X') stays in L1 and the weight
//                 chunk of the group (Og x kc) in L2;
//   channel chunk kc = cc*kH*kW rows of X' (about kTargetKc), bounding the strip's L1 footprint;
//                 later chunks add into y, the last one applies ReLU;
//   pixel tile    kTilePixels consecutive output pixels of one (n, group) plane, contiguous in
//                 y even when they span rows; tiles are independent (the unit a thread pool
//                 would split).
//
// Convolutions with few output channels per group (Og <= 4: depthwise, the RGB output layer)
// have too little reuse of each gathered value to pay for an im2col copy; they take a direct
// path instead: a band of input rows is padded into the workspace once (split by column phase
// when strided, so every tap is a contiguous vector load) and a micro-kernel accumulates
// Og x NV output vectors of one row over every tap of a chunk of channels.
#include "conv.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <utility>

#include "register_tile.h"
#include "simd.h"
#include "winograd.h"

namespace instyle {
namespace {

using namespace simd;
using std::ptrdiff_t;
using std::size_t;

// The im2col path's GEMM uses the shared register tile (register_tile.h): kMR x kNV.
// 192 output pixels per tile (three rows of a 64-wide plane), in whole strips.
constexpr size_t kTilePixels = (192 + kNR - 1) / kNR * kNR;
constexpr size_t kTargetKc = 128;

// Direct path: up to kDirectMaxOg output channels per group, kernels of up to kDirectMaxTaps
// taps (their offsets live in the plan), output rows per band, and the band's size target.
constexpr size_t kDirectMaxOg = 4;
constexpr size_t kDirectMaxTaps = 128;
constexpr size_t kDirectRows = 8;
constexpr size_t kDirectBandFloats = 32 * 1024;
// Vectors per direct register tile of og output channels, at most 8: og x nv accumulators and
// og broadcast weights, plus one loaded pixel vector natively. V8 loads all nv pixel vectors of
// a tap before multiplying and needs a product register; one spilled accumulator (og 3, nv 3)
// cost 40% there.
constexpr size_t direct_max_nv(size_t og) {
#if defined(__wasm_simd128__)
  return std::min<size_t>(8, (kVectorRegs - 1 - og) / (og + 1));
#else
  return std::min<size_t>(8, (kVectorRegs - 1 - og) / og);
#endif
}
constexpr size_t kDirectMaxNV = direct_max_nv(1);

size_t round_up(size_t v, size_t m) {
  return (v + m - 1) / m * m;
}

struct Plan {
  size_t Cg, Og, K, OH, OW, OHW;
  bool direct;
  size_t cc;  // input channels per chunk
  // im2col path
  size_t tile, ldb;
  // direct path: output rows per band, band rows, floats per column phase, per band row, per
  // channel of the band; tap_off[ky*kW + kx]: where that tap's inputs start in a channel.
  size_t rows_out, rows_in, phase_w, row_floats, chan_floats;
  std::array<size_t, kDirectMaxTaps> tap_off;
  size_t workspace;
};

Plan make_plan(const Conv2dShape& s) {
  assert(s.groups >= 1 && s.C % s.groups == 0 && s.O % s.groups == 0);
  assert(s.kH >= 1 && s.kW >= 1 && s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.dilation_h >= 1 && s.dilation_w >= 1);
  assert(s.up_h >= 1 && s.up_w >= 1);
  assert(s.in_h() + s.pad_top + s.pad_bottom >= s.dilation_h * (s.kH - 1) + 1);
  assert(s.in_w() + s.pad_left + s.pad_right >= s.dilation_w * (s.kW - 1) + 1);
  Plan p{};
  p.Cg = s.C / s.groups;
  p.Og = s.O / s.groups;
  p.K = p.Cg * s.kH * s.kW;
  p.OH = s.out_h();
  p.OW = s.out_w();
  p.OHW = p.OH * p.OW;
  p.direct = p.Og <= kDirectMaxOg && s.kH * s.kW <= kDirectMaxTaps;
  if (p.direct) {
    const size_t sw = s.stride_w;
    // Phase q of a padded row holds padded columns q, q + sw, q + 2sw, ...; tap kx of output
    // ox is then element ox + kx*dw/sw of phase kx*dw % sw. Each phase is long enough for the
    // last output vector, rounded up to whole vectors, to load inside it.
    p.phase_w = round_up(p.OW, kLanes) + (s.kW - 1) * s.dilation_w / sw;
    p.row_floats = sw * p.phase_w;
    for (size_t ky = 0; ky < s.kH; ++ky) {
      for (size_t kx = 0; kx < s.kW; ++kx) {
        const size_t t = kx * s.dilation_w;
        p.tap_off[ky * s.kW + kx] = ky * s.dilation_h * p.row_floats + t % sw * p.phase_w + t / sw;
      }
    }
    p.rows_out = std::min(p.OH, kDirectRows);
    p.rows_in = (p.rows_out - 1) * s.stride_h + (s.kH - 1) * s.dilation_h + 1;
    p.chan_floats = p.rows_in * p.row_floats;
    p.cc = std::clamp<size_t>(kDirectBandFloats / p.chan_floats, 1, p.Cg);
    p.workspace = p.cc * p.chan_floats;
  } else {
    p.tile = std::min(kTilePixels, p.OHW);
    // One vector more than the tile: rows a power of two apart (a 64-wide plane's 192 floats
    // are 3 x 256 bytes) would pile a strip's kc rows into a few L1 sets.
    p.ldb = round_up(p.tile, kLanes) + kLanes;
    p.cc = std::clamp<size_t>(kTargetKc / (s.kH * s.kW), 1, p.Cg);
    p.workspace = p.cc * s.kH * s.kW * p.ldb;
  }
  return p;
}

#define INSTYLE_UNROLL _Pragma("GCC unroll 16")
// For helpers that touch a register tile: if one is not inlined, its accumulators live in
// memory and are stored on every iteration of the k loop (seen in WASM: half the speed).
#define INSTYLE_ALWAYS_INLINE inline __attribute__((always_inline))

// Copies n floats; inline because the runs are short (one output row of a tile) and many.
inline void copy_floats(float* dst, const float* src, size_t n) {
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(dst + i, load(src + i));
  for (; i < n; ++i) dst[i] = src[i];
}

inline void zero_floats(float* dst, size_t n) {
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) store(dst + i, zero());
  for (; i < n; ++i) dst[i] = 0.f;
}

// A register tile of MR output channels x NV vectors of n <= NV*kLanes consecutive pixels at
// y (channels ldy apart): starts from the bias (first channel chunk) or from y (later ones),
// and is stored with ReLU after the last.
template <size_t MR, size_t NV>
struct Tile {
  vfloat acc[MR][NV];

  INSTYLE_ALWAYS_INLINE void begin(const float* y, size_t ldy, size_t n, const float* bias,
                                   bool accumulate) {
    INSTYLE_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      if (!accumulate) {
        const vfloat init = bias ? splat(bias[i]) : zero();
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) acc[i][v] = init;
      } else if (n == NV * kLanes) {
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) acc[i][v] = load(y + i * ldy + v * kLanes);
      } else {
        alignas(64) float tmp[NV * kLanes] = {};
        copy_floats(tmp, y + i * ldy, n);
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) acc[i][v] = load(tmp + v * kLanes);
      }
    }
  }

  INSTYLE_ALWAYS_INLINE void end(float* y, size_t ldy, size_t n, bool relu) {
    INSTYLE_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      if (relu) {
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) acc[i][v] = max(acc[i][v], zero());
      }
      if (n == NV * kLanes) {
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) store(y + i * ldy + v * kLanes, acc[i][v]);
      } else {
        alignas(64) float tmp[NV * kLanes];
        INSTYLE_UNROLL
        for (size_t v = 0; v < NV; ++v) store(tmp + v * kLanes, acc[i][v]);
        copy_floats(y + i * ldy, tmp, n);
      }
    }
  }
};

// im2col micro-kernel: y[i][0, n) (+)= a[i][0, kc) . b[0, kc)[0, n) for i < MR, where a's
// rows are lda apart and b's ldb apart; b holds whole vectors past n.
template <size_t MR, size_t NV>
void gemm_micro(float* y, size_t ldy, size_t n, const float* a, size_t lda, const float* b,
                size_t ldb, size_t kc, const float* bias, bool accumulate, bool relu) {
  Tile<MR, NV> t;
  t.begin(y, ldy, n, bias, accumulate);
  const float* ar[MR];
  INSTYLE_UNROLL
  for (size_t i = 0; i < MR; ++i) ar[i] = a + i * lda;
  for (size_t k = 0; k < kc; ++k, b += ldb) {
    vfloat bv[NV];
    INSTYLE_UNROLL
    for (size_t v = 0; v < NV; ++v) bv[v] = load(b + v * kLanes);
    INSTYLE_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      const vfloat av = splat(ar[i][k]);
      INSTYLE_UNROLL
      for (size_t v = 0; v < NV; ++v) t.acc[i][v] = fmadd(av, bv[v], t.acc[i][v]);
    }
  }
  t.end(y, ldy, n, relu);
}

using GemmMicro = void (*)(float*, size_t, size_t, const float*, size_t, const float*, size_t,
                           size_t, const float*, bool, bool);

// kGemm[mr - 1][nv - 1]: remainder blocks (fewer channels or pixels) get their own smaller
// register tiles rather than padding.
constexpr auto kGemm =
    register_tile_table<GemmMicro>([](auto mr, auto nv) { return &gemm_micro<mr, nv>; });

// Direct micro-kernel: output vectors y[o][0, n) of one output row for OG channels (ldy apart),
// summed over cc input channels of the band (chan_floats apart, already offset to this output
// row and column) and their taps (tap_off). w: the first channel's filters (ldw apart), offset
// to the chunk's first input channel. The taps of a channel are one flat loop (offsets from the
// plan) rather than short ky and kx loops, so each tap costs one table load of overhead.
struct DirectArgs {
  size_t ldy, ldw, cc, taps, chan_floats;
  const size_t* tap_off;
};

template <size_t OG, size_t NV>
void direct_micro(float* y, size_t n, const float* w, const float* band, const DirectArgs& d,
                  const float* bias, bool accumulate, bool relu) {
  Tile<OG, NV> t;
  t.begin(y, d.ldy, n, bias, accumulate);
  for (size_t c = 0; c < d.cc; ++c, band += d.chan_floats, w += d.taps) {
    for (size_t k = 0; k < d.taps; ++k) {
      const float* src = band + d.tap_off[k];
      vfloat wv[OG];
      INSTYLE_UNROLL
      for (size_t o = 0; o < OG; ++o) wv[o] = splat(w[o * d.ldw + k]);
      INSTYLE_UNROLL
      for (size_t v = 0; v < NV; ++v) {
        const vfloat b = load(src + v * kLanes);
        INSTYLE_UNROLL
        for (size_t o = 0; o < OG; ++o) t.acc[o][v] = fmadd(wv[o], b, t.acc[o][v]);
      }
    }
  }
  t.end(y, d.ldy, n, relu);
}

using DirectMicro = void (*)(float*, size_t, const float*, const float*, const DirectArgs&,
                             const float*, bool, bool);

template <size_t OG, size_t NV>
constexpr DirectMicro direct_entry() {
  if constexpr (NV <= direct_max_nv(OG)) {
    return &direct_micro<OG, NV>;
  } else {
    return nullptr;  // more accumulators than registers: never chosen
  }
}

template <size_t OG, size_t... NV>
constexpr auto direct_row(std::index_sequence<NV...>) {
  return std::array<DirectMicro, kDirectMaxNV>{direct_entry<OG, NV + 1>()...};
}

template <size_t... OG>
constexpr auto direct_table(std::index_sequence<OG...>) {
  return std::array<std::array<DirectMicro, kDirectMaxNV>, kDirectMaxOg>{
      direct_row<OG + 1>(std::make_index_sequence<kDirectMaxNV>())...};
}

// kDirect[og - 1][nv - 1], nv <= direct_max_nv(og).
constexpr auto kDirect = direct_table(std::make_index_sequence<kDirectMaxOg>());

// Output columns ox whose input column ox*sw + off lies in [0, W), as [lo, hi) within [0, n).
std::pair<size_t, size_t> inside_columns(ptrdiff_t off, size_t sw, size_t W, size_t n) {
  const ptrdiff_t s = ptrdiff_t(sw), w = ptrdiff_t(W);
  const size_t lo = std::min(n, off >= 0 ? 0 : size_t((-off + s - 1) / s));
  const size_t hi = std::clamp(w - off <= 0 ? 0 : size_t((w - off + s - 1) / s), lo, n);
  return {lo, hi};
}

// Writes n padded-input values of one input row (`row`, or nullptr for a zero-padding row) for
// output columns ox0 .. ox0+n: column ox reads input column ox*sw + off of the row upsampled
// `up` times (W wide; row holds W / up values). [lo, hi) is where that column lies inside the
// row (inside_columns); outside it the pad mode decides.
void gather_row(float* dst, const float* row, size_t ox0, size_t n, size_t sw, ptrdiff_t off,
                size_t lo, size_t hi, size_t W, size_t up, PadMode mode) {
  if (!row) {
    zero_floats(dst, n);
    return;
  }
  const size_t end = ox0 + n;
  const size_t a = std::clamp(lo, ox0, end), b = std::clamp(hi, a, end);
  auto border = [&](size_t from, size_t to) {
    for (size_t ox = from; ox < to; ++ox) {
      const ptrdiff_t ix = pad_source_index(ptrdiff_t(ox * sw) + off, ptrdiff_t(W), mode);
      dst[ox - ox0] = ix < 0 ? 0.f : row[size_t(ix) / up];
    }
  };
  border(ox0, a);
  if (up > 1) {
    // Column ox*sw + off of the upsampled row is value (ox*sw + off) / up: walk it without a
    // division per value.
    const size_t first = size_t(ptrdiff_t(a * sw) + off);
    size_t ix = first / up, phase = first % up;
    for (size_t ox = a; ox < b; ++ox) {
      dst[ox - ox0] = row[ix];
      for (phase += sw; phase >= up; phase -= up) ++ix;
    }
  } else if (sw == 1) {
    copy_floats(dst + (a - ox0), row + ptrdiff_t(a) + off, b - a);
  } else {
    const float* src = row + ptrdiff_t(a * sw) + off;
    for (size_t ox = a; ox < b; ++ox, src += sw) dst[ox - ox0] = *src;
  }
  border(b, end);
}

// Rows k = ((c - c0)*kH + ky)*kW + kx of X' for input channels [c0, c1) of the group whose
// first plane is xg, output pixels [p0, p0 + np); columns up to the next whole vector are
// zeroed so the micro-kernel's vector loads read defined values.
void gather_tile(float* B, const float* xg, size_t c0, size_t c1, size_t p0, size_t np,
                 const Conv2dShape& s, const Plan& p) {
  const size_t HW = s.H * s.W, np_vec = round_up(np, kLanes);
  const size_t oy_first = p0 / p.OW, ox_first = p0 % p.OW;
  for (size_t ky = 0; ky < s.kH; ++ky) {
    for (size_t kx = 0; kx < s.kW; ++kx) {
      const ptrdiff_t off = ptrdiff_t(kx * s.dilation_w) - ptrdiff_t(s.pad_left);
      const auto [lo, hi] = inside_columns(off, s.stride_w, s.in_w(), p.OW);
      for (size_t c = c0; c < c1; ++c) {
        float* dst = B + (((c - c0) * s.kH + ky) * s.kW + kx) * p.ldb;
        const float* xc = xg + c * HW;
        size_t j = 0, oy = oy_first, ox = ox_first;
        while (j < np) {
          const size_t n = std::min(p.OW - ox, np - j);
          const ptrdiff_t iy = pad_source_index(
              ptrdiff_t(oy * s.stride_h + ky * s.dilation_h) - ptrdiff_t(s.pad_top),
              ptrdiff_t(s.in_h()), s.pad_mode);
          gather_row(dst + j, iy < 0 ? nullptr : xc + size_t(iy) / s.up_h * s.W, ox, n, s.stride_w,
                     off, lo, hi, s.in_w(), s.up_w, s.pad_mode);
          j += n;
          ox = 0;
          ++oy;
        }
        zero_floats(dst + np, np_vec - np);
      }
    }
  }
}

// im2col path: output pixels [p0, p0 + np) of group g of sample n, all the group's channels.
void conv_tile_gemm(float* y, const float* x, const float* w, const float* bias, size_t n, size_t g,
                    size_t p0, size_t np, const Conv2dShape& s, const Plan& p, bool relu,
                    float* B) {
  const float* xg = x + (n * s.C + g * p.Cg) * s.H * s.W;
  float* yg = y + (n * s.O + g * p.Og) * p.OHW + p0;
  const float* wg = w + g * p.Og * p.K;
  const float* bg = bias ? bias + g * p.Og : nullptr;
  const size_t taps = s.kH * s.kW;
  for (size_t c0 = 0; c0 < p.Cg; c0 += p.cc) {
    const size_t c1 = std::min(p.Cg, c0 + p.cc), kc = (c1 - c0) * taps;
    const bool first = c0 == 0, last = c1 == p.Cg;
    gather_tile(B, xg, c0, c1, p0, np, s, p);
    for (size_t j = 0; j < np; j += kNR) {
      const size_t nr = std::min(kNR, np - j), nv = (nr + kLanes - 1) / kLanes;
      for (size_t o = 0; o < p.Og; o += kMR) {
        const size_t mr = std::min(kMR, p.Og - o);
        kGemm[mr - 1][nv - 1](yg + o * p.OHW + j, p.OHW, nr, wg + o * p.K + c0 * taps, p.K, B + j,
                              p.ldb, kc, bg ? bg + o : nullptr, !first, relu && last);
      }
    }
  }
}

// Direct path: output rows [oy0, oy0 + rows) of group g of sample n.
void conv_band_direct(float* y, const float* x, const float* w, const float* bias, size_t n,
                      size_t g, size_t oy0, size_t rows, const Conv2dShape& s, const Plan& p,
                      bool relu, float* band) {
  const float* xg = x + (n * s.C + g * p.Cg) * s.H * s.W;
  float* yg = y + (n * s.O + g * p.Og) * p.OHW;
  const float* wg = w + g * p.Og * p.K;
  const float* bg = bias ? bias + g * p.Og : nullptr;
  const size_t taps = s.kH * s.kW, sw = s.stride_w;
  const size_t rows_in = (rows - 1) * s.stride_h + (s.kH - 1) * s.dilation_h + 1;
  const size_t og = p.Og, nv_max = direct_max_nv(og);
  DirectArgs d{p.OHW, p.K, 0, taps, p.chan_floats, p.tap_off.data()};
  for (size_t c0 = 0; c0 < p.Cg; c0 += p.cc) {
    const size_t c1 = std::min(p.Cg, c0 + p.cc);
    const bool first = c0 == 0, last = c1 == p.Cg;
    d.cc = c1 - c0;
    for (size_t q = 0; q < sw; ++q) {
      const ptrdiff_t off = ptrdiff_t(q) - ptrdiff_t(s.pad_left);
      const auto [lo, hi] = inside_columns(off, sw, s.in_w(), p.phase_w);
      for (size_t c = c0; c < c1; ++c) {
        for (size_t r = 0; r < rows_in; ++r) {
          const ptrdiff_t iy =
              pad_source_index(ptrdiff_t(oy0 * s.stride_h + r) - ptrdiff_t(s.pad_top),
                               ptrdiff_t(s.in_h()), s.pad_mode);
          gather_row(band + (c - c0) * p.chan_floats + r * p.row_floats + q * p.phase_w,
                     iy < 0 ? nullptr : xg + (c * s.H + size_t(iy) / s.up_h) * s.W, 0, p.phase_w,
                     sw, off, lo, hi, s.in_w(), s.up_w, s.pad_mode);
        }
      }
    }
    for (size_t r = 0; r < rows; ++r) {
      const float* band_row = band + r * s.stride_h * p.row_floats;
      float* yrow = yg + (oy0 + r) * p.OW;
      for (size_t ox = 0; ox < p.OW; ox += nv_max * kLanes) {
        const size_t nr = std::min(nv_max * kLanes, p.OW - ox), nv = (nr + kLanes - 1) / kLanes;
        kDirect[og - 1][nv - 1](yrow + ox, nr, wg + c0 * taps, band_row + ox, d, bg, !first,
                                relu && last);
      }
    }
  }
}

}  // namespace

size_t conv2d_workspace_size(const Conv2dShape& s) {
  return winograd_eligible(s) ? winograd_workspace_size(s) : make_plan(s).workspace;
}

const char* conv2d_algorithm(const Conv2dShape& s) {
  if (winograd_eligible(s)) return "winograd";
  return make_plan(s).direct ? "direct" : "im2col";
}

void conv2d_f32(float* y, const float* x, const float* w, const float* bias, const Conv2dShape& s,
                bool relu, float* workspace) {
  // 3x3 stride-1 convolutions with enough channels take the Winograd path (winograd.h).
  if (winograd_eligible(s)) {
    conv2d_winograd_f32(y, x, w, bias, s, relu, workspace);
    return;
  }
  const Plan p = make_plan(s);
  assert(y != x);
  // Every (sample, group, tile or band) is independent; a caller splitting them over threads
  // would give each thread its own conv2d_workspace_size floats.
  for (size_t n = 0; n < s.N; ++n) {
    for (size_t g = 0; g < s.groups; ++g) {
      if (p.direct) {
        for (size_t oy = 0; oy < p.OH; oy += p.rows_out) {
          conv_band_direct(y, x, w, bias, n, g, oy, std::min(p.rows_out, p.OH - oy), s, p, relu,
                           workspace);
        }
      } else {
        for (size_t p0 = 0; p0 < p.OHW; p0 += p.tile) {
          conv_tile_gemm(y, x, w, bias, n, g, p0, std::min(p.tile, p.OHW - p0), s, p, relu,
                         workspace);
        }
      }
    }
  }
}

void conv2d_f32_ref(float* y, const float* x, const float* w, const float* bias,
                    const Conv2dShape& s, bool relu, float* /*workspace*/) {
  const size_t Cg = s.C / s.groups, Og = s.O / s.groups, OH = s.out_h(), OW = s.out_w();
  for (size_t n = 0; n < s.N; ++n) {
    for (size_t o = 0; o < s.O; ++o) {
      const size_t g = o / Og;
      for (size_t oy = 0; oy < OH; ++oy) {
        for (size_t ox = 0; ox < OW; ++ox) {
          double acc = bias ? bias[o] : 0.0;
          for (size_t c = 0; c < Cg; ++c) {
            for (size_t ky = 0; ky < s.kH; ++ky) {
              const ptrdiff_t iy = pad_source_index(
                  ptrdiff_t(oy * s.stride_h + ky * s.dilation_h) - ptrdiff_t(s.pad_top),
                  ptrdiff_t(s.in_h()), s.pad_mode);
              for (size_t kx = 0; kx < s.kW; ++kx) {
                const ptrdiff_t ix = pad_source_index(
                    ptrdiff_t(ox * s.stride_w + kx * s.dilation_w) - ptrdiff_t(s.pad_left),
                    ptrdiff_t(s.in_w()), s.pad_mode);
                if (iy < 0 || ix < 0) continue;
                const size_t sy = size_t(iy) / s.up_h, sx = size_t(ix) / s.up_w;
                acc += double(x[((n * s.C + g * Cg + c) * s.H + sy) * s.W + sx]) *
                       double(w[((o * Cg + c) * s.kH + ky) * s.kW + kx]);
              }
            }
          }
          if (relu && acc < 0.0) acc = 0.0;
          y[((n * s.O + o) * OH + oy) * OW + ox] = float(acc);
        }
      }
    }
  }
}

}  // namespace instyle
