// The checked, threaded entry points (src/api.h): arguments are validated with a code and a
// message naming the argument, results match the scalar references, and any thread count
// gives bit-identical results (work is split by whole planes, groups and output channels).
#include "api.h"

#include <string>
#include <vector>

#include "conv.h"
#include "norm.h"
#include "parallel.h"
#include "test_util.h"

namespace instyle {
namespace {

using test::all_close;
using test::normal_vector;
using test::random_vector;

Span out(std::vector<float>& v) {
  return {v.data(), v.size()};
}
ConstSpan in(const std::vector<float>& v) {
  return {v.data(), v.size()};
}

// Runs fn with 1 thread and with 3, restoring 1 afterwards.
template <typename F>
void with_threads(int n, F&& fn) {
  set_num_threads(n);
  fn();
  set_num_threads(1);
}

TEST(Api, InstanceNormMatchesReferenceAndIsThreadInvariant) {
  const Shape4 s{2, 13, 7, 13};
  const std::size_t n = 2 * 13 * 7 * 13, plane = 7 * 13;
  const auto x = normal_vector(n, 1, 3.f, 2.f);
  const auto gamma = random_vector(13, 2), beta = random_vector(13, 3);
  std::vector<float> ref(n), one(n), three(n);
  instance_norm_f32_ref(ref.data(), x.data(), gamma.data(), beta.data(), 2, 13, plane, 1e-5f, true);
  ASSERT_TRUE(instance_norm(out(one), in(x), s, in(gamma), in(beta), 1e-5f, true).ok());
  with_threads(3, [&] {
    ASSERT_TRUE(instance_norm(out(three), in(x), s, in(gamma), in(beta), 1e-5f, true).ok());
  });
  EXPECT_TRUE(all_close(one, ref, 1e-4f, 1e-4f));
  EXPECT_EQ(one, three);
}

TEST(Api, InstanceNormInPlace) {
  const Shape4 s{1, 3, 5, 7};
  auto x = random_vector(105, 4);
  std::vector<float> ref(105);
  instance_norm_f32_ref(ref.data(), x.data(), nullptr, nullptr, 1, 3, 35, 1e-5f, false);
  ASSERT_TRUE(
      instance_norm({x.data(), x.size()}, {x.data(), x.size()}, s, {}, {}, 1e-5f, false).ok());
  EXPECT_TRUE(all_close(x, ref, 1e-4f, 1e-4f));
}

TEST(Api, ErrorsNameTheArgument) {
  std::vector<float> x(60), y(60), g2(2);
  const Shape4 s{1, 3, 4, 5};
  std::vector<float> x59(59);
  Status st = instance_norm(out(y), in(x59), s, {}, {}, 1e-5f, false);
  EXPECT_EQ(st.code(), ErrorCode::kShapeMismatch);
  EXPECT_EQ(st.message(), "instanceNorm: x has 59 elements but shape [1,3,4,5] needs 60");

  st = instance_norm(out(y), in(x), Shape4{1, 0, 4, 5}, {}, {}, 1e-5f, false);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("C = 0"), std::string::npos) << st.message();

  st = instance_norm(out(y), in(x), s, in(g2), {}, 1e-5f, false);
  EXPECT_EQ(st.code(), ErrorCode::kShapeMismatch);
  EXPECT_EQ(st.message(), "instanceNorm: gamma has 2 elements but needs C = 3");

  st = layer_norm(out(y), in(x), s, {}, {}, -1.f);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("eps"), std::string::npos);

  st = group_norm(out(y), in(x), s, 2, {}, {}, 1e-5f, false);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "groupNorm: groups = 2 must be a positive divisor of C = 3");

  st = instance_norm(out(y), in(x), Shape4{1, 64, 16384, 16384}, {}, {}, 1e-5f, false);
  EXPECT_EQ(st.code(), sizeof(void*) == 4 ? ErrorCode::kOutOfMemory : ErrorCode::kShapeMismatch)
      << st.message();
  st = instance_norm(out(y), in(x), Shape4{1 << 30, 1 << 30, 1 << 30, 1 << 30}, {}, {}, 1e-5f,
                     false);
  EXPECT_EQ(st.code(), ErrorCode::kOutOfMemory) << st.message();
  EXPECT_STREQ(error_code_name(st.code()), "OUT_OF_MEMORY");
}

