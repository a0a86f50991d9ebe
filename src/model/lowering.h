// lowering.h: what a step kind's lowering (steps/*.cpp) may ask of the planner while it turns
// one ONNX node into a step: the shapes and constants known for this input size, checked
// access to constant operands with errors that name the node and operand, and the output
// shape it decides. Also the size limits every lowering enforces.
//
//   Status lower_relu(Lowering& l, const Node& node, Step* s) {
//     INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
//     s->inputs = {node.inputs[0]};
//     return l.set_output(node, 0, l.shape(node.inputs[0]));
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "model/graph.h"
#include "model/plan.h"

namespace instyle::model {

// One activation may hold at most 2^30 floats (4 GiB, all of wasm32's memory); 2^29 in wasm32,
// where size_t has 32 bits, so that every byte count stays below 4 GiB.
constexpr int64_t kMaxActivationElements = sizeof(void*) == 4 ? int64_t(1) << 29 : int64_t(1) << 30;
// Strides, dilations and pads beyond this are refused, so size arithmetic cannot overflow.
constexpr int64_t kMaxWindow = 65536;

// The product of dims [from, to).
int64_t product(const Shape& s, std::size_t from = 0, std::size_t to = SIZE_MAX);

class Lowering {
 public:
  Lowering(const Graph& g, Plan* p);

  const Graph& graph() const { return g_; }
  const Shape& shape(int v) const { return p_.values[v].shape; }
  // The value's data when known before the run (a constant, or folded for this size).
  const Tensor* known(int v) const { return v >= 0 ? p_.values[v].known : nullptr; }
  const std::string& name(int v) const { return g_.values[v].name; }
  bool present(const Node& n, std::size_t i) const { return n.has_input(i); }
  // Index of node n among the graph's InstanceNormalization nodes (NormStats order).
  int norm_index(const Node& node) const;

  // Input i, if known, must hold floats.
  Status float_operand(const Node& node, std::size_t i, const char* what) const;
  // Input i must be a known float tensor of `count` values (-1: any).
  Status known_floats(const Node& node, std::size_t i, const char* what, int64_t count,
                      const float** out) const;
  // Input i must be known integers.
  Status known_ints(const Node& node, std::size_t i, const char* what,
                    std::vector<int64_t>* out) const;
  // Output i gets this shape, which must be non-empty and within the limits.
  Status set_output(const Node& node, std::size_t i, Shape shape);

 private:
  const Graph& g_;
  Plan& p_;
  std::vector<int> norm_index_;  // per node
};

}  // namespace instyle::model
