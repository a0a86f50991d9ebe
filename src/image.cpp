// Per-pixel loops over bytes and planes; the compiler vectorizes the simple ones. None of
// this is on the hot path next to the network (a few operations per pixel against tens of
// thousands of multiply-adds).
#include "image.h"

#include <algorithm>
#include <cmath>

namespace instyle {
namespace {

uint8_t to_byte(float v) {
  // NaN fails both comparisons and becomes 0.
  if (!(v > 0.f)) return 0;
  if (v >= 255.f) return 255;
  return static_cast<uint8_t>(v + 0.5f);
}

// Source span [begin, end) of output index o when n_src maps onto n_dst.
void span(std::size_t o, std::size_t n_dst, std::size_t n_src, double* begin, double* end) {
  const double r = double(n_src) / double(n_dst);
  *begin = o * r;
  *end = (o + 1) * r;
}

// out[x * 4 + c] = area average over the source columns output column x covers.
void filter_row(float* out, const uint8_t* row, std::size_t dw, std::size_t sw) {
  for (std::size_t x = 0; x < dw; ++x) {
    double b, e;
    span(x, dw, sw, &b, &e);
    float acc[4] = {0, 0, 0, 0};
    for (std::size_t s = static_cast<std::size_t>(b); s < sw && double(s) < e; ++s) {
      const double w = std::min(e, double(s + 1)) - std::max(b, double(s));
      for (int c = 0; c < 4; ++c) acc[c] += static_cast<float>(w) * row[s * 4 + c];
    }
    const float inv = static_cast<float>(1.0 / (e - b));
    for (int c = 0; c < 4; ++c) out[x * 4 + c] = acc[c] * inv;
  }
}

}  // namespace

void rgba_to_planar_f32(float* y, const uint8_t* rgba, std::size_t width, std::size_t height,
                        float scale, bool bgr) {
  const std::size_t n = width * height;
  float* r = y + (bgr ? 2 : 0) * n;
  float* g = y + n;
  float* b = y + (bgr ? 0 : 2) * n;
  for (std::size_t i = 0; i < n; ++i) {
    r[i] = rgba[4 * i] * scale;
    g[i] = rgba[4 * i + 1] * scale;
    b[i] = rgba[4 * i + 2] * scale;
  }
}

void planar_to_rgba_u8(uint8_t* rgba, const float* x, std::size_t width, std::size_t height,
                       float scale, bool bgr, const uint8_t* alpha_from) {
  const std::size_t n = width * height;
  const float* r = x + (bgr ? 2 : 0) * n;
  const float* g = x + n;
  const float* b = x + (bgr ? 0 : 2) * n;
  for (std::size_t i = 0; i < n; ++i) {
    rgba[4 * i] = to_byte(r[i] * scale);
    rgba[4 * i + 1] = to_byte(g[i] * scale);
    rgba[4 * i + 2] = to_byte(b[i] * scale);
    rgba[4 * i + 3] = alpha_from ? alpha_from[4 * i + 3] : 255;
  }
}

void resize_source_rows(std::size_t dh, std::size_t sh, std::size_t y0, std::size_t y1,
                        std::size_t* s0, std::size_t* s1) {
  double b, e, unused;
  span(y0, dh, sh, &b, &unused);
  span(y1 - 1, dh, sh, &unused, &e);
  *s0 = static_cast<std::size_t>(b);
  *s1 = std::min(sh, static_cast<std::size_t>(std::ceil(e)));
}

void resize_rgba_u8_rows(uint8_t* dst, std::size_t dw, std::size_t dh, std::size_t y0,
                         std::size_t y1, const uint8_t* src, std::size_t src_row0, std::size_t sw,
                         std::size_t sh, float* scratch) {
  float* acc = scratch;
  float* row = scratch + 4 * dw;
  for (std::size_t y = y0; y < y1; ++y) {
    double b, e;
    span(y, dh, sh, &b, &e);
    std::fill(acc, acc + 4 * dw, 0.f);
    for (std::size_t s = static_cast<std::size_t>(b); s < sh && double(s) < e; ++s) {
      const float w = static_cast<float>(std::min(e, double(s + 1)) - std::max(b, double(s)));
      filter_row(row, src + (s - src_row0) * sw * 4, dw, sw);
      for (std::size_t i = 0; i < 4 * dw; ++i) acc[i] += w * row[i];
    }
    const float inv = static_cast<float>(1.0 / (e - b));
    uint8_t* out = dst + (y - y0) * dw * 4;
    for (std::size_t i = 0; i < 4 * dw; ++i) out[i] = to_byte(acc[i] * inv);
  }
}

void resize_rgba_u8(uint8_t* dst, std::size_t dw, std::size_t dh, const uint8_t* src,
                    std::size_t sw, std::size_t sh, float* scratch) {
  resize_rgba_u8_rows(dst, dw, dh, 0, dh, src, 0, sw, sh, scratch);
}

void stylize_output_u8(uint8_t* out, const float* y, std::size_t width, std::size_t height,
                       const uint8_t* photo, const StylizeBlend& blend) {
  const std::size_t n = width * height;
  const float* r = y + (blend.bgr ? 2 : 0) * n;
  const float* g = y + n;
  const float* b = y + (blend.bgr ? 0 : 2) * n;
  const float k = blend.scale, s = blend.strength;
  for (std::size_t i = 0; i < n; ++i) {
    const float pr = photo[4 * i], pg = photo[4 * i + 1], pb = photo[4 * i + 2];
    float sr = std::clamp(r[i] * k, 0.f, 255.f);
    float sg = std::clamp(g[i] * k, 0.f, 255.f);
    float sb = std::clamp(b[i] * k, 0.f, 255.f);
    if (std::isnan(sr)) sr = 0.f;
    if (std::isnan(sg)) sg = 0.f;
    if (std::isnan(sb)) sb = 0.f;
    if (blend.preserve_colors) {
      const float dy = 0.299f * (sr - pr) + 0.587f * (sg - pg) + 0.114f * (sb - pb);
      sr = std::clamp(pr + dy, 0.f, 255.f);
      sg = std::clamp(pg + dy, 0.f, 255.f);
      sb = std::clamp(pb + dy, 0.f, 255.f);
    }
    out[4 * i] = to_byte(pr + s * (sr - pr));
    out[4 * i + 1] = to_byte(pg + s * (sg - pg));
    out[4 * i + 2] = to_byte(pb + s * (sb - pb));
    out[4 * i + 3] = photo[4 * i + 3];
  }
}

}  // namespace instyle
