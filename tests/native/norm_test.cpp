// The normalization kernels against their double-precision references over odd shapes, plus
// the numerical properties norm.h promises (large offsets, constant planes, the identities
// between IN, GN, LN, BN and AdaIN).
#include "norm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::normal_vector;
using test::odd_lengths;
using test::random_vector;

constexpr float kEps = 1e-5f;

// SIMD vs double reference: both compute the same formula; the kernel's f32 statistics,
// scale, subtraction and fused multiply-add each round once, a few ulps of |y| + 1 in all.
constexpr float kTol = 1e-5f;

struct Shape {
  std::size_t N, C, HW;
};

std::string describe(const Shape& s) {
  return "N=" + std::to_string(s.N) + " C=" + std::to_string(s.C) + " HW=" + std::to_string(s.HW);
}

// N 1..3, C in {1, 3, 13, 127}, planes 1x1, 3x5, 7x13, 64x64 (two full blocks of the moments
// code), and a few plane sizes around the vector width and the 2048-float block.
std::vector<Shape> shapes() {
  std::vector<Shape> v;
  for (std::size_t N : {1, 2, 3}) {
    for (std::size_t C : {1, 3, 13, 127}) {
      for (std::size_t HW : {1, 3 * 5, 7 * 13, 64 * 64}) v.push_back({N, C, HW});
    }
  }
  for (std::size_t HW : odd_lengths()) v.push_back({2, 3, HW});
  for (std::size_t HW : {2047, 2048, 2049, 5003}) v.push_back({1, 3, HW});
  return v;
}

// Activations with an offset and a spread, and per-channel gamma/beta away from 1 and 0.
std::vector<float> activations(const Shape& s, std::uint32_t seed) {
  return normal_vector(s.N * s.C * s.HW, seed, 0.5f, 2.f);
}
std::vector<float> gammas(std::size_t n, std::uint32_t seed) {
  return random_vector(n, seed, 0.5f, 1.5f);
}
std::vector<float> betas(std::size_t n, std::uint32_t seed) {
  return random_vector(n, seed, -1.f, 1.f);
}

double mean_of(const float* x, std::size_t n) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += x[i];
  return s / double(n);
}

double var_of(const float* x, std::size_t n) {
  const double m = mean_of(x, n);
  double q = 0.0;
  for (std::size_t i = 0; i < n; ++i) q += (x[i] - m) * (x[i] - m);
  return q / double(n);
}

