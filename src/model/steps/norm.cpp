// The normalization step kinds: InstanceNormalization (with statistics recorded on one run and
// replayed on another, the basis of tiled inference) and BatchNormalization (inference), run
// by the threaded drivers of src/threaded.h, whole planes per thread.
#include <cmath>
#include <string>
#include <vector>

#include "model/eval.h"
#include "model/lowering.h"
#include "threaded.h"
#include "wct.h"

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

// The AdaIN or WCT layer (plan.h: AdaInStyle), with the photo's statistics at it (run() gives
// them): mean and var and, for WCT, the covariance (RunOptions::covariance_layer).
Status InstanceNormStep::run_adain(const StepArgs& a, const AdaInStyle& style, const float* mean,
                                   const float* var, const double* cov) const {
  if (N != 1 || style.mean.size() != C || style.stddev.size() != C) {
    return invalid_argument("the style's statistics have " + std::to_string(style.mean.size()) +
                            " channels; the AdaIN layer " + std::to_string(norm_index) + " has " +
                            std::to_string(C) + (N != 1 ? " and a batch of more than one" : ""));
  }
  if (style.wct() && style.coloring.size() != C * C) {
    return invalid_argument("the style's colouring matrix has " +
                            std::to_string(style.coloring.size()) + " values; the WCT layer " +
                            std::to_string(norm_index) + " needs " + std::to_string(C) + " x " +
                            std::to_string(C));
  }
  const float s = style.strength;
  if (style.wct()) {
    if (!cov) return invalid_argument("internal: the WCT layer ran without a covariance");
    std::vector<float> M(C * C), b(C);
    INSTYLE_RETURN_IF_ERROR(wct_affine(M.data(), b.data(), cov, mean, style.coloring.data(),
                                       style.mean.data(), C, s, eps)
                                .prefixed("the WCT layer " + std::to_string(norm_index) + ": "));
    channel_mix(a.y, a.x[0], M.data(), mean, b.data(), C, HW, a.step.relu);
    return Status();
  }
  std::vector<float> gamma(C), beta(C);
  for (std::size_t c = 0; c < C; ++c) {
    gamma[c] = s * style.stddev[c] + (1.f - s) * std::sqrt(var[c] + eps);
    beta[c] = s * style.mean[c] + (1.f - s) * mean[c];
  }
  instance_norm_threaded(a.y, a.x[0], gamma.data(), beta.data(), N, C, HW, eps, a.step.relu, mean,
                         var);
  return Status();
}

// The covariance layer's C x C covariance for this run, about `mean` (the statistics the layer
// uses): replayed, or this run's own, kept as the options say (recorded, or averaged into the
// smoothed one). *own holds it when nothing else does.
Status InstanceNormStep::covariance(const StepArgs& a, const float* mean, std::vector<double>* own,
                                    const double** cov) const {
  if (N != 1) return invalid_argument("the WCT layer takes a batch of one");
  const RunOptions& o = a.options;
  if (o.replay) {
    if (o.replay->covariance.size() != C * C) {
      return invalid_argument("replayed statistics have no covariance for instance norm layer " +
                              std::to_string(norm_index));
    }
    *cov = o.replay->covariance.data();
    return Status();
  }
  own->resize(C * C);
  channel_covariance(own->data(), a.x[0], mean, C, HW);
  if (o.smooth) {
    std::vector<double>& kept = o.smooth->covariance;
    const double keep = kept.size() == C * C ? o.keep : 0.0;
    kept.resize(C * C);
    for (std::size_t e = 0; e < C * C; ++e) kept[e] = keep * kept[e] + (1.0 - keep) * (*own)[e];
    *cov = kept.data();
  } else if (o.record) {
    o.record->covariance = *own;
    *cov = o.record->covariance.data();
  } else {
    *cov = own->data();
  }
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
  // The style layer and the covariance layer need the statistics before the norm: this run's
  // own when nothing above gave them (instance_norm_threaded would compute the same).
  const AdaInStyle* style = a.options.adain;
  const bool styled = style && style->layer == norm_index;
  const bool covaried = a.options.covariance_layer == norm_index;
  std::vector<float> own_mean, own_var;
  if ((styled || covaried) && !mean) {
    own_mean.resize(planes);
    own_var.resize(planes);
    instance_stats_threaded(own_mean.data(), own_var.data(), x, planes, HW);
    mean = own_mean.data();
    var = own_var.data();
  }
  std::vector<double> own_cov;
  const double* cov = nullptr;
  if (covaried) INSTYLE_RETURN_IF_ERROR(covariance(a, mean, &own_cov, &cov));
  if (styled) return run_adain(a, *style, mean, var, cov);
  instance_norm_threaded(a.y, x, scale, shift, N, C, HW, eps, a.step.relu, mean, var);
  return Status();
}

Status BatchNormStep::run(const StepArgs& a) const {
  batch_norm_threaded(a.y, a.x[0], mean, var, scale, shift, N, C, HW, eps, a.step.relu);
  return Status();
}

}  // namespace instyle::model
