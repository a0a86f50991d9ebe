// model.h: a loaded ONNX network, ready to run at any input size. Load parses and checks the
// file and folds constants once; each new input shape gets a plan (kept for the next run of
// the same shape); runs reuse one arena.
//
//   auto m = instyle::model::Model::load(bytes, size);
//   if (!m.ok()) return m.status();                  // "unsupported op 'Foo' at node 'bar'"
//   Model& model = *m.value();
//   INSTYLE_RETURN_IF_ERROR(model.run({input}, {{1, 3, 480, 640}}));
//   const float* y = model.output(0);                // model.output_shape(0) == [1,3,480,640]
//
// Step by step, for progress and cancellation between steps:
//   INSTYLE_RETURN_IF_ERROR(model.start({input}, {shape}));
//   while (!model.done()) { INSTYLE_RETURN_IF_ERROR(model.step()); report(model.progress()); }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "heap_buffer.h"
#include "model/graph.h"
#include "model/plan.h"
#include "model/tiles.h"

namespace instyle::model {

struct ModelInfo {
  int64_t opset = 0;
  std::string producer;
  int64_t parameters = 0;                        // float weights read by the network's layers
  uint64_t weight_bytes = 0;                     // every constant the runner keeps
  std::vector<std::pair<std::string, int>> ops;  // op_type -> count, as in the file
  int norm_layers = 0;                           // InstanceNormalization layers
  std::string input_signature;                   // e.g. "input [1,3,height,width]"
  // For the planned input shape:
  Shape input_shape, output_shape;
  std::size_t steps = 0;  // kernels run, after folding and fusion
  double flops = 0;
  // Bytes as 64-bit numbers: in wasm32 a sum of them may pass 4 GiB.
  uint64_t arena_bytes = 0;      // activations, reused by liveness
  uint64_t workspace_bytes = 0;  // convolution scratch, all threads
  uint64_t io_bytes = 0;         // the input and output tensors
  uint64_t peak_bytes = 0;       // arena + workspace + io + weights: all the run touches
};

class Model {
 public:
  static Result<std::unique_ptr<Model>> load(const uint8_t* data, std::size_t size);
  // From a graph built elsewhere (tests bind some inputs to constants first).
  static Result<std::unique_ptr<Model>> from_graph(Graph graph);

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const Graph& graph() const { return graph_; }
  std::size_t input_count() const { return graph_.inputs.size(); }
  std::size_t output_count() const { return graph_.outputs.size(); }

  Result<ModelInfo> info(const std::vector<Shape>& input_shapes);
  // The index (graph order, as RunOptions and NormStats count them) of the InstanceNormalization
  // node named `name`, or -1: how a front end finds an arbitrary-style network's AdaIN layer.
  int norm_layer_index(const std::string& name) const;
  // How far an output pixel reaches into the input, for tiled runs (model/tiles.h).
  Result<ReceptiveField> receptive_field(const std::vector<Shape>& input_shapes);

  // Allocates now the memory runs at these input shapes will need (kept for smaller runs
  // too): a caller about to run several sizes (a thumbnail, then tiles) reserves for the
  // largest first, so the heap is not fragmented by growing one block after another.
  Status prepare(const std::vector<Shape>& input_shapes);

  // One pointer and shape per runtime input; the pointers must stay valid until done().
  Status start(std::vector<const float*> inputs, const std::vector<Shape>& shapes,
               RunOptions options = RunOptions());
  Status step(std::size_t max_steps = 1);
  bool done() const { return exec_ == nullptr || exec_->done(); }
  // The run in progress (profiles, style codes): its plan.
  const Plan* active_plan() const { return exec_ ? active_ : nullptr; }
  double progress() const;  // 0..1 by FLOPs
  Status run(std::vector<const float*> inputs, const std::vector<Shape>& shapes,
             RunOptions options = RunOptions());

  // Valid after a finished run until the next start() or release().
  const float* output(std::size_t i) const;
  const Shape& output_shape(std::size_t i) const;

  // Frees activations, scratch and cached plans; the weights stay.
  void release();

 private:
  explicit Model(Graph graph);
  Result<Plan*> plan_for(const std::vector<Shape>& shapes);
  Status reserve(std::size_t floats);

  Graph graph_;
  std::vector<std::pair<std::string, int>> op_counts_;
  std::vector<std::unique_ptr<Plan>> plans_;  // most recent first
  HeapBuffer<float> memory_;                  // arena then workspace, 64-byte aligned
  Plan* active_ = nullptr;
  std::unique_ptr<Execution> exec_;
};

}  // namespace instyle::model
