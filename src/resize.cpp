// Resampling kernels. Nearest upsampling writes each output row once and copies it for the
// repeated rows. Bilinear is separable: a chunk of columns' source indices and weights is
// tabulated once, each source row is interpolated horizontally once per chunk (and reused by
// every output row that reads it, which is most of them when upsampling), and output rows are
// vertical SIMD blends of two such rows.
#include "resize.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "simd.h"

namespace instyle {
namespace {

using std::size_t;

// Source coordinate of output index o along an axis of `in` -> `out` samples (ONNX Resize's
// coordinate_transformation_mode with scale = out / in, as when Resize is given sizes).
double source_coord(size_t o, size_t in, size_t out, CoordMode mode) {
  const double scale = double(out) / double(in);
  switch (mode) {
    case CoordMode::kHalfPixel:
      return (double(o) + 0.5) / scale - 0.5;
    case CoordMode::kPytorchHalfPixel:
      return out > 1 ? (double(o) + 0.5) / scale - 0.5 : 0.0;
    case CoordMode::kAlignCorners:
      return out > 1 ? double(o) * double(in - 1) / double(out - 1) : 0.0;
    case CoordMode::kAsymmetric:
      return double(o) / scale;
  }
  return 0.0;
}

// The two source indices and the weight of the second, clamped to the edge the way ONNX's
// reference does (it pads the input by repeating the edge): a coordinate past either end
// reads the edge value twice.
struct Tap {
  size_t i0, i1;
  float t;
};

Tap tap(size_t o, size_t in, size_t out, CoordMode mode) {
  const double c = source_coord(o, in, out, mode);
  const double f = std::floor(c);
  const std::ptrdiff_t last = std::ptrdiff_t(in) - 1;
  const std::ptrdiff_t j = std::ptrdiff_t(f);
  return {size_t(std::clamp<std::ptrdiff_t>(j, 0, last)),
          size_t(std::clamp<std::ptrdiff_t>(j + 1, 0, last)), float(c - f)};
}

}  // namespace

void upsample_nearest_f32(float* y, const float* x, size_t NC, size_t H, size_t W, size_t sh,
                          size_t sw) {
  const size_t OW = W * sw;
  for (size_t p = 0; p < NC; ++p) {
    for (size_t iy = 0; iy < H; ++iy) {
      const float* xr = x + (p * H + iy) * W;
      float* yr = y + (p * H + iy) * sh * OW;
      if (sw == 1) {
        std::memcpy(yr, xr, W * sizeof(float));
      } else if (sw == 2) {  // the common case, a constant stride the compiler vectorizes
        for (size_t i = 0; i < W; ++i) yr[2 * i] = yr[2 * i + 1] = xr[i];
      } else {
        for (size_t i = 0; i < W; ++i) std::fill(yr + i * sw, yr + (i + 1) * sw, xr[i]);
      }
      for (size_t r = 1; r < sh; ++r) std::memcpy(yr + r * OW, yr, OW * sizeof(float));
    }
  }
}

void upsample_nearest_f32_ref(float* y, const float* x, size_t NC, size_t H, size_t W, size_t sh,
                              size_t sw) {
  const size_t OH = H * sh, OW = W * sw;
  for (size_t p = 0; p < NC; ++p) {
    for (size_t oy = 0; oy < OH; ++oy) {
      for (size_t ox = 0; ox < OW; ++ox) {
        y[(p * OH + oy) * OW + ox] = x[(p * H + oy / sh) * W + ox / sw];
      }
    }
  }
}

void resize_bilinear_f32(float* y, const float* x, size_t NC, size_t H, size_t W, size_t OH,
                         size_t OW, CoordMode mode) {
  using namespace simd;
  assert(H >= 1 && W >= 1);
  constexpr size_t kChunk = 256;
  Tap cols[kChunk];
  // Horizontally interpolated source rows for the current chunk; `rows_of` names the source
  // row each holds so consecutive output rows reuse them.
  float h[2][kChunk];
  for (size_t ox0 = 0; ox0 < OW; ox0 += kChunk) {
    const size_t n = std::min(kChunk, OW - ox0);
    for (size_t j = 0; j < n; ++j) cols[j] = tap(ox0 + j, W, OW, mode);
    for (size_t p = 0; p < NC; ++p) {
      const float* xp = x + p * H * W;
      // Two slots of horizontally interpolated source rows and the row each holds, so
      // consecutive output rows reuse them.
      std::ptrdiff_t rows_of[2] = {-1, -1};
      auto find = [&](size_t iy) {
        return rows_of[0] == std::ptrdiff_t(iy) ? 0 : rows_of[1] == std::ptrdiff_t(iy) ? 1 : -1;
      };
      auto fill = [&](int s, size_t iy) {
        rows_of[s] = std::ptrdiff_t(iy);
        const float* xr = xp + iy * W;
        for (size_t j = 0; j < n; ++j) {
          const float a = xr[cols[j].i0], b = xr[cols[j].i1];
          h[s][j] = a + cols[j].t * (b - a);
        }
      };
      for (size_t oy = 0; oy < OH; ++oy) {
        const Tap r = tap(oy, H, OH, mode);
        int s0 = find(r.i0), s1 = r.i1 == r.i0 ? s0 : find(r.i1);
        if (s0 < 0) {
          s0 = s1 == 0 ? 1 : 0;
          fill(s0, r.i0);
        }
        if (r.i1 == r.i0) {
          s1 = s0;
        } else if (s1 < 0) {
          s1 = 1 - s0;
          fill(s1, r.i1);
        }
        const float* h0 = h[s0];
        const float* h1 = h[s1];
        float* yr = y + (p * OH + oy) * OW + ox0;
        const vfloat t = splat(r.t);
        size_t j = 0;
        for (; j + kLanes <= n; j += kLanes) {
          const vfloat a = load(h0 + j), b = load(h1 + j);
          store(yr + j, fmadd(t, b - a, a));
        }
        for (; j < n; ++j) yr[j] = h0[j] + r.t * (h1[j] - h0[j]);
      }
    }
  }
}

void resize_bilinear_f32_ref(float* y, const float* x, size_t NC, size_t H, size_t W, size_t OH,
                             size_t OW, CoordMode mode) {
  // The coordinate formulas again, written from ONNX's Resize text rather than shared with
  // the kernel, so a slip in one shows up against the other.
  auto coord = [mode](size_t o, size_t in, size_t out) {
    const double ratio = double(in) / double(out);
    if (mode == CoordMode::kAlignCorners) return out == 1 ? 0.0 : o * double(in - 1) / (out - 1);
    if (mode == CoordMode::kAsymmetric) return o * ratio;
    if (mode == CoordMode::kPytorchHalfPixel && out == 1) return 0.0;
    return (o + 0.5) * ratio - 0.5;
  };
  const std::ptrdiff_t last_y = std::ptrdiff_t(H) - 1, last_x = std::ptrdiff_t(W) - 1;
  for (size_t p = 0; p < NC; ++p) {
    for (size_t oy = 0; oy < OH; ++oy) {
      const double cy = coord(oy, H, OH), fy = std::floor(cy), ty = cy - fy;
      const std::ptrdiff_t y0 = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(fy), 0, last_y);
      const std::ptrdiff_t y1 = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(fy) + 1, 0, last_y);
      for (size_t ox = 0; ox < OW; ++ox) {
        const double cx = coord(ox, W, OW), fx = std::floor(cx), tx = cx - fx;
        const std::ptrdiff_t x0 = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(fx), 0, last_x);
        const std::ptrdiff_t x1 = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(fx) + 1, 0, last_x);
        const float* xp = x + p * H * W;
        const double v = (1 - ty) * ((1 - tx) * xp[y0 * W + x0] + tx * xp[y0 * W + x1]) +
                         ty * ((1 - tx) * xp[y1 * W + x0] + tx * xp[y1 * W + x1]);
        y[(p * OH + oy) * OW + ox] = float(v);
      }
    }
  }
}

}  // namespace instyle
