// Pad: constant, reflect and edge padding of the last two dimensions (pad_f32, src/pad.h).
// A pad whose only reader is a convolution is folded into it by fuse.cpp.
#include <string>

#include "model/eval.h"
#include "model/lowering.h"
#include "parallel.h"
#include "threaded.h"

namespace instyle::model {

Status lower_pad(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  const int64_t rank = static_cast<int64_t>(xs.size());
  PadStep op;
  const std::string mode = node.attr_string("mode", "constant");
  if (mode == "constant") {
    op.mode = PadMode::kZeros;
  } else if (mode == "reflect") {
    op.mode = PadMode::kReflect;
  } else if (mode == "edge") {
    op.mode = PadMode::kEdge;
  } else {
    return unsupported(node.label() + ": pad mode '" + mode + "' is not supported");
  }
  std::vector<int64_t> pads;
  if (const onnx::Attribute* a = node.attr("pads")) {
    pads = a->ints;
    op.value = node.attr_float("value", 0.f);
  } else {
    if (!l.present(node, 1)) return invalid_model(node.label() + ": pads are required");
    INSTYLE_RETURN_IF_ERROR(l.known_ints(node, 1, "pads", &pads));
    if (l.present(node, 2)) {
      const Tensor* v = l.known(node.inputs[2]);
      if (!v || v->element_count() != 1) {
        return unsupported(node.label() + ": constant_value must be a known scalar");
      }
      op.value = onnx::is_float_type(v->data_type) ? v->floats[0] : static_cast<float>(v->ints[0]);
    }
  }
  std::vector<int64_t> axes;
  if (l.present(node, 3)) {
    INSTYLE_RETURN_IF_ERROR(l.known_ints(node, 3, "axes", &axes));
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
  op.H = rank >= 2 ? static_cast<std::size_t>(xs[rank - 2]) : 1;
  op.W = static_cast<std::size_t>(xs[rank - 1]);
  op.NC = static_cast<std::size_t>(product(xs, 0, rank >= 2 ? rank - 2 : 0));
  op.top = rank >= 2 ? static_cast<std::size_t>(begin[rank - 2]) : 0;
  op.bottom = rank >= 2 ? static_cast<std::size_t>(end[rank - 2]) : 0;
  op.left = static_cast<std::size_t>(begin[rank - 1]);
  op.right = static_cast<std::size_t>(end[rank - 1]);
  if (op.mode == PadMode::kReflect &&
      (op.top >= op.H || op.bottom >= op.H || op.left >= op.W || op.right >= op.W) &&
      (op.top + op.bottom + op.left + op.right) > 0) {
    return invalid_argument(node.label() + ": reflect padding of " + shape_string(xs) +
                            " needs pads smaller than the padded dimension");
  }
  step->inputs = {node.inputs[0]};
  step->op = op;
  return l.set_output(node, 0, out);
}

Status PadStep::run(const StepArgs& a) const {
  const std::size_t OHW = (H + top + bottom) * (W + left + right);
  parallel_for(
      NC,
      [&](std::size_t p0, std::size_t p1) {
        pad_f32(a.y + p0 * OHW, a.x[0] + p0 * H * W, p1 - p0, H, W, top, left, bottom, right, mode,
                value);
      },
      grain_for(OHW));
  return Status();
}

Status PadStep::field(const Plan&, const Step&, Axis axes[2]) const {
  axes[0] = through_pad(axes[0], top);
  axes[1] = through_pad(axes[1], left);
  return Status();
}

}  // namespace instyle::model