// Plus what centering on an f32 mean costs: the kernels subtract the mean rounded to f32,
// off by up to u |m| (u = 2^-24; the block sums add a little), and the output multiplies that
// by its scale |gamma| / sqrt(var + eps). It matters where a span's few values sit close
// together away from zero (two nearly equal values in a 2-value group, say): |m| / sqrt(var +
// eps) can reach 1e3. Returns 4u * gain * max over spans of |m| / sqrt(var + eps).
float centering_tol(const std::vector<float>& x, std::size_t span, double gain) {
  double worst = 0.0;
  for (std::size_t b = 0; b + span <= x.size(); b += span) {
    worst = std::max(worst, std::fabs(mean_of(x.data() + b, span)) /
                                std::sqrt(var_of(x.data() + b, span) + kEps));
  }
  return static_cast<float>(4.0 * 0x1p-24 * gain * worst);
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

TEST(Moments, MatchReference) {
  std::vector<std::size_t> lengths = odd_lengths();
  for (std::size_t n : {2047, 2048, 2049, 4096, 5003, 100000}) lengths.push_back(n);
  for (std::size_t n : lengths) {
    const auto x = normal_vector(n, 11, 3.f, 0.5f);
    float m, v, mr, vr;
    moments_f32(&m, &v, x.data(), n);
    moments_f32_ref(&mr, &vr, x.data(), n);
    EXPECT_NEAR(m, mr, 1e-6f * 3.f) << "n=" << n;
    EXPECT_NEAR(v, vr, 1e-5f * vr + 1e-12f) << "n=" << n;
  }
}

// f32 lanes over blocks folded into a double: the error stays that of a short sum. 4M values
// of 1 + N(0, 0.01): one f32 accumulator would reach 4e6, where an ulp is 0.5, so each value
// added late would be rounded by up to a quarter of itself; here the mean must be good to
// two f32 ulps of 1.
TEST(Moments, ErrorDoesNotGrowWithCount) {
  const std::size_t n = std::size_t(1) << 22;
  const auto x = normal_vector(n, 12, 1.f, 0.01f);
  float m, v, mr, vr;
  moments_f32(&m, &v, x.data(), n);
  moments_f32_ref(&mr, &vr, x.data(), n);
  EXPECT_NEAR(m, mr, 2.5e-7f);
  EXPECT_NEAR(v, vr, 1e-5f * vr);
}

TEST(ScaleShift, MatchesReferenceAndInPlace) {
  for (std::size_t n : odd_lengths()) {
    for (bool relu : {false, true}) {
      auto x = random_vector(n, 13, -3.f, 3.f);
      std::vector<float> y(n), ref(n);
      scale_shift_f32(y.data(), x.data(), 1.7f, -0.3f, n, relu);
      scale_shift_f32_ref(ref.data(), x.data(), 1.7f, -0.3f, n, relu);
      EXPECT_TRUE(all_close(y, ref, 1e-6f, 1e-6f)) << "n=" << n << " relu=" << relu;
      scale_shift_f32(x.data(), x.data(), 1.7f, -0.3f, n, relu);
      EXPECT_TRUE(bit_equal(x, y)) << "in place, n=" << n;
    }
  }
}

TEST(InstanceNorm, MatchesReferenceOverShapesAffineReluInPlace) {
  for (const Shape& s : shapes()) {
    const std::size_t count = s.N * s.C * s.HW;
    const auto x = activations(s, 21);
    const auto g = gammas(s.C, 22), b = betas(s.C, 23);
    for (bool affine : {false, true}) {
      for (bool relu : {false, true}) {
        const float* gp = affine ? g.data() : nullptr;
        const float* bp = affine ? b.data() : nullptr;
        std::vector<float> y(count), ref(count);
        instance_norm_f32(y.data(), x.data(), gp, bp, s.N, s.C, s.HW, kEps, relu);
        instance_norm_f32_ref(ref.data(), x.data(), gp, bp, s.N, s.C, s.HW, kEps, relu);
        EXPECT_TRUE(all_close(y, ref, kTol + centering_tol(x, s.HW, 1.5), kTol))
            << describe(s) << " affine=" << affine << " relu=" << relu;
        std::vector<float> inplace = x;
        instance_norm_f32(inplace.data(), inplace.data(), gp, bp, s.N, s.C, s.HW, kEps, relu);
        EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << describe(s);
      }
    }
  }
}

// Data at 1e4 + N(0, 1): two-pass statistics keep IN's output at mean 0 and std 1. The f32
// mean itself can be off by half an ulp of 1e4 (2^-11 = 4.9e-4), which shifts every output
// by that much in units of the std: the bounds below leave twice that.
TEST(InstanceNorm, LargeOffsetStaysNormalized) {
  const std::size_t HW = 64 * 64;
  const auto x = normal_vector(HW, 31, 1e4f, 1.f);
  std::vector<float> y(HW);
  instance_norm_f32(y.data(), x.data(), nullptr, nullptr, 1, 1, HW, kEps, false);
  EXPECT_NEAR(mean_of(y.data(), HW), 0.0, 1e-3);
  EXPECT_NEAR(std::sqrt(var_of(y.data(), HW)), 1.0, 1e-3);

  float m, v;
  moments_f32(&m, &v, x.data(), HW);
  const double true_var = var_of(x.data(), HW);
  EXPECT_NEAR(v, true_var, 1e-5 * true_var);

  // The test would catch the naive formula: E[x^2] - E[x]^2 accumulated in f32 works at
  // x^2 = 1e8, where one ulp is 8 and the sum of 4096 squares has an ulp of 32768, so the
  // unit variance is lost in rounding many times over.
  float s = 0.f, s2 = 0.f;
  for (float xi : x) {
    s += xi;
    s2 += xi * xi;
  }
  const float naive = s2 / float(HW) - (s / float(HW)) * (s / float(HW));
  EXPECT_GT(std::fabs(naive - true_var), 10.0) << "naive f32 variance: " << naive;
}

TEST(InstanceNorm, ConstantPlaneGivesBetaExactly) {
  for (std::size_t HW : {1, 3 * 5, 7 * 13, 64 * 64, 5003}) {
    const std::size_t C = 3;
    std::vector<float> x(C * HW);
    const float values[C] = {0.f, 123.456f, -7.77e5f};
    for (std::size_t c = 0; c < C; ++c)
      std::fill(x.begin() + c * HW, x.begin() + (c + 1) * HW, values[c]);
    std::vector<float> y(C * HW);
    instance_norm_f32(y.data(), x.data(), nullptr, nullptr, 1, C, HW, kEps, false);
    for (std::size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], 0.f) << "HW=" << HW << " i=" << i;
    const float g[C] = {2.f, 3.f, 0.5f}, b[C] = {0.25f, -1.5f, 4.f};
    for (bool relu : {false, true}) {
      instance_norm_f32(y.data(), x.data(), g, b, 1, C, HW, kEps, relu);
      for (std::size_t i = 0; i < y.size(); ++i) {
        const float want = relu ? std::max(b[i / HW], 0.f) : b[i / HW];
        ASSERT_EQ(y[i], want) << "HW=" << HW << " i=" << i << " relu=" << relu;
      }
    }
  }
}

