// steps.h: the table of step kinds, the ops a plan runs on activations. Each kind is one struct
// holding its own parameters, and everything about it lives in one file under
// src/model/steps/: how ONNX nodes are lowered to it, how it runs (kernels, threads), its
// FLOPs, its workspace, which input it may overwrite, and how it moves a pixel's receptive
// field (tiles.cpp). A Step is the common part (node, inputs, output, fused ReLU) plus one of
// these structs in a std::variant; the executor, the planner's finishing pass and the
// receptive-field walk dispatch with std::visit, so no switch over kinds exists elsewhere.
//
// Adding a kind: a struct here deriving from StepDefaults with run() and the members where it
// differs from the defaults, its file in steps/ (the lowering too), one entry in StepOp and,
// for a new ONNX op, one line in kLowerings (steps.cpp). The fusion pass (fuse.cpp) only needs
// to know kinds it fuses.
//
//   for (const Step& s : plan.steps) std::visit([&](const auto& op) { op.run(args); }, s.op);
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "conv.h"
#include "model/conv_transpose.h"
#include "model/graph.h"
#include "pad.h"
#include "pool.h"
#include "resize.h"
#include "status.h"
#include "threaded.h"

namespace instyle::model {

using Shape = std::vector<int64_t>;
struct Plan;
struct Step;
struct RunOptions;
struct AdaInStyle;
class Lowering;

// What a step's run() gets: resolved pointers and the run's options.
struct StepArgs {
  const Step& step;
  float* y;               // the output
  const float* const* x;  // the inputs, in Step::inputs order
  float* workspace;       // workspace_per_thread floats for each thread
  std::size_t workspace_per_thread;
  const RunOptions& options;  // instance norm statistics to record or replay
};

// The receptive-field bookkeeping of one spatial axis, in input pixels (tiles.cpp): the pixel
// pitch, where pixel 0 sits, and the interval of input positions a pixel may read, relative
// to its own position.
struct Axis {
  double step = 1, origin = 0, lo = 0, hi = 0;
};
// Rules the kinds' field() use: a kernel of k taps, dilation apart, stride apart, starting
// pad pixels before the input; a transposed one; resampling n to m pixels; padding before.
Axis through_conv(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                  std::size_t pad);
Axis through_conv_transpose(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                            std::size_t pad);
Axis through_resize(const Axis& in, std::size_t n, std::size_t m);
Axis through_pad(const Axis& in, std::size_t before);

// Every kind has these members, the contract std::visit relies on; StepDefaults gives the
// common answers, and a kind declares only the members where it differs:
//   Status run(const StepArgs&) const;                       execute (no default)
//   double flops(std::size_t out_elements) const;            rough cost, for progress
//   std::size_t prepare(int threads);                        thread split; workspace floats
//                                                            per thread
//   bool may_overwrite(std::size_t input) const;             output may share that input's
//                                                            buffer (element-wise in place)
//   Status field(const Plan&, const Step&, Axis axes[2]) const;  receptive field, H and W
//   std::string describe() const;                            what a profile shows beside the
//                                                            ONNX op ("" for nothing more)
struct StepDefaults {
  double flops(std::size_t out) const { return 2.0 * static_cast<double>(out); }
  std::size_t prepare(int) { return 0; }                                      // no workspace
  bool may_overwrite(std::size_t) const { return false; }                     // a buffer of its own
  Status field(const Plan&, const Step&, Axis[2]) const { return Status(); }  // per pixel
  std::string describe() const { return {}; }
};

// steps/conv.cpp. conv.N is the batch; the driver (threaded.h) runs one sample at a time with
// its output channels or rows split across threads as `split` says.
struct ConvStep : StepDefaults {
  Conv2dShape conv;
  ConvSplit split;
  const float* weight = nullptr;
  const float* bias = nullptr;

  Status run(const StepArgs& a) const;
  double flops(std::size_t) const { return conv.flops(); }
  std::size_t prepare(int threads);
  Status field(const Plan&, const Step&, Axis axes[2]) const;
  std::string describe() const;  // "9x9/1 3->16 direct", "3x3/1 64->64 up2 winograd"
};

// steps/conv.cpp too: the scatter kernel of conv_transpose.h, one thread.
struct ConvTransposeStep : StepDefaults {
  ConvTransposeShape convt;
  const float* weight = nullptr;
  const float* bias = nullptr;

  Status run(const StepArgs& a) const;
  double flops(std::size_t) const;
  Status field(const Plan&, const Step&, Axis axes[2]) const;
};

// steps/norm.cpp. Over [N, C, HW] planes; instance norm can record or replay its statistics.
struct InstanceNormStep : StepDefaults {
  std::size_t N = 1, C = 1, HW = 1;
  float eps = 1e-5f;
  const float* scale = nullptr;
  const float* shift = nullptr;
  int norm_index = -1;  // which InstanceNormalization (graph order), for NormStats

  Status run(const StepArgs& a) const;
  bool may_overwrite(std::size_t input) const { return input == 0; }

 private:
  Status run_adain(const StepArgs& a, const AdaInStyle& style, const float* mean, const float* var,
                   const double* cov) const;
  Status covariance(const StepArgs& a, const float* mean, std::vector<double>* own,
                    const double** cov) const;
};

struct BatchNormStep : StepDefaults {
  std::size_t N = 1, C = 1, HW = 1;
  float eps = 1e-5f;
  const float* scale = nullptr;
  const float* shift = nullptr;
  const float* mean = nullptr;
  const float* var = nullptr;

