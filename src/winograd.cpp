// Winograd convolution F(m x m, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2015). Each m x m block of outputs (a tile) is computed from its a x a input patch
// d (a = m + 2) as
//
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A
//
// summed over input channels before the output transform, so per tile position xi of the a x a
// transformed domain the channel sum is a GEMM: M[xi][o][t] = sum_c U[xi][o][c] V[xi][c][t],
// with U = G g G^T the transformed filters and V = B^T d B the transformed input tiles. That is
// a*a/(m*m) multiplies per output instead of 9 for each channel pair: 2.25x fewer for m = 2,
// 4x fewer for m = 4, at the price of transforms that are linear in C + O (not C * O).
//
// F(4x4, 3x3) was chosen by measurement (bench/conv_bench.cpp, AVX-512, same code with
// -DINSTYLE_WINOGRAD_TILE=2): 480-545 GFLOP/s against F(2x2)'s 325-345 on the 128-channel
// layers, 267-301 against 222-227 on 32 -> 32 at 256x256 (GFLOP/s of the direct algorithm).
// F(4x4)'s transforms use the points 0, +-1, +-2, inf; their rounding grows with the larger
// coefficients (up to 8 in A, 5 in B): on the conv tests the worst error is 1e-5 of the
// output's largest magnitude (F(2x2): 7e-7), well inside the tests' tolerances.
//
// Work is split into blocks of about kBlockTiles tiles: a rectangle of tile rows x tile columns.
// Per block:
//   1. input transform: for each channel, the input rows under the block are gathered once,
//      with padding resolved, into m column phases (phase q holds padded columns q, q + m,
//      q + 2m, ...) so that element j of consecutive tiles is one contiguous vector load;
//      B^T d B is computed with one tile per SIMD lane and stored in V[xi][c][t];
//   2. for each chunk of output channels, a*a GEMMs into M, then the output transform
//      A^T M A (one tile per lane), bias and ReLU, and the m x m results written into y.
// Larger kernels of 3b x 3b taps (6x6, 9x9: the first and last layers of style networks) are
// b*b 3x3 kernels side by side: tap (3a + u, 3e + v) of channel c is tap (u, v) of a virtual
// channel (c, a, e) whose input is the padded input moved by (3a, 3e). So such a layer is a 3x3
// convolution over C*b*b virtual channels, each gathered from its real plane at that offset;
// nothing is copied. A 9x9 layer with 3 input channels becomes 27 -> O, and the transformed
// GEMM does a quarter of the direct multiplies, which matters where few channels leave the
// direct kernels little reuse (npm run profile: the light network's 9x9 layers ran at a third
// of its 3x3 layers' GFLOP/s).
//
// The filters are transformed once per call into U[xi][c][o] (o contiguous, so the GEMM
// micro-kernel broadcasts its row of weights from one cache line per step). The scratch is U
// (36 x C x O floats) plus V and M for one block: it grows with the channels, not the image.
#include "winograd.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <utility>

#include "pad.h"
#include "register_tile.h"
#include "simd.h"

