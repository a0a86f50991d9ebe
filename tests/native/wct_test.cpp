#include "wct.h"

#include <cmath>

#include "parallel.h"
#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::normal_vector;
using test::random_vector;

// C channels of HW pixels with correlations between channels: x = A z + m for Gaussian z, A the
// identity plus random entries (well conditioned, as the whitening floor wants).
std::vector<float> correlated(std::size_t C, std::size_t HW, std::uint32_t seed, float offset) {
  auto A = random_vector(C * C, seed, -0.4f, 0.4f);
  for (std::size_t c = 0; c < C; ++c) A[c * C + c] += 1.f;
  const auto z = normal_vector(C * HW, seed + 1);
  std::vector<float> x(C * HW);
  for (std::size_t c = 0; c < C; ++c) {
    for (std::size_t p = 0; p < HW; ++p) {
      float s = offset + 0.1f * c;
      for (std::size_t d = 0; d < C; ++d) s += A[c * C + d] * z[d * HW + p];
      x[c * HW + p] = s;
    }
  }
  return x;
}

std::vector<float> channel_means(const std::vector<float>& x, std::size_t C, std::size_t HW) {
  std::vector<float> m(C);
  for (std::size_t c = 0; c < C; ++c) {
    double s = 0;
    for (std::size_t p = 0; p < HW; ++p) s += x[c * HW + p];
    m[c] = static_cast<float>(s / HW);
  }
  return m;
}

std::vector<double> covariance(const std::vector<float>& x, const std::vector<float>& m,
                               std::size_t C, std::size_t HW) {
  std::vector<double> cov(C * C);
  channel_covariance(cov.data(), x.data(), m.data(), C, HW);
  return cov;
}

TEST(CovarianceSum, MatchesReferenceOverShapes) {
  for (std::size_t C : {1, 2, 3, 5, 8, 13, 32}) {
    for (std::size_t n : {1, 3, 7, 8, 17, 64, 100}) {
      const std::size_t stride = n + 5;  // rows of a bigger plane, as the threaded driver reads
      const auto x = random_vector(C * stride, 7 + C * 31 + n, -2.f, 3.f);
      const auto mean = random_vector(C, 3 + n, 0.f, 1.f);
      std::vector<float> got(C * C + 4, 99.f), want(C * C);
      covariance_sum_f32(got.data(), x.data(), stride, mean.data(), C, n);
      covariance_sum_f32_ref(want.data(), x.data(), stride, mean.data(), C, n);
      for (std::size_t i = C * C; i < C * C + 4; ++i) ASSERT_EQ(got[i], 99.f) << "wrote past out";
      got.resize(C * C);
      EXPECT_TRUE(all_close(got, want, 1e-4f * n, 1e-5f)) << "C=" << C << " n=" << n;
      for (std::size_t i = 0; i < C; ++i) {
        for (std::size_t j = 0; j < C; ++j) ASSERT_EQ(got[i * C + j], got[j * C + i]);
      }
    }
  }
}

TEST(ChannelMix, MatchesReferenceInPlaceAndNot) {
  for (std::size_t C : {1, 3, 4, 6, 16, 33}) {
    for (std::size_t n : {1, 5, 8, 16, 23, 70}) {
      for (bool relu : {false, true}) {
        const std::size_t stride = n + 3;
        const auto x = random_vector(C * stride, 11 + C + n);
        const auto M = random_vector(C * C, 5 + C);
        const auto b = random_vector(C, 9 + C);
        const auto center = random_vector(C, 13 + C);
        std::vector<float> scratch(C * n), want(x), got(x), in_place(x);
        channel_mix_f32_ref(want.data(), x.data(), stride, M.data(), center.data(), b.data(), C, n,
                            relu, scratch.data());
        channel_mix_f32(got.data(), x.data(), stride, M.data(), center.data(), b.data(), C, n, relu,
                        scratch.data());
        channel_mix_f32(in_place.data(), in_place.data(), stride, M.data(), center.data(), b.data(),
                        C, n, relu, scratch.data());
        EXPECT_TRUE(all_close(got, want, 1e-5f * C, 1e-5f)) << "C=" << C << " n=" << n;
        EXPECT_EQ(in_place, got) << "C=" << C << " n=" << n << ": in place differs";
      }
    }
  }
}

