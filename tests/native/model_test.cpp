// The model runner against PyTorch: TransformerNet and friends exported by torch.onnx at
// opsets 8 (zoo layout) to 17, each run at two input sizes through one loaded model.
#include "model/model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "conv.h"
#include "model_test_util.h"
#include "onnx_writer.h"
#include "parallel.h"
#include "pool.h"
#include "resize.h"
#include "test_util.h"

namespace instyle::model {
namespace {

// Rows [y0, y1) and columns [x0, x1) of every channel of a [C, H, W] image: a tile's input.
std::vector<float> crop(const std::vector<float>& x, int64_t C, int64_t H, int64_t W, int64_t y0,
                        int64_t y1, int64_t x0, int64_t x1) {
  const int64_t th = y1 - y0, tw = x1 - x0;
  std::vector<float> tile(static_cast<std::size_t>(C * th * tw));
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t y = 0; y < th; ++y) {
      std::copy_n(&x[(c * H + y0 + y) * W + x0], tw, &tile[(c * th + y) * tw]);
    }
  }
  return tile;
}

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
        const std::vector<float> tile = crop(x, 3, H, W, y0, y1, x0, x1);
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

// A VGG-style block written by hand: Conv 3x3 + Relu, MaxPool 3x3/1 (pads 1), AveragePool
// 2x2/2, and a nearest x2 Resize back to the input's scale, against the kernels' scalar
// references run in turn.
std::string pool_block_model(const std::vector<float>& w, const std::vector<float>& b) {
  using test::attr_ints;
  using test::attr_string;
  using test::node;
  return test::model(
             13,
             test::graph(
                 {node("Conv", {"x", "w", "b"}, {"c"}, "conv",
                       {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})}),
                  node("Relu", {"c"}, {"r"}, "relu"),
                  node("MaxPool", {"r"}, {"m"}, "max",
                       {attr_ints("kernel_shape", {3, 3}), attr_ints("pads", {1, 1, 1, 1})}),
                  node("AveragePool", {"m"}, {"a"}, "avg",
                       {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})}),
                  node("Resize", {"a", "", "scales"}, {"y"}, "up",
                       {attr_string("mode", "nearest")})},
                 {test::float_tensor("w", {3, 2, 3, 3}, w), test::float_tensor("b", {3}, b),
                  test::float_tensor("scales", {4}, {1, 1, 2, 2})},
                 {test::value_info("x", {1, 2, -1, -1})}, {test::value_info("y", {1, 3, -1, -1})}))
      .str();
}

