// session.h: stylizing an RGBA photo with a model, the steps every front end shares: the photo
// resized to the run's size and kept for the blend, converted to the network's input, the run
// started (with instance norm statistics of its own, recorded, or replayed: the tiles of a
// big photo replay what a thumbnail recorded), and the output clipped, colour-preserved and
// blended back into RGBA. The bindings marshal to it; the run itself is stepped on the Model
// in between, so a front end can report progress and cancel.
//
//   StylizeSession session(&model);
//   INSTYLE_RETURN_IF_ERROR(session.start({rgba, w, h, w, h}));
//   while (!model.done()) INSTYLE_RETURN_IF_ERROR(model.step(1));
//   INSTYLE_RETURN_IF_ERROR(session.finish(out_rgba, StylizeBlend{}));
#pragma once

#include <cstddef>
#include <cstdint>

#include "heap_buffer.h"
#include "image.h"
#include "model/model.h"

namespace instyle::model {

// Whose instance norm statistics a run uses.
enum class Statistics : int {
  kOwn = 0,     // each run its own (a whole photo)
  kRecord = 1,  // its own, and keep them (a thumbnail of a big photo)
  kReplay = 2,  // the kept ones (each tile of that photo)
  kSmooth = 3,  // a moving average over runs, kept (frames of a video; StylizeInput::temporal)
};

struct StylizeInput {
  const uint8_t* rgba = nullptr;  // width x height RGBA8
  std::size_t width = 0, height = 0;
  std::size_t target_width = 0, target_height = 0;  // the run's size (box-filter resize)
  float scale = 1.f;  // network input = rgb * scale (1/255 for 0..1 networks)
  bool bgr = false;   // the network takes BGR
  Statistics statistics = Statistics::kOwn;
  float temporal = 0.f;  // kSmooth: weight of the kept average against this run's statistics
  const AdaInStyle* adain = nullptr;  // an arbitrary-style network's style (plan.h)
};

class StylizeSession {
 public:
  explicit StylizeSession(Model* model) : model_(model) {}

  // Resizes, keeps and converts the photo, then starts the model's run.
  Status start(const StylizeInput& in);
  // After the run: writes target_width x target_height RGBA8 to `out`.
  Status finish(uint8_t* out, const StylizeBlend& blend);
  // Stops using the run and frees the photo and input copies (the statistics stay).
  void cancel();
  // start, every step and finish in one call (a video frame: nothing to report between steps).
  Status run(const StylizeInput& in, uint8_t* out, const StylizeBlend& blend);
  // An arbitrary-style network's style code: the image `in` (its statistics setting ignored)
  // is run up to and through instance norm layer `layer` only, and that layer's input
  // statistics become code->mean, code->stddev and code->coloring (the square root of their
  // covariance; the strength is left as it is). The session's own statistics are untouched.
  Status style_code(const StylizeInput& in, int layer, AdaInStyle* code);

  void forget_statistics() { stats_ = NormStats(); }
  bool has_statistics() const { return !stats_.mean.empty(); }
  const NormStats& statistics() const { return stats_; }

 private:
  // Resizes, keeps and converts the photo (no run started).
  Status prepare(const StylizeInput& in);
  Shape input_shape() const;

  Model* model_;
  HeapBuffer<uint8_t> photo_;  // kept for the blend; blocks are reused from tile to tile
  HeapBuffer<float> input_;
  NormStats stats_;
  std::size_t width_ = 0, height_ = 0;
  bool running_ = false;
};

}  // namespace instyle::model