TEST(Api, BatchNormTrainingAndGroupNormMatchReferences) {
  const Shape4 s{3, 6, 5, 9};
  const std::size_t n = 3 * 6 * 45;
  const auto x = normal_vector(n, 5, -1.f, 2.f);
  std::vector<float> y(n), ref(n), mean(6), var(6), ref_mean(6), ref_var(6);
  ASSERT_TRUE(batch_norm_train(out(y), out(mean), out(var), in(x), s, {}, {}, 1e-5f, false).ok());
  batch_norm_train_f32_ref(ref.data(), ref_mean.data(), ref_var.data(), x.data(), nullptr, nullptr,
                           3, 6, 45, 1e-5f, false);
  EXPECT_TRUE(all_close(y, ref, 1e-4f, 1e-4f));
  EXPECT_TRUE(all_close(mean, ref_mean, 1e-5f, 1e-5f));
  for (std::int64_t groups : {1, 2, 3, 6}) {
    std::vector<float> one(n), three(n);
    group_norm_f32_ref(ref.data(), x.data(), nullptr, nullptr, 3, 6, 45, groups, 1e-5f, true);
    ASSERT_TRUE(group_norm(out(one), in(x), s, groups, {}, {}, 1e-5f, true).ok());
    with_threads(3, [&] {
      ASSERT_TRUE(group_norm(out(three), in(x), s, groups, {}, {}, 1e-5f, true).ok());
    });
    EXPECT_TRUE(all_close(one, ref, 1e-4f, 1e-4f)) << "groups " << groups;
    EXPECT_EQ(one, three) << "groups " << groups;
  }
}

TEST(Api, AdainWithSharedStyle) {
  const Shape4 cs{2, 3, 4, 5}, ss{1, 3, 6, 2};
  const auto content = normal_vector(120, 6, 1.f, 2.f), style = normal_vector(36, 7, -2.f, 0.5f);
  std::vector<float> y(120), ref(120), mean(3), stddev(3), mean2(6), std2(6);
  ASSERT_TRUE(adain(out(y), in(content), cs, in(style), ss, 0.75f, 1e-5f).ok());
  style_stats_f32(mean.data(), stddev.data(), style.data(), 1, 3, 12, 1e-5f);
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 3; ++c) mean2[n * 3 + c] = mean[c], std2[n * 3 + c] = stddev[c];
  }
  adain_f32_ref(ref.data(), content.data(), mean2.data(), std2.data(), 2, 3, 20, 0.75f, 1e-5f);
  EXPECT_TRUE(all_close(y, ref, 1e-4f, 1e-4f));
  const Status st = adain(out(y), in(content), cs, in(style), Shape4{1, 2, 6, 3}, 1.f, 1e-5f);
  EXPECT_EQ(st.code(), ErrorCode::kShapeMismatch);
}

struct ConvCase {
  Shape4 x, w;
  Conv2dParams p;
};

