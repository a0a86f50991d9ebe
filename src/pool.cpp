// Pooling: per output row, the window's valid input rows are reduced into one row in vectors
// (a single valid row is read in place), then each output pixel reduces its valid columns of
// that row, scalar (strides of 2 and more make the horizontal step a gather).
#include "pool.h"

#include <algorithm>
#include <cassert>

#include "simd.h"

namespace instyle {

using namespace simd;

namespace {

// The input range [lo, hi) that output index o's window covers, clipped to [0, n).
struct Span {
  std::size_t lo, hi;
};
Span window(std::size_t o, std::size_t stride, std::size_t pad, std::size_t k, std::size_t n) {
  const std::size_t start = o * stride;  // in padded coordinates
  const std::size_t lo = start > pad ? start - pad : 0;
  const std::size_t end = start + k > pad ? start + k - pad : 0;
  return {std::min(lo, n), std::min(end, n)};
}

void check_shape(const Pool2dShape& s) {
  assert(s.kH >= 1 && s.kW >= 1 && s.stride_h >= 1 && s.stride_w >= 1);
  assert(s.pad_top < s.kH && s.pad_left < s.kW);
  assert((s.OH - 1) * s.stride_h < s.H + s.pad_top);
  assert((s.OW - 1) * s.stride_w < s.W + s.pad_left);
  (void)s;
}

}  // namespace

void pool2d_f32(float* y, const float* x, const Pool2dShape& s, float* scratch) {
  check_shape(s);
  const bool is_max = s.mode == PoolMode::kMax;
  const std::size_t W = s.W;
  for (std::size_t p = 0; p < s.NC; ++p) {
    const float* xp = x + p * s.H * W;
    float* yp = y + p * s.OH * s.OW;
    for (std::size_t oy = 0; oy < s.OH; ++oy) {
      const Span rows = window(oy, s.stride_h, s.pad_top, s.kH, s.H);
      assert(rows.lo < rows.hi);
      // The window's rows reduced into one: the first valid row itself when it is the only one.
      const float* row = xp + rows.lo * W;
      if (rows.hi - rows.lo > 1) {
        const float* r0 = row;
        const float* r1 = row + W;
        std::size_t i = 0;
        if (is_max) {
          for (; i + kLanes <= W; i += kLanes) store(scratch + i, max(load(r0 + i), load(r1 + i)));
          for (; i < W; ++i) scratch[i] = std::max(r0[i], r1[i]);
        } else {
          for (; i + kLanes <= W; i += kLanes) store(scratch + i, load(r0 + i) + load(r1 + i));
          for (; i < W; ++i) scratch[i] = r0[i] + r1[i];
        }
        for (std::size_t r = rows.lo + 2; r < rows.hi; ++r) {
          const float* xr = xp + r * W;
          i = 0;
          if (is_max) {
            for (; i + kLanes <= W; i += kLanes) {
              store(scratch + i, max(load(scratch + i), load(xr + i)));
            }
            for (; i < W; ++i) scratch[i] = std::max(scratch[i], xr[i]);
          } else {
            for (; i + kLanes <= W; i += kLanes) {
              store(scratch + i, load(scratch + i) + load(xr + i));
            }
            for (; i < W; ++i) scratch[i] += xr[i];
          }
        }
        row = scratch;
      }
      float* yrow = yp + oy * s.OW;
      const std::size_t nrows = rows.hi - rows.lo;
      for (std::size_t ox = 0; ox < s.OW; ++ox) {
        const Span cols = window(ox, s.stride_w, s.pad_left, s.kW, W);
        assert(cols.lo < cols.hi);
        float v = row[cols.lo];
        if (is_max) {
          for (std::size_t c = cols.lo + 1; c < cols.hi; ++c) v = std::max(v, row[c]);
          yrow[ox] = v;
        } else {
          for (std::size_t c = cols.lo + 1; c < cols.hi; ++c) v += row[c];
          const std::size_t count = s.count_include_pad ? s.kH * s.kW : nrows * (cols.hi - cols.lo);
          yrow[ox] = v / static_cast<float>(count);
        }
      }
    }
  }
}

void pool2d_f32_ref(float* y, const float* x, const Pool2dShape& s, float*) {
  check_shape(s);
  for (std::size_t p = 0; p < s.NC; ++p) {
    for (std::size_t oy = 0; oy < s.OH; ++oy) {
      for (std::size_t ox = 0; ox < s.OW; ++ox) {
        float acc = 0.f;
        std::size_t count = 0;
        for (std::size_t ky = 0; ky < s.kH; ++ky) {
          for (std::size_t kx = 0; kx < s.kW; ++kx) {
            const std::ptrdiff_t iy =
                std::ptrdiff_t(oy * s.stride_h + ky) - std::ptrdiff_t(s.pad_top);
            const std::ptrdiff_t ix =
                std::ptrdiff_t(ox * s.stride_w + kx) - std::ptrdiff_t(s.pad_left);
            if (iy < 0 || ix < 0 || iy >= std::ptrdiff_t(s.H) || ix >= std::ptrdiff_t(s.W)) {
              continue;
            }
            const float v = x[(p * s.H + std::size_t(iy)) * s.W + std::size_t(ix)];
            if (s.mode == PoolMode::kMax) {
              acc = count == 0 || v > acc ? v : acc;
            } else {
              acc += v;
            }
            ++count;
          }
        }
        if (s.mode == PoolMode::kAverage) {
          acc /= static_cast<float>(s.count_include_pad ? s.kH * s.kW : count);
        }
        y[(p * s.OH + oy) * s.OW + ox] = acc;
      }
    }
  }
}

}  // namespace instyle