TEST(InstanceStats, MatchReferenceAndReplayEqualsInstanceNorm) {
  for (const Shape& s : shapes()) {
    const std::size_t count = s.N * s.C * s.HW, planes = s.N * s.C;
    const auto x = activations(s, 41);
    const auto g = gammas(s.C, 42), b = betas(s.C, 43);
    std::vector<float> mean(planes), var(planes);
    instance_stats_f32(mean.data(), var.data(), x.data(), s.N, s.C, s.HW);
    for (std::size_t p = 0; p < planes; ++p) {
      float mr, vr;
      moments_f32_ref(&mr, &vr, x.data() + p * s.HW, s.HW);
      ASSERT_NEAR(mean[p], mr, 1e-6f * (1.f + std::fabs(mr))) << describe(s) << " p=" << p;
      ASSERT_NEAR(var[p], vr, 1e-5f * vr + 1e-12f) << describe(s) << " p=" << p;
    }
    for (bool relu : {false, true}) {
      std::vector<float> direct(count), replay(count);
      instance_norm_f32(direct.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, kEps, relu);
      instance_norm_with_stats_f32(replay.data(), x.data(), mean.data(), var.data(), g.data(),
                                   b.data(), s.N, s.C, s.HW, kEps, relu);
      EXPECT_TRUE(bit_equal(replay, direct)) << describe(s) << " relu=" << relu;
      std::vector<float> inplace = x;
      instance_norm_with_stats_f32(inplace.data(), inplace.data(), mean.data(), var.data(),
                                   g.data(), b.data(), s.N, s.C, s.HW, kEps, relu);
      EXPECT_TRUE(bit_equal(inplace, direct)) << "in place, " << describe(s);
    }
  }
}

// Statistics from elsewhere (a thumbnail) are applied as given, not re-measured.
TEST(InstanceStats, ReplayWithForeignStatsMatchesFormula) {
  const Shape s{2, 3, 7 * 13};
  const auto x = activations(s, 44);
  const std::vector<float> mean = {0.f, 1.f, -2.f, 0.5f, 3.f, 0.25f};
  const std::vector<float> var = {1.f, 4.f, 0.25f, 9.f, 0.f, 2.f};
  std::vector<float> y(x.size());
  instance_norm_with_stats_f32(y.data(), x.data(), mean.data(), var.data(), nullptr, nullptr, s.N,
                               s.C, s.HW, kEps, false);
  for (std::size_t i = 0; i < y.size(); ++i) {
    const std::size_t p = i / s.HW;
    const double want = (x[i] - mean[p]) / std::sqrt(double(var[p]) + kEps);
    ASSERT_NEAR(y[i], want, kTol * (1.0 + std::fabs(want))) << "i=" << i;
  }
}

