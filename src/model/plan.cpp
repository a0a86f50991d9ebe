// The planner: one pass over the nodes in topological order folds what is known for these
// input shapes and turns the rest into steps; then fusions, liveness, in-place reuse and
// offsets in one arena.
#include "model/plan.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "model/eval.h"

namespace instyle::model {
namespace {

// One activation may hold at most 2^30 floats (4 GiB, all of wasm32's memory).
// The limits keep every byte count below 4 GiB in wasm32, where size_t has 32 bits.
constexpr int64_t kMaxActivationElements = sizeof(void*) == 4 ? int64_t(1) << 29 : int64_t(1) << 30;
// All activations live at once: just under 4 GiB in wasm32 (all of its memory), 256 GiB natively.
constexpr uint64_t kMaxArenaFloats =
    sizeof(void*) == 4 ? (uint64_t(1) << 30) - (uint64_t(1) << 24) : uint64_t(1) << 36;
// Strides, dilations and pads beyond this are refused, so size arithmetic cannot overflow.
constexpr int64_t kMaxWindow = 65536;
// Arena offsets are aligned to 64 bytes (a cache line, and any SIMD width).
constexpr std::size_t kAlignFloats = 16;

std::size_t align_up(std::size_t n) {
  return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
}

int64_t product(const Shape& s, std::size_t from = 0, std::size_t to = SIZE_MAX) {
  int64_t n = 1;
  for (std::size_t i = from; i < s.size() && i < to; ++i) n *= s[i];
  return n;
}

class Planner {
 public:
  Planner(const Graph& g, Plan* p, int threads) : g_(g), p_(*p), threads_(threads) {}

  Status run(const std::vector<Shape>& input_shapes);

 private:
  // --- values
  const Tensor* known(int v) const { return v >= 0 ? p_.values[v].known : nullptr; }
  bool present(const Node& n, std::size_t i) const { return n.has_input(i); }
  const std::string& name(int v) const { return g_.values[v].name; }

  Status float_operand(const Node& node, std::size_t i, const char* what) const;
  Status known_floats(const Node& node, std::size_t i, const char* what, int64_t count,
                      const float** out) const;
  Status known_ints(const Node& node, std::size_t i, const char* what,
                    std::vector<int64_t>* out) const;
  Status set_output(const Node& node, std::size_t i, Shape shape);

  // --- per-op planning
  Status plan_node(int n);
  Status plan_conv(const Node& node, Step* s);
  Status plan_conv_transpose(const Node& node, Step* s);
  Status plan_norm(const Node& node, int n, Step* s);
  Status plan_unary(const Node& node, Step* s);
  Status plan_binary(const Node& node, Step* s);
  Status plan_pad(const Node& node, Step* s);
  Status plan_resize(const Node& node, Step* s);
  Status plan_concat(const Node& node, Step* s);

  // --- after all nodes
  void fuse();
  Status allocate();
  int root(int v) const {
    while (alias_of_[v] >= 0) v = alias_of_[v];
    return v;
  }

