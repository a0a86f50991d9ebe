// Image pre- and post-processing around the style network (src/image.h).
#include <cmath>
#include <random>
#include <vector>

#include "image.h"
#include "test_util.h"

namespace instyle {
namespace {

std::vector<uint8_t> random_rgba(std::size_t w, std::size_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(w * h * 4);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(Image, PlanarRoundTripInEveryConvention) {
  for (auto [w, h] : {std::pair<std::size_t, std::size_t>{1, 1}, {3, 5}, {7, 13}, {64, 64}}) {
    const auto rgba = random_rgba(w, h, 1);
    for (bool bgr : {false, true}) {
      for (float scale : {1.f, 1.f / 255.f}) {
        std::vector<float> x(3 * w * h);
        rgba_to_planar_f32(x.data(), rgba.data(), w, h, scale, bgr);
        const std::size_t red_plane = bgr ? 2 : 0;
        EXPECT_FLOAT_EQ(x[red_plane * w * h], rgba[0] * scale);
        EXPECT_FLOAT_EQ(x[w * h + (w * h - 1)], rgba[4 * (w * h - 1) + 1] * scale);
        std::vector<uint8_t> back(w * h * 4);
        planar_to_rgba_u8(back.data(), x.data(), w, h, 1.f / scale, bgr, rgba.data());
        EXPECT_EQ(back, rgba) << w << "x" << h << " bgr " << bgr << " scale " << scale;
      }
    }
  }
}

TEST(Image, OutputIsRoundedClippedAndOpaqueWithoutAlphaSource) {
  const std::vector<float> x = {-5.f, 0.49f, 254.5f, 300.f, NAN, 127.5f};  // 2 pixels, R G B planes
  std::vector<uint8_t> rgba(8);
  planar_to_rgba_u8(rgba.data(), x.data(), 2, 1, 1.f, false, nullptr);
  EXPECT_EQ(rgba, (std::vector<uint8_t>{0, 255, 0, 255, 0, 255, 128, 255}));
}

// An independent area average: each output pixel integrates the source over its footprint
// in 2-D (no separable passes), in double.
std::vector<uint8_t> area_reference(const std::vector<uint8_t>& src, std::size_t sw, std::size_t sh,
                                    std::size_t dw, std::size_t dh) {
  std::vector<uint8_t> out(dw * dh * 4);
  const double rx = double(sw) / dw, ry = double(sh) / dh;
  for (std::size_t y = 0; y < dh; ++y) {
    for (std::size_t x = 0; x < dw; ++x) {
      double acc[4] = {0, 0, 0, 0};
      for (std::size_t sy = 0; sy < sh; ++sy) {
        const double oy = std::min((y + 1) * ry, sy + 1.0) - std::max(y * ry, double(sy));
        if (oy <= 0) continue;
        for (std::size_t sx = 0; sx < sw; ++sx) {
          const double ox = std::min((x + 1) * rx, sx + 1.0) - std::max(x * rx, double(sx));
          if (ox <= 0) continue;
          for (int c = 0; c < 4; ++c) acc[c] += ox * oy * src[(sy * sw + sx) * 4 + c];
        }
      }
      for (int c = 0; c < 4; ++c) {
        out[(y * dw + x) * 4 + c] = static_cast<uint8_t>(std::lround(acc[c] / (rx * ry)));
      }
    }
  }
  return out;
}

TEST(Image, ResizeAveragesTheCoveredArea) {
  struct Case {
    std::size_t sw, sh, dw, dh;
  };
  for (const Case& c : {Case{2, 2, 1, 1}, Case{4, 4, 2, 2}, Case{5, 3, 2, 2}, Case{13, 7, 5, 3},
                        Case{64, 48, 17, 9}, Case{3, 5, 3, 5}, Case{100, 1, 7, 1}}) {
    const auto src = random_rgba(c.sw, c.sh, 7);
    std::vector<uint8_t> dst(c.dw * c.dh * 4);
    std::vector<float> scratch(8 * c.dw);
    resize_rgba_u8(dst.data(), c.dw, c.dh, src.data(), c.sw, c.sh, scratch.data());
    const auto ref = area_reference(src, c.sw, c.sh, c.dw, c.dh);
    for (std::size_t i = 0; i < dst.size(); ++i) {
      ASSERT_LE(std::abs(int(dst[i]) - int(ref[i])), 1)
          << c.sw << "x" << c.sh << " -> " << c.dw << "x" << c.dh << " at " << i;
    }
    if (c.sw == c.dw && c.sh == c.dh) EXPECT_EQ(dst, src);
  }
}

// Bands of output rows, each from only the source rows resize_source_rows names (copied out,
// so a read outside them would show), give the whole resize's bytes exactly.
TEST(Image, ResizeInBandsMatchesTheWholeResize) {
  struct Case {
    std::size_t sw, sh, dw, dh, band;
  };
  for (const Case& c : {Case{64, 48, 17, 9, 2}, Case{13, 7, 5, 3, 1}, Case{300, 211, 100, 70, 16},
                        Case{40, 40, 40, 40, 7}, Case{9, 100, 3, 31, 4}}) {
    const auto src = random_rgba(c.sw, c.sh, 11);
    std::vector<uint8_t> whole(c.dw * c.dh * 4), banded(c.dw * c.dh * 4, 7);
    std::vector<float> scratch(8 * c.dw);
    resize_rgba_u8(whole.data(), c.dw, c.dh, src.data(), c.sw, c.sh, scratch.data());
    for (std::size_t y0 = 0; y0 < c.dh; y0 += c.band) {
      const std::size_t y1 = std::min(c.dh, y0 + c.band);
      std::size_t s0 = 0, s1 = 0;
      resize_source_rows(c.dh, c.sh, y0, y1, &s0, &s1);
      ASSERT_LT(s0, s1);
      ASSERT_LE(s1, c.sh);
      const std::vector<uint8_t> rows(src.begin() + s0 * c.sw * 4, src.begin() + s1 * c.sw * 4);
      resize_rgba_u8_rows(banded.data() + y0 * c.dw * 4, c.dw, c.dh, y0, y1, rows.data(), s0, c.sw,
                          c.sh, scratch.data());
    }
    EXPECT_EQ(banded, whole) << c.sw << "x" << c.sh << " -> " << c.dw << "x" << c.dh
                             << " in bands of " << c.band;
  }
}

TEST(Image, StrengthBlendsWithThePhoto) {
  const std::size_t w = 7, h = 3, n = w * h;
  const auto photo = random_rgba(w, h, 3);
  const auto styled = test::random_vector(3 * n, 4, -40.f, 300.f);
  std::vector<uint8_t> out(4 * n), full(4 * n), half(4 * n);
  StylizeBlend blend;
  blend.strength = 0.f;
  stylize_output_u8(out.data(), styled.data(), w, h, photo.data(), blend);
  EXPECT_EQ(out, photo);  // strength 0 is the photo, alpha included
  blend.strength = 1.f;
  stylize_output_u8(full.data(), styled.data(), w, h, photo.data(), blend);
  std::vector<uint8_t> clipped(4 * n);
  planar_to_rgba_u8(clipped.data(), styled.data(), w, h, 1.f, false, photo.data());
  EXPECT_EQ(full, clipped);  // strength 1 is the clipped network output
  blend.strength = 0.5f;
  stylize_output_u8(half.data(), styled.data(), w, h, photo.data(), blend);
  for (std::size_t i = 0; i < 4 * n; ++i) {
    if (i % 4 == 3) continue;
    EXPECT_LE(std::abs(2 * int(half[i]) - int(full[i]) - int(photo[i])), 2) << i;
  }
}

TEST(Image, PreserveColorsKeepsChromaAndTakesLuma) {
  const std::size_t w = 5, h = 5, n = w * h;
  std::vector<uint8_t> photo(4 * n);
  std::mt19937 rng(5);
  for (std::size_t i = 0; i < n; ++i) {  // mid-range colours, so nothing clips
    for (int c = 0; c < 3; ++c) photo[4 * i + c] = static_cast<uint8_t>(60 + rng() % 130);
    photo[4 * i + 3] = static_cast<uint8_t>(rng());
  }
  const auto styled = test::random_vector(3 * n, 6, 70.f, 180.f);
  std::vector<uint8_t> out(4 * n);
  StylizeBlend blend;
  blend.preserve_colors = true;
  stylize_output_u8(out.data(), styled.data(), w, h, photo.data(), blend);
  auto luma = [](double r, double g, double b) { return 0.299 * r + 0.587 * g + 0.114 * b; };
  for (std::size_t i = 0; i < n; ++i) {
    const double r = out[4 * i], g = out[4 * i + 1], b = out[4 * i + 2];
    const double pr = photo[4 * i], pg = photo[4 * i + 1], pb = photo[4 * i + 2];
    EXPECT_NEAR(luma(r, g, b), luma(styled[i], styled[n + i], styled[2 * n + i]), 1.0) << i;
    // Cb and Cr (BT.601) are the photo's, up to rounding.
    EXPECT_NEAR(b - luma(r, g, b), pb - luma(pr, pg, pb), 1.0) << i;
    EXPECT_NEAR(r - luma(r, g, b), pr - luma(pr, pg, pb), 1.0) << i;
    EXPECT_EQ(out[4 * i + 3], photo[4 * i + 3]);
  }
  // With BGR output planes the same pixels come out.
  std::vector<float> bgr(3 * n);
  for (std::size_t i = 0; i < n; ++i) {
    bgr[i] = styled[2 * n + i];
    bgr[n + i] = styled[n + i];
    bgr[2 * n + i] = styled[i];
  }
  std::vector<uint8_t> out_bgr(4 * n);
  blend.bgr = true;
  stylize_output_u8(out_bgr.data(), bgr.data(), w, h, photo.data(), blend);
  EXPECT_EQ(out_bgr, out);
}

}  // namespace
}  // namespace instyle
