// The element-wise step kinds: unary activations (Relu, LeakyRelu, Elu, Sigmoid, Tanh, Clip) and
// binary arithmetic (Add, Sub, Mul, Div) with ONNX broadcasting, the common broadcasts (a
// scalar, a per-channel vector) on fast paths. Both may run in place (may_overwrite).
#include <cmath>
#include <limits>
#include <string>

#include "eltwise.h"
#include "model/eval.h"
#include "model/lowering.h"
#include "parallel.h"
#include "threaded.h"

namespace instyle::model {
namespace {

float apply_binary(BinaryFn fn, float a, float b) {
  switch (fn) {
    case BinaryFn::kAdd:
      return a + b;
    case BinaryFn::kSub:
      return a - b;
    case BinaryFn::kMul:
      return a * b;
    case BinaryFn::kDiv:
      return a / b;
  }
  return 0.f;
}

// y[i] = a[i] op b[i] (stride 1) or a[i] op b[0] (stride 0), for i in [0, n). The loops are
// written per op so the compiler vectorizes each.
template <int SA, int SB>
void binary_run(BinaryFn fn, float* y, const float* a, const float* b, std::size_t n) {
  switch (fn) {
    case BinaryFn::kAdd:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] + b[i * SB];
      break;
    case BinaryFn::kSub:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] - b[i * SB];
      break;
    case BinaryFn::kMul:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] * b[i * SB];
      break;
    case BinaryFn::kDiv:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] / b[i * SB];
      break;
  }
}

void binary_strided(const BinaryStep& s, float* y, const float* a, const float* b) {
  const std::size_t rank = s.out_shape.size();
  if (rank == 0) {
    y[0] = apply_binary(s.fn, a[0], b[0]);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  const std::size_t inner = static_cast<std::size_t>(s.out_shape[rank - 1]);
  const int64_t sa = s.strides[0][rank - 1], sb = s.strides[1][rank - 1];
  int64_t oa = 0, ob = 0;
  for (std::size_t done = 0; done < s.count; done += inner) {
    for (std::size_t i = 0; i < inner; ++i) {
      y[done + i] = apply_binary(s.fn, a[oa + int64_t(i) * sa], b[ob + int64_t(i) * sb]);
    }
    // Odometer over the outer dimensions.
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < s.out_shape[d]) {
        oa += s.strides[0][d];
        ob += s.strides[1][d];
        break;
      }
      oa -= s.strides[0][d] * (s.out_shape[d] - 1);
      ob -= s.strides[1][d] * (s.out_shape[d] - 1);
      idx[d] = 0;
    }
  }
}

}  // namespace

Status BinaryStep::run(const StepArgs& args) const {
  const BinaryStep& s = *this;
  float* y = args.y;
  const float* a = args.x[0];
  const float* b = args.x[1];
  const bool relu = args.step.relu;
  const Operand ka = s.operand[0], kb = s.operand[1];
  if (ka == Operand::kFull && kb == Operand::kFull) {
    parallel_for(
        s.count,
        [&](std::size_t i0, std::size_t i1) {
          if (s.fn == BinaryFn::kAdd) {
            add_f32(y + i0, a + i0, b + i0, i1 - i0, relu);
          } else {
            binary_run<1, 1>(s.fn, y + i0, a + i0, b + i0, i1 - i0);
          }
        },
        kMinFloatsPerTask);
  } else if (ka == Operand::kFull && kb == Operand::kScalar) {
    parallel_for(
        s.count,
        [&](std::size_t i0, std::size_t i1) { binary_run<1, 0>(s.fn, y + i0, a + i0, b, i1 - i0); },
        kMinFloatsPerTask);
  } else if (ka == Operand::kScalar && kb == Operand::kFull) {
    parallel_for(
        s.count,
        [&](std::size_t i0, std::size_t i1) { binary_run<0, 1>(s.fn, y + i0, a, b + i0, i1 - i0); },
        kMinFloatsPerTask);
  } else if ((ka == Operand::kFull && kb == Operand::kPerChannel) ||
             (ka == Operand::kPerChannel && kb == Operand::kFull)) {
    const std::size_t planes = s.planes * s.channels, size = s.plane_size;
    parallel_for(
        planes,
        [&](std::size_t p0, std::size_t p1) {
          for (std::size_t p = p0; p < p1; ++p) {
            const std::size_t c = p % s.channels;
            if (ka == Operand::kFull) {
              binary_run<1, 0>(s.fn, y + p * size, a + p * size, b + c, size);
            } else {
              binary_run<0, 1>(s.fn, y + p * size, a + c, b + p * size, size);
            }
          }
        },
        grain_for(size));
  } else {
    binary_strided(s, y, a, b);
  }
  if (relu && !(ka == Operand::kFull && kb == Operand::kFull && s.fn == BinaryFn::kAdd)) {
    relu_f32(y, y, s.count);
  }
  return Status();
}