TEST(BatchNorm, InferenceMatchesReference) {
  for (const Shape& s : shapes()) {
    const std::size_t count = s.N * s.C * s.HW;
    const auto x = activations(s, 51);
    const auto mean = random_vector(s.C, 52, -1.f, 1.f), var = random_vector(s.C, 53, 0.1f, 4.f);
    const auto g = gammas(s.C, 54), b = betas(s.C, 55);
    for (bool affine : {false, true}) {
      for (bool relu : {false, true}) {
        const float* gp = affine ? g.data() : nullptr;
        const float* bp = affine ? b.data() : nullptr;
        std::vector<float> y(count), ref(count);
        batch_norm_f32(y.data(), x.data(), mean.data(), var.data(), gp, bp, s.N, s.C, s.HW, kEps,
                       relu);
        batch_norm_f32_ref(ref.data(), x.data(), mean.data(), var.data(), gp, bp, s.N, s.C, s.HW,
                           kEps, relu);
        EXPECT_TRUE(all_close(y, ref, kTol, kTol))
            << describe(s) << " affine=" << affine << " relu=" << relu;
        std::vector<float> inplace = x;
        batch_norm_f32(inplace.data(), inplace.data(), mean.data(), var.data(), gp, bp, s.N, s.C,
                       s.HW, kEps, relu);
        EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << describe(s);
      }
    }
  }
}

TEST(BatchNorm, TrainingStatsMatchReferenceAndInferenceReplaysThem) {
  for (const Shape& s : shapes()) {
    const std::size_t count = s.N * s.C * s.HW;
    const auto x = activations(s, 61);
    const auto g = gammas(s.C, 62), b = betas(s.C, 63);
    for (bool affine : {false, true}) {
      for (bool relu : {false, true}) {
        const float* gp = affine ? g.data() : nullptr;
        const float* bp = affine ? b.data() : nullptr;
        std::vector<float> y(count), ref(count), bm(s.C), bv(s.C), rm(s.C), rv(s.C);
        batch_norm_train_f32(y.data(), bm.data(), bv.data(), x.data(), gp, bp, s.N, s.C, s.HW, kEps,
                             relu);
        batch_norm_train_f32_ref(ref.data(), rm.data(), rv.data(), x.data(), gp, bp, s.N, s.C, s.HW,
                                 kEps, relu);
        EXPECT_TRUE(all_close(bm, rm, 1e-6f, 1e-6f)) << describe(s);
        EXPECT_TRUE(all_close(bv, rv, 1e-12f, 1e-5f)) << describe(s);
        double worst = 0.0;  // centering_tol over the channels' (N, HW) spans
        for (std::size_t c = 0; c < s.C; ++c) {
          worst = std::max(worst, std::fabs(rm[c]) / std::sqrt(double(rv[c]) + kEps));
        }
        const float center_tol = static_cast<float>(4.0 * 0x1p-24 * 1.5 * worst);
        EXPECT_TRUE(all_close(y, ref, kTol + center_tol, kTol))
            << describe(s) << " affine=" << affine << " relu=" << relu;

        std::vector<float> replay(count);
        batch_norm_f32(replay.data(), x.data(), bm.data(), bv.data(), gp, bp, s.N, s.C, s.HW, kEps,
                       relu);
        EXPECT_TRUE(bit_equal(replay, y)) << describe(s);

        std::vector<float> inplace = x, bm2(s.C), bv2(s.C);
        batch_norm_train_f32(inplace.data(), bm2.data(), bv2.data(), inplace.data(), gp, bp, s.N,
                             s.C, s.HW, kEps, relu);
        EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << describe(s);
      }
    }
  }
}

