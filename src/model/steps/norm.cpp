// The normalization step kinds: InstanceNormalization (with statistics recorded on one run and
// replayed on another, the basis of tiled inference) and BatchNormalization (inference), run
// by the kernels of src/norm.h, whole planes per thread.
#include "norm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "model/eval.h"
#include "model/lowering.h"
#include "model/steps/threads.h"

namespace instyle::model {

Status lower_norm(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  const bool in = node.op == Op::kInstanceNormalization;
  if (xs.size() < (in ? 3u : 2u)) {
    return invalid_argument(node.label() + ": input " + shape_string(xs) +
                            " has too few dimensions");
  }
  const std::size_t N = static_cast<std::size_t>(xs[0]);
  const std::size_t C = static_cast<std::size_t>(xs[1]);
  const std::size_t HW = static_cast<std::size_t>(product(xs, 2));
  const float eps = node.attr_float("epsilon", 1e-5f);
  if (!(eps >= 0.f) || !std::isfinite(eps)) {
    return invalid_model(node.label() + ": epsilon must be finite and >= 0");
  }
  const float* scale = nullptr;
  const float* shift = nullptr;
  INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 1, "scale", xs[1], &scale));
  INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 2, "bias", xs[1], &shift));
  step->inputs = {node.inputs[0]};
  if (in) {
    InstanceNormStep op;
    op.N = N, op.C = C, op.HW = HW, op.eps = eps, op.scale = scale, op.shift = shift;
    op.norm_index = l.norm_index(node);
    step->op = op;
  } else {
    if (node.attr_int("training_mode", 0) != 0) {
      return unsupported(node.label() + ": training_mode=1 is not supported (inference only)");
    }
    BatchNormStep op;
    op.N = N, op.C = C, op.HW = HW, op.eps = eps, op.scale = scale, op.shift = shift;
    INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 3, "mean", xs[1], &op.mean));
    INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 4, "var", xs[1], &op.var));
    step->op = op;
  }
  return l.set_output(node, 0, xs);
}

Status InstanceNormStep::run(const StepArgs& a) const {
  const float* x = a.x[0];
  const std::size_t planes = N * C;
  const float* mean = nullptr;
  const float* var = nullptr;
  const std::size_t li = static_cast<std::size_t>(norm_index);
  if (a.options.replay) {
    const NormStats& st = *a.options.replay;
    if (li >= st.mean.size() || st.mean[li].size() != planes || st.var[li].size() != planes) {
      return invalid_argument("replayed statistics do not match instance norm layer " +
                              std::to_string(li) + " (" + std::to_string(planes) + " channels)");
    }
    mean = st.mean[li].data();
    var = st.var[li].data();
  } else if (a.options.record) {
    NormStats& st = *a.options.record;
    st.mean[li].resize(planes);
    st.var[li].resize(planes);
    split(planes, plane_grain(HW), [&](std::size_t p0, std::size_t p1) {
      instance_stats_f32(st.mean[li].data() + p0, st.var[li].data() + p0, x + p0 * HW, 1, p1 - p0,
                         HW);
    });
    mean = st.mean[li].data();
    var = st.var[li].data();
  }
  // Threads take whole planes; gamma and beta follow the channel of the first plane.
  split(planes, plane_grain(HW), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1;) {
      const std::size_t c = p % C, run = std::min(p1 - p, C - c);
      if (mean) {
        instance_norm_with_stats_f32(a.y + p * HW, x + p * HW, mean + p, var + p, scale + c,
                                     shift + c, 1, run, HW, eps, a.step.relu);
      } else {
        instance_norm_f32(a.y + p * HW, x + p * HW, scale + c, shift + c, 1, run, HW, eps,
                          a.step.relu);
      }
      p += run;
    }
  });
  return Status();
}

Status BatchNormStep::run(const StepArgs& a) const {
  split(N * C, plane_grain(HW), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1;) {
      const std::size_t c = p % C, run = std::min(p1 - p, C - c);
      batch_norm_f32(a.y + p * HW, a.x[0] + p * HW, mean + c, var + c, scale + c, shift + c, 1, run,
                     HW, eps, a.step.relu);
      p += run;
    }
  });
  return Status();
}

}  // namespace instyle::model