TEST(ChannelCovariance, ThreadedEqualsDirectSum) {
  const std::size_t C = 12, HW = 3000;  // several blocks of 512 and a partial one
  const auto x = correlated(C, HW, 21, 0.5f);
  const auto m = channel_means(x, C, HW);
  std::vector<double> direct(C * C);
  for (std::size_t i = 0; i < C; ++i) {
    for (std::size_t j = 0; j < C; ++j) {
      double s = 0;
      for (std::size_t p = 0; p < HW; ++p)
        s += (x[i * HW + p] - m[i]) * double(x[j * HW + p] - m[j]);
      direct[i * C + j] = s / HW;
    }
  }
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  const int thread_counts[] = {1};  // the kernel suites' WASM build has no threads
#else
  const int thread_counts[] = {1, 3};
#endif
  for (int threads : thread_counts) {
    set_num_threads(threads);
    const auto cov = covariance(x, m, C, HW);
    for (std::size_t e = 0; e < C * C; ++e) {
      ASSERT_NEAR(cov[e], direct[e], 1e-4 * (1 + std::fabs(direct[e]))) << "threads " << threads;
    }
  }
  set_num_threads(1);
}

TEST(Wct, ColoringIsTheSquareRoot) {
  const std::size_t C = 10, HW = 800;
  const auto s = correlated(C, HW, 31, 0.f);
  const auto cov = covariance(s, channel_means(s, C, HW), C, HW);
  auto root = wct_coloring(cov.data(), C);
  ASSERT_TRUE(root.ok()) << root.status().message();
  const auto& R = root.value();
  for (std::size_t i = 0; i < C; ++i) {
    for (std::size_t j = 0; j < C; ++j) {
      double sq = 0;
      for (std::size_t k = 0; k < C; ++k) sq += double(R[i * C + k]) * R[k * C + j];
      EXPECT_NEAR(sq, cov[i * C + j], 1e-4 * (1 + std::fabs(cov[i * C + j])));
      EXPECT_NEAR(R[i * C + j], R[j * C + i], 1e-5);
    }
  }
}

// The defining property: at strength 1 the output has the style's mean and its covariance,
// correlations between channels included (AdaIN matches only the diagonal).
TEST(Wct, OutputTakesTheStylesMeanAndCovariance) {
  const std::size_t C = 16, HW = 4096;
  const auto x = correlated(C, HW, 41, 1.f);
  const auto s = correlated(C, HW, 51, -2.f);
  const auto mx = channel_means(x, C, HW), ms = channel_means(s, C, HW);
  const auto cx = covariance(x, mx, C, HW), cs = covariance(s, ms, C, HW);
  auto coloring = wct_coloring(cs.data(), C);
  ASSERT_TRUE(coloring.ok());
  std::vector<float> M(C * C), b(C), y(x);
  ASSERT_TRUE(wct_affine(M.data(), b.data(), cx.data(), mx.data(), coloring.value().data(),
                         ms.data(), C, 1.f, 1e-5f)
                  .ok());
  channel_mix(y.data(), y.data(), M.data(), mx.data(), b.data(), C, HW, false);
  const auto my = channel_means(y, C, HW);
  const auto cy = covariance(y, my, C, HW);
  double scale = 0, worst = 0, before = 0;
  for (std::size_t e = 0; e < C * C; ++e) {
    scale = std::max(scale, std::fabs(cs[e]));
    worst = std::max(worst, std::fabs(cy[e] - cs[e]));
    before = std::max(before, std::fabs(cx[e] - cs[e]));
  }
  // The whitening floor (0.1% of the mean eigenvalue) keeps it from being exact.
  EXPECT_LT(worst, 0.02 * scale) << "covariance off by " << worst << " of " << scale;
  EXPECT_GT(before, 0.3 * scale) << "the test's photo and style are too alike to tell";
  for (std::size_t c = 0; c < C; ++c) EXPECT_NEAR(my[c], ms[c], 1e-3 * (1 + std::fabs(ms[c])));
}