namespace instyle {
namespace {

using namespace simd;
using std::ptrdiff_t;
using std::size_t;

// Output tile size m: 4 (F(4x4, 3x3)), measured faster than 2 on every benchmarked layer.
// -DINSTYLE_WINOGRAD_TILE=2 builds F(2x2, 3x3) instead, to repeat that measurement.
#ifndef INSTYLE_WINOGRAD_TILE
#define INSTYLE_WINOGRAD_TILE 4
#endif
constexpr size_t kTile = INSTYLE_WINOGRAD_TILE;
static_assert(kTile == 2 || kTile == 4);
constexpr size_t kAlpha = kTile + 2;     // input patch and transformed tile size
constexpr size_t kXi = kAlpha * kAlpha;  // positions of the transformed tile

// The GEMMs use the register tile conv.cpp's im2col path uses (register_tile.h): kMR output
// channels x kNV vectors of tiles. AVX-512: 8 x 3; AVX2: 4 x 3; WASM: 5 x 2.

// A block is a rectangle of tile rows x tile columns, about kBlockTiles tiles (1024 outputs):
// each input row under it is gathered once per channel (a tile row shares 2 of its 6 rows with
// the next), and each GEMM strip of kNR tiles stays in L1 while every output-channel block
// passes over it. V is kXi x C x block floats (1.2 MB for C = 128). Rows of the block are
// padded to whole vectors in V and M. Chosen over runs of 48 tiles in raster order, which
// gathered every shared row twice; 64 tiles make GEMM strips of 2 + 2 vectors with AVX-512.
constexpr size_t kBlockTiles = 64;
// Output channels per chunk of M (kXi x chunk x block floats): small enough for M to stay in L2
// between the GEMMs that write it and the output transform that reads it.
constexpr size_t kOutChunk = 32;
// The input gather prefetches the rows of the channel this many planes ahead.
constexpr size_t kPrefetchChannels = 2;
// For more than 128 input channels, fewer tile rows per block keep V under this many floats
// (a block of 64 tiles of 128 channels).
constexpr size_t kMaxVFloats = kXi * 128 * 64;

size_t round_up(size_t v, size_t mlt) {
  return (v + mlt - 1) / mlt * mlt;
}

void zero_tail(float* dst, size_t n) {
  std::memset(dst, 0, n * sizeof(float));
}

#define INSTYLE_UNROLL _Pragma("GCC unroll 16")
#define INSTYLE_ALWAYS_INLINE inline __attribute__((always_inline))

// ---- 1-D transforms, written once for float and vfloat. ----
// F(4x4, 3x3) with interpolation points 0, 1, -1, 2, -2, inf:
//   B^T = [4  0 -5  0 1 0]   G = [ 1/4     0    0 ]   A^T = [1 1  1 1  1 0]
//         [0 -4 -4  1 1 0]       [-1/6 -1/6 -1/6 ]         [0 1 -1 2 -2 0]
//         [0  4 -4 -1 1 0]       [-1/6  1/6 -1/6 ]         [0 1  1 4  4 0]
//         [0 -2 -1  2 1 0]       [1/24 1/12  1/6 ]         [0 1 -1 8 -8 1]
//         [0  2 -1 -2 1 0]       [1/24 -1/12 1/6 ]
//         [0  4  0 -5 0 1]       [  0     0    1 ]
// Rows of B^T are evaluated with shared partial sums (4 multiplies instead of 12).
// F(2x2, 3x3) with points 0, 1, -1, inf:
//   B^T = [1  0 -1  0]   G = [ 1    0   0 ]   A^T = [1 1  1  0]
//         [0  1  1  0]       [1/2  1/2 1/2]         [0 1 -1 -1]
//         [0 -1  1  0]       [1/2 -1/2 1/2]
//         [0  1  0 -1]       [ 0    0   1 ]

template <typename T>
INSTYLE_ALWAYS_INLINE void input_1d(T r[kAlpha], const T d[kAlpha]) {
  if constexpr (kTile == 4) {
    const T four(4.f), five(5.f), two(2.f);
    const T a = d[4] - four * d[2], b = d[3] - four * d[1];
    const T c = d[4] - d[2], e = two * (d[3] - d[1]);
    r[0] = four * d[0] - five * d[2] + d[4];
    r[1] = a + b;
    r[2] = a - b;
    r[3] = c + e;
    r[4] = c - e;
    r[5] = four * d[1] - five * d[3] + d[5];
  } else {
    r[0] = d[0] - d[2];
    r[1] = d[1] + d[2];
    r[2] = d[2] - d[1];
    r[3] = d[1] - d[3];
  }
}

template <typename T>
INSTYLE_ALWAYS_INLINE void filter_1d(T u[kAlpha], const T g[3]) {
  const T even = g[0] + g[2];
  if constexpr (kTile == 4) {
    const T quarter(1.f / 4), sixth(1.f / 6), twelfth(1.f / 12), t24(1.f / 24);
    u[0] = quarter * g[0];
    u[1] = -sixth * (even + g[1]);
    u[2] = -sixth * (even - g[1]);
    const T p = t24 * g[0] + sixth * g[2], q = twelfth * g[1];
    u[3] = p + q;
    u[4] = p - q;
    u[5] = g[2];
  } else {
    const T half(0.5f);
    u[0] = g[0];
    u[1] = half * (even + g[1]);
    u[2] = half * (even - g[1]);
    u[3] = g[2];
  }
}

template <typename T>
INSTYLE_ALWAYS_INLINE void output_1d(T o[kTile], const T mv[kAlpha]) {
  if constexpr (kTile == 4) {
    const T two(2.f), four(4.f), eight(8.f);
    const T a = mv[1] + mv[2], b = mv[1] - mv[2], c = mv[3] + mv[4], d = mv[3] - mv[4];
    o[0] = mv[0] + a + c;
    o[1] = b + two * d;
    o[2] = a + four * c;
    o[3] = b + eight * d + mv[5];
  } else {
    o[0] = mv[0] + mv[1] + mv[2];
    o[1] = mv[1] - mv[2] - mv[3];
  }
}

// ---- GEMM micro-kernel ----
// m[i][0, NV*kLanes) = sum_c u[c*ldu + i] * v[c*ldv + (0, NV*kLanes)] for i < MR: MR output
// channels (rows of m, ldm apart) by NV vectors of tiles. M and V rows are padded so whole
// vectors are always loaded and stored; lanes past the block's tiles are ignored later.
template <size_t MR, size_t NV>
void gemm_micro(float* m, size_t ldm, const float* u, size_t ldu, const float* v, size_t ldv,
                size_t C) {
  vfloat acc[MR][NV];
  INSTYLE_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    INSTYLE_UNROLL
    for (size_t j = 0; j < NV; ++j) acc[i][j] = zero();
  }
  for (size_t c = 0; c < C; ++c, u += ldu, v += ldv) {
    vfloat bv[NV];
    INSTYLE_UNROLL
    for (size_t j = 0; j < NV; ++j) bv[j] = load(v + j * kLanes);
    INSTYLE_UNROLL
    for (size_t i = 0; i < MR; ++i) {
      const vfloat a = splat(u[i]);
      INSTYLE_UNROLL
      for (size_t j = 0; j < NV; ++j) acc[i][j] = fmadd(a, bv[j], acc[i][j]);
    }
  }
  INSTYLE_UNROLL
  for (size_t i = 0; i < MR; ++i) {
    INSTYLE_UNROLL
    for (size_t j = 0; j < NV; ++j) store(m + i * ldm + j * kLanes, acc[i][j]);
  }
}

using GemmMicro = void (*)(float*, size_t, const float*, size_t, const float*, size_t, size_t);

// kGemm[mr - 1][nv - 1]: remainder channel blocks and tile strips get smaller register tiles.
constexpr auto kGemm =
    register_tile_table<GemmMicro>([](auto mr, auto nv) { return &gemm_micro<mr, nv>; });

struct Plan {
  size_t OH, OW, tiles_h, tiles_w;
  size_t seg;               // tile columns per block (the last block of a row may have fewer)
  size_t segp;              // seg rounded up to whole vectors: the stride of a block's rows in V, M
  size_t rows;              // tile rows per block (the last block of a column may have fewer)
  size_t ldv;               // floats per row of V and M: rows x segp
  size_t ldu;               // floats per row of U: O rounded up to whole vectors
  size_t out_chunk;         // output channels per chunk of M
  size_t nbuf;              // floats per column phase of a gathered input row
  size_t xi_u, xi_v, xi_m;  // floats from one transformed position xi to the next in U, V, M
  size_t u_floats, v_floats, m_floats, buf_floats;
};

// 3x3 blocks per side of the kernel (1 for 3x3, 3 for 9x9), and the virtual input channels.
size_t kernel_blocks(const Conv2dShape& s) {
  return s.kH / 3;
}
size_t virtual_channels(const Conv2dShape& s) {
  return s.C * kernel_blocks(s) * kernel_blocks(s);
}

Plan make_plan(const Conv2dShape& s) {
  assert(winograd_supported(s));
  const size_t C = virtual_channels(s);
  Plan p{};
  p.OH = s.out_h();
  p.OW = s.out_w();
  p.tiles_h = (p.OH + kTile - 1) / kTile;
  p.tiles_w = (p.OW + kTile - 1) / kTile;
  // Split a tile row into equal segments of at most kBlockTiles, then stack tile rows up to
  // about kBlockTiles tiles (and at most kMaxVFloats of V).
  const size_t nseg = (p.tiles_w + kBlockTiles - 1) / kBlockTiles;
  p.seg = (p.tiles_w + nseg - 1) / nseg;
  p.segp = round_up(p.seg, kLanes);
  const size_t rows_v = std::max<size_t>(1, kMaxVFloats / (kXi * C * p.segp));
  p.rows = std::clamp<size_t>(kBlockTiles / p.segp, 1, std::min(rows_v, p.tiles_h));
  p.ldv = p.rows * p.segp;
  p.ldu = round_up(s.O, kLanes);
  p.out_chunk = std::min(round_up(s.O, kMR), round_up(kOutChunk, kMR));
  // The vector loads of a row segment reach one tile past it.
  p.nbuf = p.segp + kLanes;
  // The transforms touch all kXi positions of a tile at once. Slices a multiple of 4 KB apart
  // (C x ldv often is) would fall into one L1 set and evict each other: offset each by a
  // cache line. Measured (32 -> 32 at 256x256): the input transform's share of the time fell
  // from a third to a ninth, 177 -> 218 GFLOP/s.
  auto skew = [](size_t n) { return round_up(n, 16) + 16; };
  p.xi_u = skew(C * p.ldu);
  p.xi_v = skew(C * p.ldv);
  p.xi_m = skew(p.out_chunk * p.ldv);
  p.u_floats = kXi * p.xi_u;
  p.v_floats = kXi * p.xi_v;
  p.m_floats = kXi * p.xi_m;
  p.buf_floats = (p.rows * kTile + kAlpha - kTile) * kTile * p.nbuf;
  // The same for every plane size (so the workspace does not change with it): rows x segp is
  // at most max(kBlockTiles, segp), and segp + kLanes at most twice segp.
  constexpr size_t kMaxSegp = (kBlockTiles + kLanes - 1) / kLanes * kLanes;
  constexpr size_t kBufBound = (2 * kTile * kMaxSegp + kAlpha * (kMaxSegp + kLanes)) * kTile;
  assert(p.buf_floats <= kBufBound);
  p.buf_floats = kBufBound;
  return p;
}

// U[xi][c][o] = (G g G^T)[xi] for the filter g = w[o][c]: kLanes output channels at a time, one
// per lane (lanes past O transform zeros, so U's padding holds finite values). Input channels
// outermost: the kXi rows U[xi][c] are then written in order, and the O filters of one input
// channel (O cache lines of w) are reused from L1 by the next.
// With larger kernels, virtual channel c = (real * b + a) * b + e takes the 3x3 block of taps
// at rows 3a.., columns 3e.. of the real channel's filter.
void transform_filters(float* U, const float* w, const Conv2dShape& s, const Plan& p) {
  const size_t b = kernel_blocks(s), k = s.kW, C = virtual_channels(s), O = s.O;
  for (size_t c = 0; c < C; ++c) {
    const size_t real = c / (b * b), a = c / b % b, e = c % b;
    for (size_t o0 = 0; o0 < O; o0 += kLanes) {
      const size_t no = std::min(kLanes, O - o0);
      alignas(64) float g[9][kLanes];
      if (no < kLanes) std::memset(g, 0, sizeof(g));
      for (size_t l = 0; l < no; ++l) {
        const float* src = w + ((o0 + l) * s.C + real) * k * k + 3 * a * k + 3 * e;
        INSTYLE_UNROLL
        for (size_t t = 0; t < 9; ++t) g[t][l] = src[t / 3 * k + t % 3];
      }
      // Columns first (G g: a x 3), then rows ((G g) G^T: a x a).
      vfloat gg[kAlpha][3];
      INSTYLE_UNROLL
      for (size_t kx = 0; kx < 3; ++kx) {
        const vfloat col[3] = {load(g[kx]), load(g[3 + kx]), load(g[6 + kx])};
        vfloat r[kAlpha];
        filter_1d(r, col);
        INSTYLE_UNROLL
        for (size_t i = 0; i < kAlpha; ++i) gg[i][kx] = r[i];
      }
      INSTYLE_UNROLL
      for (size_t i = 0; i < kAlpha; ++i) {
        vfloat r[kAlpha];
        filter_1d(r, gg[i]);
        INSTYLE_UNROLL
        for (size_t j = 0; j < kAlpha; ++j) {
          store(U + (i * kAlpha + j) * p.xi_u + c * p.ldu + o0, r[j]);
        }
      }
    }
  }
}

// Gathers padded-input rows [r0, r0 + nrows) of channel plane xc under tiles [tx0, tx0 + n)
// into buf, split into kTile column phases: buf[(r*kTile + q)*nbuf + k] is row r0 + r, column
// (tx0 + k)*kTile + q, resolved by the pad mode (also past the padding, where only outputs
// beyond the image read it). k runs to n rounded up to vectors, plus one. With s.up_h/up_w > 1
// the rows and columns are those of xc upsampled (conv.h), read in place. `shift` moves the
// columns right (a virtual channel of a larger kernel).
void gather_rows(float* buf, const float* xc, size_t r0, size_t nrows, size_t tx0, size_t n,
                 size_t shift, ptrdiff_t prefetch_ahead, const Conv2dShape& s, const Plan& p) {
  const ptrdiff_t nk = ptrdiff_t(round_up(n, kLanes) + 1), m = ptrdiff_t(kTile);
  const ptrdiff_t W = ptrdiff_t(s.in_w()), up = ptrdiff_t(s.up_w);
  // Column of (k, q): k*m + q + off. Tiles k in [lo, hi) have all m columns inside the row
  // (one contiguous run, de-interleaved into the phases); the others go through the pad mode.
  const ptrdiff_t off = ptrdiff_t(tx0 * kTile + shift) - ptrdiff_t(s.pad_left);
  const ptrdiff_t lo = std::min(nk, off >= 0 ? 0 : (-off + m - 1) / m);
  const ptrdiff_t hi = std::clamp<ptrdiff_t>(W - off < m ? 0 : (W - off - m) / m + 1, lo, nk);
  // Inside tiles, when the upsampling factor divides the tile width (1, 2, 3): every tile
  // starts at the same phase of the repeats, so one pattern of source offsets serves them all
  // (a division per value had halved the conv's speed).
  const ptrdiff_t phase = (off % up + up) % up;
  ptrdiff_t pattern[kTile];
  for (ptrdiff_t q = 0; q < m; ++q) pattern[q] = (phase + q) / up;
  for (size_t r = 0; r < nrows; ++r) {
    const ptrdiff_t iy =
        pad_source_index(ptrdiff_t(r0 + r) - ptrdiff_t(s.pad_top), ptrdiff_t(s.in_h()), s.pad_mode);
    float* __restrict__ dst = buf + r * kTile * p.nbuf;
    if (iy < 0) {
      for (size_t q = 0; q < kTile; ++q) std::memset(dst + q * p.nbuf, 0, nk * sizeof(float));
      continue;
    }
    const float* __restrict__ row = xc + iy / ptrdiff_t(s.up_h) * ptrdiff_t(s.W);
    // A block's rows are short and spread over C planes, too many streams for the hardware
    // prefetcher: fetch the same rows of a later channel now (128 -> 64 channels at 128x128:
    // 253 -> 300 GFLOP/s; the gather's loads had been a third of the time).
    if (prefetch_ahead != 0) {
      const ptrdiff_t a = std::max<ptrdiff_t>(off, 0) / up, b = std::min(W, off + nk * m) / up;
      for (ptrdiff_t x = a; x < b; x += 16) __builtin_prefetch(row + prefetch_ahead + x);
      if (a < b) __builtin_prefetch(row + prefetch_ahead + b - 1);
    }
    auto border = [&](ptrdiff_t k0, ptrdiff_t k1) {
      for (ptrdiff_t k = k0; k < k1; ++k) {
        for (ptrdiff_t q = 0; q < m; ++q) {
          const ptrdiff_t ix = pad_source_index(k * m + q + off, W, s.pad_mode);
          dst[q * p.nbuf + k] = ix < 0 ? 0.f : row[ix / up];
        }
      }
    };
    border(0, lo);
    if (m % up == 0) {
      const float* src = row + (lo * m + off - phase) / up;
      for (ptrdiff_t k = lo; k < hi; ++k, src += m / up) {
        INSTYLE_UNROLL
        for (size_t q = 0; q < kTile; ++q) dst[q * p.nbuf + k] = src[pattern[q]];
      }
    } else {  // a factor such as 4 or 5: rare enough for a division per value
      for (ptrdiff_t k = lo; k < hi; ++k) {
        for (ptrdiff_t q = 0; q < m; ++q) dst[q * p.nbuf + k] = row[(k * m + q + off) / up];
      }
    }
    border(hi, nk);
  }
}

// V[xi][c][t + k] for k < n (and whole vectors past it): B^T d B of tiles k of the gathered rows.
void transform_input_run(float* V, size_t ldvc, const float* buf, size_t n, size_t nbuf) {
  for (size_t k = 0; k < n; k += kLanes) {
    // Columns first (B^T d), then rows ((B^T d) B); d[i][j] of kLanes consecutive tiles is
    // phase j % m of row i, shifted by j / m tiles.
    vfloat t[kAlpha][kAlpha];
    INSTYLE_UNROLL
    for (size_t j = 0; j < kAlpha; ++j) {
      vfloat d[kAlpha], r[kAlpha];
      INSTYLE_UNROLL
      for (size_t i = 0; i < kAlpha; ++i) {
        d[i] = load(buf + (i * kTile + j % kTile) * nbuf + j / kTile + k);
      }
      input_1d(r, d);
      INSTYLE_UNROLL
      for (size_t i = 0; i < kAlpha; ++i) t[i][j] = r[i];
    }
    INSTYLE_UNROLL
    for (size_t i = 0; i < kAlpha; ++i) {
      vfloat r[kAlpha];
      input_1d(r, t[i]);
      INSTYLE_UNROLL
      for (size_t j = 0; j < kAlpha; ++j) store(V + (i * kAlpha + j) * ldvc + k, r[j]);
    }
  }
}

// A^T M A for n tiles of one output channel (M[xi] ldxi apart), plus bias and ReLU, written to
// the output plane yo for tiles [tx0, tx0 + n) of tile row ty, clipped to the plane.
void transform_output_run(float* yo, const float* M, size_t ldxi, size_t n, size_t ty, size_t tx0,
                          float bias, bool relu, const Plan& p) {
  const vfloat bv = splat(bias);
  const size_t rows = std::min(kTile, p.OH - ty * kTile);
  for (size_t k = 0; k < n; k += kLanes) {
    vfloat t[kTile][kAlpha];
    INSTYLE_UNROLL
    for (size_t j = 0; j < kAlpha; ++j) {
      vfloat mv[kAlpha], r[kTile];
      INSTYLE_UNROLL
      for (size_t i = 0; i < kAlpha; ++i) mv[i] = load(M + (i * kAlpha + j) * ldxi + k);
      output_1d(r, mv);
      INSTYLE_UNROLL
      for (size_t i = 0; i < kTile; ++i) t[i][j] = r[i];
    }
    // out[i][j][lane]: output (ty*m + i, (tx0 + k + lane)*m + j).
    alignas(64) float out[kTile][kTile][kLanes];
    INSTYLE_UNROLL
    for (size_t i = 0; i < kTile; ++i) {
      vfloat r[kTile];
      output_1d(r, t[i]);
      INSTYLE_UNROLL
      for (size_t j = 0; j < kTile; ++j) {
        vfloat v = r[j] + bv;
        if (relu) v = max(v, zero());
        store(out[i][j], v);
      }
    }
    const size_t lanes = std::min(kLanes, n - k);
    const size_t x0 = (tx0 + k) * kTile;
    const size_t cols = std::min(lanes * kTile, p.OW - x0);
    for (size_t i = 0; i < rows; ++i) {
      float* yrow = yo + (ty * kTile + i) * p.OW + x0;
      if (cols == kLanes * kTile) {
        // Interleaving kTile vectors; constant trip counts let the compiler use shuffles.
        INSTYLE_UNROLL
        for (size_t l = 0; l < kLanes; ++l) {
          INSTYLE_UNROLL
          for (size_t j = 0; j < kTile; ++j) yrow[l * kTile + j] = out[i][j][l];
        }
      } else {
        for (size_t col = 0; col < cols; ++col) yrow[col] = out[i][col % kTile][col / kTile];
      }
    }
  }
}

}  // namespace

