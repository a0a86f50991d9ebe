// Concat: joins tensors along one axis (U-Net style networks join channels).
#include <cstring>
#include <string>

#include "model/eval.h"
#include "model/lowering.h"

namespace instyle::model {

Status lower_concat(Lowering& l, const Node& node, Step* step) {
  ConcatStep op;
  std::vector<int> parts;
  for (std::size_t i = 0; i < node.inputs.size(); ++i) {
    if (!l.present(node, i)) continue;
    INSTYLE_RETURN_IF_ERROR(l.float_operand(node, i, "input"));
    parts.push_back(node.inputs[i]);
  }
  if (parts.empty()) return invalid_model(node.label() + ": no inputs");
  const Shape& first = l.shape(parts[0]);
  const int64_t rank = static_cast<int64_t>(first.size());
  int64_t axis = node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return invalid_model(node.label() + ": axis out of range");
  Shape out = first;
  out[axis] = 0;
  for (int v : parts) {
    const Shape& sh = l.shape(v);
    bool ok = static_cast<int64_t>(sh.size()) == rank;
    for (int64_t d = 0; ok && d < rank; ++d) ok = d == axis || sh[d] == first[d];
    if (!ok) {
      return invalid_argument(node.label() + ": inputs " + shape_string(first) + " and " +
                              shape_string(sh) + " do not concatenate on axis " +
                              std::to_string(axis));
    }
    out[axis] += sh[axis];
    op.chunk.push_back(static_cast<std::size_t>(product(sh, axis)));
  }
  step->inputs = parts;
  op.outer = static_cast<std::size_t>(product(first, 0, axis));
  step->op = std::move(op);
  return l.set_output(node, 0, out);
}

Status ConcatStep::run(const StepArgs& a) const {
  float* out = a.y;
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      std::memcpy(out, a.x[i] + o * chunk[i], chunk[i] * sizeof(float));
      out += chunk[i];
    }
  }
  return Status();
}

Status ConcatStep::field(const Plan& plan, const Step& step, Axis[2]) const {
  // Joining channels keeps the pixel grid; joining along H or W would not.
  const Shape& shape = plan.values[step.output].shape;
  const Shape& first = plan.values[step.inputs[0]].shape;
  if (shape.size() == 4 && first.size() == 4 && (first[2] != shape[2] || first[3] != shape[3])) {
    return Status(ErrorCode::kUnsupported,
                  "tiled runs need a network whose output is on its input's pixel grid: a Concat "
                  "joins along a spatial axis");
  }
  return Status();
}

}  // namespace instyle::model
