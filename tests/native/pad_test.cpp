#include "pad.h"

#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::random_vector;

// Independent of pad_source_index: one mirror bounce, as ONNX defines reflect (pad < size).
std::ptrdiff_t mirror(std::ptrdiff_t i, std::ptrdiff_t size) {
  if (i < 0) return -i;
  if (i >= size) return 2 * (size - 1) - i;
  return i;
}

TEST(PadSourceIndex, MatchesOneBounceMirrorAndClamp) {
  for (std::ptrdiff_t size : {2, 3, 5, 8}) {
    for (std::ptrdiff_t i = -(size - 1); i < 2 * size - 1; ++i) {
      EXPECT_EQ(pad_source_index(i, size, PadMode::kReflect), mirror(i, size)) << i << " " << size;
      EXPECT_EQ(pad_source_index(i, size, PadMode::kEdge),
                std::clamp<std::ptrdiff_t>(i, 0, size - 1));
      EXPECT_EQ(pad_source_index(i, size, PadMode::kZeros), i >= 0 && i < size ? i : -1);
    }
  }
  EXPECT_EQ(pad_source_index(-3, 1, PadMode::kReflect), 0);
}

TEST(Pad, HandCheckedRows) {
  const std::vector<float> x = {1, 2, 3};
  std::vector<float> y(7);
  pad_f32(y.data(), x.data(), 1, 1, 3, 0, 2, 0, 2, PadMode::kReflect, 0.f);
  EXPECT_EQ(y, (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  pad_f32(y.data(), x.data(), 1, 1, 3, 0, 2, 0, 2, PadMode::kEdge, 0.f);
  EXPECT_EQ(y, (std::vector<float>{1, 1, 1, 2, 3, 3, 3}));
  pad_f32(y.data(), x.data(), 1, 1, 3, 0, 2, 0, 2, PadMode::kZeros, 7.f);
  EXPECT_EQ(y, (std::vector<float>{7, 7, 1, 2, 3, 7, 7}));
  // 2-D reflect of [[1, 2], [3, 4]] by one on every side.
  const std::vector<float> sq = {1, 2, 3, 4};
  std::vector<float> z(16), zr(16);
  pad_f32(z.data(), sq.data(), 1, 2, 2, 1, 1, 1, 1, PadMode::kReflect, 0.f);
  EXPECT_EQ(z, (std::vector<float>{4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 2, 1, 2, 1}));
  pad_f32_ref(zr.data(), sq.data(), 1, 2, 2, 1, 1, 1, 1, PadMode::kReflect, 0.f);
  EXPECT_EQ(zr, z);
  // Asymmetric constant padding: one row on top only, two columns on the right only.
  std::vector<float> a(3 * 4);
  pad_f32(a.data(), sq.data(), 1, 2, 2, 1, 0, 0, 2, PadMode::kZeros, -1.f);
  EXPECT_EQ(a, (std::vector<float>{-1, -1, -1, -1, 1, 2, -1, -1, 3, 4, -1, -1}));
}

TEST(Pad, MatchesReference) {
  const std::size_t planes[][2] = {{1, 1}, {3, 5}, {7, 13}, {64, 64}, {2, 33}};
  const std::size_t pads[][4] = {
      {0, 0, 0, 0}, {1, 1, 1, 1}, {2, 0, 1, 3}, {0, 4, 3, 0}, {5, 5, 5, 5}};
  std::uint32_t seed = 1;
  for (std::size_t NC : {1, 3, 13}) {
    for (const auto& hw : planes) {
      for (const auto& p : pads) {
        for (PadMode mode : {PadMode::kZeros, PadMode::kReflect, PadMode::kEdge}) {
          const std::size_t H = hw[0], W = hw[1];
          // ONNX's reflect needs pad < size; the kernels then repeat the mirror, still equal.
          const auto x = random_vector(NC * H * W, ++seed);
          const std::size_t n = NC * (H + p[0] + p[2]) * (W + p[1] + p[3]);
          std::vector<float> y(n + 8, 99.f), ref(n);
          pad_f32(y.data(), x.data(), NC, H, W, p[0], p[1], p[2], p[3], mode, 0.5f);
          pad_f32_ref(ref.data(), x.data(), NC, H, W, p[0], p[1], p[2], p[3], mode, 0.5f);
          for (std::size_t i = n; i < n + 8; ++i) ASSERT_EQ(y[i], 99.f) << "wrote past y";
          y.resize(n);
          EXPECT_TRUE(all_close(y, ref, 0.f)) << NC << " " << H << "x" << W << " pads " << p[0]
                                              << p[1] << p[2] << p[3] << " mode " << int(mode);
        }
      }
    }
  }
}

}  // namespace
}  // namespace instyle