std::unique_ptr<Model> load_bytes(const std::string& bytes, Status* status) {
  auto m = Model::load(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  *status = m.status();
  return m.ok() ? m.take() : nullptr;
}

std::vector<float> pool_block_reference(const std::vector<float>& x, const std::vector<float>& w,
                                        const std::vector<float>& b, std::size_t H, std::size_t W) {
  Conv2dShape c{1, 2, H, W, 3, 3, 3};
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  std::vector<float> conv(3 * H * W), ws(conv2d_workspace_size(c));
  conv2d_f32_ref(conv.data(), x.data(), w.data(), b.data(), c, /*relu=*/true, ws.data());
  Pool2dShape mp{3, H, W, H, W, 3, 3};
  mp.pad_top = mp.pad_left = 1;
  std::vector<float> maxed(3 * H * W), avg(3 * (H / 2) * (W / 2)), y(3 * H * W);
  pool2d_f32_ref(maxed.data(), conv.data(), mp, nullptr);
  Pool2dShape ap{3, H, W, H / 2, W / 2, 2, 2, 2, 2};
  ap.mode = PoolMode::kAverage;
  pool2d_f32_ref(avg.data(), maxed.data(), ap, nullptr);
  upsample_nearest_f32_ref(y.data(), avg.data(), 3, H / 2, W / 2, 2, 2);
  return y;
}

TEST(Model, RunsAveragePoolAndMaxPool) {
  const auto w = test::random_vector(3 * 2 * 9, 21);
  const auto b = test::random_vector(3, 22);
  Status s;
  auto m = load_bytes(pool_block_model(w, b), &s);
  ASSERT_TRUE(m) << s.message();
  // 96 x 128 planes are large enough for two threads to split them.
  for (const auto& hw : {std::pair<int64_t, int64_t>{20, 34}, {96, 128}}) {
    const auto [H, W] = hw;
    const auto x = test::random_vector(2 * H * W, 23);
    const auto want = pool_block_reference(x, w, b, H, W);
    std::vector<float> got[2];
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      s = m->run({x.data()}, {{1, 2, H, W}});
      ASSERT_TRUE(s.ok()) << s.message();
      ASSERT_EQ(m->output_shape(0), (Shape{1, 3, H, W}));
      got[threads - 1].assign(m->output(0), m->output(0) + want.size());
    }
    set_num_threads(1);
    EXPECT_TRUE(test::all_close(got[0], want, 1e-5f, 1e-5f)) << H << "x" << W;
    EXPECT_TRUE(test::all_close(got[1], got[0], 0.f)) << "two threads, " << H << "x" << W;
  }
  // Tiles see the pools through their receptive field: conv and max pool reach 1 pixel each,
  // the 2x2/2 average half a pixel at twice the pitch, the x2 resize one more such pixel.
  const int64_t H = 40, W = 56;
  auto rf = m->receptive_field({{1, 2, H, W}});
  ASSERT_TRUE(rf.ok()) << rf.status().message();
  EXPECT_EQ(rf.value().align, 2u);
  EXPECT_DOUBLE_EQ(rf.value().radius, 4.5);
  // And that margin is enough: tiles of 16 x 16 with it give the whole image's pixels.
  const auto x = test::random_vector(2 * H * W, 24);
  ASSERT_TRUE(m->run({x.data()}, {{1, 2, H, W}}).ok());
  const std::vector<float> full(m->output(0), m->output(0) + 3 * H * W);
  const int64_t margin = int64_t(rf.value().margin()), core = 16;
  ASSERT_EQ(margin, 6);
  double worst = 0;
  for (int64_t cy = 0; cy < H; cy += core) {
    for (int64_t cx = 0; cx < W; cx += core) {
      const int64_t y0 = std::max<int64_t>(0, cy - margin), y1 = std::min(H, cy + core + margin);
      const int64_t x0 = std::max<int64_t>(0, cx - margin), x1 = std::min(W, cx + core + margin);
      const int64_t th = y1 - y0, tw = x1 - x0;
      const std::vector<float> tile = crop(x, 2, H, W, y0, y1, x0, x1);
      ASSERT_TRUE(m->run({tile.data()}, {{1, 2, th, tw}}).ok());
      const float* out = m->output(0);
      for (int64_t c = 0; c < 3; ++c) {
        for (int64_t y = cy; y < std::min(H, cy + core); ++y) {
          for (int64_t xx = cx; xx < std::min(W, cx + core); ++xx) {
            const float got = out[(c * th + y - y0) * tw + xx - x0];
            worst = std::max(worst, std::fabs(double(got) - full[(c * H + y) * W + xx]));
          }
        }
      }
    }
  }
  EXPECT_LE(worst, 1e-6);
  auto info = m->info({{1, 2, 64, 64}});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value().steps, 4u);  // conv+relu, max, avg, resize
}

// One pool node over x [1, 1, H, W]; outputs y (and an Indices output when asked).
std::string pool_model(const std::string& op, const std::vector<test::Proto>& attrs,
                       bool indices = false) {
  std::vector<std::string> outs = {"y"};
  std::vector<test::Proto> out_infos = {test::value_info("y", {1, 1, -1, -1})};
  if (indices) {
    outs.push_back("i");
    out_infos.push_back(test::value_info("i", {1, 1, -1, -1}));
  }
  return test::model(13, test::graph({test::node(op, {"x"}, outs, "pool", attrs)}, {},
                                     {test::value_info("x", {1, 1, -1, -1})}, out_infos))
      .str();
}