// Chan's merge across planes with very different means (per-sample offsets of +-1e3): the
// between-plane term dominates, and it must come out as exactly as the reference's.
TEST(BatchNorm, TrainingMergesPlanesWithDifferentMeans) {
  const std::size_t N = 5, C = 2, HW = 3000;
  auto x = normal_vector(N * C * HW, 64, 0.f, 1.f);
  for (std::size_t n = 0; n < N; ++n) {
    for (std::size_t i = 0; i < C * HW; ++i) x[n * C * HW + i] += 1e3f * (float(n) - 2.f);
  }
  std::vector<float> y(x.size()), ref(x.size()), bm(C), bv(C), rm(C), rv(C);
  batch_norm_train_f32(y.data(), bm.data(), bv.data(), x.data(), nullptr, nullptr, N, C, HW, kEps,
                       false);
  batch_norm_train_f32_ref(ref.data(), rm.data(), rv.data(), x.data(), nullptr, nullptr, N, C, HW,
                           kEps, false);
  EXPECT_TRUE(all_close(bm, rm, 1e-4f));
  EXPECT_TRUE(all_close(bv, rv, 0.f, 1e-6f));
  EXPECT_TRUE(all_close(y, ref, kTol, kTol));
}

TEST(LayerNorm, MatchesReferenceWithEveryAffineCombination) {
  const std::vector<std::pair<std::size_t, std::size_t>> sizes = {
      {1, 1}, {3, 15}, {2, 91}, {3, 4096}, {2, 3 * 7 * 13}, {1, 13 * 64 * 64}, {5, 2049}};
  for (const auto& [outer, inner] : sizes) {
    const auto x = normal_vector(outer * inner, 71, -0.5f, 3.f);
    const auto g = gammas(inner, 72), b = betas(inner, 73);
    for (int mask = 0; mask < 4; ++mask) {
      const float* gp = (mask & 1) ? g.data() : nullptr;
      const float* bp = (mask & 2) ? b.data() : nullptr;
      std::vector<float> y(x.size()), ref(x.size()), m(outer), r(outer), mr(outer), rr(outer);
      layer_norm_f32(y.data(), m.data(), r.data(), x.data(), gp, bp, outer, inner, kEps);
      layer_norm_f32_ref(ref.data(), mr.data(), rr.data(), x.data(), gp, bp, outer, inner, kEps);
      const std::string what = "outer=" + std::to_string(outer) +
                               " inner=" + std::to_string(inner) + " mask=" + std::to_string(mask);
      EXPECT_TRUE(all_close(y, ref, kTol + centering_tol(x, inner, 1.5), kTol)) << what;
      EXPECT_TRUE(all_close(m, mr, 1e-6f, 1e-6f)) << what;
      EXPECT_TRUE(all_close(r, rr, 0.f, 1e-5f)) << what;
      std::vector<float> inplace = x;
      layer_norm_f32(inplace.data(), nullptr, nullptr, inplace.data(), gp, bp, outer, inner, kEps);
      EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << what;
    }
  }
}

