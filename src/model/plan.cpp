// The planner: one pass over the nodes in topological order folds what is known for these
// input shapes and lowers the rest to steps (each kind's lowering is in steps/, found through
// steps.h's table); then fusion (fuse.cpp), arena placement (place.cpp) and each step's
// thread split, workspace and FLOPs.
#include "model/plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/eval.h"
#include "model/fuse.h"
#include "model/lowering.h"
#include "model/place.h"

namespace instyle::model {

int64_t product(const Shape& s, std::size_t from, std::size_t to) {
  int64_t n = 1;
  for (std::size_t i = from; i < s.size() && i < to; ++i) n *= s[i];
  return n;
}

Lowering::Lowering(const Graph& g, Plan* p) : g_(g), p_(*p), norm_index_(g.nodes.size(), -1) {
  int norms = 0;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (g.nodes[n].op == Op::kInstanceNormalization) norm_index_[n] = norms++;
  }
}

int Lowering::norm_index(const Node& node) const {
  return norm_index_[static_cast<std::size_t>(&node - g_.nodes.data())];
}

Status Lowering::float_operand(const Node& node, std::size_t i, const char* what) const {
  const int v = node.inputs[i];
  const Tensor* t = known(v);
  if (t && !onnx::is_float_type(t->data_type)) {
    return invalid_model(node.label() + ": " + what + " '" + name(v) +
                         "' must be a float tensor, got " + onnx::data_type_name(t->data_type));
  }
  return Status();
}

Status Lowering::known_floats(const Node& node, std::size_t i, const char* what, int64_t count,
                              const float** out) const {
  if (!present(node, i)) {
    return invalid_model(node.label() + ": " + what + " is required");
  }
  const int v = node.inputs[i];
  const Tensor* t = known(v);
  if (!t) {
    return unsupported(node.label() + ": " + what + " '" + name(v) +
                       "' must be a constant (it is computed at run time)");
  }
  if (!onnx::is_float_type(t->data_type)) {
    return invalid_model(node.label() + ": " + what + " '" + name(v) + "' must be float, got " +
                         onnx::data_type_name(t->data_type));
  }
  if (count >= 0 && static_cast<int64_t>(t->floats.size()) != count) {
    return invalid_model(node.label() + ": " + what + " '" + name(v) + "' has " +
                         std::to_string(t->floats.size()) + " values, expected " +
                         std::to_string(count));
  }
  *out = t->floats.data();
  return Status();
}

Status Lowering::known_ints(const Node& node, std::size_t i, const char* what,
                            std::vector<int64_t>* out) const {
  const int v = node.inputs[i];
  const Tensor* t = known(v);
  if (!t) {
    return unsupported(node.label() + ": " + what + " '" + name(v) +
                       "' must be computable before the run (it depends on activation values)");
  }
  if (onnx::is_float_type(t->data_type)) {
    return invalid_model(node.label() + ": " + what + " '" + name(v) + "' must be integers");
  }
  *out = t->ints;
  return Status();
}

Status Lowering::set_output(const Node& node, std::size_t i, Shape shape) {
  int64_t count = 0;
  INSTYLE_RETURN_IF_ERROR(
      checked_count(shape, kMaxActivationElements, &count).prefixed(node.label() + ": output "));
  if (count == 0) {
    return unsupported(node.label() + ": empty output " + shape_string(shape));
  }
  if (i < node.outputs.size() && node.outputs[i] >= 0) {
    p_.values[node.outputs[i]].shape = std::move(shape);
  }
  return Status();
}

namespace {

class Planner {
 public:
  Planner(const Graph& g, Plan* p, int threads)
      : g_(g), p_(*p), threads_(threads), lowering_(g, p) {}

  Status run(const std::vector<Shape>& input_shapes);

 private:
  Status plan_node(int n);
  void finish();

