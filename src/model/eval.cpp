// The constant evaluator's dispatch (evaluate_node) and its element-wise math. Reference
// semantics follow the ONNX operator specification; integer tensors stay int64 all
// the way (shape arithmetic must be exact), floating ones are float.
#include "model/eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "model/eval_internal.h"

namespace instyle::model {
namespace {

using namespace eval_internal;  // NOLINT: the evaluator's shared helpers

// Element-wise over broadcast inputs. All inputs integer: fi on int64; otherwise ff on double.
template <class FF, class FI>
Status elementwise(const Node& node, const std::vector<const Tensor*>& ins, FF ff, FI fi,
                   DataType int_result, Tensor* out) {
  std::vector<int64_t> shape;
  INSTYLE_RETURN_IF_ERROR(broadcast_all(node, ins, &shape));
  bool all_int = true;
  for (const Tensor* t : ins) all_int = all_int && !is_float(*t);
  std::vector<std::vector<std::size_t>> offs;
  for (const Tensor* t : ins) offs.push_back(broadcast_offsets(t->dims, shape));
  const std::size_t n = offs.empty() ? 0 : offs[0].size();
  const DataType type = all_int
                            ? (int_result == DataType::kUndefined ? ins[0]->data_type : int_result)
                            : DataType::kFloat;
  *out = make_tensor(type, shape);
  std::vector<double> dv(ins.size());
  std::vector<int64_t> iv(ins.size());
  for (std::size_t e = 0; e < n; ++e) {
    if (all_int) {
      for (std::size_t k = 0; k < ins.size(); ++k) iv[k] = ins[k]->ints[offs[k][e]];
      int64_t r = 0;
      INSTYLE_RETURN_IF_ERROR(fi(iv.data(), &r));
      out->ints[e] = r;
    } else {
      for (std::size_t k = 0; k < ins.size(); ++k) dv[k] = as_double(*ins[k], offs[k][e]);
      out->floats[e] = static_cast<float>(ff(dv.data()));
    }
  }
  return Status();
}

// Comparisons produce bool (stored as int64 0/1) whatever the input type.
template <class F>
Status compare(const Node& node, const std::vector<const Tensor*>& ins, F f, Tensor* out) {
  std::vector<int64_t> shape;
  INSTYLE_RETURN_IF_ERROR(broadcast_all(node, ins, &shape));
  const auto oa = broadcast_offsets(ins[0]->dims, shape);
  const auto ob = broadcast_offsets(ins[1]->dims, shape);
  *out = make_tensor(DataType::kBool, shape);
  const bool ints = !is_float(*ins[0]) && !is_float(*ins[1]);
  for (std::size_t e = 0; e < oa.size(); ++e) {
    if (ints) {
      out->ints[e] = f(ins[0]->ints[oa[e]], ins[1]->ints[ob[e]]);
    } else {
      out->ints[e] = f(as_double(*ins[0], oa[e]), as_double(*ins[1], ob[e]));
    }
  }
  return Status();
}

Status eval_constant(const Node& node, Tensor* out) {
  if (const onnx::Attribute* a = node.attr("value")) {
    if (a->t.empty()) return invalid_model(node.label() + ": 'value' holds no tensor");
    *out = a->t[0];
    return Status();
  }
  if (const onnx::Attribute* a = node.attr("value_float")) {
    *out = make_tensor(DataType::kFloat, {});
    out->floats[0] = a->f;
    return Status();
  }
  if (const onnx::Attribute* a = node.attr("value_floats")) {
    *out = make_tensor(DataType::kFloat, {static_cast<int64_t>(a->floats.size())});
    out->floats = a->floats;
    return Status();
  }
  if (const onnx::Attribute* a = node.attr("value_int")) {
    *out = make_tensor(DataType::kInt64, {});
    out->ints[0] = a->i;
    return Status();
  }
  if (const onnx::Attribute* a = node.attr("value_ints")) {
    *out = make_tensor(DataType::kInt64, {static_cast<int64_t>(a->ints.size())});
    out->ints = a->ints;
    return Status();
  }
  return unsupported(node.label() + ": only tensor, float and int constants are supported");
}

Status clip_bounds(const Node& node, const std::vector<const Tensor*>& in, double* lo, double* hi) {
  *lo = -std::numeric_limits<double>::infinity();
  *hi = std::numeric_limits<double>::infinity();
  if (const onnx::Attribute* a = node.attr("min")) *lo = a->f;
  if (const onnx::Attribute* a = node.attr("max")) *hi = a->f;
  for (std::size_t k = 1; k <= 2; ++k) {
    if (k < in.size() && in[k]) {
      if (size_of(*in[k]) != 1) {
        return invalid_model(node.label() + ": min and max must be scalars");
      }
      (k == 1 ? *lo : *hi) = as_double(*in[k], 0);
    }
  }
  return Status();
}

// double -> int64 without the UB of casting NaN or out-of-range values.
int64_t saturate(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9.2233720368547758e18) return std::numeric_limits<int64_t>::max();
  if (d <= -9.2233720368547758e18) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(d);
}

template <class F>
Status unary(const Node& node, const Tensor& in, F f, bool keep_ints, Tensor* out) {
  const bool ints = !is_float(in) && keep_ints;
  *out = make_tensor(ints ? in.data_type : DataType::kFloat, in.dims);
  const std::size_t n = size_of(in);
  for (std::size_t i = 0; i < n; ++i) {
    const double v = f(as_double(in, i));
    if (ints) {
      out->ints[i] = saturate(v);
    } else {
      out->floats[i] = static_cast<float>(v);
    }
  }
  (void)node;
  return Status();
}
}  // namespace