TEST(Wct, StrengthZeroIsTheIdentityAndHalfIsBetween) {
  const std::size_t C = 8, HW = 600;
  const auto x = correlated(C, HW, 61, 0.3f);
  const auto s = correlated(C, HW, 71, 2.f);
  const auto mx = channel_means(x, C, HW), ms = channel_means(s, C, HW);
  const auto cx = covariance(x, mx, C, HW), cs = covariance(s, ms, C, HW);
  auto coloring = wct_coloring(cs.data(), C);
  ASSERT_TRUE(coloring.ok());
  std::vector<float> M(C * C), b(C);
  auto run = [&](float k) {
    std::vector<float> y(x.size());
    EXPECT_TRUE(wct_affine(M.data(), b.data(), cx.data(), mx.data(), coloring.value().data(),
                           ms.data(), C, k, 1e-5f)
                    .ok());
    channel_mix(y.data(), x.data(), M.data(), mx.data(), b.data(), C, HW, false);
    return y;
  };
  const auto none = run(0.f), full = run(1.f), half = run(0.5f);
  for (std::size_t i = 0; i < x.size(); ++i) {
    ASSERT_NEAR(none[i], x[i], 1e-6f * (1 + std::fabs(x[i])));  // (x - m) + m, rounded
    ASSERT_NEAR(half[i], 0.5f * (x[i] + full[i]), 1e-4f * (1 + std::fabs(full[i])));
  }
}

TEST(Wct, NonFiniteCovarianceIsAnError) {
  const std::size_t C = 4;
  std::vector<double> cov(C * C, 0.0);
  for (std::size_t c = 0; c < C; ++c) cov[c * C + c] = 1.0;
  cov[5] = NAN;
  auto coloring = wct_coloring(cov.data(), C);
  ASSERT_FALSE(coloring.ok());
  EXPECT_NE(coloring.status().message().find("not finite"), std::string::npos);
  std::vector<float> M(C * C), b(C), mean(C, 0.f), identity(C * C, 0.f);
  for (std::size_t c = 0; c < C; ++c) identity[c * C + c] = 1.f;
  const Status s = wct_affine(M.data(), b.data(), cov.data(), mean.data(), identity.data(),
                              mean.data(), C, 1.f, 1e-5f);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("photo's feature covariance"), std::string::npos) << s.message();
}

// A zero covariance (a flat photo, a dead channel) stays finite: the floor keeps S^{-1/2} bounded.
TEST(Wct, FlatPhotoStaysFinite) {
  const std::size_t C = 6, HW = 100;
  std::vector<float> x(C * HW, 0.25f);
  const auto s = correlated(C, HW, 81, 0.f);
  const auto mx = channel_means(x, C, HW), ms = channel_means(s, C, HW);
  const auto cx = covariance(x, mx, C, HW), cs = covariance(s, ms, C, HW);
  auto coloring = wct_coloring(cs.data(), C);
  ASSERT_TRUE(coloring.ok());
  std::vector<float> M(C * C), b(C), y(x.size());
  ASSERT_TRUE(wct_affine(M.data(), b.data(), cx.data(), mx.data(), coloring.value().data(),
                         ms.data(), C, 1.f, 1e-5f)
                  .ok());
  channel_mix(y.data(), x.data(), M.data(), mx.data(), b.data(), C, HW, false);
  for (std::size_t i = 0; i < y.size(); ++i) {
    ASSERT_TRUE(std::isfinite(y[i]));
    ASSERT_NEAR(y[i], ms[i / HW], 1e-4f);  // no variance to colour: the style's mean
  }
}

}  // namespace
}  // namespace instyle
