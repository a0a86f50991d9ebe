// The model runner against PyTorch: TransformerNet and friends exported by torch.onnx at
// opsets 8 (zoo layout) to 17, each run at two input sizes through one loaded model.
#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "model_test_util.h"
#include "parallel.h"
#include "test_util.h"

namespace instyle::model {
namespace {

using test::model_cases;
using test::read_file;
using test::read_floats;

std::unique_ptr<Model> load(const std::string& path) {
  const auto bytes = read_file(path);
  auto m = Model::load(bytes.data(), bytes.size());
  EXPECT_TRUE(m.ok()) << path << ": " << m.status().message();
  return m.ok() ? m.take() : nullptr;
}

double max_abs_diff(const float* a, const std::vector<float>& b) {
  double d = 0;
  for (std::size_t i = 0; i < b.size(); ++i) {
    d = std::max(d, std::fabs(double(a[i]) - double(b[i])));
    if (std::isnan(a[i])) return INFINITY;
  }
  return d;
}

TEST(Model, MatchesPyTorchAtEveryOpsetAndTwoSizes) {
  const auto cases = model_cases();
  ASSERT_GE(cases.size(), 30u) << "test models missing";
  std::map<std::string, std::unique_ptr<Model>> models;
  std::map<std::string, double> worst;  // model -> max diff / max|ref|
  for (const auto& c : cases) {
    auto& m = models[c.model];
    if (!m) m = load(c.model);
    ASSERT_TRUE(m);
    const auto x = read_floats(c.input);
    const auto ref = read_floats(c.output);
    ASSERT_EQ(x.size(), std::size_t(3 * c.h * c.w));
    const Status s = m->run({x.data()}, {{1, 3, c.h, c.w}});
    ASSERT_TRUE(s.ok()) << c.model << ": " << s.message();
    ASSERT_EQ(m->output_shape(0), (Shape{1, 3, c.oh, c.ow})) << c.model;
    const double diff = max_abs_diff(m->output(0), ref);
    const double scale = test::max_abs(ref);
    EXPECT_LE(diff, 1e-3 * scale) << c.model << " at " << c.h << "x" << c.w;
    worst[c.model.substr(c.model.find_last_of('/') + 1)] =
        std::max(worst[c.model.substr(c.model.find_last_of('/') + 1)], diff / scale);
  }
  for (const auto& [name, rel] : worst) {
    std::printf("  %-32s max |diff| / max |ref| = %.2e\n", name.c_str(), rel);
  }
}

TEST(Model, InfoCountsTransformerNetParameters) {
  const std::string dir = test::test_models_dir();
  for (const char* name :
       {"transformer.opset9.onnx", "transformer.opset13.onnx", "transformer.zoo8.onnx"}) {
    auto m = load(dir + "/" + name);
    ASSERT_TRUE(m);
    auto info = m->info({{1, 3, 1024, 1024}});
    ASSERT_TRUE(info.ok()) << info.status().message();
    const ModelInfo& i = info.value();
    // pytorch/examples' TransformerNet: sum(p.numel() for p in net.parameters()).
    EXPECT_EQ(i.parameters, 1679235) << name;
    EXPECT_EQ(i.norm_layers, 15) << name;
    EXPECT_EQ(i.output_shape, (Shape{1, 3, 1024, 1024}));
    // 16 convolutions; their FLOPs are about 20.2 G at 256x256, so 16x at 1024x1024.
    EXPECT_NEAR(i.flops / 1e9, 16 * 20.2, 16 * 0.3) << name;
    // The largest activation is 32 channels at full size (128 MiB). Liveness keeps the arena
    // to the largest step's input and output, where keeping every activation would need 2 GiB
    // and more; with the upsamplings folded into their convs (the 64-channel full-size tensor
    // is never made) that step is the last upsampling conv: 64 channels at half size in, 32 at
    // full size out, 1.5x the largest (it was 3x with the upsampled tensor).
    const std::size_t big = std::size_t(32) * 1024 * 1024 * 4;
    EXPECT_LE(i.arena_bytes, big * 3 / 2 + (std::size_t(1) << 20)) << name;
    EXPECT_GE(i.arena_bytes, big * 3 / 2) << name;
    std::printf(
        "  %s at 1024x1024: %zu steps, arena %.1f MiB, workspace %.1f MiB, "
        "weights %.1f MiB, io %.1f MiB, peak %.1f MiB\n",
        name, i.steps, i.arena_bytes / 1048576.0, i.workspace_bytes / 1048576.0,
        i.weight_bytes / 1048576.0, i.io_bytes / 1048576.0, i.peak_bytes / 1048576.0);
  }
}

TEST(Model, FusesPaddingUpsamplingAndReluIntoTheirNeighbours) {
  auto m = load(test::test_models_dir() + "/transformer.opset13.onnx");
  ASSERT_TRUE(m);
  auto info = m->info({{1, 3, 64, 64}});
  ASSERT_TRUE(info.ok());
  // 16 convs (reflection padding and the 2 upsamplings folded in), 15 INs (their ReLUs folded
  // in) and 5 adds: nothing else is left once the shape arithmetic is folded.
  EXPECT_EQ(info.value().steps, 16u + 15u + 5u);
}

TEST(Model, StepwiseRunMatchesRunAndReportsProgress) {
  auto m = load(test::test_models_dir() + "/small.opset11.onnx");
  ASSERT_TRUE(m);
  const auto x = test::random_vector(3 * 40 * 36, 7, 0.f, 255.f);
  ASSERT_TRUE(m->run({x.data()}, {{1, 3, 40, 36}}).ok());
  const std::vector<float> once(m->output(0), m->output(0) + 3 * 40 * 36);
  ASSERT_TRUE(m->start({x.data()}, {{1, 3, 40, 36}}).ok());
  double last = -1;
  int steps = 0;
  while (!m->done()) {
    EXPECT_EQ(m->output(0), nullptr);  // no output before the end
    ASSERT_TRUE(m->step().ok());
    EXPECT_GE(m->progress(), last);
    last = m->progress();
    ++steps;
  }
  EXPECT_GT(steps, 5);
  EXPECT_EQ(last, 1.0);
  EXPECT_TRUE(
      test::all_close(std::vector<float>(m->output(0), m->output(0) + once.size()), once, 0.f));
}

TEST(Model, TwoThreadsGiveTheSameBits) {
  auto m = load(test::test_models_dir() + "/small.opset13.onnx");
  ASSERT_TRUE(m);
  const auto x = test::random_vector(3 * 48 * 64, 8, 0.f, 255.f);
  set_num_threads(1);
  ASSERT_TRUE(m->run({x.data()}, {{1, 3, 48, 64}}).ok());
  const std::vector<float> one(m->output(0), m->output(0) + 3 * 48 * 64);
  set_num_threads(2);
  ASSERT_TRUE(m->run({x.data()}, {{1, 3, 48, 64}}).ok());
  const std::vector<float> two(m->output(0), m->output(0) + 3 * 48 * 64);
  set_num_threads(1);
  EXPECT_TRUE(test::all_close(two, one, 0.f));
}

TEST(Model, RecordedStatisticsReplayExactly) {
  auto m = load(test::test_models_dir() + "/small.opset16.onnx");
  ASSERT_TRUE(m);
  const Shape shape{1, 3, 32, 40};
  const auto a = test::random_vector(3 * 32 * 40, 9, 0.f, 255.f);
  const auto b = test::random_vector(3 * 32 * 40, 10, 0.f, 255.f);
  NormStats stats;
  RunOptions record;
  record.record = &stats;
  ASSERT_TRUE(m->run({a.data()}, {shape}, record).ok());
  const std::vector<float> ya(m->output(0), m->output(0) + a.size());
  ASSERT_EQ(stats.mean.size(), 9u);  // 3 down, 2 residual blocks of 2, 2 up
  EXPECT_EQ(stats.mean[0].size(), 8u);
  // Replaying a's statistics on a reproduces a exactly (same numbers, same kernels).
  RunOptions replay;
  replay.replay = &stats;
  ASSERT_TRUE(m->run({a.data()}, {shape}, replay).ok());
  EXPECT_TRUE(test::all_close(std::vector<float>(m->output(0), m->output(0) + a.size()), ya, 0.f));
  // On b, a's statistics give something else than b's own.
  ASSERT_TRUE(m->run({b.data()}, {shape}).ok());
  const std::vector<float> yb(m->output(0), m->output(0) + b.size());
  ASSERT_TRUE(m->run({b.data()}, {shape}, replay).ok());
  EXPECT_FALSE(
      test::all_close(std::vector<float>(m->output(0), m->output(0) + b.size()), yb, 1e-2f));
  // Statistics of the wrong layer count or width are refused, not read out of bounds.
  NormStats wrong = stats;
  wrong.mean[3].pop_back();
  replay.replay = &wrong;
  const Status s = m->run({a.data()}, {shape}, replay);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
}

// The basis of tiled inference (Thumbnail Instance Normalization): a tile run with the
// whole image's IN statistics reproduces the whole image's output inside the tile, once the
// tile's margin covers the receptive field; with the tile's own statistics it does not.
TEST(Model, TileWithReplayedStatisticsMatchesTheFullImage) {
  auto m = load(test::test_models_dir() + "/small.opset13.onnx");
  ASSERT_TRUE(m);
  const int64_t S = 160, T0 = 24, T = 112, C0 = 64, CS = 32;  // tile [24, 136), checked [64, 96)
  const auto x = test::random_vector(3 * S * S, 11, 0.f, 255.f);
  NormStats stats;
  RunOptions record;
  record.record = &stats;
  ASSERT_TRUE(m->run({x.data()}, {{1, 3, S, S}}, record).ok());
  const std::vector<float> full(m->output(0), m->output(0) + 3 * S * S);
  std::vector<float> tile(3 * T * T);
  for (int64_t c = 0; c < 3; ++c) {
    for (int64_t y = 0; y < T; ++y) {
      for (int64_t xx = 0; xx < T; ++xx)
        tile[(c * T + y) * T + xx] = x[(c * S + T0 + y) * S + T0 + xx];
    }
  }
  auto center_diff = [&](const float* out) {
    double d = 0;
    for (int64_t c = 0; c < 3; ++c) {
      for (int64_t y = C0; y < C0 + CS; ++y) {
        for (int64_t xx = C0; xx < C0 + CS; ++xx) {
          d = std::max(d, std::fabs(double(out[(c * T + y - T0) * T + xx - T0]) -
                                    double(full[(c * S + y) * S + xx])));
        }
      }
    }
    return d;
  };
  RunOptions replay;
  replay.replay = &stats;
  ASSERT_TRUE(m->run({tile.data()}, {{1, 3, T, T}}, replay).ok());
  const double shared = center_diff(m->output(0));
  ASSERT_TRUE(m->run({tile.data()}, {{1, 3, T, T}}).ok());
  const double naive = center_diff(m->output(0));
  const double scale = test::max_abs(full);
  std::printf(
      "  tile centre vs full image: %.2e with shared statistics, %.2e with its own (max |y| "
      "%.1f)\n",
      shared, naive, scale);
  EXPECT_LE(shared, 1e-4 * scale);
  EXPECT_GE(naive, 1e-2 * scale);
}

// The fast-neural-style TransformerNet: a 9x9 convolution (reach 4), two stride-2 3x3 ones
// (1 + 2), ten 3x3 ones at stride 4 (40), two nearest upsamplings each followed by a 3x3
// (a neighbour each: 4 + 2, reach 2 + 1) and a 9x9 (4): 60 pixels of reach, and 1.5 more by
// which the strides and upsamplings shift pixel centres; total stride 4.
TEST(Model, ReceptiveFieldOfTheStyleNetwork) {
  auto m = load(test::test_models_dir() + "/transformer.opset13.onnx");
  ASSERT_TRUE(m);
  auto rf = m->receptive_field({{1, 3, 64, 64}});
  ASSERT_TRUE(rf.ok()) << rf.status().message();
  std::printf("  radius %.1f, stride %zu, margin %zu\n", rf.value().radius, rf.value().align,
              rf.value().margin());
  EXPECT_EQ(rf.value().align, 4u);
  EXPECT_DOUBLE_EQ(rf.value().radius, 61.5);
  EXPECT_EQ(rf.value().margin(), 64u);
}

// Tiles cut on the stride grid, each with the receptive field's margin inside the image and
// none past its edges, run with the whole image's statistics, put together the whole image's
// output, every pixel; with each tile's own statistics they do not.
TEST(Model, TilesWithTheReceptiveFieldMarginRebuildTheImage) {
  auto m = load(test::test_models_dir() + "/small.opset13.onnx");
  ASSERT_TRUE(m);
  const int64_t H = 136, W = 200;
  const auto x = test::random_vector(3 * H * W, 12, 0.f, 255.f);
  NormStats stats;
  RunOptions record;
  record.record = &stats;
  ASSERT_TRUE(m->run({x.data()}, {{1, 3, H, W}}, record).ok());
  const std::vector<float> full(m->output(0), m->output(0) + 3 * H * W);
  auto rf = m->receptive_field({{1, 3, H, W}});
  ASSERT_TRUE(rf.ok()) << rf.status().message();
  const int64_t margin = int64_t(rf.value().margin()), core = 8 * int64_t(rf.value().align);
  ASSERT_LT(margin, 48) << "the small network's field should leave room for several tiles";

  for (const bool shared : {true, false}) {
    std::vector<float> rebuilt(full.size(), -1.f);
    for (int64_t cy = 0; cy < H; cy += core) {
      for (int64_t cx = 0; cx < W; cx += core) {
        const int64_t y0 = std::max<int64_t>(0, cy - margin), y1 = std::min(H, cy + core + margin);
        const int64_t x0 = std::max<int64_t>(0, cx - margin), x1 = std::min(W, cx + core + margin);
        const int64_t th = y1 - y0, tw = x1 - x0;
        std::vector<float> tile(3 * th * tw);
        for (int64_t c = 0; c < 3; ++c) {
          for (int64_t y = 0; y < th; ++y) {
            std::copy_n(&x[(c * H + y0 + y) * W + x0], tw, &tile[(c * th + y) * tw]);
          }
        }
        RunOptions options;
        if (shared) options.replay = &stats;
        ASSERT_TRUE(m->run({tile.data()}, {{1, 3, th, tw}}, options).ok());
        const float* out = m->output(0);
        for (int64_t c = 0; c < 3; ++c) {
          for (int64_t y = cy; y < std::min(H, cy + core); ++y) {
            for (int64_t xx = cx; xx < std::min(W, cx + core); ++xx) {
              rebuilt[(c * H + y) * W + xx] = out[(c * th + y - y0) * tw + xx - x0];
            }
          }
        }
      }
    }
    double worst = 0;
    for (std::size_t i = 0; i < full.size(); ++i)
      worst = std::max(worst, std::fabs(double(rebuilt[i]) - full[i]));
    const double scale = test::max_abs(full);
    std::printf("  %s statistics: max |tiled - whole| %.2e (max |y| %.1f, margin %lld)\n",
                shared ? "shared" : "per-tile", worst, scale, static_cast<long long>(margin));
    if (shared) {
      EXPECT_LE(worst, 1e-4 * scale);
    } else {
      EXPECT_GE(worst, 1e-2 * scale);
    }
  }
}

TEST(Model, RejectsInputShapesTheModelCannotTake) {
  auto m = load(test::test_models_dir() + "/small.opset11.onnx");
  ASSERT_TRUE(m);
  const std::vector<float> x(4 * 8 * 8, 1.f);
  Status s = m->run({x.data()}, {{1, 4, 8, 8}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "input 'input' must be [1,3,height,width], got [1,4,8,8]");
  s = m->run({x.data()}, {{1, 3, 8}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.message();
  // Too small for 9x9 reflection padding: a clear error naming the node.
  s = m->run({x.data()}, {{1, 3, 2, 2}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.message();
  EXPECT_NE(s.message().find("node '"), std::string::npos) << s.message();
  // Still usable afterwards.
  const auto y = test::random_vector(3 * 16 * 16, 3, 0.f, 255.f);
  EXPECT_TRUE(m->run({y.data()}, {{1, 3, 16, 16}}).ok());
  // The zoo layout declares [1,3,224,224]; height and width are free all the same, the
  // channels are not.
  auto zoo = load(test::test_models_dir() + "/transformer.zoo8.onnx");
  ASSERT_TRUE(zoo);
  EXPECT_TRUE(zoo->run({y.data()}, {{1, 3, 16, 16}}).ok());
  s = zoo->run({x.data()}, {{1, 4, 8, 8}});
  EXPECT_EQ(s.message(), "input 'input' must be [1,3,H,W], got [1,4,8,8]");
  // Too large to plan: refused before allocating anything.
  s = m->run({y.data()}, {{1, 3, 1 << 20, 1 << 20}});
  EXPECT_EQ(s.code(), ErrorCode::kOutOfMemory) << s.message();
}

}  // namespace
}  // namespace instyle::model
