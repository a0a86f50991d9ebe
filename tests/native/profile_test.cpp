// The step profile (src/model/profile.h): one entry per planned step, with the fused kinds'
// labels, FLOPs that add up to info()'s, times that are real, and a run that still gives the
// same output afterwards.
#include "model/profile.h"

#include <numeric>
#include <vector>

#include "model_test_util.h"
#include "test_util.h"

namespace instyle::model {
namespace {

TEST(Profile, OneEntryPerStepWithLabelsFlopsAndTimes) {
  const auto bytes = test::read_file(test::test_models_dir() + "/transformer.opset13.onnx");
  auto loaded = Model::load(bytes.data(), bytes.size());
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  Model& m = *loaded.value();
  const Shape shape{1, 3, 40, 48};
  std::vector<float> x(3 * 40 * 48);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 251);

  auto steps = profile(m, {x.data()}, {shape}, 3);
  ASSERT_TRUE(steps.ok()) << steps.status().message();
  auto info = m.info({shape});
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(steps.value().size(), info.value().steps);
  double flops = 0, ms = 0;
  for (const StepProfile& s : steps.value()) {
    flops += s.flops;
    ms += s.ms;
    EXPECT_FALSE(s.label.empty());
    EXPECT_GE(s.ms, 0.0);
    EXPECT_EQ(s.output.size(), 4u);
  }
  EXPECT_DOUBLE_EQ(flops, info.value().flops);
  EXPECT_GT(ms, 0.0);
  // The TransformerNet's first layer: a 9x9 convolution 3 -> 32 with its norm's ReLU not fused
  // (a norm sits between), and Winograd for the residual blocks' 3x3 convolutions.
  EXPECT_EQ(steps.value().front().label.rfind("Conv 9x9/1 3->", 0), 0u)
      << steps.value().front().label;
  const auto winograd = std::count_if(steps.value().begin(), steps.value().end(),
                                      [](const auto& s) { return s.group == "Conv 3x3 winograd"; });
  EXPECT_GE(winograd, 10);
  const std::string table = format_profile(steps.value());
  EXPECT_NE(table.find("by kind"), std::string::npos);
  EXPECT_NE(table.find("Conv 3x3 winograd"), std::string::npos);

  // A profile leaves the model as it was: a run gives the same output as on a fresh model.
  ASSERT_TRUE(m.run({x.data()}, {shape}).ok());
  auto fresh = Model::load(bytes.data(), bytes.size());
  ASSERT_TRUE(fresh.ok());
  ASSERT_TRUE(fresh.value()->run({x.data()}, {shape}).ok());
  const std::size_t n = 3 * 40 * 48;
  EXPECT_TRUE(std::equal(m.output(0), m.output(0) + n, fresh.value()->output(0)));
}

TEST(Profile, ErrorsComeBackAsStatus) {
  const auto bytes = test::read_file(test::test_models_dir() + "/transformer.opset13.onnx");
  auto m = Model::load(bytes.data(), bytes.size());
  ASSERT_TRUE(m.ok());
  std::vector<float> x(3 * 8 * 8);
  auto r = profile(*m.value(), {x.data()}, {{1, 4, 8, 8}}, 1);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace instyle::model