bool winograd_supported(const Conv2dShape& s) {
  return s.kH == s.kW && (s.kH == 3 || s.kH == 6 || s.kH == 9) && s.stride_h == 1 &&
         s.stride_w == 1 && s.dilation_h == 1 && s.dilation_w == 1 && s.groups == 1 &&
         s.in_h() + s.pad_top + s.pad_bottom >= s.kH && s.in_w() + s.pad_left + s.pad_right >= s.kW;
}

// The choice may depend only on what every slice of the output channels shares: the model
// executor splits O over threads (one conv2d_f32 call per slice), and a different path per
// slice would make results depend on the thread count. So: input channels, not output ones.
// Threshold measured with bench/conv_bench.cpp (BM_Conv2d_3x3_Sweep, -DINSTYLE_WINOGRAD_MIN_
// CHANNELS to move it): on 128x128 planes Winograd wins from 8 channels on (8 -> 8: 1.4x); on
// 32x32 planes 16 -> 16 breaks even and 8 input channels lose 15-35%. Slices of 8 output
// channels still win at 128x128 (16 -> 8: 1.8x).
#ifndef INSTYLE_WINOGRAD_MIN_CHANNELS
#define INSTYLE_WINOGRAD_MIN_CHANNELS 16
#endif
// Larger kernels only with few real input channels: the input transform runs once per virtual
// channel, and with many it costs more than the multiplies it saves. Measured natively on the
// light style network at 256x256: 9x9 3 -> 16 took 3.1 ms this way against 7.2 by im2col, but
// 9x9 16 -> 3 (144 virtual channels for 3 outputs) 9.7 ms against 7.0 by the direct kernel.
constexpr size_t kMaxBlockedRealChannels = 8;