Status UnaryStep::run(const StepArgs& a) const {
  const UnaryStep& s = *this;
  float* y = a.y;
  const float* x = a.x[0];
  parallel_for(
      s.count,
      [&](std::size_t i0, std::size_t i1) {
        float* yy = y + i0;
        const float* xx = x + i0;
        const std::size_t n = i1 - i0;
        switch (s.fn) {
          case UnaryFn::kRelu:
            relu_f32(yy, xx, n);
            break;
          case UnaryFn::kClip:
            clamp_f32(yy, xx, n, s.lo, s.hi);
            break;
          case UnaryFn::kLeakyRelu:
            for (std::size_t i = 0; i < n; ++i) yy[i] = xx[i] < 0.f ? xx[i] * s.alpha : xx[i];
            break;
          case UnaryFn::kElu:
            for (std::size_t i = 0; i < n; ++i) {
              yy[i] = xx[i] < 0.f ? s.alpha * std::expm1(xx[i]) : xx[i];
            }
            break;
          case UnaryFn::kSigmoid:
            for (std::size_t i = 0; i < n; ++i) yy[i] = 1.f / (1.f + std::exp(-xx[i]));
            break;
          case UnaryFn::kTanh:
            for (std::size_t i = 0; i < n; ++i) yy[i] = std::tanh(xx[i]);
            break;
        }
      },
      kMinFloatsPerTask);
  return Status();
}

Status lower_unary(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  UnaryStep op;
  op.count = static_cast<std::size_t>(product(xs));
  switch (node.op) {
    case Op::kRelu:
      op.fn = UnaryFn::kRelu;
      break;
    case Op::kLeakyRelu:
      op.fn = UnaryFn::kLeakyRelu;
      op.alpha = node.attr_float("alpha", 0.01f);
      break;
    case Op::kElu:
      op.fn = UnaryFn::kElu;
      op.alpha = node.attr_float("alpha", 1.f);
      break;
    case Op::kSigmoid:
      op.fn = UnaryFn::kSigmoid;
      break;
    case Op::kTanh:
      op.fn = UnaryFn::kTanh;
      break;
    default: {
      op.fn = UnaryFn::kClip;
      op.lo = -std::numeric_limits<float>::infinity();
      op.hi = std::numeric_limits<float>::infinity();
      if (const onnx::Attribute* a = node.attr("min")) op.lo = a->f;
      if (const onnx::Attribute* a = node.attr("max")) op.hi = a->f;
      for (std::size_t k = 1; k <= 2; ++k) {
        if (!l.present(node, k)) continue;
        const float* v = nullptr;
        INSTYLE_RETURN_IF_ERROR(l.known_floats(node, k, k == 1 ? "min" : "max", 1, &v));
        (k == 1 ? op.lo : op.hi) = *v;
      }
    }
  }
  step->inputs = {node.inputs[0]};
  step->op = op;
  return l.set_output(node, 0, xs);
}

Status lower_binary(Lowering& l, const Node& node, Step* step) {
  if (!l.present(node, 1)) return invalid_model(node.label() + ": input 1 is required");
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 1, "input"));
  const Shape& a = l.shape(node.inputs[0]);
  const Shape& b = l.shape(node.inputs[1]);
  Shape out;
  INSTYLE_RETURN_IF_ERROR(broadcast_shapes(a, b, &out).prefixed(node.label() + ": "));
  BinaryStep op;
  op.fn = node.op == Op::kAdd   ? BinaryFn::kAdd
          : node.op == Op::kSub ? BinaryFn::kSub
          : node.op == Op::kMul ? BinaryFn::kMul
                                : BinaryFn::kDiv;
  op.count = static_cast<std::size_t>(product(out));
  op.out_shape = out;
  if (out.size() >= 2) {
    op.planes = static_cast<std::size_t>(out[0]);
    op.channels = static_cast<std::size_t>(out[1]);
    op.plane_size = static_cast<std::size_t>(product(out, 2));
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
    op.strides[k] = stride;
    bool per_channel = out.size() >= 2 && full[1] == out[1];
    for (std::size_t d = 0; d < out.size(); ++d) {
      if (d != 1 && full[d] != 1) per_channel = false;
    }
    if (product(in) == static_cast<int64_t>(op.count)) {
      op.operand[k] = Operand::kFull;
    } else if (product(in) == 1) {
      op.operand[k] = Operand::kScalar;
    } else if (per_channel) {
      op.operand[k] = Operand::kPerChannel;
    } else {
      op.operand[k] = Operand::kStrided;
    }
  }
  step->inputs = {node.inputs[0], node.inputs[1]};
  step->op = std::move(op);
  return l.set_output(node, 0, out);
}

}  // namespace instyle::model