  const Graph& g_;
  Plan& p_;
  int threads_;
  std::vector<int> alias_of_;    // views: the value whose data they reinterpret
  std::vector<int> norm_index_;  // per node: its index among InstanceNormalization nodes
};

Status Planner::float_operand(const Node& node, std::size_t i, const char* what) const {
  const int v = node.inputs[i];
  const Tensor* t = known(v);
  if (t && !onnx::is_float_type(t->data_type)) {
    return invalid_model(node.label() + ": " + what + " '" + name(v) +
                         "' must be a float tensor, got " + onnx::data_type_name(t->data_type));
  }
  return Status();
}

Status Planner::known_floats(const Node& node, std::size_t i, const char* what, int64_t count,
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

Status Planner::known_ints(const Node& node, std::size_t i, const char* what,
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

Status Planner::set_output(const Node& node, std::size_t i, Shape shape) {
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

// ---------------------------------------------------------------------------------------------

Status Planner::run(const std::vector<Shape>& input_shapes) {
  p_.values.assign(g_.values.size(), PlannedValue());
  alias_of_.assign(g_.values.size(), -1);
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

  norm_index_.assign(g_.nodes.size(), -1);
  int norms = 0;
  for (std::size_t n = 0; n < g_.nodes.size(); ++n) {
    if (g_.nodes[n].op == Op::kInstanceNormalization) norm_index_[n] = norms++;
  }
  p_.norm_layers = norms;

  for (std::size_t n = 0; n < g_.nodes.size(); ++n) {
    INSTYLE_RETURN_IF_ERROR(plan_node(static_cast<int>(n)));
  }
  for (int v : g_.outputs) {
    p_.outputs.push_back(v);
    if (p_.values[v].known && !onnx::is_float_type(p_.values[v].known->data_type)) {
      return unsupported("graph output '" + name(v) + "' is not a float tensor");
    }
  }
  fuse();
  return allocate();
}

Status Planner::plan_node(int n) {
  const Node& node = g_.nodes[n];
  const OpInfo& info = op_info(node.op);
  std::vector<const Tensor*> ins;
  bool all_known = true;
  int dynamic_input = -1;
  for (int v : node.inputs) {
    ins.push_back(known(v));
    if (v >= 0 && !known(v)) {
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
                       name(dynamic_input) + "' is an activation computed at run time");
  }

  // Views: the output reinterprets the input's floats with another shape.
  switch (node.op) {
    case Op::kIdentity:
    case Op::kDropout:
    case Op::kReshape:
    case Op::kFlatten:
    case Op::kSqueeze:
    case Op::kUnsqueeze: {
      INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
      if (node.op == Op::kDropout && present(node, 2) &&
          (!known(node.inputs[2]) || known(node.inputs[2])->ints.empty() ||
           known(node.inputs[2])->ints[0] != 0)) {
        return unsupported(node.label() + ": training_mode is not supported (inference only)");
      }
      Shape out;
      INSTYLE_RETURN_IF_ERROR(view_dims(node, p_.values[node.inputs[0]].shape, ins, &out));
      for (std::size_t o = 1; o < node.outputs.size(); ++o) {
        if (node.outputs[o] >= 0) {
          return unsupported(node.label() + ": the Dropout mask output is not supported");
        }
      }
      alias_of_[node.outputs[0]] = node.inputs[0];
      if (known(node.inputs[0])) {
        // A view of a constant activation operand: keep it a constant with the new shape.
        Tensor t = *known(node.inputs[0]);
        t.dims = out;
        p_.folded.push_back(std::move(t));
        p_.values[node.outputs[0]].known = &p_.folded.back();
        alias_of_[node.outputs[0]] = -1;
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
  if (!present(node, 0)) return invalid_model(node.label() + ": input 0 is required");
  switch (node.op) {
    case Op::kConv:
      INSTYLE_RETURN_IF_ERROR(plan_conv(node, &s));
      break;
    case Op::kConvTranspose:
      INSTYLE_RETURN_IF_ERROR(plan_conv_transpose(node, &s));
      break;
    case Op::kInstanceNormalization:
    case Op::kBatchNormalization:
      INSTYLE_RETURN_IF_ERROR(plan_norm(node, n, &s));
      break;
    case Op::kRelu:
    case Op::kLeakyRelu:
    case Op::kSigmoid:
    case Op::kTanh:
    case Op::kClip:
      INSTYLE_RETURN_IF_ERROR(plan_unary(node, &s));
      break;
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
      INSTYLE_RETURN_IF_ERROR(plan_binary(node, &s));
      break;
    case Op::kPad:
      INSTYLE_RETURN_IF_ERROR(plan_pad(node, &s));
      break;
    case Op::kUpsample:
    case Op::kResize:
      INSTYLE_RETURN_IF_ERROR(plan_resize(node, &s));
      break;
    case Op::kConcat:
      INSTYLE_RETURN_IF_ERROR(plan_concat(node, &s));
      break;
    default:
      return unsupported(node.label() + ": cannot run on activations");
  }
  for (int v : s.inputs) {
    const Tensor* t = known(v);
    if (t && !onnx::is_float_type(t->data_type)) {
      return invalid_model(node.label() + ": input '" + name(v) + "' must be float");
    }
  }
  p_.steps.push_back(std::move(s));
  return Status();
}

// Output-channel ranges for the threads: whole groups when grouped, multiples of 8 channels
// otherwise where that still gives every thread work (SIMD kernels block output channels).
std::vector<std::size_t> channel_ranges(std::size_t O, std::size_t groups, int threads) {
  const std::size_t unit =
      groups > 1 ? O / groups : (O >= 8 * static_cast<std::size_t>(threads) ? 8 : 1);
  const std::size_t units = O / unit;
  const std::size_t parts = std::max<std::size_t>(1, std::min<std::size_t>(threads, units));
  std::vector<std::size_t> r;
  for (std::size_t i = 0; i <= parts; ++i) {
    r.push_back(i == parts ? O : units * i / parts * unit);
  }
  return r;
}

Status Planner::plan_conv(const Node& node, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  if (xs.size() != 3 && xs.size() != 4) {
    return unsupported(node.label() + ": only 1-D and 2-D convolutions are supported, input is " +
                       shape_string(xs));
  }
  if (!present(node, 1)) return invalid_model(node.label() + ": weight is required");
  const Tensor* w = known(node.inputs[1]);
  if (!w)
    return unsupported(node.label() + ": weight '" + name(node.inputs[1]) + "' must be a constant");
  const Shape& ws = w->dims;
  const bool two_d = xs.size() == 4;
  if (ws.size() != xs.size()) {
    return invalid_model(node.label() + ": weight " + shape_string(ws) + " does not match input " +
                         shape_string(xs));
  }
  const int64_t group = node.attr_int("group", 1);
  const int64_t C = xs[1], O = ws[0];
  if (group < 1 || C % group != 0 || O % group != 0 || ws[1] * group != C) {
    return invalid_model(node.label() + ": input has " + std::to_string(C) +
                         " channels but the weight " + shape_string(ws) + " with group " +
                         std::to_string(group) + " expects " + std::to_string(ws[1] * group));
  }
  const int64_t H = two_d ? xs[2] : 1, W = xs.back();
  const int64_t kH = two_d ? ws[2] : 1, kW = ws.back();
  if (O < 1 || kH < 1 || kW < 1) {
    return invalid_model(node.label() + ": empty weight " + shape_string(ws));
  }
  const std::size_t sr = xs.size() - 2;  // spatial rank
  std::vector<int64_t> strides = node.attr_ints("strides"), dil = node.attr_ints("dilations"),
                       pads = node.attr_ints("pads"), ks = node.attr_ints("kernel_shape");
  if (strides.empty()) strides.assign(sr, 1);
  if (dil.empty()) dil.assign(sr, 1);
  if (pads.empty()) pads.assign(2 * sr, 0);
  if (strides.size() != sr || dil.size() != sr || pads.size() != 2 * sr ||
      (!ks.empty() && ks.size() != sr)) {
    return invalid_model(node.label() +
                         ": strides, dilations, pads or kernel_shape have the wrong length");
  }
  if (!ks.empty() && (ks[0] != (two_d ? kH : kW) || ks.back() != kW)) {
    return invalid_model(node.label() + ": kernel_shape disagrees with the weight " +
                         shape_string(ws));
  }
  for (std::size_t i = 0; i < sr; ++i) {
    if (strides[i] < 1 || dil[i] < 1 || pads[i] < 0 || pads[i + sr] < 0 ||
        strides[i] > kMaxWindow || dil[i] > kMaxWindow || pads[i] > kMaxWindow ||
        pads[i + sr] > kMaxWindow) {
      return invalid_model(node.label() +
                           ": strides and dilations must be in [1, 65536], pads in [0, 65536]");
    }
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const int64_t in_len[2] = {H, W}, k_len[2] = {kH, kW};
  const int64_t st[2] = {two_d ? strides[0] : 1, strides.back()};
  const int64_t dl[2] = {two_d ? dil[0] : 1, dil.back()};
  int64_t pb[2] = {two_d ? pads[0] : 0, pads[sr - 1]};
  int64_t pe[2] = {two_d ? pads[sr] : 0, pads[2 * sr - 1]};
  for (int a = 0; a < 2; ++a) {
    if (auto_pad == "VALID") {
      pb[a] = pe[a] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in_len[a] + st[a] - 1) / st[a];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * st[a] + (k_len[a] - 1) * dl[a] + 1 - in_len[a]);
      pb[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[a] = total - pb[a];
    } else if (auto_pad != "NOTSET") {
      return invalid_model(node.label() + ": unknown auto_pad '" + auto_pad + "'");
    }
  }
  int64_t out_len[2];
  for (int a = 0; a < 2; ++a) {
    const int64_t span = in_len[a] + pb[a] + pe[a] - dl[a] * (k_len[a] - 1) - 1;
    if (span < 0) {
      return invalid_argument(node.label() + ": the " + std::to_string(k_len[a]) +
                              "-tap kernel does not fit an input of " + shape_string(xs));
    }
    out_len[a] = span / st[a] + 1;
  }
  if (present(node, 2)) {
    INSTYLE_RETURN_IF_ERROR(known_floats(node, 2, "bias", O, &s->bias));
  }
  s->kind = StepKind::kConv;
  s->inputs = {node.inputs[0]};
  s->weight = w->floats.data();
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 1, "weight"));
  Conv2dShape& c = s->conv;
  c.N = 1;
  c.C = static_cast<std::size_t>(C);
  c.H = static_cast<std::size_t>(H);
  c.W = static_cast<std::size_t>(W);
  c.O = static_cast<std::size_t>(O);
  c.kH = static_cast<std::size_t>(kH);
  c.kW = static_cast<std::size_t>(kW);
  c.stride_h = static_cast<std::size_t>(st[0]);
  c.stride_w = static_cast<std::size_t>(st[1]);
  c.dilation_h = static_cast<std::size_t>(dl[0]);
  c.dilation_w = static_cast<std::size_t>(dl[1]);
  c.pad_top = static_cast<std::size_t>(pb[0]);
  c.pad_bottom = static_cast<std::size_t>(pe[0]);
  c.pad_left = static_cast<std::size_t>(pb[1]);
  c.pad_right = static_cast<std::size_t>(pe[1]);
  c.groups = static_cast<std::size_t>(group);
  c.pad_mode = PadMode::kZeros;
  s->batch = static_cast<std::size_t>(xs[0]);
  Shape out = two_d ? Shape{xs[0], O, out_len[0], out_len[1]} : Shape{xs[0], O, out_len[1]};
  return set_output(node, 0, out);
}

Status Planner::plan_conv_transpose(const Node& node, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  if (xs.size() != 4) {
    return unsupported(node.label() + ": only 2-D transposed convolutions are supported");
  }
  const float* wdata = nullptr;
  INSTYLE_RETURN_IF_ERROR(known_floats(node, 1, "weight", -1, &wdata));
  const Shape& ws = known(node.inputs[1])->dims;
  const int64_t group = node.attr_int("group", 1);
  if (ws.size() != 4 || group < 1 || ws[0] != xs[1] || xs[1] % group != 0) {
    return invalid_model(node.label() + ": weight " + shape_string(ws) + " does not match input " +
                         shape_string(xs) + " with group " + std::to_string(group));
  }
  const int64_t O = ws[1] * group;
  std::vector<int64_t> strides = node.attr_ints("strides"), dil = node.attr_ints("dilations"),
                       pads = node.attr_ints("pads"), out_pad = node.attr_ints("output_padding"),
                       out_shape = node.attr_ints("output_shape");
  if (strides.empty()) strides = {1, 1};
  if (dil.empty()) dil = {1, 1};
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (out_pad.empty()) out_pad = {0, 0};
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4 || out_pad.size() != 2 ||
      (!out_shape.empty() && out_shape.size() != 2)) {
    return invalid_model(node.label() + ": attributes have the wrong length");
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  int64_t out_len[2];
  for (int a = 0; a < 2; ++a) {
    if (strides[a] < 1 || dil[a] < 1 || out_pad[a] < 0 || pads[a] < 0 || pads[a + 2] < 0 ||
        strides[a] > kMaxWindow || dil[a] > kMaxWindow || out_pad[a] > kMaxWindow ||
        pads[a] > kMaxWindow || pads[a + 2] > kMaxWindow ||
        (!out_shape.empty() && (out_shape[a] < 1 || out_shape[a] > kMaxActivationElements))) {
      return invalid_model(node.label() + ": bad strides, dilations or pads");
    }
    const int64_t in = xs[2 + a], k = ws[2 + a];
    const int64_t full = strides[a] * (in - 1) + out_pad[a] + (k - 1) * dil[a] + 1;
    if (!out_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // The output size is given; the pads follow from it. A target larger than the full
      // output is reached by extra rows and columns at the end that only get the bias.
      const int64_t target = out_shape.empty() ? in * strides[a] : out_shape[a];
      const int64_t total = std::max<int64_t>(0, full - target);
      pads[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[a + 2] = total - pads[a];
      out_len[a] = target;
    } else {
      if (auto_pad == "VALID") pads[a] = pads[a + 2] = 0;
      out_len[a] = full - pads[a] - pads[a + 2];
    }
    if (out_len[a] > kMaxActivationElements) {
      return Status(ErrorCode::kOutOfMemory, node.label() + ": output too large");
    }
    if (out_len[a] < 1) return invalid_model(node.label() + ": empty output");
  }
  if (present(node, 2)) INSTYLE_RETURN_IF_ERROR(known_floats(node, 2, "bias", O, &s->bias));
  s->kind = StepKind::kConvTranspose;
  s->inputs = {node.inputs[0]};
  s->weight = wdata;
  ConvTransposeShape& c = s->convt;
  c.N = xs[0];
  c.C = xs[1];
  c.H = xs[2];
  c.W = xs[3];
  c.O = O;
  c.kH = ws[2];
  c.kW = ws[3];
  c.stride_h = strides[0];
  c.stride_w = strides[1];
  c.dilation_h = dil[0];
  c.dilation_w = dil[1];
  c.pad_top = pads[0];
  c.pad_left = pads[1];
  c.groups = group;
  c.OH = out_len[0];
  c.OW = out_len[1];
  return set_output(node, 0, {xs[0], O, out_len[0], out_len[1]});
}

Status Planner::plan_norm(const Node& node, int n, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  const bool in = node.op == Op::kInstanceNormalization;
  if (xs.size() < (in ? 3u : 2u)) {
    return invalid_argument(node.label() + ": input " + shape_string(xs) +
                            " has too few dimensions");
  }
  s->N = static_cast<std::size_t>(xs[0]);
  s->C = static_cast<std::size_t>(xs[1]);
  s->HW = static_cast<std::size_t>(product(xs, 2));
  s->eps = node.attr_float("epsilon", 1e-5f);
  if (!(s->eps >= 0.f) || !std::isfinite(s->eps)) {
    return invalid_model(node.label() + ": epsilon must be finite and >= 0");
  }
  const int64_t C = xs[1];
  INSTYLE_RETURN_IF_ERROR(known_floats(node, 1, "scale", C, &s->scale));
  INSTYLE_RETURN_IF_ERROR(known_floats(node, 2, "bias", C, &s->shift));
  s->inputs = {node.inputs[0]};
  if (in) {
    s->kind = StepKind::kInstanceNorm;
    s->norm_index = norm_index_[n];
  } else {
    if (node.attr_int("training_mode", 0) != 0) {
      return unsupported(node.label() + ": training_mode=1 is not supported (inference only)");
    }
    s->kind = StepKind::kBatchNorm;
    INSTYLE_RETURN_IF_ERROR(known_floats(node, 3, "mean", C, &s->mean));
    INSTYLE_RETURN_IF_ERROR(known_floats(node, 4, "var", C, &s->var));
  }
  return set_output(node, 0, xs);
}

Status Planner::plan_unary(const Node& node, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  s->kind = StepKind::kUnary;
  s->inputs = {node.inputs[0]};
  s->count = static_cast<std::size_t>(product(xs));
  switch (node.op) {
    case Op::kRelu:
      s->unary = UnaryFn::kRelu;
      break;
    case Op::kLeakyRelu:
      s->unary = UnaryFn::kLeakyRelu;
      s->alpha = node.attr_float("alpha", 0.01f);
      break;
    case Op::kSigmoid:
      s->unary = UnaryFn::kSigmoid;
      break;
    case Op::kTanh:
      s->unary = UnaryFn::kTanh;
      break;
    default: {
      s->unary = UnaryFn::kClip;
      s->lo = -std::numeric_limits<float>::infinity();
      s->hi = std::numeric_limits<float>::infinity();
      if (const onnx::Attribute* a = node.attr("min")) s->lo = a->f;
      if (const onnx::Attribute* a = node.attr("max")) s->hi = a->f;
      for (std::size_t k = 1; k <= 2; ++k) {
        if (!present(node, k)) continue;
        const float* v = nullptr;
        INSTYLE_RETURN_IF_ERROR(known_floats(node, k, k == 1 ? "min" : "max", 1, &v));
        (k == 1 ? s->lo : s->hi) = *v;
      }
    }
  }
  return set_output(node, 0, xs);
}

Status Planner::plan_binary(const Node& node, Step* s) {
  if (!present(node, 1)) return invalid_model(node.label() + ": input 1 is required");
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 1, "input"));
  const Shape& a = p_.values[node.inputs[0]].shape;
  const Shape& b = p_.values[node.inputs[1]].shape;
  Shape out;
  INSTYLE_RETURN_IF_ERROR(broadcast_shapes(a, b, &out).prefixed(node.label() + ": "));
  s->kind = StepKind::kBinary;
  s->binary = node.op == Op::kAdd   ? BinaryFn::kAdd
              : node.op == Op::kSub ? BinaryFn::kSub
              : node.op == Op::kMul ? BinaryFn::kMul
                                    : BinaryFn::kDiv;
  s->inputs = {node.inputs[0], node.inputs[1]};
  s->count = static_cast<std::size_t>(product(out));
  s->out_shape = out;
  if (out.size() >= 2) {
    s->planes = static_cast<std::size_t>(out[0]);
    s->channels = static_cast<std::size_t>(out[1]);
    s->plane_size = static_cast<std::size_t>(product(out, 2));
  }
  const Shape* operands[2] = {&a, &b};
  for (int k = 0; k < 2; ++k) {
    const Shape& in = *operands[k];
    const std::size_t pad = out.size() - in.size();
    Shape full(pad, 1);
    full.insert(full.end(), in.begin(), in.end());
    std::vector<int64_t> stride(out.size(), 0);
    int64_t st = 1;
    for (std::size_t d = out.size(); d-- > 0;) {
      stride[d] = full[d] == 1 ? 0 : st;
      st *= full[d];
    }
    s->strides[k] = stride;
    bool per_channel = out.size() >= 2 && full[1] == out[1];
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (d != 1 && full[d] != 1) per_channel = false;
    }
    if (product(in) == static_cast<int64_t>(s->count)) {
      s->operand[k] = Operand::kFull;
    } else if (product(in) == 1) {
      s->operand[k] = Operand::kScalar;
    } else if (per_channel) {
      s->operand[k] = Operand::kPerChannel;
    } else {
      s->operand[k] = Operand::kStrided;
    }
  }
  return set_output(node, 0, out);
}

Status Planner::plan_pad(const Node& node, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  const std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") {
    s->pad_mode = PadMode::kZeros;
  } else if (mode == "reflect") {
    s->pad_mode = PadMode::kReflect;
  } else if (mode == "edge") {
    s->pad_mode = PadMode::kEdge;
  } else {
    return unsupported(node.label() + ": pad mode '" + mode + "' is not supported");
  }
  std::vector<int64_t> pads;
  if (const onnx::Attribute* a = node.attr("pads")) {
    pads = a->ints;
    s->pad_value = node.attr_float("value", 0.f);
  } else {
    if (!present(node, 1)) return invalid_model(node.label() + ": pads are required");
    INSTYLE_RETURN_IF_ERROR(known_ints(node, 1, "pads", &pads));
    if (present(node, 2)) {
      const Tensor* v = known(node.inputs[2]);
      if (!v || v->element_count() != 1) {
        return unsupported(node.label() + ": constant_value must be a known scalar");
      }
      s->pad_value =
          onnx::is_float_type(v->data_type) ? v->floats[0] : static_cast<float>(v->ints[0]);
    }
  }
  std::vector<int64_t> axes;
  if (present(node, 3)) {
    INSTYLE_RETURN_IF_ERROR(known_ints(node, 3, "axes", &axes));
  } else {
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  }
  if (pads.size() != 2 * axes.size()) {
    return invalid_model(node.label() + ": " + std::to_string(pads.size()) + " pads for " +
                         std::to_string(axes.size()) + " axes");
  }
  std::vector<int64_t> begin(rank, 0), end(rank, 0);
  for (std::size_t i = 0; i < axes.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank) return invalid_model(node.label() + ": axis out of range");
    begin[a] = pads[i];
    end[a] = pads[i + axes.size()];
  }
  Shape out = xs;
  for (int64_t d = 0; d < rank; ++d) {
    if (begin[d] < 0 || end[d] < 0) {
      return unsupported(node.label() + ": negative pads (cropping) are not supported");
    }
    if (d < rank - 2 && (begin[d] != 0 || end[d] != 0)) {
      return unsupported(node.label() + ": padding is supported on the last two dimensions only");
    }
    if (begin[d] > kMaxActivationElements || end[d] > kMaxActivationElements) {
      return Status(ErrorCode::kOutOfMemory, node.label() + ": pads too large");
    }
    out[d] = xs[d] + begin[d] + end[d];
  }
  s->kind = StepKind::kPad;
  s->inputs = {node.inputs[0]};
  s->H = rank >= 2 ? static_cast<std::size_t>(xs[rank - 2]) : 1;
  s->W = static_cast<std::size_t>(xs[rank - 1]);
  s->NC = static_cast<std::size_t>(product(xs, 0, rank >= 2 ? rank - 2 : 0));
  s->top = rank >= 2 ? static_cast<std::size_t>(begin[rank - 2]) : 0;
  s->bottom = rank >= 2 ? static_cast<std::size_t>(end[rank - 2]) : 0;
  s->left = static_cast<std::size_t>(begin[rank - 1]);
  s->right = static_cast<std::size_t>(end[rank - 1]);
  if (s->pad_mode == PadMode::kReflect &&
      (s->top >= s->H || s->bottom >= s->H || s->left >= s->W || s->right >= s->W) &&
      (s->top + s->bottom + s->left + s->right) > 0) {
    return invalid_argument(node.label() + ": reflect padding of " + shape_string(xs) +
                            " needs pads smaller than the padded dimension");
  }
  return set_output(node, 0, out);
}

// Maps output coordinate x to input coordinate (ONNX Resize's coordinate_transformation_mode).
double source_coordinate(const std::string& mode, double x, double scale, int64_t in_len,
                         double out_len) {
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return out_len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (out_len - 1);
  }
  if (mode == "tf_half_pixel_for_nearest") return (x + 0.5) / scale;
  return x / scale;  // asymmetric
}

int64_t round_nearest(const std::string& mode, double x, bool downsampling) {
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(x + 0.5));
  if (mode == "simple") {
    // onnxruntime's rule for Upsample and Resize-10: floor, but ceil when downsampling.
    return static_cast<int64_t>(downsampling ? std::ceil(x) : std::floor(x));
  }
  // round_prefer_floor: halves go down.
  return static_cast<int64_t>(std::ceil(x - 0.5));
}

