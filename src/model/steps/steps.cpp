// The ONNX op -> lowering table, and the receptive-field rules the step kinds share.
#include "model/steps.h"

namespace instyle::model {

namespace {

// Every ONNX op that runs on activations, and the lowering that makes its step. The views
// (Identity, Reshape, ...) make no step: plan.cpp aliases their output to their input.
constexpr struct {
  Op op;
  LowerFn lower;
} kLowerings[] = {
    {Op::kConv, lower_conv},
    {Op::kConvTranspose, lower_conv_transpose},
    {Op::kInstanceNormalization, lower_norm},
    {Op::kBatchNormalization, lower_norm},
    {Op::kRelu, lower_unary},
    {Op::kLeakyRelu, lower_unary},
    {Op::kElu, lower_unary},
    {Op::kSigmoid, lower_unary},
    {Op::kTanh, lower_unary},
    {Op::kClip, lower_unary},
    {Op::kAdd, lower_binary},
    {Op::kSub, lower_binary},
    {Op::kMul, lower_binary},
    {Op::kDiv, lower_binary},
    {Op::kPad, lower_pad},
    {Op::kAveragePool, lower_pool},
    {Op::kMaxPool, lower_pool},
    {Op::kUpsample, lower_resize},
    {Op::kResize, lower_resize},
    {Op::kConcat, lower_concat},
};

}  // namespace

LowerFn lowering_for(Op op) {
  for (const auto& entry : kLowerings) {
    if (entry.op == op) return entry.lower;
  }
  return nullptr;
}

// Output pixel p reads input pixels p*stride - pad + [0, (k-1)*dilation].
Axis through_conv(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                  std::size_t pad) {
  const double reach = 0.5 * static_cast<double>((k - 1) * dilation) * in.step;
  Axis out;
  out.step = in.step * static_cast<double>(stride);
  out.origin = in.origin +
               (0.5 * static_cast<double>((k - 1) * dilation) - static_cast<double>(pad)) * in.step;
  out.lo = in.lo - reach;
  out.hi = in.hi + reach;
  return out;
}

// Output pixel p of a transposed convolution takes input pixels q with q*stride - pad + j*d = p.
Axis through_conv_transpose(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                            std::size_t pad) {
  const double s = static_cast<double>(stride);
  const double reach = (0.5 * static_cast<double>((k - 1) * dilation) / s + 1.0) * in.step;
  Axis out;
  out.step = in.step / s;
  out.origin =
      in.origin +
      (static_cast<double>(pad) - 0.5 * static_cast<double>((k - 1) * dilation)) / s * in.step;
  out.lo = in.lo - reach;
  out.hi = in.hi + reach;
  return out;
}

// Resampling from n to m pixels (half-pixel centres); nearest or linear reads at most the
// neighbour on either side of the source position.
Axis through_resize(const Axis& in, std::size_t n, std::size_t m) {
  const double scale = static_cast<double>(m) / static_cast<double>(n);
  Axis out;
  out.step = in.step / scale;
  out.origin = in.origin + (0.5 / scale - 0.5) * in.step;
  out.lo = in.lo - in.step;
  out.hi = in.hi + in.step;
  return out;
}

Axis through_pad(const Axis& in, std::size_t before) {
  Axis out = in;
  out.origin -= static_cast<double>(before) * in.step;
  return out;
}

}  // namespace instyle::model