TEST(GroupNorm, MatchesReferenceForEveryDivisor) {
  const std::vector<std::pair<std::size_t, std::vector<std::size_t>>> cases = {
      {1, {1}}, {3, {1, 3}}, {12, {1, 2, 3, 4, 6, 12}}, {13, {1, 13}}, {64, {32}}, {127, {1, 127}}};
  for (const auto& [C, groups] : cases) {
    for (std::size_t HW : {1, 3 * 5, 7 * 13, 64 * 64}) {
      for (std::size_t G : groups) {
        const Shape s{2, C, HW};
        const std::size_t count = s.N * C * HW;
        const auto x = activations(s, 81);
        const auto g = gammas(C, 82), b = betas(C, 83);
        for (bool affine : {false, true}) {
          for (bool relu : {false, true}) {
            const float* gp = affine ? g.data() : nullptr;
            const float* bp = affine ? b.data() : nullptr;
            std::vector<float> y(count), ref(count);
            group_norm_f32(y.data(), x.data(), gp, bp, s.N, C, HW, G, kEps, relu);
            group_norm_f32_ref(ref.data(), x.data(), gp, bp, s.N, C, HW, G, kEps, relu);
            EXPECT_TRUE(all_close(y, ref, kTol + centering_tol(x, C / G * HW, 1.5), kTol))
                << describe(s) << " G=" << G << " affine=" << affine << " relu=" << relu;
            std::vector<float> inplace = x;
            group_norm_f32(inplace.data(), inplace.data(), gp, bp, s.N, C, HW, G, kEps, relu);
            EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << describe(s) << " G=" << G;
          }
        }
      }
    }
  }
}

TEST(GroupNorm, OneGroupPerChannelIsInstanceNorm) {
  for (const Shape& s : shapes()) {
    const auto x = activations(s, 91);
    const auto g = gammas(s.C, 92), b = betas(s.C, 93);
    std::vector<float> gn(x.size()), in(x.size());
    group_norm_f32(gn.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, s.C, kEps, true);
    instance_norm_f32(in.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, kEps, true);
    EXPECT_TRUE(bit_equal(gn, in)) << describe(s);
    // And through the references, which share no code with each other.
    group_norm_f32_ref(gn.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, s.C, kEps, true);
    instance_norm_f32_ref(in.data(), x.data(), g.data(), b.data(), s.N, s.C, s.HW, kEps, true);
    EXPECT_TRUE(all_close(gn, in, 1e-6f, 1e-6f)) << "ref, " << describe(s);
  }
}

// G = 1 normalizes each sample over C*HW values, as LN does with inner = C*HW; GN's
// per-channel gamma = 1, beta = 0 is LN without affine.
TEST(GroupNorm, OneGroupIsLayerNormOverTheSample) {
  for (const Shape& s : shapes()) {
    const auto x = activations(s, 94);
    const std::vector<float> ones(s.C, 1.f), zeros(s.C, 0.f);
    std::vector<float> gn(x.size()), ln(x.size());
    group_norm_f32(gn.data(), x.data(), ones.data(), zeros.data(), s.N, s.C, s.HW, 1, kEps, false);
    layer_norm_f32(ln.data(), nullptr, nullptr, x.data(), nullptr, nullptr, s.N, s.C * s.HW, kEps);
    EXPECT_TRUE(all_close(gn, ln, 1e-6f, 1e-6f)) << describe(s);
    group_norm_f32(gn.data(), x.data(), nullptr, nullptr, s.N, s.C, s.HW, 1, kEps, false);
    EXPECT_TRUE(all_close(gn, ln, 1e-6f, 1e-6f)) << "no affine, " << describe(s);
  }
}

struct StyleStats {
  std::vector<float> mean, std;
};

StyleStats make_style(std::size_t planes, std::uint32_t seed) {
  return {random_vector(planes, seed, -2.f, 2.f), random_vector(planes, seed + 1, 0.2f, 3.f)};
}

TEST(AdaIN, MatchesReferenceOverShapesAndAlphas) {
  for (const Shape& s : shapes()) {
    const std::size_t count = s.N * s.C * s.HW;
    const auto x = activations(s, 101);
    const auto st = make_style(s.N * s.C, 102);
    for (float alpha : {0.f, 0.3f, 0.5f, 1.f}) {
      std::vector<float> y(count), ref(count);
      adain_f32(y.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, alpha, kEps);
      adain_f32_ref(ref.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, alpha,
                    kEps);
      EXPECT_TRUE(all_close(y, ref, 3 * kTol + centering_tol(x, s.HW, 4.0), kTol))
          << describe(s) << " alpha=" << alpha;
      std::vector<float> inplace = x;
      adain_f32(inplace.data(), inplace.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW,
                alpha, kEps);
      EXPECT_TRUE(bit_equal(inplace, y)) << "in place, " << describe(s) << " alpha=" << alpha;
    }
  }
}