Status Planner::plan_resize(const Node& node, Step* s) {
  INSTYLE_RETURN_IF_ERROR(float_operand(node, 0, "input"));
  const Shape& xs = p_.values[node.inputs[0]].shape;
  const int64_t rank = static_cast<int64_t>(xs.size());
  const bool upsample = node.op == Op::kUpsample;
  const bool old_style = upsample || g_.opset <= 10;
  std::string mode = node.attr_string("mode", "nearest");
  if (mode == "bilinear") mode = "linear";  // Upsample-7 spelling
  if (mode != "nearest" && mode != "linear") {
    return unsupported(node.label() + ": mode '" + mode + "' is not supported");
  }
  std::string coord =
      old_style ? "asymmetric" : node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "tf_half_pixel_for_nn") coord = "tf_half_pixel_for_nearest";  // opset-11 name
  if (coord != "half_pixel" && coord != "pytorch_half_pixel" && coord != "align_corners" &&
      coord != "asymmetric" && coord != "tf_half_pixel_for_nearest" &&
      coord != "tf_crop_and_resize") {
    return unsupported(node.label() + ": coordinate_transformation_mode '" + coord +
                       "' is not supported");
  }
  const std::string nearest =
      old_style ? "simple" : node.attr_string("nearest_mode", "round_prefer_floor");
  if (coord == "tf_crop_and_resize") {
    return unsupported(node.label() +
                       ": coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  }
  if (node.attr_int("antialias", 0) != 0 || node.attr("axes") ||
      node.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch") {
    return unsupported(node.label() +
                       ": antialias, axes and keep_aspect_ratio_policy are not supported");
  }

  std::vector<double> scales;
  Shape out = xs;
  const Tensor* scale_t = nullptr;
  const Tensor* sizes_t = nullptr;
  if (upsample && node.attr("scales")) {
    for (float f : node.attr("scales")->floats) scales.push_back(f);
  } else {
    const std::size_t si = old_style ? 1 : 2;
    if (present(node, si)) {
      scale_t = known(node.inputs[si]);
      if (!scale_t) return unsupported(node.label() + ": scales must be computable before the run");
    }
    if (!old_style && present(node, 3)) {
      sizes_t = known(node.inputs[3]);
      if (!sizes_t) return unsupported(node.label() + ": sizes must be computable before the run");
    }
    if (scale_t && scale_t->element_count() == 0) scale_t = nullptr;
    if (sizes_t && sizes_t->element_count() == 0) sizes_t = nullptr;
    if (!scale_t == !sizes_t) {
      return invalid_model(node.label() + ": exactly one of scales and sizes must be given");
    }
    if (scale_t) {
      if (!onnx::is_float_type(scale_t->data_type)) {
        return invalid_model(node.label() + ": scales must be float");
      }
      for (float f : scale_t->floats) scales.push_back(f);
    }
  }
  if (sizes_t) {
    if (onnx::is_float_type(sizes_t->data_type) || sizes_t->element_count() != rank) {
      return invalid_model(node.label() + ": sizes must hold " + std::to_string(rank) +
                           " integers");
    }
    for (int64_t d = 0; d < rank; ++d) {
      out[d] = sizes_t->ints[d];
      if (out[d] < 1) return invalid_model(node.label() + ": sizes must be >= 1");
      scales.push_back(static_cast<double>(out[d]) / static_cast<double>(xs[d]));
    }
  } else {
    if (static_cast<int64_t>(scales.size()) != rank) {
      return invalid_model(node.label() + ": " + std::to_string(scales.size()) +
                           " scales for an input of rank " + std::to_string(rank));
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0) || !std::isfinite(scales[d]) || scales[d] > 1e6) {
        return invalid_model(node.label() + ": scales must be positive and finite");
      }
      const double len = std::floor(static_cast<double>(xs[d]) * scales[d]);
      if (len > static_cast<double>(kMaxActivationElements)) {
        return Status(ErrorCode::kOutOfMemory, node.label() + ": output too large");
      }
      out[d] = static_cast<int64_t>(len);
      if (out[d] < 1) return invalid_argument(node.label() + ": output would be empty");
    }
  }
  for (int64_t d = 0; d + 2 < rank; ++d) {
    if (out[d] != xs[d]) {
      return unsupported(node.label() + ": resizing is supported on the last two dimensions only");
    }
  }
  if (rank < 2) return unsupported(node.label() + ": input must have rank >= 2");
  INSTYLE_RETURN_IF_ERROR(set_output(node, 0, out));

  s->inputs = {node.inputs[0]};
  s->NC = static_cast<std::size_t>(product(xs, 0, rank - 2));
  s->H = xs[rank - 2];
  s->W = xs[rank - 1];
  s->OH = out[rank - 2];
  s->OW = out[rank - 1];
  s->linear = mode == "linear";
  const double sh = scales[rank - 2], sw = scales[rank - 1];

  // Source indices per output row and column; the fast kernels where they apply.
  auto table = [&](int64_t in_len, int64_t out_len, double scale, std::vector<int32_t>* i0,
                   std::vector<int32_t>* i1, std::vector<float>* f) {
    // With scales, ONNX measures the resized length before rounding (align_corners).
    const double resized =
        sizes_t ? static_cast<double>(out_len) : static_cast<double>(in_len) * scale;
    for (int64_t x = 0; x < out_len; ++x) {
      const double src = source_coordinate(coord, static_cast<double>(x), scale, in_len, resized);
      if (!s->linear) {
        const int64_t i =
            std::clamp<int64_t>(round_nearest(nearest, src, scale < 1), 0, in_len - 1);
        i0->push_back(static_cast<int32_t>(i));
        continue;
      }
      const double c = std::clamp(src, 0.0, static_cast<double>(in_len - 1));
      const int64_t lo = static_cast<int64_t>(std::floor(c));
      const int64_t hi = std::min(lo + 1, in_len - 1);
      i0->push_back(static_cast<int32_t>(lo));
      i1->push_back(static_cast<int32_t>(hi));
      f->push_back(static_cast<float>(c - static_cast<double>(lo)));
    }
  };
  table(xs[rank - 2], out[rank - 2], sh, &s->h0, &s->h1, &s->hf);
  table(xs[rank - 1], out[rank - 1], sw, &s->w0, &s->w1, &s->wf);

  if (!s->linear && s->OH % s->H == 0 && s->OW % s->W == 0) {
    const std::size_t fh = s->OH / s->H, fw = s->OW / s->W;
    bool replicate = true;
    for (std::size_t i = 0; i < s->OH; ++i) replicate = replicate && s->h0[i] == int32_t(i / fh);
    for (std::size_t i = 0; i < s->OW; ++i) replicate = replicate && s->w0[i] == int32_t(i / fw);
    if (replicate) {
      s->kind = StepKind::kUpsampleNearest;
      s->scale_h = fh;
      s->scale_w = fw;
      return Status();
    }
  }
  // The bilinear kernel derives its scale from the sizes; use it only where ONNX does too.
  const bool exact_scales = sizes_t || (std::fabs(sh * xs[rank - 2] - out[rank - 2]) < 1e-9 &&
                                        std::fabs(sw * xs[rank - 1] - out[rank - 1]) < 1e-9);
  if (s->linear && exact_scales && s->OH > 1 && s->OW > 1 &&
      (coord == "half_pixel" || coord == "pytorch_half_pixel" || coord == "align_corners" ||
       coord == "asymmetric")) {
    s->kind = StepKind::kResizeBilinear;
    s->coord_mode = coord == "half_pixel"           ? CoordMode::kHalfPixel
                    : coord == "pytorch_half_pixel" ? CoordMode::kPytorchHalfPixel
                    : coord == "align_corners"      ? CoordMode::kAlignCorners
                                                    : CoordMode::kAsymmetric;
    return Status();
  }
  s->kind = StepKind::kResizeTable;
  return Status();
}

