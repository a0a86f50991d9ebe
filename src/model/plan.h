// plan.h: turns a graph and concrete input shapes into an execution plan (shapes inferred,
// size-dependent shape arithmetic folded, cheap fusions applied, every activation placed in
// one arena by liveness), and runs a plan step by step.
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

#include "conv.h"
#include "model/conv_transpose.h"
#include "model/graph.h"
#include "pad.h"
#include "resize.h"

namespace instyle::model {

using Shape = std::vector<int64_t>;

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
  int buffer = -1;                // arena buffer, for kArena
};

enum class StepKind : uint8_t {
  kConv,
  kConvTranspose,
  kInstanceNorm,
  kBatchNorm,
  kUnary,
  kBinary,
  kPad,
  kUpsampleNearest,
  kResizeBilinear,
  kResizeTable,
  kConcat,
};

enum class UnaryFn : uint8_t { kRelu, kLeakyRelu, kSigmoid, kTanh, kClip };
enum class BinaryFn : uint8_t { kAdd, kSub, kMul, kDiv };

// How one operand of a binary op maps onto the output.
enum class Operand : uint8_t { kFull, kScalar, kPerChannel, kStrided };

struct Step {
  StepKind kind = StepKind::kUnary;
  int node = -1;  // graph node index (the last one, when fused), for errors and progress
  std::vector<int> inputs;
  int output = -1;
  bool relu = false;  // fused ReLU on the output
  double flops = 0;   // rough cost, for progress reporting and info()

  // kConv: the shape of one sample; the executor loops over N and splits output channels
  // (whole groups when groups > 1) across threads as `ranges` says.
  Conv2dShape conv;
  std::size_t batch = 1;
  std::vector<std::size_t> ranges;  // boundaries in output channels, threads + 1 entries
  const float* weight = nullptr;
  const float* bias = nullptr;
  ConvTransposeShape convt;

  // Norms: [N, C, HW].
  std::size_t N = 1, C = 1, HW = 1;
  float eps = 1e-5f;
  const float* scale = nullptr;
  const float* shift = nullptr;
  const float* mean = nullptr;
  const float* var = nullptr;
  int norm_index = -1;  // which InstanceNormalization (graph order), for recorded statistics

  // Element-wise.
  UnaryFn unary = UnaryFn::kRelu;
  BinaryFn binary = BinaryFn::kAdd;
  float alpha = 0.f, lo = 0.f, hi = 0.f;
  std::size_t count = 0;  // output elements
  Operand operand[2] = {Operand::kFull, Operand::kFull};
  Shape out_shape;                         // kStrided operands
  std::vector<int64_t> strides[2];         // per output dim, 0 where broadcast
  std::size_t planes = 1, plane_size = 1;  // kPerChannel: [outer, channels, plane_size]
  std::size_t channels = 1;

  // Pad and resize over NC planes of H x W.
  std::size_t NC = 1, H = 1, W = 1, OH = 1, OW = 1;
  std::size_t top = 0, left = 0, bottom = 0, right = 0;
  PadMode pad_mode = PadMode::kZeros;
  float pad_value = 0.f;
  std::size_t scale_h = 1, scale_w = 1;
  CoordMode coord_mode = CoordMode::kHalfPixel;
  bool linear = false;
  std::vector<int32_t> h0, h1, w0, w1;  // kResizeTable: source rows/cols per output
  std::vector<float> hf, wf;            // and the weight of h1/w1 (linear)

  // kConcat: `outer` blocks; each input contributes chunk[i] floats per block.
  std::size_t outer = 1;
  std::vector<std::size_t> chunk;
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
  double flops = 0;

  const Shape& output_shape(std::size_t i) const { return values[outputs[i]].shape; }
  // Bytes the plan's run needs besides weights and the caller's input/output buffers.
  std::size_t scratch_bytes() const { return (arena_floats + workspace_floats) * sizeof(float); }
};

// Plans `graph` for the given shapes of its runtime inputs (Graph::inputs order).
Result<Plan> make_plan(const Graph& graph, const std::vector<Shape>& input_shapes, int threads);

// Per-channel statistics of each InstanceNormalization layer, indexed like Step::norm_index:
// mean[i] and var[i] hold N * C values (biased variance, as IN uses).
struct NormStats {
  std::vector<std::vector<float>> mean, var;
};

struct RunOptions {
  NormStats* record = nullptr;        // filled with the statistics each IN layer used
  const NormStats* replay = nullptr;  // IN layers use these instead of their own
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
  std::size_t next_ = 0;
  double flops_done_ = 0;
};

}  // namespace instyle::model