// alpha = 1: each output plane is the content plane moved to the style's statistics. Its mean
// is style_mean exactly in exact arithmetic, its std style_std * sqrt(var / (var + eps)), a
// relative 1.3e-6 below style_std at the content's var = 4; rounding adds a few 1e-7.
TEST(AdaIN, FullStrengthTakesTheStyleStatistics) {
  const Shape s{2, 3, 64 * 64};
  const auto x = activations(s, 111);
  const auto st = make_style(s.N * s.C, 112);
  std::vector<float> y(x.size());
  adain_f32(y.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, 1.f, kEps);
  for (std::size_t p = 0; p < s.N * s.C; ++p) {
    const float* yp = y.data() + p * s.HW;
    EXPECT_NEAR(mean_of(yp, s.HW), st.mean[p], 1e-5 * (std::fabs(st.mean[p]) + st.std[p]));
    EXPECT_NEAR(std::sqrt(var_of(yp, s.HW)), st.std[p], 1e-5 * st.std[p]);
  }
}

TEST(AdaIN, ZeroStrengthIsIdentityHalfIsMidpoint) {
  const Shape s{3, 13, 7 * 13};
  const auto x = activations(s, 121);
  const auto st = make_style(s.N * s.C, 122);
  std::vector<float> y0(x.size()), y1(x.size()), yh(x.size());
  adain_f32(y0.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, 0.f, kEps);
  EXPECT_TRUE(bit_equal(y0, x));
  adain_f32(y1.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, 1.f, kEps);
  adain_f32(yh.data(), x.data(), st.mean.data(), st.std.data(), s.N, s.C, s.HW, 0.5f, kEps);
  std::vector<float> mid(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) mid[i] = 0.5f * (x[i] + y1[i]);
  EXPECT_TRUE(all_close(yh, mid, 1e-5f, 1e-5f));
}

TEST(AdaIN, StyleStatsMatchDirectComputation) {
  for (const Shape& s : shapes()) {
    const auto style = normal_vector(s.N * s.C * s.HW, 131, -3.f, 0.7f);
    std::vector<float> mean(s.N * s.C), sd(s.N * s.C);
    style_stats_f32(mean.data(), sd.data(), style.data(), s.N, s.C, s.HW, kEps);
    for (std::size_t p = 0; p < s.N * s.C; ++p) {
      const float* sp = style.data() + p * s.HW;
      ASSERT_NEAR(mean[p], mean_of(sp, s.HW), 1e-6 * 4) << describe(s) << " p=" << p;
      const double want = std::sqrt(var_of(sp, s.HW) + kEps);
      ASSERT_NEAR(sd[p], want, 1e-6 * want) << describe(s) << " p=" << p;
    }
  }
}

// Style statistics measured by style_stats_f32 and fed to AdaIN move a content image onto the
// style image's per-plane statistics.
TEST(AdaIN, TransfersMeasuredStyleStatistics) {
  const Shape s{1, 3, 64 * 64};
  const auto content = activations(s, 141);
  const auto style = normal_vector(s.C * s.HW, 142, 5.f, 0.3f);
  std::vector<float> mean(s.C), sd(s.C), y(content.size());
  style_stats_f32(mean.data(), sd.data(), style.data(), s.N, s.C, s.HW, kEps);
  adain_f32(y.data(), content.data(), mean.data(), sd.data(), s.N, s.C, s.HW, 1.f, kEps);
  for (std::size_t p = 0; p < s.C; ++p) {
    const float* yp = y.data() + p * s.HW;
    const float* sp = style.data() + p * s.HW;
    EXPECT_NEAR(mean_of(yp, s.HW), mean_of(sp, s.HW), 1e-5);
    EXPECT_NEAR(std::sqrt(var_of(yp, s.HW)), std::sqrt(var_of(sp, s.HW)), 1e-4);
  }
}

}  // namespace
}  // namespace instyle