Status Planner::plan_concat(const Node& node, Step* s) {
  std::vector<int> parts;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    if (!present(node, i)) continue;
    INSTYLE_RETURN_IF_ERROR(float_operand(node, i, "input"));
    parts.push_back(node.inputs[i]);
  }
  if (parts.empty()) return invalid_model(node.label() + ": no inputs");
  const Shape& first = p_.values[parts[0]].shape;
  const int64_t rank = static_cast<int64_t>(first.size());
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_model(node.label() + ": axis out of range");
  Shape out = first;
  out[axis] = 0;
  for (int v : parts) {
    const Shape& sh = p_.values[v].shape;
    bool ok = static_cast<int64_t>(sh.size()) == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || sh[d] == first[d];
    if (!ok) {
      return invalid_argument(node.label() + ": inputs " + shape_string(first) + " and " +
                              shape_string(sh) + " do not concatenate on axis " +
                              std::to_string(axis));
    }
    out[axis] += sh[axis];
    s->chunk.push_back(static_cast<std::size_t>(product(sh, axis)));
  }
  s->kind = StepKind::kConcat;
  s->inputs = parts;
  s->outer = static_cast<std::size_t>(product(first, 0, axis));
  return set_output(node, 0, out);
}

// ---------------------------------------------------------------------------------------------

