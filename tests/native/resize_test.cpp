#include "resize.h"

#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::random_vector;

constexpr CoordMode kModes[] = {CoordMode::kHalfPixel, CoordMode::kPytorchHalfPixel,
                                CoordMode::kAlignCorners, CoordMode::kAsymmetric};

std::vector<float> bilinear(const std::vector<float>& x, std::size_t NC, std::size_t H,
                            std::size_t W, std::size_t OH, std::size_t OW, CoordMode mode,
                            bool ref) {
  std::vector<float> y(NC * OH * OW);
  (ref ? resize_bilinear_f32_ref : resize_bilinear_f32)(y.data(), x.data(), NC, H, W, OH, OW, mode);
  return y;
}

TEST(UpsampleNearest, HandChecked) {
  const std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> y(16);
  upsample_nearest_f32(y.data(), x.data(), 1, 2, 2, 2, 2);
  EXPECT_EQ(y, (std::vector<float>{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}));
  std::vector<float> z(12);
  upsample_nearest_f32(z.data(), x.data(), 1, 2, 2, 1, 3);
  EXPECT_EQ(z, (std::vector<float>{1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4}));
}

TEST(UpsampleNearest, MatchesReference) {
  const std::size_t planes[][2] = {{1, 1}, {3, 5}, {7, 13}, {64, 64}};
  const std::size_t factors[][2] = {{1, 1}, {2, 2}, {3, 2}, {1, 4}, {2, 1}, {3, 3}};
  std::uint32_t seed = 1;
  for (std::size_t NC : {1, 3, 13}) {
    for (const auto& hw : planes) {
      for (const auto& f : factors) {
        const auto x = random_vector(NC * hw[0] * hw[1], ++seed);
        const std::size_t n = NC * hw[0] * f[0] * hw[1] * f[1];
        std::vector<float> y(n), ref(n);
        upsample_nearest_f32(y.data(), x.data(), NC, hw[0], hw[1], f[0], f[1]);
        upsample_nearest_f32_ref(ref.data(), x.data(), NC, hw[0], hw[1], f[0], f[1]);
        EXPECT_TRUE(all_close(y, ref, 0.f))
            << NC << " " << hw[0] << "x" << hw[1] << " by " << f[0] << "x" << f[1];
      }
    }
  }
}

// Values from ONNX's Resize test cases (onnx/backend/test/case/node/resize.py), 2x2 -> 4x4.
TEST(ResizeBilinear, OnnxUpsampleValues) {
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> half_pixel = {1,   1.25, 1.75, 2,   1.5, 1.75, 2.25, 2.5,
                                         2.5, 2.75, 3.25, 3.5, 3,   3.25, 3.75, 4};
  const float t = 1.f / 3, tt = 2.f / 3;
  const std::vector<float> align_corners = {1,      1 + t,  1 + tt, 2,       //
                                            1 + tt, 2,      2 + t,  2 + tt,  //
                                            2 + t,  2 + tt, 3,      3 + t,   //
                                            3,      3 + t,  3 + tt, 4};
  for (bool ref : {true, false}) {
    EXPECT_TRUE(
        all_close(bilinear(x, 1, 2, 2, 4, 4, CoordMode::kHalfPixel, ref), half_pixel, 1e-6f));
    EXPECT_TRUE(all_close(bilinear(x, 1, 2, 2, 4, 4, CoordMode::kPytorchHalfPixel, ref), half_pixel,
                          1e-6f));
    EXPECT_TRUE(
        all_close(bilinear(x, 1, 2, 2, 4, 4, CoordMode::kAlignCorners, ref), align_corners, 1e-6f));
    // Asymmetric: source x = out / 2, so rows and columns 0, 0.5, 1, 1.5 (clamped past 1).
    EXPECT_TRUE(all_close(bilinear(x, 1, 2, 2, 4, 4, CoordMode::kAsymmetric, ref),
                          {1, 1.5, 2, 2, 2, 2.5, 3, 3, 3, 3.5, 4, 4, 3, 3.5, 4, 4}, 1e-6f));
  }
}

// ONNX's test_resize_downsample_sizes_linear_pytorch_half_pixel: 4x4 -> 3x1. An output axis of
// one sample reads source coordinate 0.
TEST(ResizeBilinear, OnnxPytorchHalfPixelDownsample) {
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = float(i + 1);
  for (bool ref : {true, false}) {
    EXPECT_TRUE(all_close(bilinear(x, 1, 4, 4, 3, 1, CoordMode::kPytorchHalfPixel, ref),
                          {1.6666666f, 7.f, 12.333333f}, 1e-5f));
  }
}

TEST(ResizeBilinear, AlignCornersKeepsCornersAndIdentityCopies) {
  const std::size_t H = 5, W = 7;
  const auto x = random_vector(2 * H * W, 3);
  for (bool ref : {true, false}) {
    const auto y = bilinear(x, 2, H, W, 13, 17, CoordMode::kAlignCorners, ref);
    for (std::size_t p = 0; p < 2; ++p) {
      const float* xp = x.data() + p * H * W;
      const float* yp = y.data() + p * 13 * 17;
      EXPECT_FLOAT_EQ(yp[0], xp[0]);
      EXPECT_FLOAT_EQ(yp[16], xp[W - 1]);
      EXPECT_FLOAT_EQ(yp[12 * 17], xp[(H - 1) * W]);
      EXPECT_FLOAT_EQ(yp[12 * 17 + 16], xp[H * W - 1]);
    }
    for (CoordMode mode : kModes) {
      EXPECT_TRUE(all_close(bilinear(x, 2, H, W, H, W, mode, ref), x, 1e-6f)) << int(mode);
    }
  }
}

TEST(ResizeBilinear, MatchesReference) {
  const std::size_t sizes[][4] = {{1, 1, 1, 1},     {1, 1, 3, 5},       {3, 5, 1, 1},
                                  {3, 5, 6, 10},    {7, 13, 14, 26},    {7, 13, 3, 4},
                                  {8, 8, 21, 19},   {64, 64, 128, 128}, {17, 100, 9, 300},
                                  {2, 600, 5, 257}, {13, 7, 13, 7}};
  std::uint32_t seed = 10;
  for (std::size_t NC : {1, 3}) {
    for (const auto& s : sizes) {
      for (CoordMode mode : kModes) {
        const auto x = random_vector(NC * s[0] * s[1], ++seed, -5.f, 5.f);
        EXPECT_TRUE(all_close(bilinear(x, NC, s[0], s[1], s[2], s[3], mode, false),
                              bilinear(x, NC, s[0], s[1], s[2], s[3], mode, true), 2e-5f))
            << NC << " " << s[0] << "x" << s[1] << " -> " << s[2] << "x" << s[3] << " mode "
            << int(mode);
      }
    }
  }
}

}  // namespace
}  // namespace instyle