TEST(Api, Conv2dMatchesReferenceWithAnyThreadCount) {
  std::vector<ConvCase> cases(5);
  cases[0] = {{1, 3, 9, 11}, {8, 3, 3, 3}, {}};  // one sample, one group: split by output channel
  cases[0].p.pad_top = cases[0].p.pad_left = cases[0].p.pad_bottom = cases[0].p.pad_right = 1;
  cases[0].p.pad_mode = PadMode::kReflect;
  cases[1] = {{2, 6, 7, 5}, {6, 1, 3, 3}, {}};  // depthwise
  cases[1].p.groups = 6;
  cases[1].p.pad_top = cases[1].p.pad_bottom = 1;
  cases[2] = {{1, 4, 8, 8}, {6, 2, 5, 5}, {}};  // two groups, stride 2
  cases[2].p.groups = 2;
  cases[2].p.stride_h = cases[2].p.stride_w = 2;
  cases[2].p.pad_top = cases[2].p.pad_left = cases[2].p.pad_bottom = cases[2].p.pad_right = 2;
  cases[2].p.pad_mode = PadMode::kEdge;
  cases[3] = {{3, 2, 5, 6}, {5, 2, 1, 1}, {}};  // 1x1, three samples
  cases[3].p.relu = true;
  cases[4] = {{2, 16, 23, 19}, {3, 16, 3, 3}, {}};  // Winograd: split by output rows
  cases[4].p.pad_top = cases[4].p.pad_left = cases[4].p.pad_bottom = cases[4].p.pad_right = 1;
  cases[4].p.pad_mode = PadMode::kReflect;
  for (std::size_t k = 0; k < cases.size(); ++k) {
    const ConvCase& c = cases[k];
    Shape4 ys;
    ASSERT_TRUE(conv2d_output_shape(&ys, c.x, c.w, c.p).ok());
    const std::size_t xn = c.x.n * c.x.c * c.x.h * c.x.w, wn = c.w.n * c.w.c * c.w.h * c.w.w;
    const std::size_t yn = ys.n * ys.c * ys.h * ys.w;
    const auto x = random_vector(xn, 10 + k), w = random_vector(wn, 20 + k),
               bias = random_vector(c.w.n, 30 + k);
    Conv2dShape s;
    s.N = c.x.n, s.C = c.x.c, s.H = c.x.h, s.W = c.x.w, s.O = c.w.n, s.kH = c.w.h, s.kW = c.w.w;
    s.stride_h = c.p.stride_h, s.stride_w = c.p.stride_w, s.groups = c.p.groups;
    s.pad_top = c.p.pad_top, s.pad_left = c.p.pad_left, s.pad_bottom = c.p.pad_bottom,
    s.pad_right = c.p.pad_right, s.pad_mode = c.p.pad_mode;
    ASSERT_EQ(s.out_h(), std::size_t(ys.h));
    std::vector<float> ref(yn), one(yn), three(yn);
    conv2d_f32_ref(ref.data(), x.data(), w.data(), bias.data(), s, c.p.relu, nullptr);
    ASSERT_TRUE(conv2d(out(one), in(x), c.x, in(w), c.w, in(bias), c.p).ok()) << k;
    with_threads(3, [&] {
      ASSERT_TRUE(conv2d(out(three), in(x), c.x, in(w), c.w, in(bias), c.p).ok()) << k;
    });
    EXPECT_TRUE(all_close(one, ref, 1e-4f, 1e-4f)) << "case " << k;
    EXPECT_EQ(one, three) << "case " << k;
  }
}

TEST(Api, Conv2dRejectsBadParameters) {
  Shape4 ys;
  Conv2dParams p;
  p.pad_mode = PadMode::kReflect;
  p.pad_top = 4;
  Status st = conv2d_output_shape(&ys, {1, 3, 4, 5}, {2, 3, 3, 3}, p);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("reflect"), std::string::npos) << st.message();
  st = conv2d_output_shape(&ys, {1, 3, 4, 5}, {2, 3, 7, 3}, {});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("larger than the padded input"), std::string::npos) << st.message();
  st = conv2d_output_shape(&ys, {1, 3, 4, 5}, {2, 2, 3, 3}, {});
  EXPECT_EQ(st.code(), ErrorCode::kShapeMismatch);
  Conv2dParams zero_stride;
  zero_stride.stride_w = 0;
  st = conv2d_output_shape(&ys, {1, 3, 4, 5}, {2, 3, 3, 3}, zero_stride);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("stride (width) = 0"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace instyle