TEST(Model, PoolAttributes) {
  using test::attr_int;
  using test::attr_ints;
  const auto k3s2 = {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2})};
  const auto x = test::random_vector(9 * 9, 31);
  // ceil_mode: 9 + 0 - 3 = 6 is a whole number of strides, so no extra window; 8 is not.
  for (const char* op : {"AveragePool", "MaxPool"}) {
    std::vector<test::Proto> attrs(k3s2);
    attrs.push_back(attr_int("ceil_mode", 1));
    Status s;
    auto m = load_bytes(pool_model(op, attrs), &s);
    ASSERT_TRUE(m) << s.message();
    ASSERT_TRUE(m->run({x.data()}, {{1, 1, 9, 9}}).ok());
    EXPECT_EQ(m->output_shape(0), (Shape{1, 1, 4, 4}));
    ASSERT_TRUE(m->run({x.data()}, {{1, 1, 8, 8}}).ok());
    ASSERT_EQ(m->output_shape(0), (Shape{1, 1, 4, 4}));
    Pool2dShape p{1, 8, 8, 4, 4, 3, 3, 2, 2};
    p.mode = std::string(op) == "MaxPool" ? PoolMode::kMax : PoolMode::kAverage;
    std::vector<float> want(16);
    pool2d_f32_ref(want.data(), x.data(), p, nullptr);
    EXPECT_TRUE(test::all_close(std::vector<float>(m->output(0), m->output(0) + 16), want, 1e-6f))
        << op;
  }
  // SAME_UPPER keeps the size at stride 1; VALID drops the pads.
  {
    Status s;
    auto m = load_bytes(pool_model("AveragePool", {attr_ints("kernel_shape", {2, 2}),
                                                   test::attr_string("auto_pad", "SAME_UPPER")}),
                        &s);
    ASSERT_TRUE(m) << s.message();
    ASSERT_TRUE(m->run({x.data()}, {{1, 1, 9, 9}}).ok());
    EXPECT_EQ(m->output_shape(0), (Shape{1, 1, 9, 9}));
    EXPECT_FLOAT_EQ(m->output(0)[80], x[80]);  // the corner's window holds only itself
    m = load_bytes(
        pool_model("MaxPool", {attr_ints("kernel_shape", {2, 2}), attr_ints("pads", {1, 1, 1, 1}),
                               test::attr_string("auto_pad", "VALID")}),
        &s);
    ASSERT_TRUE(m) << s.message();
    ASSERT_TRUE(m->run({x.data()}, {{1, 1, 9, 9}}).ok());
    EXPECT_EQ(m->output_shape(0), (Shape{1, 1, 8, 8}));
  }
  // What the runner refuses, with the node named.
  struct Refused {
    std::string model;
    ErrorCode code;
    std::string message;
  };
  const std::vector<Refused> refused = {
      {pool_model("AveragePool",
                  {attr_ints("kernel_shape", {2, 2}), attr_ints("dilations", {2, 2})}),
       ErrorCode::kUnsupported,
       "node 'pool' (AveragePool): dilations other than 1 are not supported"},
      {pool_model("AveragePool", {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}),
                                  attr_int("ceil_mode", 1), attr_int("count_include_pad", 1)}),
       ErrorCode::kUnsupported,
       "node 'pool' (AveragePool): ceil_mode with count_include_pad is not supported where the "
       "last window reaches past the padding"},
      {pool_model("MaxPool", {attr_ints("kernel_shape", {2, 2})}, /*indices=*/true),
       ErrorCode::kUnsupported, "node 'pool' (MaxPool): only the first output is supported"},
      {pool_model("MaxPool", {attr_ints("kernel_shape", {2, 2}), attr_int("storage_order", 1)}),
       ErrorCode::kUnsupported,
       "node 'pool' (MaxPool): storage_order other than 0 is not supported"},
      {pool_model("MaxPool", {attr_ints("kernel_shape", {2, 2}), attr_ints("pads", {2, 0, 0, 0})}),
       ErrorCode::kUnsupported, "node 'pool' (MaxPool): pads must be smaller than the kernel (2)"},
      {pool_model("MaxPool", {attr_ints("strides", {2, 2})}), ErrorCode::kInvalidModel,
       "node 'pool' (MaxPool): kernel_shape is required"},
      {pool_model("MaxPool", {attr_ints("kernel_shape", {2, 2, 2})}), ErrorCode::kInvalidModel,
       "node 'pool' (MaxPool): kernel_shape, strides, pads or dilations have the wrong length for "
       "input [1,1,256,256]"},
  };
  for (const Refused& r : refused) {
    Status s;
    EXPECT_FALSE(load_bytes(r.model, &s));
    EXPECT_EQ(s.code(), r.code) << s.message();
    EXPECT_EQ(s.message(), r.message);
  }
  // A window larger than the image: refused at run time, for that size only.
  Status s;
  auto m = load_bytes(pool_model("MaxPool", {attr_ints("kernel_shape", {5, 5})}), &s);
  ASSERT_TRUE(m) << s.message();
  s = m->run({x.data()}, {{1, 1, 4, 9}});
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument) << s.message();
  EXPECT_NE(s.message().find("node 'pool' (MaxPool)"), std::string::npos) << s.message();
  EXPECT_TRUE(m->run({x.data()}, {{1, 1, 9, 9}}).ok());
}

