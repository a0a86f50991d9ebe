#include "pool.h"

#include <cmath>

#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::random_vector;

Pool2dShape shape(std::size_t NC, std::size_t H, std::size_t W, std::size_t k, std::size_t stride,
                  std::size_t pad, PoolMode mode) {
  Pool2dShape s;
  s.NC = NC, s.H = H, s.W = W;
  s.kH = s.kW = k;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = pad;
  s.OH = (H + 2 * pad - k) / stride + 1;
  s.OW = (W + 2 * pad - k) / stride + 1;
  s.mode = mode;
  return s;
}

// Runs the SIMD kernel and its reference; checks neither writes past y nor the kernel past its
// scratch row.
void run_both(const Pool2dShape& s, const std::vector<float>& x, std::vector<float>* y,
              std::vector<float>* ref) {
  const std::size_t n = s.NC * s.OH * s.OW, scratch_n = pool2d_scratch_size(s);
  y->assign(n + 8, 99.f);
  ref->assign(n, 0.f);
  std::vector<float> scratch(scratch_n + 8, 77.f);
  pool2d_f32(y->data(), x.data(), s, scratch.data());
  pool2d_f32_ref(ref->data(), x.data(), s, nullptr);
  for (std::size_t i = n; i < n + 8; ++i) ASSERT_EQ((*y)[i], 99.f) << "wrote past y";
  for (std::size_t i = scratch_n; i < scratch_n + 8; ++i) {
    ASSERT_EQ(scratch[i], 77.f) << "wrote past the scratch row";
  }
  y->resize(n);
}

// 1..16 in a 4 x 4 plane.
std::vector<float> ramp16() {
  std::vector<float> x(16);
  for (std::size_t i = 0; i < 16; ++i) x[i] = float(i + 1);
  return x;
}

TEST(Pool, HandCheckedTwoByTwoStrideTwo) {
  const auto x = ramp16();
  std::vector<float> y, ref;
  run_both(shape(1, 4, 4, 2, 2, 0, PoolMode::kMax), x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{6, 8, 14, 16}));
  EXPECT_EQ(ref, y);
  run_both(shape(1, 4, 4, 2, 2, 0, PoolMode::kAverage), x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{3.5f, 5.5f, 11.5f, 13.5f}));
  EXPECT_EQ(ref, y);
}

TEST(Pool, PaddingIsSkippedOrCountedAsZero) {
  // [[1, 2], [3, 4]], 2x2 windows at stride 1 with one pixel of padding all round: 3 x 3.
  const std::vector<float> x = {1, 2, 3, 4};
  std::vector<float> y, ref;
  Pool2dShape s = shape(1, 2, 2, 2, 1, 1, PoolMode::kAverage);
  ASSERT_EQ(s.OH, 3u);
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4}));
  EXPECT_EQ(ref, y);
  s.count_include_pad = true;
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1}));
  EXPECT_EQ(ref, y);
  s.mode = PoolMode::kMax;  // padding never wins, even over negative values
  const std::vector<float> neg = {-1, -2, -3, -4};
  run_both(s, neg, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{-1, -1, -2, -1, -1, -2, -3, -3, -4}));
  EXPECT_EQ(ref, y);
}

TEST(Pool, CeilModeWindowsPastTheEdge) {
  // ONNX's test_averagepool_2d_ceil / test_maxpool_2d_ceil: 3x3 windows at stride 2 over 4 x 4,
  // ceil_mode = 1: a second window per axis that reads only rows and columns 2 and 3.
  const auto x = ramp16();
  Pool2dShape s = shape(1, 4, 4, 3, 2, 0, PoolMode::kAverage);
  s.OH = s.OW = 2;
  std::vector<float> y, ref;
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{6, 7.5f, 12, 13.5f}));
  EXPECT_EQ(ref, y);
  s.mode = PoolMode::kMax;
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{11, 12, 15, 16}));
  EXPECT_EQ(ref, y);
}

TEST(Pool, AsymmetricKernelStrideAndPads) {
  // One 4-wide row, a 1 x 3 window at stride 2 with pad_left 1: columns {0, 1}, {1, 2, 3}.
  const std::vector<float> x = {1, 2, 4, 8};
  Pool2dShape s;
  s.H = 1, s.W = 4, s.OH = 1, s.OW = 2, s.kH = 1, s.kW = 3, s.stride_w = 2, s.pad_left = 1;
  s.mode = PoolMode::kAverage;
  std::vector<float> y, ref;
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{1.5f, 14.f / 3.f}));
  EXPECT_EQ(ref, y);
  s.count_include_pad = true;
  run_both(s, x, &y, &ref);
  EXPECT_EQ(y, (std::vector<float>{1.f, 14.f / 3.f}));
  EXPECT_EQ(ref, y);
}