Status evaluate_node(const Node& node, int64_t opset, const std::vector<const Tensor*>& in,
                     std::vector<Tensor>* outputs) {
  outputs->assign(std::max<std::size_t>(1, node.outputs.size()), Tensor());
  Tensor& out = (*outputs)[0];
  if (node.op != Op::kConstant && node.op != Op::kRange && node.op != Op::kConcat &&
      node.op != Op::kMin && node.op != Op::kMax) {
    INSTYLE_RETURN_IF_ERROR(need_input(node, in, 0, "data"));
  }
  for (const Tensor* t : in) {
    if (t && size_of(*t) != static_cast<std::size_t>(t->element_count())) {
      return invalid_model(node.label() + ": input tensor data does not match its shape");
    }
  }
  const auto nan = std::numeric_limits<double>::quiet_NaN();
  switch (node.op) {
    case Op::kConstant:
      return eval_constant(node, &out);
    case Op::kIdentity:
      out = *in[0];
      return Status();
    case Op::kDropout:
      if (in.size() > 2 && in[2] && (in[2]->ints.empty() || in[2]->ints[0] != 0)) {
        return unsupported(node.label() + ": training_mode is not supported (inference only)");
      }
      out = *in[0];
      if (outputs->size() > 1) {
        (*outputs)[1] = make_tensor(DataType::kBool, in[0]->dims);
        std::fill((*outputs)[1].ints.begin(), (*outputs)[1].ints.end(), 1);
      }
      return Status();
    case Op::kConstantOfShape: {
      std::vector<int64_t> dims;
      INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[0], "shape", &dims));
      int64_t count = 0;
      INSTYLE_RETURN_IF_ERROR(
          checked_count(dims, kMaxFoldElements, &count).prefixed(node.label() + ": "));
      Tensor value = make_tensor(DataType::kFloat, {1});
      if (const onnx::Attribute* a = node.attr("value")) {
        if (a->t.empty() || a->t[0].element_count() != 1) {
          return invalid_model(node.label() + ": 'value' must hold one element");
        }
        value = a->t[0];
      }
      out = make_tensor(value.data_type, dims);
      if (is_float(out)) {
        std::fill(out.floats.begin(), out.floats.end(), value.floats[0]);
      } else {
        std::fill(out.ints.begin(), out.ints.end(), value.ints[0]);
      }
      return Status();
    }
    case Op::kShape:
      return evaluate_shape(node, in[0]->dims, &out);
    case Op::kGather:
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "indices"));
      return eval_gather(node, *in[0], *in[1], &out);
    case Op::kCast:
      return eval_cast(node, *in[0], &out);
    case Op::kDequantizeLinear:
      return eval_dequantize_linear(node, opset, in, &out);
    case Op::kUnsqueeze:
    case Op::kSqueeze:
    case Op::kReshape:
    case Op::kFlatten:
      out = *in[0];
      return view_dims(node, in[0]->dims, in, &out.dims);
    case Op::kConcat:
      return eval_concat(node, in, &out);
    case Op::kSlice:
      return eval_slice(node, opset, in, &out);
    case Op::kTranspose:
      return eval_transpose(node, *in[0], &out);
    case Op::kExpand: {
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "shape"));
      std::vector<int64_t> spec, dims;
      INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[1], "shape", &spec));
      INSTYLE_RETURN_IF_ERROR(
          broadcast_shapes(in[0]->dims, spec, &dims).prefixed(node.label() + ": "));
      int64_t count = 0;
      INSTYLE_RETURN_IF_ERROR(
          checked_count(dims, kMaxFoldElements, &count).prefixed(node.label() + ": "));
      out = gather_offsets(*in[0], dims, broadcast_offsets(in[0]->dims, dims));
      return Status();
    }
    case Op::kRange: {
      for (std::size_t k = 0; k < 3; ++k) {
        INSTYLE_RETURN_IF_ERROR(need_input(node, in, k, "start, limit, delta"));
        if (size_of(*in[k]) != 1 || is_float(*in[k]) != is_float(*in[0])) {
          return invalid_model(node.label() + ": inputs must be scalars of one type");
        }
      }
      const double start = as_double(*in[0], 0), limit = as_double(*in[1], 0),
                   delta = as_double(*in[2], 0);
      if (delta == 0 || !std::isfinite(start) || !std::isfinite(limit) || !std::isfinite(delta)) {
        return invalid_model(node.label() + ": bad range");
      }
      const double n = std::max(std::ceil((limit - start) / delta), 0.0);
      if (n > static_cast<double>(kMaxFoldElements)) {
        return Status(ErrorCode::kOutOfMemory, node.label() + ": range too long");
      }
      out = make_tensor(in[0]->data_type, {static_cast<int64_t>(n)});
      for (int64_t i = 0; i < static_cast<int64_t>(n); ++i) {
        if (is_float(out)) {
          out.floats[i] = static_cast<float>(start + i * delta);
        } else {
          out.ints[i] = static_cast<int64_t>(static_cast<uint64_t>(in[0]->ints[0]) +
                                             static_cast<uint64_t>(i) *
                                                 static_cast<uint64_t>(in[2]->ints[0]));
        }
      }
      return Status();
    }
    case Op::kWhere: {
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "X"));
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 2, "Y"));
      if (is_float(*in[1]) != is_float(*in[2])) {
        return invalid_model(node.label() + ": X and Y differ in type");
      }
      std::vector<int64_t> shape;
      INSTYLE_RETURN_IF_ERROR(broadcast_all(node, {in[0], in[1], in[2]}, &shape));
      const auto oc = broadcast_offsets(in[0]->dims, shape);
      const auto ox = broadcast_offsets(in[1]->dims, shape);
      const auto oy = broadcast_offsets(in[2]->dims, shape);
      out = make_tensor(in[1]->data_type, shape);
      for (std::size_t e = 0; e < oc.size(); ++e) {
        const bool c = as_double(*in[0], oc[e]) != 0;
        if (is_float(out)) {
          out.floats[e] = c ? in[1]->floats[ox[e]] : in[2]->floats[oy[e]];
        } else {
          out.ints[e] = c ? in[1]->ints[ox[e]] : in[2]->ints[oy[e]];
        }
      }
      return Status();
    }
    case Op::kEqual:
    case Op::kLess:
    case Op::kGreater: {
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "B"));
      const Op op = node.op;
      return compare(
          node, {in[0], in[1]},
          [op](auto a, auto b) -> int64_t {
            return op == Op::kEqual ? a == b : op == Op::kLess ? a < b : a > b;
          },
          &out);
    }
    case Op::kNot:
      return unary(
          node, *in[0], [](double v) { return v == 0 ? 1.0 : 0.0; }, true, &out);
    case Op::kMin:
    case Op::kMax: {
      std::vector<const Tensor*> ins;
      for (const Tensor* t : in) {
        if (t) ins.push_back(t);
      }
      if (ins.empty()) return invalid_model(node.label() + ": no inputs");
      const bool is_min = node.op == Op::kMin;
      return elementwise(
          node, ins,
          [&](const double* v) {
            double r = v[0];
            for (std::size_t k = 1; k < ins.size(); ++k)
              r = is_min ? std::min(r, v[k]) : std::max(r, v[k]);
            return r;
          },
          [&](const int64_t* v, int64_t* r) {
            *r = v[0];
            for (std::size_t k = 1; k < ins.size(); ++k)
              *r = is_min ? std::min(*r, v[k]) : std::max(*r, v[k]);
            return Status();
          },
          DataType::kUndefined, &out);
    }
    case Op::kAdd:
    case Op::kSub:
    case Op::kMul:
    case Op::kDiv:
    case Op::kPow: {
      INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "B"));
      const Op op = node.op;
      const Node* n = &node;
      return elementwise(
          node, {in[0], in[1]},
          [op](const double* v) {
            switch (op) {
              case Op::kAdd:
                return v[0] + v[1];
              case Op::kSub:
                return v[0] - v[1];
              case Op::kMul:
                return v[0] * v[1];
              case Op::kDiv:
                return v[0] / v[1];
              default:
                return std::pow(v[0], v[1]);
            }
          },
          [op, n](const int64_t* v, int64_t* r) {
            // Wrapping arithmetic through uint64: overflow in a hostile file is not UB.
            const uint64_t a = static_cast<uint64_t>(v[0]), b = static_cast<uint64_t>(v[1]);
            switch (op) {
              case Op::kAdd:
                *r = static_cast<int64_t>(a + b);
                break;
              case Op::kSub:
                *r = static_cast<int64_t>(a - b);
                break;
              case Op::kMul:
                *r = static_cast<int64_t>(a * b);
                break;
              case Op::kDiv:
                if (v[1] == 0) return invalid_model(n->label() + ": integer division by zero");
                if (v[1] == -1) {
                  *r = static_cast<int64_t>(uint64_t(0) - a);
                } else {
                  *r = v[0] / v[1];
                }
                break;
              default: {
                double p = std::pow(static_cast<double>(v[0]), static_cast<double>(v[1]));
                *r = std::isfinite(p) && std::fabs(p) < 9e18 ? static_cast<int64_t>(p) : 0;
              }
            }
            return Status();
          },
          DataType::kUndefined, &out);
    }
    case Op::kClip: {
      double lo, hi;
      INSTYLE_RETURN_IF_ERROR(clip_bounds(node, in, &lo, &hi));
      return unary(
          node, *in[0], [lo, hi](double v) { return std::min(std::max(v, lo), hi); }, true, &out);
    }
    case Op::kRelu:
      return unary(
          node, *in[0], [](double v) { return v < 0 ? 0.0 : v; }, true, &out);
    case Op::kLeakyRelu: {
      const double alpha = node.attr_float("alpha", 0.01f);
      return unary(
          node, *in[0], [alpha](double v) { return v < 0 ? alpha * v : v; }, false, &out);
    }
    case Op::kSigmoid:
      return unary(
          node, *in[0], [](double v) { return 1.0 / (1.0 + std::exp(-v)); }, false, &out);
    case Op::kTanh:
      return unary(
          node, *in[0], [](double v) { return std::tanh(v); }, false, &out);
    case Op::kFloor:
      return unary(
          node, *in[0], [](double v) { return std::floor(v); }, true, &out);
    case Op::kCeil:
      return unary(
          node, *in[0], [](double v) { return std::ceil(v); }, true, &out);
    case Op::kRound:
      return unary(
          node, *in[0], [](double v) { return std::nearbyint(v); }, true, &out);
    case Op::kNeg:
      return unary(
          node, *in[0], [](double v) { return -v; }, true, &out);
    case Op::kAbs:
      return unary(
          node, *in[0], [](double v) { return std::fabs(v); }, true, &out);
    case Op::kSqrt:
      return unary(
          node, *in[0], [nan](double v) { return v < 0 ? nan : std::sqrt(v); }, false, &out);
    case Op::kReciprocal:
      return unary(
          node, *in[0], [](double v) { return 1.0 / v; }, false, &out);
    default:
      return unsupported(node.label() + ": cannot be computed on constants");
  }
}

}  // namespace instyle::model
