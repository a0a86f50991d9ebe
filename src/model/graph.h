// graph.h: the runner's graph IR, built from a parsed ONNX model: values (named tensors) and
// nodes (ops over values) in topological order, with every op looked up in ops.h's table.
//
//   auto g = instyle::model::build_graph(std::move(onnx_model));   // validates, sorts
//   if (g.ok()) INSTYLE_RETURN_IF_ERROR(fold_constants(&g.value()));
//
// A value is constant (an initializer, a Constant node's output, or anything computed from
// constants alone) or an activation whose data arrives at run time. Constant folding runs
// once at load; what depends on the input's size (Shape and the arithmetic after it) is
// folded again per input size by the planner (plan.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/ops.h"
#include "onnx/onnx.h"
#include "status.h"

namespace instyle::model {

using Tensor = onnx::Tensor;

struct Value {
  std::string name;
  int producer = -1;  // index of the node writing it; -1 for graph inputs and constants
  bool is_const = false;
  Tensor data;  // when is_const
  bool is_graph_input = false;
  bool is_graph_output = false;
  onnx::ValueInfo declared;  // graph inputs: the declared type and dims
};

struct Node {
  Op op = Op::kIdentity;
  std::string name;
  std::string op_type;
  std::vector<int> inputs;  // value ids; -1 for an omitted optional input
  std::vector<int> outputs;
  std::vector<onnx::Attribute> attributes;

  const onnx::Attribute* attr(const char* attr_name) const;
  int64_t attr_int(const char* attr_name, int64_t fallback) const;
  float attr_float(const char* attr_name, float fallback) const;
  std::string attr_string(const char* attr_name, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const char* attr_name) const;  // empty when absent

  // "node 'conv1' (Conv)": how errors name a node.
  std::string label() const;
  bool has_input(std::size_t i) const { return i < inputs.size() && inputs[i] >= 0; }
};

struct Graph {
  int64_t opset = 0;  // default-domain opset the model imports
  std::vector<Value> values;
  std::vector<Node> nodes;  // topological order
  std::vector<int> inputs;  // runtime inputs (graph inputs that are not initializers)
  std::vector<int> outputs;
  std::string producer_name;

  int find_value(const std::string& name) const;  // -1 when absent
};

// Checks and indexes a parsed model: every op in the table and the default domain, every
// input produced exactly once, no cycles. Initializers listed as graph inputs (IR < 4) become
// constants.
Result<Graph> build_graph(onnx::Model model);

// Evaluates every foldable node whose inputs are all constant, then drops the nodes and
// constants nothing needs any more.
Status fold_constants(Graph* graph);

// "[1,3,H,W]" from declared dims; "[1,4,8,8]" from numbers.
std::string dims_string(const std::vector<onnx::Dim>& dims);
std::string shape_string(const std::vector<int64_t>& shape);

}  // namespace instyle::model