  const Graph& g_;
  Plan& p_;
  int threads_;
  Lowering lowering_;
};

Status Planner::run(const std::vector<Shape>& input_shapes) {
  p_.values.assign(g_.values.size(), PlannedValue());
  p_.alias_of.assign(g_.values.size(), -1);
  p_.input_shapes = input_shapes;
  p_.threads = std::max(1, threads_);
  if (input_shapes.size() != g_.inputs.size()) {
    return invalid_argument("the model takes " + std::to_string(g_.inputs.size()) +
                            " inputs, got " + std::to_string(input_shapes.size()));
  }
  for (std::size_t i = 0; i < g_.values.size(); ++i) {
    if (g_.values[i].is_const) {
      p_.values[i].known = &g_.values[i].data;
      p_.values[i].shape = g_.values[i].data.dims;
    }
  }
  for (std::size_t k = 0; k < g_.inputs.size(); ++k) {
    const Value& v = g_.values[g_.inputs[k]];
    const Shape& s = input_shapes[k];
    // An image input's height and width are free even where the file fixes them: the ONNX
    // zoo's style networks declare [1,3,224,224] yet run at any size. Whether the graph
    // really can is for the planner to find out below.
    std::vector<onnx::Dim> expected = v.declared.dims;
    if (expected.size() == 4) {
      if (expected[2].value >= 0) expected[2] = onnx::Dim{-1, "H"};
      if (expected[3].value >= 0) expected[3] = onnx::Dim{-1, "W"};
    }
    bool fits = !v.declared.has_shape || expected.size() == s.size();
    for (std::size_t d = 0; fits && d < s.size(); ++d) {
      if (s[d] < 1) fits = false;
      if (v.declared.has_shape && expected[d].value >= 0 && expected[d].value != s[d]) fits = false;
    }
    if (!fits) {
      return invalid_argument("input '" + v.name + "' must be " + dims_string(expected) + ", got " +
                              shape_string(s));
    }
    if (v.declared.elem_type != onnx::DataType::kUndefined &&
        v.declared.elem_type != onnx::DataType::kFloat) {
      return unsupported("input '" + v.name + "' has type " +
                         onnx::data_type_name(v.declared.elem_type) +
                         "; only float inputs are supported");
    }
    int64_t count = 0;
    INSTYLE_RETURN_IF_ERROR(
        checked_count(s, kMaxActivationElements, &count).prefixed("input '" + v.name + "': "));
    p_.values[g_.inputs[k]].shape = s;
    p_.values[g_.inputs[k]].slot.kind = Slot::kInput;
    p_.values[g_.inputs[k]].slot.input = static_cast<int>(k);
  }

  p_.norm_layers = 0;
  for (const Node& node : g_.nodes) p_.norm_layers += node.op == Op::kInstanceNormalization;

  for (std::size_t n = 0; n < g_.nodes.size(); ++n) {
    INSTYLE_RETURN_IF_ERROR(plan_node(static_cast<int>(n)));
  }
  for (int v : g_.outputs) {
    p_.outputs.push_back(v);
    if (p_.values[v].known && !onnx::is_float_type(p_.values[v].known->data_type)) {
      return unsupported("graph output '" + lowering_.name(v) + "' is not a float tensor");
    }
  }
  fuse_steps(g_, &p_);
  INSTYLE_RETURN_IF_ERROR(assign_arena(g_, &p_));
  finish();
  return Status();
}

Status Planner::plan_node(int n) {
  const Node& node = g_.nodes[n];
  const OpInfo& info = op_info(node.op);
  std::vector<const Tensor*> ins;
  bool all_known = true;
  int dynamic_input = -1;
  for (int v : node.inputs) {
    ins.push_back(lowering_.known(v));
    if (v >= 0 && !lowering_.known(v)) {
      all_known = false;
      if (dynamic_input < 0) dynamic_input = v;
    }
  }

  if (info.folds && all_known) {
    std::vector<Tensor> outs;
    INSTYLE_RETURN_IF_ERROR(evaluate_node(node, g_.opset, ins, &outs));
    for (std::size_t o = 0; o < node.outputs.size() && o < outs.size(); ++o) {
      if (node.outputs[o] < 0) continue;
      p_.folded.push_back(std::move(outs[o]));
      p_.values[node.outputs[o]].known = &p_.folded.back();
      p_.values[node.outputs[o]].shape = p_.folded.back().dims;
    }
    return Status();
  }
  if (node.op == Op::kShape) {
    Tensor t;
    INSTYLE_RETURN_IF_ERROR(evaluate_shape(node, p_.values[node.inputs[0]].shape, &t));
    p_.folded.push_back(std::move(t));
    p_.values[node.outputs[0]].known = &p_.folded.back();
    p_.values[node.outputs[0]].shape = p_.folded.back().dims;
    return Status();
  }
  if (!info.runs_on_activations) {
    return unsupported(node.label() + ": runs only on constants, but input '" +
                       lowering_.name(dynamic_input) + "' is an activation computed at run time");
  }

  // Views: the output reinterprets the input's floats with another shape.
  switch (node.op) {
    case Op::kIdentity:
    case Op::kDropout:
    case Op::kReshape:
    case Op::kFlatten:
    case Op::kSqueeze:
    case Op::kUnsqueeze: {
      INSTYLE_RETURN_IF_ERROR(lowering_.float_operand(node, 0, "input"));
      if (node.op == Op::kDropout && node.has_input(2) &&
          (!lowering_.known(node.inputs[2]) || lowering_.known(node.inputs[2])->ints.empty() ||
           lowering_.known(node.inputs[2])->ints[0] != 0)) {
        return unsupported(node.label() + ": training_mode is not supported (inference only)");
      }
      Shape out;
      INSTYLE_RETURN_IF_ERROR(view_dims(node, p_.values[node.inputs[0]].shape, ins, &out));
      for (std::size_t o = 1; o < node.outputs.size(); ++o) {
        if (node.outputs[o] >= 0) {
          return unsupported(node.label() + ": the Dropout mask output is not supported");
        }
      }
      p_.alias_of[node.outputs[0]] = node.inputs[0];
      if (lowering_.known(node.inputs[0])) {
        // A view of a constant activation operand: keep it a constant with the new shape.
        Tensor t = *lowering_.known(node.inputs[0]);
        t.dims = out;
        p_.folded.push_back(std::move(t));
        p_.values[node.outputs[0]].known = &p_.folded.back();
        p_.alias_of[node.outputs[0]] = -1;
      }
      p_.values[node.outputs[0]].shape = out;
      return Status();
    }
    default:
      break;
  }

  Step s;
  s.node = n;
  s.output = node.outputs[0];
  for (std::size_t o = 1; o < node.outputs.size(); ++o) {
    if (node.outputs[o] >= 0) {
      return unsupported(node.label() + ": only the first output is supported");
    }
  }
  if (!node.has_input(0)) return invalid_model(node.label() + ": input 0 is required");
  const LowerFn lower = lowering_for(node.op);
  if (!lower) return unsupported(node.label() + ": cannot run on activations");
  INSTYLE_RETURN_IF_ERROR(lower(lowering_, node, &s));
  for (int v : s.inputs) {
    const Tensor* t = lowering_.known(v);
    if (t && !onnx::is_float_type(t->data_type)) {
      return invalid_model(node.label() + ": input '" + lowering_.name(v) + "' must be float");
    }
  }
  p_.steps.push_back(std::move(s));
  return Status();
}

// Each step's thread split and workspace, and the FLOP counts for progress and info().
void Planner::finish() {
  std::size_t ws = 0;
  p_.flops = 0;
  for (Step& s : p_.steps) {
    const std::size_t out = static_cast<std::size_t>(product(p_.values[s.output].shape));
    std::visit(
        [&](auto& op) {
          ws = std::max(ws, op.prepare(p_.threads));
          s.flops = op.flops(out);
        },
        s.op);
    p_.flops += s.flops;
  }
  p_.workspace_per_thread = align_floats(ws);
  p_.workspace_floats = p_.workspace_per_thread * static_cast<std::size_t>(p_.threads);
}

}  // namespace

Result<Plan> make_plan(const Graph& graph, const std::vector<Shape>& input_shapes, int threads) {
  Plan plan;
  Planner planner(graph, &plan, threads);
  INSTYLE_RETURN_IF_ERROR(planner.run(input_shapes));
  return plan;
}

}  // namespace instyle::model
