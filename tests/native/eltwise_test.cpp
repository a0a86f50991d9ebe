#include "eltwise.h"

#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::odd_lengths;
using test::random_vector;

TEST(Eltwise, AddMatchesReferenceWithAndWithoutRelu) {
  for (std::size_t n : odd_lengths()) {
    for (bool relu : {false, true}) {
      const auto a = random_vector(n, 1), b = random_vector(n, 2);
      std::vector<float> y(n), ref(n);
      add_f32(y.data(), a.data(), b.data(), n, relu);
      add_f32_ref(ref.data(), a.data(), b.data(), n, relu);
      EXPECT_TRUE(all_close(y, ref, 0.f)) << "n=" << n << " relu=" << relu;
    }
  }
}

TEST(Eltwise, AddInPlace) {
  const std::size_t n = 37;
  auto a = random_vector(n, 3);
  const auto b = random_vector(n, 4);
  std::vector<float> ref(n);
  add_f32_ref(ref.data(), a.data(), b.data(), n, true);
  add_f32(a.data(), a.data(), b.data(), n, true);
  EXPECT_TRUE(all_close(a, ref, 0.f));
}

TEST(Eltwise, ReluAndClampMatchReference) {
  for (std::size_t n : odd_lengths()) {
    const auto x = random_vector(n, 5, -300.f, 300.f);
    std::vector<float> y(n), ref(n);
    relu_f32(y.data(), x.data(), n);
    relu_f32_ref(ref.data(), x.data(), n);
    EXPECT_TRUE(all_close(y, ref, 0.f)) << "relu n=" << n;
    clamp_f32(y.data(), x.data(), n, 0.f, 255.f);
    clamp_f32_ref(ref.data(), x.data(), n, 0.f, 255.f);
    EXPECT_TRUE(all_close(y, ref, 0.f)) << "clamp n=" << n;
    for (float v : y) ASSERT_TRUE(v >= 0.f && v <= 255.f);
  }
}

}  // namespace
}  // namespace instyle
