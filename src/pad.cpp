// Pad: each output row is a left border, a memcpy of the input row (or a constant row), and a
// right border. Only border values go through pad_source_index, so the cost is a copy.
#include "pad.h"

#include <algorithm>
#include <cstring>

namespace instyle {

void pad_f32(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
             std::size_t top, std::size_t left, std::size_t bottom, std::size_t right, PadMode mode,
             float value) {
  const std::size_t OH = H + top + bottom, OW = W + left + right;
  const std::ptrdiff_t h = std::ptrdiff_t(H), w = std::ptrdiff_t(W);
  for (std::size_t p = 0; p < NC; ++p) {
    const float* xp = x + p * H * W;
    float* yp = y + p * OH * OW;
    for (std::size_t oy = 0; oy < OH; ++oy) {
      float* yrow = yp + oy * OW;
      const std::ptrdiff_t iy = pad_source_index(std::ptrdiff_t(oy) - std::ptrdiff_t(top), h, mode);
      if (iy < 0) {
        std::fill(yrow, yrow + OW, value);
        continue;
      }
      const float* xrow = xp + iy * w;
      for (std::size_t ox = 0; ox < left; ++ox) {
        const std::ptrdiff_t ix =
            pad_source_index(std::ptrdiff_t(ox) - std::ptrdiff_t(left), w, mode);
        yrow[ox] = ix < 0 ? value : xrow[ix];
      }
      std::memcpy(yrow + left, xrow, W * sizeof(float));
      for (std::size_t ox = left + W; ox < OW; ++ox) {
        const std::ptrdiff_t ix =
            pad_source_index(std::ptrdiff_t(ox) - std::ptrdiff_t(left), w, mode);
        yrow[ox] = ix < 0 ? value : xrow[ix];
      }
    }
  }
}

void pad_f32_ref(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
                 std::size_t top, std::size_t left, std::size_t bottom, std::size_t right,
                 PadMode mode, float value) {
  const std::size_t OH = H + top + bottom, OW = W + left + right;
  for (std::size_t p = 0; p < NC; ++p) {
    for (std::size_t oy = 0; oy < OH; ++oy) {
      for (std::size_t ox = 0; ox < OW; ++ox) {
        const std::ptrdiff_t iy =
            pad_source_index(std::ptrdiff_t(oy) - std::ptrdiff_t(top), std::ptrdiff_t(H), mode);
        const std::ptrdiff_t ix =
            pad_source_index(std::ptrdiff_t(ox) - std::ptrdiff_t(left), std::ptrdiff_t(W), mode);
        y[(p * OH + oy) * OW + ox] = iy < 0 || ix < 0 ? value : x[(p * H + iy) * W + ix];
      }
    }
  }
}

}  // namespace instyle