  Status run(const StepArgs& a) const;
  bool may_overwrite(std::size_t input) const { return input == 0; }
};

// steps/elementwise.cpp: Relu, LeakyRelu, Elu, Sigmoid, Tanh, Clip.
enum class UnaryFn : uint8_t { kRelu, kLeakyRelu, kElu, kSigmoid, kTanh, kClip };

struct UnaryStep : StepDefaults {
  UnaryFn fn = UnaryFn::kRelu;
  float alpha = 0.f, lo = 0.f, hi = 0.f;
  std::size_t count = 0;

  Status run(const StepArgs& a) const;
  bool may_overwrite(std::size_t input) const { return input == 0; }
};

enum class BinaryFn : uint8_t { kAdd, kSub, kMul, kDiv };
// How one operand maps onto the output.
enum class Operand : uint8_t { kFull, kScalar, kPerChannel, kStrided };

struct BinaryStep : StepDefaults {
  BinaryFn fn = BinaryFn::kAdd;
  std::size_t count = 0;  // output elements
  Operand operand[2] = {Operand::kFull, Operand::kFull};
  Shape out_shape;                         // kStrided operands
  std::vector<int64_t> strides[2];         // per output dim, 0 where broadcast
  std::size_t planes = 1, plane_size = 1;  // kPerChannel: [planes, channels, plane_size]
  std::size_t channels = 1;

  Status run(const StepArgs& a) const;
  bool may_overwrite(std::size_t input) const { return operand[input] == Operand::kFull; }
};

// steps/pad.cpp. NC planes of H x W.
struct PadStep : StepDefaults {
  std::size_t NC = 1, H = 1, W = 1;
  std::size_t top = 0, left = 0, bottom = 0, right = 0;
  PadMode mode = PadMode::kZeros;
  float value = 0.f;

  Status run(const StepArgs& a) const;
  Status field(const Plan&, const Step&, Axis axes[2]) const;
};

// steps/pool.cpp: AveragePool and MaxPool (pool.h), the planes split into `parts` runs, one
// per thread, each with a row of workspace.
struct PoolStep : StepDefaults {
  Pool2dShape pool;
  std::size_t parts = 1;

  Status run(const StepArgs& a) const;
  double flops(std::size_t out) const {
    return static_cast<double>(out) * static_cast<double>(pool.kH * pool.kW);
  }
  std::size_t prepare(int threads);
  Status field(const Plan&, const Step&, Axis axes[2]) const;
  std::string describe() const;  // "2x2/2", "3x3/1 pad 1"
};

// steps/resize.cpp: Resize and Upsample, lowered to the cheapest of three kernels. NC planes
// of H x W to OH x OW.
struct UpsampleStep : StepDefaults {  // nearest neighbour by whole factors
  std::size_t NC = 1, H = 1, W = 1, OH = 1, OW = 1;
  std::size_t scale_h = 1, scale_w = 1;

  Status run(const StepArgs& a) const;
  Status field(const Plan&, const Step&, Axis axes[2]) const;
};

struct ResizeBilinearStep : StepDefaults {
  std::size_t NC = 1, H = 1, W = 1, OH = 1, OW = 1;
  CoordMode coord_mode = CoordMode::kHalfPixel;

  Status run(const StepArgs& a) const;
  Status field(const Plan&, const Step&, Axis axes[2]) const;
};

// Any other mode: source rows and columns looked up per output pixel.
struct ResizeTableStep : StepDefaults {
  std::size_t NC = 1, H = 1, W = 1, OH = 1, OW = 1;
  bool linear = false;
  std::vector<int32_t> h0, h1, w0, w1;  // source rows/cols per output
  std::vector<float> hf, wf;            // and the weight of h1/w1 (linear)

  Status run(const StepArgs& a) const;
  Status field(const Plan&, const Step&, Axis axes[2]) const;
};

// steps/concat.cpp: `outer` blocks; input i contributes chunk[i] floats per block.
struct ConcatStep : StepDefaults {
  std::size_t outer = 1;
  std::vector<std::size_t> chunk;

  Status run(const StepArgs& a) const;
  Status field(const Plan& plan, const Step& step, Axis axes[2]) const;
};

using StepOp = std::variant<ConvStep, ConvTransposeStep, InstanceNormStep, BatchNormStep, UnaryStep,
                            BinaryStep, PadStep, PoolStep, UpsampleStep, ResizeBilinearStep,
                            ResizeTableStep, ConcatStep>;

struct Step {
  int node = -1;  // graph node index (the last one, when fused), for errors and progress
  std::vector<int> inputs;
  int output = -1;
  bool relu = false;  // fused ReLU on the output
  double flops = 0;   // rough cost, for progress reporting and info()
  StepOp op;
};

// The lowering of one ONNX node to a step: fills step->op and step->inputs and sets the
// node's output shape through the Lowering context (plan.cpp). One per ONNX op that runs on
// activations; nullptr for ops that do not.
using LowerFn = Status (*)(Lowering& l, const Node& node, Step* step);
LowerFn lowering_for(Op op);

// The lowerings, each in its kind's file.
Status lower_conv(Lowering& l, const Node& node, Step* step);
Status lower_conv_transpose(Lowering& l, const Node& node, Step* step);
Status lower_norm(Lowering& l, const Node& node, Step* step);
Status lower_unary(Lowering& l, const Node& node, Step* step);
Status lower_binary(Lowering& l, const Node& node, Step* step);
Status lower_pad(Lowering& l, const Node& node, Step* step);
Status lower_pool(Lowering& l, const Node& node, Step* step);
Status lower_resize(Lowering& l, const Node& node, Step* step);
Status lower_concat(Lowering& l, const Node& node, Step* step);

}  // namespace instyle::model
