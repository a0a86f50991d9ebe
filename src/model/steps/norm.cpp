// The normalization step kinds: InstanceNormalization (with statistics recorded on one run and
// replayed on another, the basis of tiled inference) and BatchNormalization (inference), run
// by the threaded drivers of src/threaded.h, whole planes per thread.
#include <cmath>
#include <string>
#include <vector>

#include "model/eval.h"
#include "model/lowering.h"
#include "threaded.h"

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

// The AdaIN layer (plan.h: AdaInStyle): the photo's statistics (given, or its own), then the
// norm with a scale and shift per channel that blend the style's statistics with the photo's.
Status InstanceNormStep::run_adain(const StepArgs& a, const AdaInStyle& style, const float* mean,
                                   const float* var) const {
  if (N != 1 || style.mean.size() != C || style.stddev.size() != C) {
    return invalid_argument("the style's statistics have " + std::to_string(style.mean.size()) +
                            " channels; the AdaIN layer " + std::to_string(norm_index) + " has " +
                            std::to_string(C) + (N != 1 ? " and a batch of more than one" : ""));
  }
  std::vector<float> own_mean, own_var;
  if (!mean) {
    own_mean.resize(C);
    own_var.resize(C);
    instance_stats_threaded(own_mean.data(), own_var.data(), a.x[0], C, HW);
    mean = own_mean.data();
    var = own_var.data();
  }
  const float s = style.strength;
  std::vector<float> gamma(C), beta(C);
  for (std::size_t c = 0; c < C; ++c) {
    gamma[c] = s * style.stddev[c] + (1.f - s) * std::sqrt(var[c] + eps);
    beta[c] = s * style.mean[c] + (1.f - s) * mean[c];
  }
  instance_norm_threaded(a.y, a.x[0], gamma.data(), beta.data(), N, C, HW, eps, a.step.relu, mean,
                         var);
  return Status();
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
  } else if (a.options.smooth) {
    NormStats& st = *a.options.smooth;
    if (st.mean.size() <= li) {
      st.mean.resize(li + 1);
      st.var.resize(li + 1);
    }
    const bool fresh = st.mean[li].size() != planes;
    // This run's statistics in the tail of the same vectors, then blended into the head.
    st.mean[li].resize(2 * planes);
    st.var[li].resize(2 * planes);
    float* m = st.mean[li].data();
    float* v = st.var[li].data();
    instance_stats_threaded(m + planes, v + planes, x, planes, HW);
    const float keep = fresh ? 0.f : a.options.keep;
    for (std::size_t p = 0; p < planes; ++p) {
      m[p] = keep * m[p] + (1.f - keep) * m[planes + p];
      v[p] = keep * v[p] + (1.f - keep) * v[planes + p];
    }
    st.mean[li].resize(planes);
    st.var[li].resize(planes);
    mean = m;
    var = v;
  } else if (a.options.record) {
    NormStats& st = *a.options.record;
    st.mean[li].resize(planes);
    st.var[li].resize(planes);
    instance_stats_threaded(st.mean[li].data(), st.var[li].data(), x, planes, HW);
    mean = st.mean[li].data();
    var = st.var[li].data();
  }
  const AdaInStyle* style = a.options.adain;
  if (style && style->layer == norm_index) return run_adain(a, *style, mean, var);
  instance_norm_threaded(a.y, x, scale, shift, N, C, HW, eps, a.step.relu, mean, var);
  return Status();
}

Status BatchNormStep::run(const StepArgs& a) const {
  batch_norm_threaded(a.y, a.x[0], mean, var, scale, shift, N, C, HW, eps, a.step.relu);
  return Status();
}

}  // namespace instyle::model
