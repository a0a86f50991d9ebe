// The stylize session (src/model/session.h) natively: a photo in, RGBA out, equal to doing the
// steps by hand; statistics recorded on one run and replayed on another; and the errors a
// front end can provoke.
#include "model/session.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "model_test_util.h"
#include "test_util.h"

namespace instyle::model {
namespace {

std::unique_ptr<Model> transformer() {
  const auto bytes = test::read_file(test::test_models_dir() + "/transformer.opset13.onnx");
  auto m = Model::load(bytes.data(), bytes.size());
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.take() : nullptr;
}

std::vector<uint8_t> photo(std::size_t w, std::size_t h, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(w * h * 4);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = i % 4 == 3 ? 255 : uint8_t(rng() % 200 + i % 7);
  return v;
}

Status run_to_end(Model& m) {
  while (!m.done()) INSTYLE_RETURN_IF_ERROR(m.step(1));
  return Status();
}

std::vector<uint8_t> stylize(StylizeSession& s, Model& m, const std::vector<uint8_t>& rgba,
                             std::size_t w, std::size_t h, Statistics stats) {
  std::vector<uint8_t> out(w * h * 4);
  StylizeInput in{rgba.data(), w, h, w, h, 1.f, false, stats};
  EXPECT_TRUE(s.start(in).ok());
  EXPECT_TRUE(run_to_end(m).ok());
  const Status st = s.finish(out.data(), StylizeBlend{});
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

TEST(StylizeSession, EqualsTheStepsDoneByHand) {
  auto m = transformer();
  ASSERT_TRUE(m);
  const std::size_t w = 36, h = 28;
  const auto rgba = photo(w, h, 1);
  StylizeSession session(m.get());
  const auto out = stylize(session, *m, rgba, w, h, Statistics::kOwn);

  std::vector<float> x(3 * w * h);
  rgba_to_planar_f32(x.data(), rgba.data(), w, h, 1.f, false);
  ASSERT_TRUE(m->start({x.data()}, {{1, 3, int64_t(h), int64_t(w)}}).ok());
  ASSERT_TRUE(run_to_end(*m).ok());
  std::vector<uint8_t> expected(w * h * 4);
  stylize_output_u8(expected.data(), m->output(0), w, h, rgba.data(), StylizeBlend{});
  EXPECT_EQ(out, expected);
}

TEST(StylizeSession, ReplayedStatisticsComeFromTheRecordedRun) {
  auto m = transformer();
  ASSERT_TRUE(m);
  const std::size_t w = 32, h = 32;
  const auto a = photo(w, h, 2), b = photo(w, h, 3);
  StylizeSession session(m.get());
  const auto a_own = stylize(session, *m, a, w, h, Statistics::kRecord);
  EXPECT_TRUE(session.has_statistics());
  // The same photo with its own recorded statistics gives the same picture...
  EXPECT_EQ(stylize(session, *m, a, w, h, Statistics::kReplay), a_own);
  // ...and another photo with them differs from that photo on its own statistics.
  const auto b_replayed = stylize(session, *m, b, w, h, Statistics::kReplay);
  const auto b_own = stylize(session, *m, b, w, h, Statistics::kOwn);
  EXPECT_NE(b_replayed, b_own);
  session.forget_statistics();
  EXPECT_FALSE(session.has_statistics());
}

// Temporal smoothing (video): the second frame is normalized with the average of both frames'
// statistics, weighted by `temporal`; the first frame, with nothing kept yet, with its own.
TEST(StylizeSession, SmoothedStatisticsAreTheWeightedAverageOfTheFrames) {
  auto m = transformer();
  ASSERT_TRUE(m);
  const std::size_t w = 32, h = 24;
  const auto a = photo(w, h, 5), b = photo(w, h, 6);
  StylizeSession recorder(m.get());
  stylize(recorder, *m, a, w, h, Statistics::kRecord);
  const NormStats stats_a = recorder.statistics();
  stylize(recorder, *m, b, w, h, Statistics::kRecord);
  const NormStats stats_b = recorder.statistics();
  const float keep = 0.75f;
  NormStats mixed = stats_b;
  for (std::size_t l = 0; l < mixed.mean.size(); ++l) {
    for (std::size_t i = 0; i < mixed.mean[l].size(); ++i) {
      mixed.mean[l][i] = keep * stats_a.mean[l][i] + (1 - keep) * stats_b.mean[l][i];
      mixed.var[l][i] = keep * stats_a.var[l][i] + (1 - keep) * stats_b.var[l][i];
    }
  }
  // b with the mixed statistics, by hand.
  std::vector<float> x(3 * w * h);
  rgba_to_planar_f32(x.data(), b.data(), w, h, 1.f, false);
  RunOptions replay;
  replay.replay = &mixed;
  ASSERT_TRUE(m->start({x.data()}, {{1, 3, int64_t(h), int64_t(w)}}, replay).ok());
  ASSERT_TRUE(run_to_end(*m).ok());
  std::vector<uint8_t> expected(w * h * 4);
  stylize_output_u8(expected.data(), m->output(0), w, h, b.data(), StylizeBlend{});

  StylizeSession video(m.get());
  std::vector<uint8_t> first(w * h * 4), second(w * h * 4);
  StylizeInput in{a.data(), w, h, w, h, 1.f, false, Statistics::kSmooth, keep};
  ASSERT_TRUE(video.run(in, first.data(), StylizeBlend{}).ok());
  EXPECT_EQ(first, stylize(recorder, *m, a, w, h, Statistics::kOwn)) << "the first frame: its own";
  in.rgba = b.data();
  ASSERT_TRUE(video.run(in, second.data(), StylizeBlend{}).ok());
  int worst = 0;
  for (std::size_t i = 0; i < second.size(); ++i)
    worst = std::max(worst, std::abs(second[i] - expected[i]));
  EXPECT_LE(worst, 1) << "float rounding of the average only";
  EXPECT_NE(second, stylize(recorder, *m, b, w, h, Statistics::kOwn));
  // After forgetting, a frame is on its own statistics again.
  video.forget_statistics();
  ASSERT_TRUE(video.run(in, second.data(), StylizeBlend{}).ok());
  EXPECT_EQ(second, stylize(recorder, *m, b, w, h, Statistics::kOwn));
  in.temporal = 1.f;
  EXPECT_EQ(video.run(in, second.data(), StylizeBlend{}).code(), ErrorCode::kInvalidArgument);
}

// Arbitrary style (plan.h: AdaInStyle): one instance norm layer of the network takes a style
// image's statistics at its input (style_code) instead of its weights.
std::vector<uint8_t> stylize_with(StylizeSession& s, Model& m, const std::vector<uint8_t>& rgba,
                                  std::size_t w, std::size_t h, const AdaInStyle& style) {
  std::vector<uint8_t> out(w * h * 4);
  StylizeInput in{rgba.data(), w, h, w, h, 1.f, false, Statistics::kOwn};
  in.adain = &style;
  const Status st = s.run(in, out.data(), StylizeBlend{});
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

int worst_difference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  int worst = 0;
  for (std::size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
  return worst;
}

// A trained network: a random one's output is nearly flat, which would prove little here. One
// of the built-in styles (several instance norm layers), not the arbitrary-style network.
std::unique_ptr<Model> built_in_style() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(test::repo_root() + "/styles")) {
    if (e.path().extension() == ".onnx" && e.path().stem() != "arbitrary") {
      files.push_back(e.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  EXPECT_FALSE(files.empty()) << "styles/*.onnx";
  if (files.empty()) return nullptr;
  const auto bytes = test::read_file(files.front());
  auto m = Model::load(bytes.data(), bytes.size());
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? m.take() : nullptr;
}

TEST(StylizeSession, AdaInTakesTheStylesStatisticsAtOneLayer) {
  auto m = built_in_style();
  ASSERT_TRUE(m);
  const std::size_t w = 40, h = 32;
  const auto p = photo(w, h, 7), art = photo(w, h, 8);
  // The network's third instance norm layer, found by its node's name.
  std::string name;
  int seen = 0;
  for (const Node& node : m->graph().nodes) {
    if (node.op == Op::kInstanceNormalization && seen++ == 2) name = node.name;
  }
  ASSERT_FALSE(name.empty());
  const int layer = m->norm_layer_index(name);
  EXPECT_EQ(layer, 2);
  EXPECT_EQ(m->norm_layer_index("no such node"), -1);

  StylizeSession session(m.get());
  StylizeInput style_in{art.data(), w, h, w, h, 1.f, false, Statistics::kReplay};
  AdaInStyle style, own;
  ASSERT_TRUE(session.style_code(style_in, layer, &style).ok());
  EXPECT_EQ(style.layer, layer);
  EXPECT_FALSE(session.has_statistics()) << "the session's own statistics are untouched";
  // The code is the layer's input statistics, as a recorded run of the whole network keeps them.
  StylizeSession recorder(m.get());
  stylize(recorder, *m, art, w, h, Statistics::kRecord);
  const NormStats& rec = recorder.statistics();
  ASSERT_EQ(style.mean.size(), rec.mean[2].size());
  for (std::size_t c = 0; c < style.mean.size(); ++c) {
    EXPECT_FLOAT_EQ(style.mean[c], rec.mean[2][c]);
    EXPECT_NEAR(style.stddev[c], std::sqrt(rec.var[2][c] + 1e-5f), 1e-5f * style.stddev[c] + 1e-6f);
  }

  // The photo's own statistics as the style, or strength 0: the layer passes its input through;
  // the same to float rounding.
  StylizeInput photo_in{p.data(), w, h, w, h, 1.f, false, Statistics::kOwn};
  ASSERT_TRUE(session.style_code(photo_in, layer, &own).ok());
  const auto through = stylize_with(session, *m, p, w, h, own);
  AdaInStyle none = style;
  none.strength = 0.f;
  EXPECT_LE(worst_difference(stylize_with(session, *m, p, w, h, none), through), 1);
  // The network's own layer (its weights) is something else.
  EXPECT_GT(worst_difference(stylize(session, *m, p, w, h, Statistics::kOwn), through), 8);

  // Another image's statistics change the picture, the same way every time; half strength lies
  // between.
  const auto styled = stylize_with(session, *m, p, w, h, style);
  EXPECT_GT(worst_difference(styled, through), 8);
  EXPECT_EQ(stylize_with(session, *m, p, w, h, style), styled);
  AdaInStyle half = style;
  half.strength = 0.5f;
  const auto between = stylize_with(session, *m, p, w, h, half);
  EXPECT_NE(between, styled);
  EXPECT_NE(between, through);

  // Errors: a layer the network does not have; a code of the wrong width.
  AdaInStyle bad;
  EXPECT_EQ(session.style_code(style_in, 99, &bad).code(), ErrorCode::kInvalidArgument);
  bad = style;
  bad.mean.pop_back();
  std::vector<uint8_t> out(w * h * 4);
  StylizeInput in{p.data(), w, h, w, h, 1.f, false, Statistics::kOwn};
  in.adain = &bad;
  const Status st = session.run(in, out.data(), StylizeBlend{});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("channels"), std::string::npos) << st.message();
}

// The whitening and colouring transform at the same layer (AdaInStyle::coloring): the code
// carries the style's covariance root, whole runs, recorded-and-replayed runs (tiles) and
// smoothed runs (video) all use the photo's covariance, and the picture differs from AdaIN's.
TEST(StylizeSession, WctTakesTheStylesCovarianceAtOneLayer) {
  auto m = built_in_style();
  ASSERT_TRUE(m);
  const std::size_t w = 40, h = 32;
  const auto p = photo(w, h, 7), art = photo(w, h, 8);
  const int layer = 2;
  StylizeSession session(m.get());
  AdaInStyle style, own;
  ASSERT_TRUE(session.style_code({art.data(), w, h, w, h, 1.f, false}, layer, &style).ok());
  const std::size_t C = style.mean.size();
  ASSERT_EQ(style.coloring.size(), C * C);
  ASSERT_TRUE(style.wct());
  for (std::size_t i = 0; i < C; ++i) {  // symmetric, and its diagonal squares to at least var
    for (std::size_t j = 0; j < C; ++j) {
      ASSERT_NEAR(style.coloring[i * C + j], style.coloring[j * C + i], 1e-4f);
    }
  }

  // The photo's own code: whitening and colouring with the same covariance passes it through
  // (to the whitening floor and rounding).
  ASSERT_TRUE(session.style_code({p.data(), w, h, w, h, 1.f, false}, layer, &own).ok());
  AdaInStyle own_adain = own;
  own_adain.coloring.clear();
  EXPECT_LE(worst_difference(stylize_with(session, *m, p, w, h, own),
                             stylize_with(session, *m, p, w, h, own_adain)),
            2);

  const auto wct = stylize_with(session, *m, p, w, h, style);
  AdaInStyle adain = style;
  adain.coloring.clear();
  EXPECT_GT(worst_difference(wct, stylize_with(session, *m, p, w, h, adain)), 8)
      << "the channels' correlations change the picture";

  // A recorded run keeps the covariance; a replay of it gives the same picture.
  std::vector<uint8_t> recorded(w * h * 4), replayed(w * h * 4);
  StylizeInput in{p.data(), w, h, w, h, 1.f, false, Statistics::kRecord};
  in.adain = &style;
  ASSERT_TRUE(session.run(in, recorded.data(), StylizeBlend{}).ok());
  EXPECT_EQ(session.statistics().covariance.size(), C * C);
  EXPECT_EQ(recorded, wct);
  in.statistics = Statistics::kReplay;
  ASSERT_TRUE(session.run(in, replayed.data(), StylizeBlend{}).ok());
  EXPECT_LE(worst_difference(replayed, wct), 1);
  // Statistics recorded without the covariance cannot serve a WCT replay: a clear error.
  session.forget_statistics();
  in.adain = &adain;
  in.statistics = Statistics::kRecord;
  ASSERT_TRUE(session.run(in, recorded.data(), StylizeBlend{}).ok());
  in.adain = &style;
  in.statistics = Statistics::kReplay;
  const Status st = session.run(in, replayed.data(), StylizeBlend{});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no covariance"), std::string::npos) << st.message();

  // A colouring matrix of the wrong size is named as such.
  AdaInStyle short_coloring = style;
  short_coloring.coloring.pop_back();
  in.adain = &short_coloring;
  in.statistics = Statistics::kOwn;
  const Status bad = session.run(in, replayed.data(), StylizeBlend{});
  EXPECT_EQ(bad.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("colouring matrix has"), std::string::npos) << bad.message();

  // Video: the first smoothed frame is the frame's own; the covariance is kept for the next.
  StylizeSession video(m.get());
  std::vector<uint8_t> frame(w * h * 4);
  StylizeInput live{p.data(), w, h, w, h, 1.f, false, Statistics::kSmooth, 0.5f};
  live.adain = &style;
  ASSERT_TRUE(video.run(live, frame.data(), StylizeBlend{}).ok());
  EXPECT_LE(worst_difference(frame, wct), 1);
  EXPECT_EQ(video.statistics().covariance.size(), C * C);
  live.rgba = art.data();
  ASSERT_TRUE(video.run(live, frame.data(), StylizeBlend{}).ok());
}

TEST(StylizeSession, ErrorsNameWhatWasWrong) {
  auto m = transformer();
  ASSERT_TRUE(m);
  StylizeSession session(m.get());
  const auto rgba = photo(8, 8, 4);
  std::vector<uint8_t> out(8 * 8 * 4);
  Status st = session.finish(out.data(), StylizeBlend{});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(st.message(), "no finished stylization to read");
  st = session.start({rgba.data(), 8, 8, 8, 8, 1.f, false, Statistics::kReplay});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("no recorded statistics"), std::string::npos) << st.message();
  st = session.start({rgba.data(), 0, 8, 8, 8, 1.f, false, Statistics::kOwn});
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  // Still usable afterwards.
  EXPECT_EQ(stylize(session, *m, rgba, 8, 8, Statistics::kOwn).size(), out.size());
}

}  // namespace
}  // namespace instyle::model
