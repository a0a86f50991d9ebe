#include "conv.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "pad.h"
#include "test_util.h"
#include "winograd.h"

namespace instyle {
namespace {

using test::all_close;
using test::random_vector;

std::string describe(const Conv2dShape& s, bool bias, bool relu) {
  std::ostringstream os;
  os << "N" << s.N << " C" << s.C << " " << s.H << "x" << s.W << " O" << s.O << " k" << s.kH << "x"
     << s.kW << " stride" << s.stride_h << "," << s.stride_w << " dil" << s.dilation_h << ","
     << s.dilation_w << " pad" << s.pad_top << "," << s.pad_left << "," << s.pad_bottom << ","
     << s.pad_right << " mode" << int(s.pad_mode) << " groups" << s.groups << " bias" << bias
     << " relu" << relu;
  return os.str();
}

// Runs conv2d_f32 with guard floats after y and after the workspace, checks that neither guard
// was written, and returns y.
std::vector<float> run_simd(const std::vector<float>& x, const std::vector<float>& w,
                            const float* bias, const Conv2dShape& s, bool relu) {
  constexpr std::size_t kGuard = 64;
  constexpr float kCanary = -12345.f;
  const std::size_t ny = s.N * s.O * s.out_h() * s.out_w();
  const std::size_t nws = conv2d_workspace_size(s);
  std::vector<float> y(ny + kGuard, kCanary), ws(nws + kGuard, kCanary);
  conv2d_f32(y.data(), x.data(), w.data(), bias, s, relu, ws.data());
  for (std::size_t i = 0; i < kGuard; ++i) {
    EXPECT_EQ(y[ny + i], kCanary) << "wrote past y";
    EXPECT_EQ(ws[nws + i], kCanary) << "wrote past the workspace";
  }
  y.resize(ny);
  return y;
}

std::vector<float> run_ref(const std::vector<float>& x, const std::vector<float>& w,
                           const float* bias, const Conv2dShape& s, bool relu) {
  std::vector<float> y(s.N * s.O * s.out_h() * s.out_w());
  conv2d_f32_ref(y.data(), x.data(), w.data(), bias, s, relu, nullptr);
  return y;
}

// Compares the SIMD kernel with the reference on random data. Float accumulation differs from
// the reference's double by rounding that grows with the reduction length K.
void expect_matches_ref(const Conv2dShape& s, bool with_bias, bool relu, std::uint32_t seed) {
  const std::size_t K = s.C / s.groups * s.kH * s.kW;
  const auto x = random_vector(s.N * s.C * s.H * s.W, seed);
  const auto w = random_vector(s.O * K, seed + 1);
  const auto b = random_vector(s.O, seed + 2);
  const float* bias = with_bias ? b.data() : nullptr;
  const auto y = run_simd(x, w, bias, s, relu);
  const auto ref = run_ref(x, w, bias, s, relu);
  EXPECT_TRUE(all_close(y, ref, 2e-6f * float(K) + 1e-5f, 1e-5f)) << describe(s, with_bias, relu);
}

TEST(Conv2d, HandComputedValues) {
  // x = 1..9 in a 3x3 plane; w = [[1, 2], [3, 4]].
  const std::vector<float> x = {1, 2, 3, 4, 5, 6, 7, 8, 9}, w = {1, 2, 3, 4};
  const float bias = 1.f;
  auto check = [&](const Conv2dShape& s, const float* b, bool relu, const std::vector<float>& x_,
                   const std::vector<float>& w_, const std::vector<float>& expected) {
    EXPECT_TRUE(all_close(run_ref(x_, w_, b, s, relu), expected, 1e-6f))
        << "ref " << describe(s, b, relu);
    EXPECT_TRUE(all_close(run_simd(x_, w_, b, s, relu), expected, 1e-6f))
        << "simd " << describe(s, b, relu);
  };
  Conv2dShape s;
  s.H = s.W = 3;
  s.kH = s.kW = 2;
  // Valid 2x2: 1+4+12+20, 2+6+15+24, 4+10+21+32, 5+12+24+36, plus the bias.
  check(s, &bias, false, x, w, {38, 48, 68, 78});
  // Stride 2, zero padding 1: the window at (0,0) sees only x(0,0) under w(1,1).
  s.stride_h = s.stride_w = 2;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  check(s, nullptr, false, x, w, {4, 6 + 12, 8 + 28, 5 + 12 + 24 + 36});
  // Dilation 2 on the 3x3 plane picks the four corners.
  Conv2dShape d;
  d.H = d.W = 3;
  d.kH = d.kW = 2;
  d.dilation_h = d.dilation_w = 2;
  check(d, nullptr, false, x, w, {1 * 1 + 3 * 2 + 7 * 3 + 9 * 4});
  // A 3x3 box filter at the corner of the padded plane. Reflect pads row -1 with row 1 and
  // column -1 with column 1: 5 4 5 / 2 1 2 / 5 4 5 sums to 33. Edge repeats: 1 1 2 / 1 1 2 /
  // 4 4 5 sums to 21. ReLU after a negative bias leaves the sum minus 40 clipped to 0.
  Conv2dShape box;
  box.H = box.W = 3;
  box.kH = box.kW = 3;
  box.pad_top = box.pad_left = box.pad_bottom = box.pad_right = 1;
  const std::vector<float> ones(9, 1.f);
  box.pad_mode = PadMode::kReflect;
  auto y = run_ref(x, ones, nullptr, box, false);
  EXPECT_EQ(y[0], 33.f);
  EXPECT_EQ(run_simd(x, ones, nullptr, box, false)[0], 33.f);
  box.pad_mode = PadMode::kEdge;
  EXPECT_EQ(run_ref(x, ones, nullptr, box, false)[0], 21.f);
  EXPECT_EQ(run_simd(x, ones, nullptr, box, false)[0], 21.f);
  const float minus40 = -40.f;
  EXPECT_EQ(run_ref(x, ones, &minus40, box, true)[0], 0.f);
  EXPECT_EQ(run_simd(x, ones, &minus40, box, true)[0], 0.f);
  EXPECT_EQ(run_simd(x, ones, &minus40, box, true)[4], 5.f);  // centre: 45 - 40
  // Two groups of one channel, 1x1 kernels 2 and 3: each output scales its own input.
  Conv2dShape g;
  g.C = g.O = 2;
  g.groups = 2;
  g.H = 1;
  g.W = 3;
  check(g, nullptr, false, {1, 2, 3, 4, 5, 6}, {2, 3}, {2, 4, 6, 12, 15, 18});
  // The same with groups = 1 mixes both inputs into each output: w = [[1, 1], [1, -1]].
  g.groups = 1;
  check(g, nullptr, true, {1, 2, 3, 4, 5, 6}, {1, 1, 1, -1}, {5, 7, 9, 0, 0, 0});
}

// The sweep the brief asks for: every kernel size, stride, dilation, plane and channel count
// against the reference. Pad mode, padding, bias and ReLU rotate with a counter so each value
// meets every other dimension without the full product.
TEST(Conv2d, MatchesReferenceOverGrid) {
  const std::size_t planes[][2] = {{1, 1}, {3, 5}, {7, 13}, {17, 17}};
  std::uint32_t counter = 0;
  std::size_t cases = 0;
  for (std::size_t N : {1, 2}) {
    for (std::size_t C : {1, 3, 13}) {
      for (std::size_t O : {1, 3, 5, 16, 17}) {
        for (const auto& hw : planes) {
          for (std::size_t k : {1, 3, 5, 9}) {
            for (std::size_t stride : {1, 2}) {
              for (std::size_t dil : {1, 2}) {
                ++counter;
                Conv2dShape s;
                s.N = N;
                s.C = C;
                s.O = O;
                s.H = hw[0];
                s.W = hw[1];
                s.kH = s.kW = k;
                s.stride_h = s.stride_w = stride;
                s.dilation_h = s.dilation_w = dil;
                s.pad_mode = PadMode(counter % 3);
                const std::size_t half = dil * (k - 1) / 2;
                switch (counter / 3 % 3) {
                  case 0:  // "same"
                    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = half;
                    break;
                  case 1:  // asymmetric
                    s.pad_top = half;
                    s.pad_left = (half + 1) / 2;
                    s.pad_bottom = 1;
                    s.pad_right = half + 1;
                    break;
                  default:  // none
                    break;
                }
                if (s.H + s.pad_top + s.pad_bottom < dil * (k - 1) + 1 ||
                    s.W + s.pad_left + s.pad_right < dil * (k - 1) + 1) {
                  continue;
                }
                expect_matches_ref(s, counter % 2 == 0, counter / 2 % 2 == 0, counter);
                ++cases;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(cases, 1000u);
}

TEST(Conv2d, GroupedAndDepthwiseMatchReference) {
  std::uint32_t counter = 0;
  const std::size_t planes[][2] = {{1, 1}, {3, 5}, {7, 13}, {17, 17}};
  for (const auto& hw : planes) {
    for (std::size_t k : {1, 3, 5}) {
      for (std::size_t stride : {1, 2}) {
        for (PadMode mode : {PadMode::kZeros, PadMode::kReflect, PadMode::kEdge}) {
          ++counter;
          Conv2dShape s;
          s.H = hw[0];
          s.W = hw[1];
          s.kH = s.kW = k;
          s.stride_h = s.stride_w = stride;
          s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = k / 2;
          s.pad_mode = mode;
          // Two groups.
          for (std::size_t C : {2, 6, 26}) {
            for (std::size_t O : {2, 4, 6, 16, 18}) {
              s.N = 1 + counter % 2;
              s.C = C;
              s.O = O;
              s.groups = 2;
              expect_matches_ref(s, counter % 2 == 0, counter % 3 == 0, counter * 7 + C + O);
            }
          }
          // Depthwise, multiplier 1 (the direct path) and 2 (the GEMM path with one input
          // channel per group), over odd channel counts.
          for (std::size_t C : {1, 3, 13, 127}) {
            for (std::size_t mult : {1, 2}) {
              s.N = 1 + counter % 2;
              s.C = C;
              s.O = C * mult;
              s.groups = C;
              expect_matches_ref(s, counter % 2 == 1, counter % 3 == 1, counter * 11 + C);
            }
          }
        }
      }
    }
  }
}

TEST(Conv2d, UnusualShapesMatchReference) {
  std::uint32_t seed = 900;
  // Non-square and even kernels, stride 3, different strides and dilations per axis.
  const std::size_t kernels[][2] = {{1, 3}, {3, 1}, {2, 3}, {4, 4}, {1, 9}, {7, 2}};
  for (const auto& k : kernels) {
    for (PadMode mode : {PadMode::kZeros, PadMode::kReflect, PadMode::kEdge}) {
      Conv2dShape s;
      s.N = 1;
      s.C = 5;
      s.O = 11;
      s.H = 19;
      s.W = 23;
      s.kH = k[0];
      s.kW = k[1];
      s.stride_h = 3;
      s.stride_w = 2;
      s.dilation_h = 1;
      s.dilation_w = 3;
      s.pad_top = k[0] / 2;
      s.pad_bottom = (k[0] - 1) / 2;
      s.pad_left = 3 * (k[1] - 1) / 2;
      s.pad_right = 2;
      s.pad_mode = mode;
      expect_matches_ref(s, true, false, ++seed);
      s.groups = 1;
      s.C = 1;
      s.O = 1;  // single channel: C == groups == O takes the depthwise path
      expect_matches_ref(s, false, true, ++seed);
    }
  }
}

// Sizes where the kernel's blocking shows: several pixel tiles, several channel chunks
// (accumulating into y between them), partial output-channel blocks, pixel remainders.
TEST(Conv2d, LargerLayersMatchReference) {
  struct Case {
    std::size_t C, O, H, W, k, stride;
  };
  const Case cases[] = {{40, 20, 64, 64, 3, 1}, {32, 24, 33, 47, 3, 2}, {3, 13, 40, 37, 9, 1},
                        {24, 3, 30, 30, 9, 1},  {19, 35, 31, 29, 1, 1}, {130, 9, 9, 11, 3, 1}};
  std::uint32_t seed = 500;
  for (const Case& c : cases) {
    for (PadMode mode : {PadMode::kZeros, PadMode::kReflect}) {
      Conv2dShape s;
      s.C = c.C;
      s.O = c.O;
      s.H = c.H;
      s.W = c.W;
      s.kH = s.kW = c.k;
      s.stride_h = s.stride_w = c.stride;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = c.k / 2;
      s.pad_mode = mode;
      expect_matches_ref(s, true, mode == PadMode::kReflect, ++seed);
    }
  }
}

// The Winograd path (3x3, stride 1, winograd.h) against the reference: planes smaller than a
// tile, odd sizes that leave partial tiles at the right and bottom, runs of tiles spanning tile
// rows and blocks, every pad mode with same, asymmetric and no padding, bias and ReLU on and
// off, channel counts that are not multiples of the vector width or the register tile. Small
// channel counts (below the dispatch threshold) call conv2d_winograd_f32 directly.
struct WinogradError {
  double max_abs = 0.0, max_rel = 0.0;  // max |y - ref|, and that over max |ref| of the case
};

WinogradError expect_winograd_matches_ref(const Conv2dShape& s, bool with_bias, bool relu,
                                          std::uint32_t seed, bool direct) {
  const std::size_t K = s.C * s.kH * s.kW;
  const auto x = random_vector(s.N * s.C * s.H * s.W, seed);
  const auto w = random_vector(s.O * K, seed + 1);
  const auto b = random_vector(s.O, seed + 2);
  const float* bias = with_bias ? b.data() : nullptr;
  std::vector<float> y;
  if (direct) {
    EXPECT_TRUE(winograd_supported(s));
    constexpr std::size_t kGuard = 64;
    constexpr float kCanary = -12345.f;
    const std::size_t ny = s.N * s.O * s.out_h() * s.out_w();
    const std::size_t nws = winograd_workspace_size(s);
    y.assign(ny + kGuard, kCanary);
    std::vector<float> ws(nws + kGuard, kCanary);
    conv2d_winograd_f32(y.data(), x.data(), w.data(), bias, s, relu, ws.data());
    for (std::size_t i = 0; i < kGuard; ++i) {
      EXPECT_EQ(y[ny + i], kCanary) << "wrote past y";
      EXPECT_EQ(ws[nws + i], kCanary) << "wrote past the workspace";
    }
    y.resize(ny);
  } else {
    EXPECT_TRUE(winograd_eligible(s)) << describe(s, with_bias, relu);
    y = run_simd(x, w, bias, s, relu);
  }
  const auto ref = run_ref(x, w, bias, s, relu);
  // The same tolerance as every other conv test, and 1e-3 of the output's scale.
  EXPECT_TRUE(all_close(y, ref, 2e-6f * float(K) + 1e-5f, 1e-5f)) << describe(s, with_bias, relu);
  WinogradError e;
  double scale = 0.0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    e.max_abs = std::max(e.max_abs, std::fabs(double(y[i]) - double(ref[i])));
    scale = std::max(scale, std::fabs(double(ref[i])));
  }
  e.max_rel = scale > 0.0 ? e.max_abs / scale : e.max_abs;
  EXPECT_LE(e.max_rel, 1e-3) << describe(s, with_bias, relu);
  return e;
}

TEST(Conv2dWinograd, DispatchesOnlyEligibleShapes) {
  Conv2dShape s;
  s.C = s.O = 16;
  s.H = s.W = 8;
  s.kH = s.kW = 3;
  EXPECT_TRUE(winograd_eligible(s));
  Conv2dShape t = s;
  t.stride_h = t.stride_w = 2;
  EXPECT_FALSE(winograd_eligible(t));
  t = s;
  t.dilation_h = t.dilation_w = 2;
  EXPECT_FALSE(winograd_eligible(t));
  t = s;
  t.groups = 2;
  EXPECT_FALSE(winograd_eligible(t));
  t = s;
  t.kH = t.kW = 5;
  EXPECT_FALSE(winograd_eligible(t));
  t.kH = 9;  // not square
  EXPECT_FALSE(winograd_supported(t));
  // 9x9 is nine 3x3 blocks: 3 input channels are 27 virtual ones.
  t = s;
  t.kH = t.kW = 9;
  t.pad_top = t.pad_left = t.pad_bottom = t.pad_right = 4;
  t.C = 3;
  EXPECT_TRUE(winograd_eligible(t));
  t.C = 1;
  EXPECT_FALSE(winograd_eligible(t));
  EXPECT_TRUE(winograd_supported(t));
  t.C = 16;  // 144 virtual channels: the input transforms would cost more than they save
  EXPECT_FALSE(winograd_eligible(t));
  t = s;
  t.C = 3;
  EXPECT_FALSE(winograd_eligible(t));
  EXPECT_TRUE(winograd_supported(t));
  // Not the output channels: the executor calls conv2d_f32 on slices of them.
  t = s;
  t.O = 1;
  EXPECT_TRUE(winograd_eligible(t));
}

// The model executor splits the output channels over threads, one conv2d_f32 call per slice:
// each slice must give the same bits as the whole, whatever path it takes.
TEST(Conv2dWinograd, OutputChannelSlicesGiveTheSameBits) {
  for (std::size_t C : {8, 16, 40}) {
    Conv2dShape s;
    s.C = C;
    s.O = 37;
    s.H = 21;
    s.W = 26;
    s.kH = s.kW = 3;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    s.pad_mode = PadMode::kReflect;
    const auto x = random_vector(s.C * s.H * s.W, 61);
    const auto w = random_vector(s.O * s.C * 9, 62);
    const auto b = random_vector(s.O, 63);
    const auto whole = run_simd(x, w, b.data(), s, true);
    const std::size_t plane = s.out_h() * s.out_w();
    for (std::size_t o0 : {std::size_t(0), std::size_t(5), std::size_t(18), std::size_t(36)}) {
      for (std::size_t n : {std::size_t(1), std::size_t(4), std::size_t(19)}) {
        if (o0 + n > s.O) continue;
        Conv2dShape part = s;
        part.O = n;
        const std::vector<float> wp(w.begin() + o0 * s.C * 9, w.begin() + (o0 + n) * s.C * 9);
        const auto y = run_simd(x, wp, b.data() + o0, part, true);
        const std::vector<float> expected(whole.begin() + o0 * plane,
                                          whole.begin() + (o0 + n) * plane);
        EXPECT_TRUE(all_close(y, expected, 0.f)) << "C " << C << " slice " << o0 << "+" << n;
      }
    }
  }
}

// Threads split a Winograd layer by output rows (threaded.h): rows [r0, r1) alone must give the
// bits the whole call gives them and leave the other rows alone, for cuts on the tile grid, a
// last partial tile row, a folded upsampling and few output channels.
TEST(Conv2dWinograd, OutputRowRangesGiveTheSameBits) {
  struct Case {
    std::size_t C, O, H, W, up;
  };
  for (const Case& c : {Case{16, 3, 23, 30, 1}, Case{40, 9, 18, 17, 1}, Case{32, 16, 11, 13, 2}}) {
    Conv2dShape s;
    s.C = c.C;
    s.O = c.O;
    s.H = c.H;
    s.W = c.W;
    s.up_h = s.up_w = c.up;
    s.kH = s.kW = 3;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    s.pad_mode = PadMode::kReflect;
    ASSERT_TRUE(winograd_eligible(s));
    const auto x = random_vector(s.C * s.H * s.W, 71);
    const auto w = random_vector(s.O * s.C * 9, 72);
    const auto b = random_vector(s.O, 73);
    const auto whole = run_simd(x, w, b.data(), s, true);
    const std::size_t OH = s.out_h(), OW = s.out_w(), unit = winograd_row_unit();
    std::vector<float> ws(winograd_workspace_size(s));
    for (std::size_t r0 = 0; r0 < OH; r0 += unit) {
      for (std::size_t r1 : {std::min(OH, r0 + unit), std::min(OH, r0 + 3 * unit), OH}) {
        std::vector<float> y(whole.size(), -7.f);
        conv2d_winograd_rows_f32(y.data(), x.data(), w.data(), b.data(), s, true, ws.data(), r0,
                                 r1);
        for (std::size_t o = 0; o < s.O; ++o) {
          for (std::size_t r = 0; r < OH; ++r) {
            for (std::size_t q = 0; q < OW; ++q) {
              const std::size_t i = (o * OH + r) * OW + q;
              const float want = r >= r0 && r < r1 ? whole[i] : -7.f;
              ASSERT_EQ(y[i], want) << "C " << c.C << " rows [" << r0 << ", " << r1
                                    << ") at channel " << o << " row " << r << " column " << q;
            }
          }
        }
      }
    }
  }
}

TEST(Conv2dWinograd, MatchesReferenceOverGrid) {
  const std::size_t planes[][2] = {{1, 1}, {2, 3},   {3, 3},   {4, 4},   {5, 7},
                                   {9, 6}, {13, 17}, {16, 16}, {23, 41}, {70, 9}};
  std::uint32_t counter = 0;
  WinogradError worst;
  for (const auto& hw : planes) {
    for (PadMode mode : {PadMode::kZeros, PadMode::kReflect, PadMode::kEdge}) {
      for (int pad = 0; pad < 3; ++pad) {
        Conv2dShape s;
        s.H = hw[0];
        s.W = hw[1];
        s.kH = s.kW = 3;
        s.pad_mode = mode;
        if (pad == 0) {  // same
          s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
        } else if (pad == 1) {  // asymmetric
          s.pad_top = 0;
          s.pad_left = 1;
          s.pad_bottom = 1;
          s.pad_right = 0;
        }
        // Reflect needs pad < size; a 1-pixel plane cannot be reflected, and a valid 3x3 conv
        // needs 3 rows and columns.
        if (mode == PadMode::kReflect && (s.H < 2 || s.W < 2)) continue;
        if (s.H + s.pad_top + s.pad_bottom < 3 || s.W + s.pad_left + s.pad_right < 3) continue;
        // Above the dispatch threshold through conv2d_f32, below it directly.
        const std::size_t channels[][2] = {{16, 16}, {17, 19}, {33, 1}, {3, 1}, {5, 13}};
        for (const auto& co : channels) {
          ++counter;
          s.C = co[0];
          s.O = co[1];
          s.N = 1 + counter % 2;
          const bool direct = !winograd_eligible(s);
          const WinogradError e = expect_winograd_matches_ref(
              s, counter % 2 == 0, counter / 2 % 2 == 0, counter, direct);
          worst.max_abs = std::max(worst.max_abs, e.max_abs);
          worst.max_rel = std::max(worst.max_rel, e.max_rel);
        }
      }
    }
  }
  std::printf("Winograd grid: %u cases, max |y - ref| %.3g, max relative to max |ref| %.3g\n",
              counter, worst.max_abs, worst.max_rel);
}

// 6x6 and 9x9 kernels as 3x3 blocks over virtual channels: the first and last layers of style
// networks (3 -> 16, 16 -> 3, 3 -> 32, 32 -> 3 with reflect padding 4), every pad mode, odd
// planes, planes barely larger than the kernel, bias and ReLU, upsampled inputs.
TEST(Conv2dWinograd, LargerKernelsMatchReference) {
  struct Case {
    std::size_t C, O, H, W, k, pad, up;
  };
  const Case cases[] = {{3, 16, 37, 45, 9, 4, 1}, {16, 3, 29, 31, 9, 4, 1},
                        {3, 32, 20, 70, 9, 4, 1}, {32, 3, 13, 17, 9, 4, 1},
                        {5, 7, 9, 9, 9, 0, 1},    {4, 9, 11, 8, 6, 3, 1},
                        {2, 5, 6, 7, 9, 4, 2},    {17, 6, 5, 5, 9, 4, 1}};
  std::uint32_t seed = 9100;
  WinogradError worst;
  for (const Case& c : cases) {
    for (PadMode mode : {PadMode::kReflect, PadMode::kZeros, PadMode::kEdge}) {
      Conv2dShape s;
      s.C = c.C;
      s.O = c.O;
      s.H = c.H;
      s.W = c.W;
      s.kH = s.kW = c.k;
      s.up_h = s.up_w = c.up;
      s.pad_top = s.pad_left = c.pad;
      s.pad_bottom = s.pad_right = c.k - 1 - c.pad;
      s.pad_mode = mode;
      if (mode == PadMode::kReflect && (s.in_h() <= c.pad + 1 || s.in_w() <= c.pad + 1)) continue;
      ++seed;
      s.N = 1 + seed % 2;
      const WinogradError e =
          expect_winograd_matches_ref(s, seed % 2 == 0, seed % 3 == 0, seed, !winograd_eligible(s));
      worst.max_abs = std::max(worst.max_abs, e.max_abs);
      worst.max_rel = std::max(worst.max_rel, e.max_rel);
    }
  }
  std::printf("Winograd 6x6 / 9x9: max |y - ref| %.3g, max relative to max |ref| %.3g\n",
              worst.max_abs, worst.max_rel);
}

// Layers of TransformerNet's shapes (reduced planes): the channel counts the path is for,
// several blocks of tiles and output-channel chunks, and a wide plane whose tile rows are longer
// than a block.
TEST(Conv2dWinograd, LayersMatchReference) {
  struct Case {
    std::size_t C, O, H, W;
  };
  const Case cases[] = {{128, 128, 20, 20}, {128, 64, 19, 33}, {64, 32, 34, 30},
                        {32, 32, 37, 31},   {24, 40, 5, 300},  {200, 17, 11, 13}};
  std::uint32_t seed = 7000;
  WinogradError worst;
  for (const Case& c : cases) {
    for (PadMode mode : {PadMode::kReflect, PadMode::kZeros}) {
      Conv2dShape s;
      s.C = c.C;
      s.O = c.O;
      s.H = c.H;
      s.W = c.W;
      s.kH = s.kW = 3;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
      s.pad_mode = mode;
      ++seed;
      const WinogradError e =
          expect_winograd_matches_ref(s, mode == PadMode::kReflect, seed % 2 == 0, seed, false);
      worst.max_abs = std::max(worst.max_abs, e.max_abs);
      worst.max_rel = std::max(worst.max_rel, e.max_rel);
    }
  }
  std::printf("Winograd layers: max |y - ref| %.3g, max relative to max |ref| %.3g\n",
              worst.max_abs, worst.max_rel);
}

// Reflect (and edge) padding inside the conv equals padding the input with pad_f32 first and
// running an unpadded conv on it.
TEST(Conv2d, OnTheFlyPaddingEqualsExplicitPad) {
  for (PadMode mode : {PadMode::kReflect, PadMode::kEdge, PadMode::kZeros}) {
    for (std::size_t stride : {1, 2}) {
      Conv2dShape s;
      s.N = 2;
      s.C = 4;
      s.O = 6;
      s.H = 11;
      s.W = 14;
      s.kH = 5;
      s.kW = 3;
      s.stride_h = s.stride_w = stride;
      s.pad_top = 2;
      s.pad_bottom = 3;
      s.pad_left = 1;
      s.pad_right = 2;
      s.pad_mode = mode;
      const auto x = random_vector(s.N * s.C * s.H * s.W, 41);
      const auto w = random_vector(s.O * s.C * s.kH * s.kW, 42);
      const auto b = random_vector(s.O, 43);
      const auto y = run_simd(x, w, b.data(), s, true);

      Conv2dShape u = s;
      u.H = s.H + s.pad_top + s.pad_bottom;
      u.W = s.W + s.pad_left + s.pad_right;
      u.pad_top = u.pad_left = u.pad_bottom = u.pad_right = 0;
      u.pad_mode = PadMode::kZeros;
      std::vector<float> xp(u.N * u.C * u.H * u.W);
      pad_f32(xp.data(), x.data(), s.N * s.C, s.H, s.W, s.pad_top, s.pad_left, s.pad_bottom,
              s.pad_right, mode, 0.f);
      ASSERT_EQ(u.out_h(), s.out_h());
      ASSERT_EQ(u.out_w(), s.out_w());
      EXPECT_TRUE(all_close(y, run_simd(xp, w, b.data(), u, true), 1e-5f))
          << "mode " << int(mode) << " stride " << stride;
      EXPECT_TRUE(
          all_close(run_ref(x, w, b.data(), s, true), run_ref(xp, w, b.data(), u, true), 1e-6f))
          << "ref, mode " << int(mode) << " stride " << stride;
    }
  }
}

// An upsampling folded into the conv (up_h, up_w) equals upsampling the input first (nearest
// neighbour, whole factors) and running the plain conv on it, on every path: Winograd (3x3,
// 16+ channels), im2col and direct (few output channels), with padding and strides.
TEST(Conv2d, FoldedUpsamplingEqualsExplicitUpsample) {
  struct Case {
    std::size_t C, O, k, stride, up_h, up_w;
  };
  const Case cases[] = {{16, 8, 3, 1, 2, 2},  {32, 17, 3, 1, 2, 2}, {5, 12, 3, 1, 2, 2},
                        {6, 9, 5, 2, 3, 2},   {4, 3, 3, 1, 2, 2},   {7, 2, 9, 1, 2, 3},
                        {20, 20, 3, 1, 1, 2}, {3, 16, 1, 1, 2, 2},  {16, 8, 3, 1, 3, 3},
                        {17, 5, 3, 1, 4, 4}};
  std::uint32_t seed = 9100;
  for (const Case& c : cases) {
    for (PadMode mode : {PadMode::kReflect, PadMode::kZeros, PadMode::kEdge}) {
      Conv2dShape s;
      s.N = 1 + seed % 2;
      s.C = c.C;
      s.O = c.O;
      s.H = 7;
      s.W = 10;
      s.kH = s.kW = c.k;
      s.stride_h = s.stride_w = c.stride;
      s.pad_top = s.pad_left = c.k / 2;
      s.pad_bottom = c.k / 2 + 1;
      s.pad_right = c.k / 2;
      s.pad_mode = mode;
      s.up_h = c.up_h;
      s.up_w = c.up_w;
      ++seed;
      const auto x = random_vector(s.N * s.C * s.H * s.W, seed);
      const auto w = random_vector(s.O * s.C * s.kH * s.kW, seed + 1);
      const auto b = random_vector(s.O, seed + 2);

      Conv2dShape u = s;  // the same conv over the upsampled image
      u.H = s.in_h();
      u.W = s.in_w();
      u.up_h = u.up_w = 1;
      std::vector<float> xu(u.N * u.C * u.H * u.W);
      for (std::size_t p = 0; p < s.N * s.C; ++p) {
        for (std::size_t iy = 0; iy < u.H; ++iy) {
          for (std::size_t ix = 0; ix < u.W; ++ix) {
            xu[(p * u.H + iy) * u.W + ix] = x[(p * s.H + iy / s.up_h) * s.W + ix / s.up_w];
          }
        }
      }
      ASSERT_EQ(winograd_eligible(u), winograd_eligible(s));
      const std::string what =
          describe(s, true, true) + " up" + std::to_string(s.up_h) + "," + std::to_string(s.up_w);
      EXPECT_TRUE(
          all_close(run_ref(x, w, b.data(), s, true), run_ref(xu, w, b.data(), u, true), 0.f))
          << "ref, " << what;
      EXPECT_TRUE(
          all_close(run_simd(x, w, b.data(), s, true), run_simd(xu, w, b.data(), u, true), 0.f))
          << what;
    }
  }
}

// The workspace is a tile, not an image: it must not grow with the number of rows, and at most
// with the width by a band of rows.
TEST(Conv2d, WorkspaceIsBoundedByATile) {
  Conv2dShape s;
  s.C = s.O = 128;
  s.kH = s.kW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  s.H = s.W = 64;
  const std::size_t small = conv2d_workspace_size(s);
  s.H = s.W = 1024;
  EXPECT_EQ(conv2d_workspace_size(s), small);
  EXPECT_LT(small, std::size_t(1) << 20);
  // The direct path (few outputs per group) pads a band of rows.
  s.groups = 128;
  const std::size_t wide = conv2d_workspace_size(s);
  s.H = 4096;
  EXPECT_EQ(conv2d_workspace_size(s), wide);
  EXPECT_LE(wide, 32 * (s.W + 64));
  // A 9x9 layer with few channels (Winograd over 27 virtual channels): bounded too.
  s.C = 3;
  s.O = 3;
  s.groups = 1;
  s.kH = s.kW = 9;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 4;
  const std::size_t large_kernel = conv2d_workspace_size(s);
  s.H = s.W = 64;
  EXPECT_EQ(conv2d_workspace_size(s), large_kernel);
  EXPECT_LE(large_kernel, 128 * 1024);
}

}  // namespace
}  // namespace instyle