bool winograd_eligible(const Conv2dShape& s) {
  if (!winograd_supported(s) || virtual_channels(s) < INSTYLE_WINOGRAD_MIN_CHANNELS) return false;
  return kernel_blocks(s) == 1 || s.C <= kMaxBlockedRealChannels;
}

size_t winograd_workspace_size(const Conv2dShape& s) {
  const Plan p = make_plan(s);
  return p.u_floats + p.v_floats + p.m_floats + p.buf_floats;
}

std::size_t winograd_row_unit() {
  return kTile;
}

void conv2d_winograd_f32(float* y, const float* x, const float* w, const float* bias,
                         const Conv2dShape& s, bool relu, float* workspace) {
  conv2d_winograd_rows_f32(y, x, w, bias, s, relu, workspace, 0, s.out_h());
}

void conv2d_winograd_rows_f32(float* y, const float* x, const float* w, const float* bias,
                              const Conv2dShape& s, bool relu, float* workspace, size_t row0,
                              size_t row1) {
  const Plan p = make_plan(s);
  assert(row0 % kTile == 0 && row0 <= row1 && row1 <= p.OH);
  // Output rows [row0, row1) are whole tile rows but for the image's last one; each tile's
  // arithmetic is the same whichever block it falls in, so any split gives the same bits.
  const size_t t_begin = row0 / kTile, t_end = std::min(p.tiles_h, (row1 + kTile - 1) / kTile);
  assert(y != x);
  float* U = workspace;
  float* V = U + p.u_floats;
  float* M = V + p.v_floats;
  float* buf = M + p.m_floats;
  const size_t C = virtual_channels(s), O = s.O, ldxi_v = p.xi_v, b = kernel_blocks(s);
  transform_filters(U, w, s, p);
  for (size_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * s.C * s.H * s.W;
    float* yn = y + n * O * p.OH * p.OW;
    for (size_t ty0 = t_begin; ty0 < t_end; ty0 += p.rows) {
      const size_t rows = std::min(p.rows, t_end - ty0), nt = rows * p.segp;
      for (size_t tx0 = 0; tx0 < p.tiles_w; tx0 += p.seg) {
        const size_t seg = std::min(p.seg, p.tiles_w - tx0);
        for (size_t c = 0; c < C; ++c) {
          // Virtual channel c: real channel c / b^2, moved down 3a and right 3e rows/columns.
          const size_t real = c / (b * b), a = c / b % b, e = c % b;
          const ptrdiff_t ahead = real + kPrefetchChannels < s.C && a == 0 && e == 0
                                      ? ptrdiff_t(kPrefetchChannels * s.H * s.W)
                                      : 0;
          gather_rows(buf, xn + real * s.H * s.W, ty0 * kTile + 3 * a,
                      rows * kTile + kAlpha - kTile, tx0, seg, 3 * e, ahead, s, p);
          for (size_t r = 0; r < rows; ++r) {
            float* Vc = V + c * p.ldv + r * p.segp;
            transform_input_run(Vc, ldxi_v, buf + r * kTile * kTile * p.nbuf, seg, p.nbuf);
            // The GEMM reads every lane of the row: where a short last segment leaves lanes
            // unwritten, zero them rather than leave old scratch (maybe NaN or denormal).
            if (round_up(seg, kLanes) < p.segp) {
              for (size_t xi = 0; xi < kXi; ++xi) {
                zero_tail(Vc + xi * ldxi_v + round_up(seg, kLanes), p.segp - round_up(seg, kLanes));
              }
            }
          }
        }
        for (size_t oc0 = 0; oc0 < O; oc0 += p.out_chunk) {
          const size_t oc = std::min(p.out_chunk, O - oc0), ldxi_m = p.xi_m;
          for (size_t xi = 0; xi < kXi; ++xi) {
            const float* Uxi = U + xi * p.xi_u + oc0;
            const float* Vxi = V + xi * ldxi_v;
            float* Mxi = M + xi * ldxi_m;
            // Strips of nearly equal width (64 tiles: 2 + 2 vectors, not 3 + 1, whose 8 x 1
            // register tile is bound by its weight broadcasts).
            const size_t vecs = nt / kLanes, strips = (vecs + kNV - 1) / kNV;
            for (size_t k = 0, j = 0; k < strips; ++k) {
              const size_t nv = vecs / strips + (k < vecs % strips);
              for (size_t o = 0; o < oc; o += kMR) {
                const size_t mr = std::min(kMR, oc - o);
                kGemm[mr - 1][nv - 1](Mxi + o * p.ldv + j, p.ldv, Uxi + o, p.ldu, Vxi + j, p.ldv,
                                      C);
              }
              j += nv * kLanes;
            }
          }
          for (size_t o = 0; o < oc; ++o) {
            float* yo = yn + (oc0 + o) * p.OH * p.OW;
            const float b = bias ? bias[oc0 + o] : 0.f;
            for (size_t r = 0; r < rows; ++r) {
              transform_output_run(yo, M + o * p.ldv + r * p.segp, ldxi_m, seg, ty0 + r, tx0, b,
                                   relu, p);
            }
          }
        }
      }
    }
  }
}

}  // namespace instyle