// Every kernel, stride and padding combination over widths around the vector width, odd plane
// counts, floor and ceil output sizes. Maxima must match the reference bit for bit; sums are
// added in another order, so averages of random values agree to rounding and averages of
// small integers (exact sums) exactly.
TEST(Pool, MatchesReference) {
  const std::size_t windows[][2] = {{1, 1}, {2, 2}, {3, 3}, {2, 3}, {3, 1}, {5, 5}};
  std::uint32_t seed = 7;
  int runs = 0;
  for (std::size_t NC : {1, 3, 13}) {
    for (std::size_t H : {1, 2, 5, 8}) {
      for (std::size_t W : test::odd_lengths()) {
        if (W > 100 || (NC == 13 && W > 33)) continue;
        const auto x = random_vector(NC * H * W, ++seed);
        auto xi = random_vector(NC * H * W, ++seed, -50.f, 50.f);
        for (float& v : xi) v = std::round(v);
        for (const auto& k : windows) {
          for (std::size_t stride : {1, 2, 3}) {
            for (std::size_t pad = 0; pad < k[0] && pad < k[1] && pad < 3; ++pad) {
              for (int ceil_mode : {0, 1}) {
                Pool2dShape s;
                s.NC = NC, s.H = H, s.W = W, s.kH = k[0], s.kW = k[1];
                s.stride_h = stride, s.stride_w = stride == 3 ? 1 : stride;
                s.pad_top = s.pad_left = pad;
                // Output sizes with `pad` at the start and none at the end; ceil mode adds a
                // window where one still starts inside the input.
                auto out = [&](std::size_t in, std::size_t kk, std::size_t st) -> std::size_t {
                  if (in + pad < kk) return 0;
                  std::size_t o = (in + pad - kk) / st + 1;
                  if (ceil_mode && o * st < in + pad) ++o;
                  return o;
                };
                s.OH = out(H, s.kH, s.stride_h);
                s.OW = out(W, s.kW, s.stride_w);
                if (s.OH == 0 || s.OW == 0) continue;
                for (PoolMode mode : {PoolMode::kMax, PoolMode::kAverage}) {
                  for (bool include : {false, true}) {
                    if (mode == PoolMode::kMax && include) continue;
                    s.mode = mode;
                    s.count_include_pad = include;
                    SCOPED_TRACE(::testing::Message()
                                 << NC << "x" << H << "x" << W << " k" << s.kH << "x" << s.kW
                                 << " s" << s.stride_h << "," << s.stride_w << " p" << pad
                                 << " ceil " << ceil_mode << " mode " << int(mode) << " incl "
                                 << include);
                    std::vector<float> y, ref;
                    run_both(s, x, &y, &ref);
                    EXPECT_TRUE(all_close(y, ref, mode == PoolMode::kMax ? 0.f : 1e-6f, 1e-6f));
                    run_both(s, xi, &y, &ref);
                    EXPECT_TRUE(all_close(y, ref, 0.f)) << "integers";
                    ++runs;
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(runs, 5000);
}

// A window holding one large offset and small differences: averaging must not lose them to
// a running mean's rounding (the sum of at most kH*kW values is taken in f32 and divided once).
TEST(Pool, AverageKeepsSmallDifferencesOnALargeOffset) {
  const std::size_t H = 6, W = 19;
  auto x = random_vector(H * W, 3, -0.5f, 0.5f);
  for (float& v : x) v += 1e4f;
  Pool2dShape s = shape(1, H, W, 2, 2, 0, PoolMode::kAverage);
  std::vector<float> y, ref;
  run_both(s, x, &y, &ref);
  for (std::size_t oy = 0; oy < s.OH; ++oy) {
    for (std::size_t ox = 0; ox < s.OW; ++ox) {
      double sum = 0;
      for (std::size_t ky = 0; ky < 2; ++ky) {
        for (std::size_t kx = 0; kx < 2; ++kx) sum += x[(oy * 2 + ky) * W + ox * 2 + kx];
      }
      EXPECT_NEAR(y[oy * s.OW + ox], sum / 4, 2e-3) << oy << "," << ox;
    }
  }
  EXPECT_TRUE(all_close(y, ref, 2e-3f));
}

}  // namespace
}  // namespace instyle