// Folds ReflectionPad/ZeroPad and a nearest-neighbour Upsample before it into the following
// convolution (its kernel pads and upsamples on the fly while gathering) and a ReLU into the
// conv, norm or addition before it, when nothing else reads the intermediate value.
void Planner::fuse() {
  std::vector<int> uses(p_.values.size(), 0), producer(p_.values.size(), -1);
  for (std::size_t i = 0; i < p_.steps.size(); ++i) {
    for (int v : p_.steps[i].inputs) ++uses[root(v)];
    producer[p_.steps[i].output] = static_cast<int>(i);
  }
  for (int v : g_.outputs) uses[root(v)] += 2;  // never fuse a graph output away
  for (std::size_t v = 0; v < alias_of_.size(); ++v) {
    if (alias_of_[v] >= 0) ++uses[root(static_cast<int>(v))];  // a view is a reader too
  }
  std::vector<bool> removed(p_.steps.size(), false);
  for (std::size_t i = 0; i < p_.steps.size(); ++i) {
    Step& s = p_.steps[i];
    if (s.kind == StepKind::kConv) {
      // The step that makes input value x, if only this conv reads x and x is not a view.
      auto sole_producer = [&](int x) {
        return alias_of_[x] < 0 && uses[x] == 1 ? producer[x] : -1;
      };
      // The conv reads the producer's input instead (of H x W per plane); the producer goes.
      auto fold = [&](int pi) {
        const Step& from = p_.steps[pi];
        s.inputs[0] = from.inputs[0];
        s.conv.H = from.H;
        s.conv.W = from.W;
        removed[pi] = true;
      };
      int pi = sole_producer(s.inputs[0]);
      const Conv2dShape& c = s.conv;
      const bool conv_unpadded =
          c.pad_top == 0 && c.pad_left == 0 && c.pad_bottom == 0 && c.pad_right == 0;
      if (pi >= 0 && p_.steps[pi].kind == StepKind::kPad && conv_unpadded &&
          p_.steps[pi].NC == s.batch * c.C &&
          !(p_.steps[pi].pad_mode == PadMode::kZeros && p_.steps[pi].pad_value != 0.f)) {
        const Step& pad = p_.steps[pi];
        s.conv.pad_top = pad.top;
        s.conv.pad_left = pad.left;
        s.conv.pad_bottom = pad.bottom;
        s.conv.pad_right = pad.right;
        s.conv.pad_mode = pad.pad_mode;
        fold(pi);
        pi = sole_producer(s.inputs[0]);
      }
      // A nearest-neighbour upsampling by whole factors before it (TransformerNet's
      // UpsampleConvLayer: Resize, ReflectionPad, Conv): the conv reads the smaller tensor
      // in place, so the upsampled one, the largest of such a network, is never made.
      if (pi >= 0 && p_.steps[pi].kind == StepKind::kUpsampleNearest &&
          p_.steps[pi].NC == s.batch * c.C && c.up_h == 1 && c.up_w == 1) {
        s.conv.up_h = p_.steps[pi].scale_h;
        s.conv.up_w = p_.steps[pi].scale_w;
        fold(pi);
      }
    } else if (s.kind == StepKind::kUnary && s.unary == UnaryFn::kRelu) {
      const int x = s.inputs[0];
      const int pi = alias_of_[x] < 0 ? producer[x] : -1;
      if (pi < 0 || uses[x] != 1 || removed[pi]) continue;
      Step& prev = p_.steps[pi];
      const bool fusable = prev.kind == StepKind::kConv || prev.kind == StepKind::kInstanceNorm ||
                           prev.kind == StepKind::kBatchNorm ||
                           (prev.kind == StepKind::kBinary && prev.binary == BinaryFn::kAdd);
      if (!fusable || prev.relu) continue;
      prev.relu = true;
      prev.output = s.output;
      producer[s.output] = pi;
      removed[i] = true;
    }
  }
  std::vector<Step> kept;
  for (std::size_t i = 0; i < p_.steps.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(p_.steps[i]));
  }
  p_.steps = std::move(kept);
}

