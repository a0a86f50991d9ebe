// test_util.h: helpers shared by the native suites: seeded random tensors, tolerant
// comparisons that report the worst element, and the shape grids the SIMD/scalar tests sweep.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

namespace instyle::test {

inline std::vector<float> random_vector(std::size_t n, std::uint32_t seed, float lo = -1.f,
                                        float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> normal_vector(std::size_t n, std::uint32_t seed, float mean = 0.f,
                                        float stddev = 1.f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, stddev);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Passes when |a[i] - b[i]| <= atol + rtol * |b[i]| for every i; otherwise reports the worst.
inline ::testing::AssertionResult all_close(const std::vector<float>& a,
                                            const std::vector<float>& b, float atol,
                                            float rtol = 0.f) {
  if (a.size() != b.size()) {
    return ::testing::AssertionFailure() << "sizes differ: " << a.size() << " vs " << b.size();
  }
  std::size_t worst = 0;
  double worst_excess = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const double diff = std::fabs(double(a[i]) - double(b[i]));
    const double excess = diff - (atol + rtol * std::fabs(double(b[i])));
    if (!(excess <= 0.0) && (excess > worst_excess || std::isnan(diff))) {
      worst = i;
      worst_excess = std::isnan(diff) ? INFINITY : excess;
    }
  }
  if (worst_excess > 0.0) {
    return ::testing::AssertionFailure()
           << "element " << worst << ": " << a[worst] << " vs " << b[worst] << " (atol " << atol
           << ", rtol " << rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

inline float max_abs(const std::vector<float>& v) {
  float m = 0.f;
  for (float x : v) m = std::max(m, std::fabs(x));
  return m;
}

// Sizes around the SIMD width (4 lanes in WASM, 8 with AVX2): below, equal, above, not divisible.
inline const std::vector<std::size_t>& odd_lengths() {
  static const std::vector<std::size_t> v = {1,  3,  4,  5,  7,  8,   9,   15,
                                             16, 17, 31, 33, 64, 100, 1000};
  return v;
}

}  // namespace instyle::test