// A 3x3 conv, 2 -> 3 channels, whose weights are int8 with one scale (and zero point) per output
// channel, dequantized by a DequantizeLinear node: how instyle's built-in styles store weights.
std::string dequantized_conv_model(int64_t opset, const std::vector<int>& q,
                                   const std::vector<float>& scale, const std::vector<int>& zero,
                                   const std::vector<float>& bias, int zero_type = 3) {
  std::vector<std::string> dq_inputs = {"wq", "scale"};
  std::vector<test::Proto> inits = {test::int8_tensor("wq", {3, 2, 3, 3}, q),
                                    test::float_tensor("scale", {int64_t(scale.size())}, scale),
                                    test::float_tensor("b", {3}, bias)};
  if (!zero.empty()) {
    dq_inputs.push_back("zero");
    inits.push_back(test::int8_tensor("zero", {int64_t(zero.size())}, zero, zero_type));
  }
  const auto conv_attrs = {test::attr_ints("kernel_shape", {3, 3}),
                           test::attr_ints("pads", {1, 1, 1, 1})};
  return test::model(opset,
                     test::graph({test::node("DequantizeLinear", dq_inputs, {"w"}, "dq",
                                             {test::attr_int("axis", 0)}),
                                  test::node("Conv", {"x", "w", "b"}, {"y"}, "conv", conv_attrs)},
                                 inits, {test::value_info("x", {1, 2, -1, -1})},
                                 {test::value_info("y", {1, 3, -1, -1})}))
      .str();
}

TEST(Model, RunsWeightsStoredAsInt8) {
  std::vector<int> q(3 * 2 * 9);
  for (std::size_t i = 0; i < q.size(); ++i) q[i] = int((i * 37) % 255) - 127;
  const std::vector<float> scale = {0.01f, 0.002f, 0.05f}, bias = {0.1f, -0.2f, 0.3f};
  const std::vector<int> zero = {0, 3, -5};
  std::vector<float> w(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) {
    const std::size_t o = i / 18;
    w[i] = float(q[i] - zero[o]) * scale[o];
  }
  const int64_t H = 7, W = 9;
  const auto x = test::random_vector(2 * H * W, 41);
  Conv2dShape cs;
  cs.C = 2, cs.H = H, cs.W = W, cs.O = 3, cs.kH = cs.kW = 3;
  cs.pad_top = cs.pad_left = cs.pad_bottom = cs.pad_right = 1;
  std::vector<float> want(3 * H * W);
  conv2d_f32_ref(want.data(), x.data(), w.data(), bias.data(), cs, false, nullptr);
  Status s;
  auto m = load_bytes(dequantized_conv_model(13, q, scale, zero, bias), &s);
  ASSERT_TRUE(m) << s.message();
  ASSERT_TRUE(m->run({x.data()}, {{1, 2, H, W}}).ok());
  EXPECT_TRUE(
      test::all_close(std::vector<float>(m->output(0), m->output(0) + want.size()), want, 1e-5f));
  // Folded at load time: the network is one conv step, its weights plain floats.
  auto info = m->info({{1, 2, H, W}});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info.value().steps, 1u);
  // One scale for the whole tensor, no zero point: every opset since 10.
  std::vector<float> w1(q.size());
  for (std::size_t i = 0; i < q.size(); ++i) w1[i] = float(q[i]) * 0.01f;
  conv2d_f32_ref(want.data(), x.data(), w1.data(), bias.data(), cs, false, nullptr);
  m = load_bytes(dequantized_conv_model(10, q, {0.01f}, {}, bias), &s);
  ASSERT_TRUE(m) << s.message();
  ASSERT_TRUE(m->run({x.data()}, {{1, 2, H, W}}).ok());
  EXPECT_TRUE(
      test::all_close(std::vector<float>(m->output(0), m->output(0) + want.size()), want, 1e-5f));

  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<std::pair<std::string, std::string>> refused = {
      {dequantized_conv_model(11, q, scale, zero, bias),
       "node 'dq' (DequantizeLinear): x_scale must be a scalar before opset 13, got [3]"},
      {dequantized_conv_model(13, q, {0.01f, 0.02f}, {}, bias),
       "node 'dq' (DequantizeLinear): x_scale has 2 elements but x has 3 along axis 0"},
      {dequantized_conv_model(13, q, scale, {0, 0}, bias),
       "node 'dq' (DequantizeLinear): x_zero_point has shape [2], x_scale [3]"},
      {dequantized_conv_model(13, q, scale, {0, 0, 0}, bias, /*uint8*/ 2),
       "node 'dq' (DequantizeLinear): x_zero_point must have x's type int8, got uint8"},
      {dequantized_conv_model(13, q, {0.01f, nan, 0.01f}, {}, bias),
       "node 'dq' (DequantizeLinear): x_scale is not finite"},
  };
  for (const auto& [bytes, message] : refused) {
    EXPECT_FALSE(load_bytes(bytes, &s));
    EXPECT_EQ(s.code(), ErrorCode::kInvalidModel) << s.message();
    EXPECT_EQ(s.message(), message);
  }
}

}  // namespace
}  // namespace instyle::model