Status Planner::allocate() {
  const std::size_t steps = p_.steps.size();
  // Buffers: one per step output, shared by the views of that output.
  struct Buffer {
    uint64_t size = 0;
    std::size_t first = 0, last = 0;
    uint64_t offset = 0;
    bool live = true;
  };
  std::vector<Buffer> buffers;
  std::vector<int> buffer_of(p_.values.size(), -1);
  for (std::size_t i = 0; i < steps; ++i) {
    const int v = p_.steps[i].output;
    Buffer b;
    b.size = align_up(static_cast<std::size_t>(product(p_.values[v].shape)));
    b.first = b.last = i;
    buffer_of[v] = static_cast<int>(buffers.size());
    buffers.push_back(b);
  }
  auto buffer_of_root = [&](int v) { return buffer_of[root(v)]; };
  for (std::size_t i = 0; i < steps; ++i) {
    for (int v : p_.steps[i].inputs) {
      const int b = buffer_of_root(v);
      if (b >= 0) buffers[b].last = std::max(buffers[b].last, i);
    }
  }
  for (int v : g_.outputs) {
    const int b = buffer_of_root(v);
    if (b >= 0) buffers[b].last = steps;  // alive after the last step, for the caller
  }

  // In place: an element-wise step may write over an input that nothing reads afterwards.
  for (std::size_t i = 0; i < steps; ++i) {
    Step& s = p_.steps[i];
    const bool elementwise = s.kind == StepKind::kUnary || s.kind == StepKind::kInstanceNorm ||
                             s.kind == StepKind::kBatchNorm || s.kind == StepKind::kBinary;
    if (!elementwise) continue;
    const int out = buffer_of[s.output];
    for (std::size_t k = 0; k < s.inputs.size(); ++k) {
      if (s.kind == StepKind::kBinary && s.operand[k] != Operand::kFull) continue;
      const int in = buffer_of_root(s.inputs[k]);
      if (in < 0 || buffers[in].last != i || buffers[in].size != buffers[out].size) continue;
      // Both operands reading the same buffer is fine; it is still read once per element.
      buffers[in].last = buffers[out].last;
      buffers[out].live = false;
      for (std::size_t v = 0; v < buffer_of.size(); ++v) {
        if (buffer_of[v] == out) buffer_of[v] = in;
      }
      break;
    }
  }

  // Offsets: largest buffers first, each at the lowest offset free for its whole lifetime
  // (the greedy-by-size heuristic; close to optimal on chain-like graphs).
  std::vector<int> order;
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    if (buffers[b].live) order.push_back(static_cast<int>(b));
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return buffers[a].size > buffers[b].size; });
  std::vector<int> placed;
  uint64_t arena = 0;  // 64-bit whatever size_t is: many large buffers must not wrap around
  for (int b : order) {
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (int o : placed) {
      if (buffers[o].first <= buffers[b].last && buffers[b].first <= buffers[o].last) {
        busy.push_back({buffers[o].offset, buffers[o].offset + buffers[o].size});
      }
    }
    std::sort(busy.begin(), busy.end());
    uint64_t at = 0;
    for (const auto& r : busy) {
      if (r.first >= at + buffers[b].size) break;
      at = std::max(at, r.second);
    }
    buffers[b].offset = at;
    arena = std::max(arena, at + buffers[b].size);
    placed.push_back(b);
  }
  if (arena > kMaxArenaFloats) {
    return Status(ErrorCode::kOutOfMemory, "the plan needs " + std::to_string(arena * 4 >> 20) +
                                               " MiB for activations, more than the " +
                                               std::to_string(kMaxArenaFloats * 4 >> 20) +
                                               " MiB this build can address; try a smaller input");
  }
  p_.arena_floats = static_cast<std::size_t>(arena);

  for (std::size_t v = 0; v < p_.values.size(); ++v) {
    PlannedValue& pv = p_.values[v];
    if (pv.known) {
      pv.slot.kind = Slot::kConst;
      pv.slot.data = onnx::is_float_type(pv.known->data_type) ? pv.known->floats.data() : nullptr;
      continue;
    }
    const int r = root(static_cast<int>(v));
    if (p_.values[r].slot.kind == Slot::kInput) {
      pv.slot = p_.values[r].slot;
    } else if (buffer_of[r] >= 0) {
      pv.slot.kind = Slot::kArena;
      pv.slot.offset = static_cast<std::size_t>(buffers[buffer_of[r]].offset);
      pv.buffer = buffer_of[r];
    }
  }

  // Conv work splits and scratch; FLOP counts for progress and info().
  std::size_t ws = 0;
  p_.flops = 0;
  for (Step& s : p_.steps) {
    const std::size_t out = static_cast<std::size_t>(product(p_.values[s.output].shape));
    switch (s.kind) {
      case StepKind::kConv: {
        s.ranges = channel_ranges(s.conv.O, s.conv.groups, p_.threads);
        const std::size_t og = s.conv.O / s.conv.groups, cg = s.conv.C / s.conv.groups;
        for (std::size_t r = 0; r + 1 < s.ranges.size(); ++r) {
          Conv2dShape c = s.conv;
          c.O = s.ranges[r + 1] - s.ranges[r];
          if (s.conv.groups > 1) {
            c.groups = c.O / og;
            c.C = c.groups * cg;
          }
          ws = std::max(ws, conv2d_workspace_size(c));
        }
        s.flops = s.conv.flops() * static_cast<double>(s.batch);
        break;
      }
      case StepKind::kConvTranspose:
        s.flops = 2.0 * s.convt.N * s.convt.C * s.convt.H * s.convt.W *
                  (s.convt.O / s.convt.groups) * s.convt.kH * s.convt.kW;
        break;
      default:
        s.flops = static_cast<double>(out) * 2.0;
    }
    p_.flops += s.flops;
  }
  p_.workspace_per_thread = align_up(ws);
  p_.workspace_floats = p_.workspace_per_thread * static_cast<std::size_t>(p_.threads);
  return Status();
}

}  // namespace

Result<Plan> make_plan(const Graph& graph, const std::vector<Shape>& input_shapes, int threads) {
  Plan plan;
  Planner planner(graph, &plan, threads);
  INSTYLE_RETURN_IF_ERROR(planner.run(input_shapes));
  return plan;
}

}  // namespace instyle::model
