// plan.h: turns a graph and concrete input shapes into an execution plan (shapes inferred,
// size-dependent shape arithmetic folded, cheap fusions applied, every activation placed in
// one arena by liveness), and runs a plan step by step. The step kinds and their parameters
// are in steps.h; the passes are plan.cpp (lowering), fuse.cpp and place.h (the arena).
//
//   auto plan = make_plan(graph, {{1, 3, 480, 640}}, num_threads());
//   std::vector<float> arena(plan.value().arena_floats), ws(plan.value().workspace_floats);
//   Execution run(plan.value(), arena.data(), ws.data(), {input}, RunOptions{});
//   while (!run.done()) INSTYLE_RETURN_IF_ERROR(run.step());   // progress between steps
//   const float* y = run.output(0);                               // plan.value().output_shape(0)
//
// Instance norm statistics can be recorded on one run and replayed on another (RunOptions):
// the basis for tiled inference, where each tile must be normalized with the statistics of
// the whole image (Thumbnail Instance Normalization). A plan depends only on input shapes, so
// one plan serves every tile of the same size.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

#include "model/graph.h"
#include "model/steps.h"

namespace instyle::model {

// Where a value's floats are during a run.
struct Slot {
  enum Kind : uint8_t { kNone, kConst, kInput, kArena };
  Kind kind = kNone;
  const float* data = nullptr;  // kConst
  int input = 0;                // kInput: index into the run's inputs
  std::size_t offset = 0;       // kArena: in floats from the arena's start
};

struct PlannedValue {
  Shape shape;
  Slot slot;
  const Tensor* known = nullptr;  // constant (from the graph or folded for this size)
};

struct Plan {
  Plan() = default;
  Plan(Plan&&) = default;  // values[].known points into `folded`, which a move keeps in place
  Plan& operator=(Plan&&) = default;
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;

  std::vector<Shape> input_shapes;
  std::vector<PlannedValue> values;  // parallel to Graph::values
  std::vector<Step> steps;
  std::deque<Tensor> folded;  // constants computed for these input sizes
  std::vector<int> outputs;   // graph output value ids
  int threads = 1;
  std::size_t arena_floats = 0;
  std::size_t workspace_floats = 0;  // all threads together
  std::size_t workspace_per_thread = 0;
  int norm_layers = 0;  // InstanceNormalization nodes in the graph
  // Views (Reshape, Identity, ...): alias_of[v] is the value whose floats v reinterprets, or -1.
  std::vector<int> alias_of;
  double flops = 0;

  const Shape& output_shape(std::size_t i) const { return values[outputs[i]].shape; }
  // Bytes the plan's run needs besides weights and the caller's input/output buffers.
  std::size_t scratch_bytes() const { return (arena_floats + workspace_floats) * sizeof(float); }
};

// Plans `graph` for the given shapes of its runtime inputs (Graph::inputs order).
Result<Plan> make_plan(const Graph& graph, const std::vector<Shape>& input_shapes, int threads);

// Per-channel statistics of each InstanceNormalization layer, indexed like
// InstanceNormStep::norm_index:
// mean[i] and var[i] hold N * C values (biased variance, as IN uses). The layer named by
// RunOptions::covariance_layer also has its input's channel covariance (C x C, biased), for the
// whitening and colouring transform; it is recorded, replayed and smoothed with the rest.
struct NormStats {
  std::vector<std::vector<float>> mean, var;
  std::vector<double> covariance;
};

// Arbitrary style transfer as an instance norm layer whose output comes from a style instead of
// its weights, with the photo's statistics at that layer (its own, recorded or replayed, like
// any IN layer's) and s = strength. Two transforms:
// - AdaIN (Huang & Belongie 2017), when `coloring` is empty: per channel,
//     y = (x - mean_x) / std_x * (s * std_s + (1 - s) * std_x) + s * mean_s + (1 - s) * mean_x;
// - WCT (Li et al. 2017, src/wct.h), when `coloring` holds the style's C x C colouring matrix
//   (its feature covariance's square root): the photo's features are whitened with their own
//   covariance and coloured with the style's, blended with x by s; this carries the style's
//   correlations between channels, where AdaIN carries only each channel's spread.
// Both give the style's statistics at s = 1 and x itself at s = 0. mean, stddev and coloring are
// a style image's at the layer's input (StylizeSession::style_code).
struct AdaInStyle {
  int layer = -1;  // which InstanceNormalization, in graph order (Model::norm_layer_index)
  std::vector<float> mean, stddev;
  std::vector<float> coloring;  // C x C, row-major; empty: AdaIN
  float strength = 1.f;

  bool wct() const { return !coloring.empty(); }
};

struct RunOptions {
  const AdaInStyle* adain = nullptr;  // one IN layer takes a style's statistics (above)
  int covariance_layer = -1;          // the IN layer whose covariance NormStats also keeps
  NormStats* record = nullptr;        // filled with the statistics each IN layer used
  const NormStats* replay = nullptr;  // IN layers use these instead of their own
  // Temporal smoothing for video: each IN layer's statistics become
  // keep * smooth + (1 - keep) * this run's, kept in *smooth for the next run (a layer not yet
  // in *smooth starts from this run's own). Mean and variance are averaged separately.
  NormStats* smooth = nullptr;
  float keep = 0.f;
};

// One run of a plan over caller-owned memory: arena and workspace of the plan's sizes, one
// pointer per runtime input. Steps run one at a time so a caller can report progress and
// stop between them.
class Execution {
 public:
  Execution(const Plan& plan, float* arena, float* workspace, std::vector<const float*> inputs,
            RunOptions options);

  bool done() const { return next_ == plan_.steps.size(); }
  std::size_t steps_done() const { return next_; }
  std::size_t steps_total() const { return plan_.steps.size(); }
  double flops_done() const { return flops_done_; }

  Status step();
  Status run_all();

  // A graph output, valid until the arena is reused.
  const float* output(std::size_t i) const { return data(plan_.outputs[i]); }

 private:
  const float* data(int value) const;
  float* mutable_data(int value) const;

  const Plan& plan_;
  float* arena_;
  float* workspace_;
  std::vector<const float*> inputs_;
  RunOptions options_;
  std::vector<const float*> step_inputs_;  // reused for each step's input pointers
  std::size_t next_ = 0;
  double flops_done_ = 0;
};

}  // namespace instyle::model
