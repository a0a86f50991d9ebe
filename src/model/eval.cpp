// Reference semantics follow the ONNX operator specification; integer tensors stay int64 all
// the way (shape arithmetic must be exact), floating ones are float.
#include "model/eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace instyle::model {
namespace {

using onnx::DataType;

bool is_float(const Tensor& t) {
  return onnx::is_float_type(t.data_type);
}

Tensor make_tensor(DataType type, std::vector<int64_t> dims) {
  Tensor t;
  t.data_type = type;
  t.dims = std::move(dims);
  int64_t n = 1;
  for (int64_t d : t.dims) n *= d;
  if (onnx::is_float_type(type)) {
    t.floats.resize(static_cast<std::size_t>(n));
  } else {
    t.ints.resize(static_cast<std::size_t>(n));
  }
  return t;
}

double as_double(const Tensor& t, std::size_t i) {
  return is_float(t) ? static_cast<double>(t.floats[i]) : static_cast<double>(t.ints[i]);
}

std::size_t size_of(const Tensor& t) {
  return is_float(t) ? t.floats.size() : t.ints.size();
}

Status need_input(const Node& node, const std::vector<const Tensor*>& in, std::size_t i,
                  const char* what) {
  if (i < in.size() && in[i] != nullptr) return Status();
  return invalid_model(node.label() + ": input " + std::to_string(i) + " (" + what +
                       ") is required");
}

Status need_ints(const Node& node, const Tensor& t, const char* what) {
  if (!is_float(t)) return Status();
  return invalid_model(node.label() + ": " + what + " must be an integer tensor, got " +
                       onnx::data_type_name(t.data_type));
}

// Normalizes a possibly negative axis into [0, rank).
Status normalize_axis(const Node& node, int64_t axis, int64_t rank, int64_t* out) {
  if (axis < -rank || axis >= rank) {
    return invalid_model(node.label() + ": axis " + std::to_string(axis) +
                         " is out of range for rank " + std::to_string(rank));
  }
  *out = axis < 0 ? axis + rank : axis;
  return Status();
}

std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// For each element of `out` (row-major), its offset in a tensor of shape `in` broadcast to it.
std::vector<std::size_t> broadcast_offsets(const std::vector<int64_t>& in,
                                           const std::vector<int64_t>& out) {
  const std::size_t rank = out.size();
  std::vector<int64_t> stride(rank, 0);
  const std::vector<int64_t> in_strides = strides_of(in);
  for (std::size_t i = 0; i < in.size(); ++i) {
    const std::size_t o = rank - in.size() + i;
    stride[o] = in[i] == 1 ? 0 : in_strides[i];
  }
  int64_t n = 1;
  for (int64_t d : out) n *= d;
  std::vector<std::size_t> offsets(static_cast<std::size_t>(n));
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (int64_t e = 0; e < n; ++e) {
    offsets[static_cast<std::size_t>(e)] = static_cast<std::size_t>(off);
    for (std::size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) {
        off += stride[d];
        break;
      }
      off -= stride[d] * (out[d] - 1);
      idx[d] = 0;
    }
  }
  return offsets;
}

Status broadcast_all(const Node& node, const std::vector<const Tensor*>& ins,
                     std::vector<int64_t>* out) {
  *out = ins[0]->dims;
  for (std::size_t i = 1; i < ins.size(); ++i) {
    INSTYLE_RETURN_IF_ERROR(
        broadcast_shapes(*out, ins[i]->dims, out).prefixed(node.label() + ": "));
  }
  int64_t count = 0;
  return checked_count(*out, kMaxFoldElements, &count).prefixed(node.label() + ": ");
}

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

// Copies elements of `in` at the given offsets into a new tensor of `dims`.
Tensor gather_offsets(const Tensor& in, std::vector<int64_t> dims,
                      const std::vector<std::size_t>& offsets) {
  Tensor out = make_tensor(in.data_type, std::move(dims));
  if (is_float(in)) {
    for (std::size_t e = 0; e < offsets.size(); ++e) out.floats[e] = in.floats[offsets[e]];
  } else {
    for (std::size_t e = 0; e < offsets.size(); ++e) out.ints[e] = in.ints[offsets[e]];
  }
  return out;
}

Status to_int_list(const Node& node, const Tensor* t, const char* what, std::vector<int64_t>* out) {
  INSTYLE_RETURN_IF_ERROR(need_ints(node, *t, what));
  if (t->dims.size() > 1) {
    return invalid_model(node.label() + ": " + what + " must be 1-D, got " + shape_string(t->dims));
  }
  *out = t->ints;
  return Status();
}

// Axes come from an attribute (older opsets) or an optional input (newer ones).
Status axes_from(const Node& node, const std::vector<const Tensor*>& in, std::size_t input_index,
                 std::vector<int64_t>* axes, bool* given) {
  if (const onnx::Attribute* a = node.attr("axes")) {
    *axes = a->ints;
    *given = true;
    return Status();
  }
  if (input_index < in.size() && in[input_index]) {
    *given = true;
    return to_int_list(node, in[input_index], "axes", axes);
  }
  *given = false;
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

Status eval_cast(const Node& node, const Tensor& in, Tensor* out) {
  const auto to = static_cast<DataType>(node.attr_int("to", 0));
  if (!onnx::is_float_type(to) && !onnx::is_integer_type(to)) {
    return unsupported(node.label() + ": cast to type " + std::to_string(int(to)) +
                       " is not supported");
  }
  *out = make_tensor(to, in.dims);
  const std::size_t n = size_of(in);
  if (onnx::is_float_type(to)) {
    for (std::size_t i = 0; i < n; ++i) out->floats[i] = static_cast<float>(as_double(in, i));
    return Status();
  }
  for (std::size_t i = 0; i < n; ++i) {
    int64_t v;
    if (is_float(in)) {
      const double d = in.floats[i];
      // Truncation toward zero, saturating: a C cast of NaN or of an out-of-range value is UB.
      if (std::isnan(d)) {
        v = 0;
      } else if (d >= 9.2233720368547758e18) {
        v = std::numeric_limits<int64_t>::max();
      } else if (d <= -9.2233720368547758e18) {
        v = std::numeric_limits<int64_t>::min();
      } else {
        v = static_cast<int64_t>(d);
      }
    } else {
      v = in.ints[i];
    }
    switch (to) {
      case DataType::kBool:
        v = v != 0;
        break;
      case DataType::kInt32:
        v = static_cast<int32_t>(static_cast<uint64_t>(v));
        break;
      case DataType::kInt16:
        v = static_cast<int16_t>(static_cast<uint64_t>(v));
        break;
      case DataType::kInt8:
        v = static_cast<int8_t>(static_cast<uint64_t>(v));
        break;
      case DataType::kUint8:
        v = static_cast<uint8_t>(static_cast<uint64_t>(v));
        break;
      case DataType::kUint16:
        v = static_cast<uint16_t>(static_cast<uint64_t>(v));
        break;
      case DataType::kUint32:
        v = static_cast<uint32_t>(static_cast<uint64_t>(v));
        break;
      default:
        break;
    }
    out->ints[i] = v;
  }
  return Status();
}

Status eval_gather(const Node& node, const Tensor& data, const Tensor& indices, Tensor* out) {
  INSTYLE_RETURN_IF_ERROR(need_ints(node, indices, "indices"));
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  if (rank == 0) return invalid_model(node.label() + ": data must have rank >= 1");
  int64_t axis = 0;
  INSTYLE_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", 0), rank, &axis));
  std::vector<int64_t> dims(data.dims.begin(), data.dims.begin() + axis);
  dims.insert(dims.end(), indices.dims.begin(), indices.dims.end());
  dims.insert(dims.end(), data.dims.begin() + axis + 1, data.dims.end());
  int64_t count = 0;
  INSTYLE_RETURN_IF_ERROR(
      checked_count(dims, kMaxFoldElements, &count).prefixed(node.label() + ": "));
  const int64_t axis_dim = data.dims[axis];
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; ++i) outer *= data.dims[i];
  for (int64_t i = axis + 1; i < rank; ++i) inner *= data.dims[i];
  std::vector<std::size_t> offsets;
  offsets.reserve(static_cast<std::size_t>(count));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t idx : indices.ints) {
      if (idx < -axis_dim || idx >= axis_dim) {
        return invalid_model(node.label() + ": index " + std::to_string(idx) +
                             " is out of range for a dimension of " + std::to_string(axis_dim));
      }
      if (idx < 0) idx += axis_dim;
      for (int64_t i = 0; i < inner; ++i) {
        offsets.push_back(static_cast<std::size_t>((o * axis_dim + idx) * inner + i));
      }
    }
  }
  *out = gather_offsets(data, dims, offsets);
  return Status();
}

Status reshape_dims(const Node& node, const std::vector<int64_t>& in_dims,
                    const std::vector<int64_t>& spec, bool allow_zero, std::vector<int64_t>* dims) {
  int64_t count = 1;
  for (int64_t d : in_dims) count *= d;
  dims->clear();
  int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allow_zero) {
      if (i >= in_dims.size()) {
        return invalid_model(node.label() + ": shape copies dimension " + std::to_string(i) +
                             " of a rank-" + std::to_string(in_dims.size()) + " tensor");
      }
      d = in_dims[i];
    }
    if (d == -1) {
      if (infer >= 0) return invalid_model(node.label() + ": shape has two -1 entries");
      infer = static_cast<int>(i);
      dims->push_back(1);
      continue;
    }
    if (d < 0) return invalid_model(node.label() + ": negative dimension in shape");
    if (d != 0 && known > kMaxFoldElements * int64_t(64) / d) {
      return invalid_model(node.label() + ": shape " + shape_string(spec) + " is too large");
    }
    known *= d;
    dims->push_back(d);
  }
  if (infer >= 0) {
    if (known == 0 || count % known != 0) {
      return invalid_model(node.label() + ": cannot reshape " + shape_string(in_dims) + " to " +
                           shape_string(spec));
    }
    (*dims)[infer] = count / known;
  } else if (known != count) {
    return invalid_model(node.label() + ": cannot reshape " + shape_string(in_dims) + " to " +
                         shape_string(spec));
  }
  return Status();
}

Status eval_slice(const Node& node, int64_t opset, const std::vector<const Tensor*>& in,
                  Tensor* out) {
  const Tensor& data = *in[0];
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10 || node.attr("starts")) {
    starts = node.attr_ints("starts");
    ends = node.attr_ints("ends");
    axes = node.attr_ints("axes");
  } else {
    INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "starts"));
    INSTYLE_RETURN_IF_ERROR(need_input(node, in, 2, "ends"));
    INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[1], "starts", &starts));
    INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[2], "ends", &ends));
    if (in.size() > 3 && in[3]) INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[3], "axes", &axes));
    if (in.size() > 4 && in[4]) INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[4], "steps", &steps));
  }
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  if (starts.size() != ends.size() || (!axes.empty() && axes.size() != starts.size()) ||
      (!steps.empty() && steps.size() != starts.size())) {
    return invalid_model(node.label() + ": starts, ends, axes and steps differ in length");
  }
  std::vector<int64_t> begin(rank, 0), step(rank, 1), dims = data.dims;
  std::vector<bool> seen(rank, false);
  for (std::size_t k = 0; k < starts.size(); ++k) {
    int64_t axis = axes.empty() ? static_cast<int64_t>(k) : axes[k];
    INSTYLE_RETURN_IF_ERROR(normalize_axis(node, axis, rank, &axis));
    if (seen[axis]) return invalid_model(node.label() + ": axis repeated");
    seen[axis] = true;
    const int64_t dim = data.dims[axis];
    int64_t st = steps.empty() ? 1 : steps[k];
    if (st == 0) return invalid_model(node.label() + ": step 0");
    // A step longer than the dimension takes one element either way; clamping keeps the
    // arithmetic below from overflowing on hostile values such as INT64_MIN.
    st = std::clamp<int64_t>(st, -dim - 1, dim + 1);
    int64_t s = starts[k], e = ends[k];
    // Clamp first: exporters write INT64_MIN/MAX for "to the end", which must not overflow.
    s = std::clamp<int64_t>(s, -dim - 1, dim + 1);
    e = std::clamp<int64_t>(e, -dim - 1, dim + 1);
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    int64_t n;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      n = e > s ? (e - s - 1) / st + 1 : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      n = s > e ? (s - e - 1) / (-st) + 1 : 0;
    }
    begin[axis] = s;
    step[axis] = st;
    dims[axis] = n;
  }
  int64_t count = 0;
  INSTYLE_RETURN_IF_ERROR(checked_count(dims, kMaxFoldElements, &count));
  const std::vector<int64_t> in_strides = strides_of(data.dims);
  std::vector<std::size_t> offsets(static_cast<std::size_t>(count));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t e = 0; e < count; ++e) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) off += (begin[d] + idx[d] * step[d]) * in_strides[d];
    offsets[static_cast<std::size_t>(e)] = static_cast<std::size_t>(off);
    for (int64_t d = rank; d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  *out = gather_offsets(data, dims, offsets);
  return Status();
}

Status eval_transpose(const Node& node, const Tensor& data, Tensor* out) {
  const int64_t rank = static_cast<int64_t>(data.dims.size());
  std::vector<int64_t> perm = node.attr_ints("perm");
  if (perm.empty()) {
    for (int64_t i = rank; i-- > 0;) perm.push_back(i);
  }
  if (static_cast<int64_t>(perm.size()) != rank) {
    return invalid_model(node.label() + ": perm has the wrong length");
  }
  std::vector<bool> seen(rank, false);
  std::vector<int64_t> dims(rank);
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]]) {
      return invalid_model(node.label() + ": perm is not a permutation");
    }
    seen[perm[i]] = true;
    dims[i] = data.dims[perm[i]];
  }
  const std::vector<int64_t> in_strides = strides_of(data.dims);
  const int64_t count = data.element_count();
  std::vector<std::size_t> offsets(static_cast<std::size_t>(count));
  std::vector<int64_t> idx(rank, 0);
  for (int64_t e = 0; e < count; ++e) {
    int64_t off = 0;
    for (int64_t d = 0; d < rank; ++d) off += idx[d] * in_strides[perm[d]];
    offsets[static_cast<std::size_t>(e)] = static_cast<std::size_t>(off);
    for (int64_t d = rank; d-- > 0;) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  *out = gather_offsets(data, dims, offsets);
  return Status();
}

Status eval_concat(const Node& node, const std::vector<const Tensor*>& in, Tensor* out) {
  std::vector<const Tensor*> parts;
  for (const Tensor* t : in) {
    if (t) parts.push_back(t);
  }
  if (parts.empty()) return invalid_model(node.label() + ": no inputs");
  const int64_t rank = static_cast<int64_t>(parts[0]->dims.size());
  int64_t axis = 0;
  INSTYLE_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", 0), rank, &axis));
  std::vector<int64_t> dims = parts[0]->dims;
  dims[axis] = 0;
  for (const Tensor* t : parts) {
    if (is_float(*t) != is_float(*parts[0]) || static_cast<int64_t>(t->dims.size()) != rank) {
      return invalid_model(node.label() + ": inputs differ in type or rank");
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (d != axis && t->dims[d] != parts[0]->dims[d]) {
        return invalid_model(node.label() + ": input shapes " + shape_string(parts[0]->dims) +
                             " and " + shape_string(t->dims) + " do not concatenate");
      }
    }
    dims[axis] += t->dims[axis];
  }
  int64_t count = 0;
  INSTYLE_RETURN_IF_ERROR(checked_count(dims, kMaxFoldElements, &count));
  *out = make_tensor(parts[0]->data_type, dims);
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= dims[d];
  std::size_t pos = 0;
  for (int64_t o = 0; o < outer; ++o) {
    for (const Tensor* t : parts) {
      const int64_t chunk = t->element_count() / outer;
      for (int64_t i = 0; i < chunk; ++i, ++pos) {
        const std::size_t src = static_cast<std::size_t>(o * chunk + i);
        if (is_float(*out)) {
          out->floats[pos] = t->floats[src];
        } else {
          out->ints[pos] = t->ints[src];
        }
      }
    }
  }
  return Status();
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

Status checked_count(const std::vector<int64_t>& shape, int64_t limit, int64_t* count) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return invalid_model("negative dimension in " + shape_string(shape));
    if (d != 0 && n > limit / d) {
      return Status(ErrorCode::kOutOfMemory, "shape " + shape_string(shape) + " has more than " +
                                                 std::to_string(limit) + " elements");
    }
    n *= d;
  }
  *count = n;
  return Status();
}

Status broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                        std::vector<int64_t>* out) {
  const std::size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> r(rank);
  for (std::size_t i = 0; i < rank; ++i) {
    const int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    const int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1) {
      return invalid_model("shapes " + shape_string(a) + " and " + shape_string(b) +
                           " do not broadcast");
    }
    r[i] = da == 1 ? db : da;
  }
  *out = std::move(r);
  return Status();
}

Status view_dims(const Node& node, const std::vector<int64_t>& in_dims,
                 const std::vector<const Tensor*>& in, std::vector<int64_t>* out_dims) {
  switch (node.op) {
    case Op::kIdentity:
    case Op::kDropout:
      *out_dims = in_dims;
      return Status();
    case Op::kUnsqueeze: {
      std::vector<int64_t> axes;
      bool given = false;
      INSTYLE_RETURN_IF_ERROR(axes_from(node, in, 1, &axes, &given));
      const int64_t rank = static_cast<int64_t>(in_dims.size() + axes.size());
      std::vector<bool> is_new(rank, false);
      for (int64_t a : axes) {
        INSTYLE_RETURN_IF_ERROR(normalize_axis(node, a, rank, &a));
        if (is_new[a]) return invalid_model(node.label() + ": axis repeated");
        is_new[a] = true;
      }
      out_dims->clear();
      std::size_t k = 0;
      for (int64_t d = 0; d < rank; ++d) out_dims->push_back(is_new[d] ? 1 : in_dims[k++]);
      return Status();
    }
    case Op::kSqueeze: {
      std::vector<int64_t> axes;
      bool given = false;
      INSTYLE_RETURN_IF_ERROR(axes_from(node, in, 1, &axes, &given));
      const int64_t rank = static_cast<int64_t>(in_dims.size());
      std::vector<bool> drop(rank, false);
      for (int64_t a : axes) {
        INSTYLE_RETURN_IF_ERROR(normalize_axis(node, a, rank, &a));
        if (in_dims[a] != 1) {
          return invalid_model(node.label() + ": cannot squeeze a dimension of size " +
                               std::to_string(in_dims[a]));
        }
        drop[a] = true;
      }
      out_dims->clear();
      for (int64_t d = 0; d < rank; ++d) {
        const bool squeeze = given ? drop[d] : in_dims[d] == 1;
        if (!squeeze) out_dims->push_back(in_dims[d]);
      }
      return Status();
    }
    case Op::kReshape: {
      std::vector<int64_t> spec;
      if (const onnx::Attribute* a = node.attr("shape")) {
        spec = a->ints;  // opset < 5
      } else {
        INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "shape"));
        INSTYLE_RETURN_IF_ERROR(to_int_list(node, in[1], "shape", &spec));
      }
      return reshape_dims(node, in_dims, spec, node.attr_int("allowzero", 0) != 0, out_dims);
    }
    case Op::kFlatten: {
      const int64_t rank = static_cast<int64_t>(in_dims.size());
      int64_t axis = node.attr_int("axis", 1);
      if (axis < 0) axis += rank;
      if (axis < 0 || axis > rank) return invalid_model(node.label() + ": axis out of range");
      int64_t a = 1, b = 1;
      for (int64_t d = 0; d < rank; ++d) (d < axis ? a : b) *= in_dims[d];
      *out_dims = {a, b};
      return Status();
    }
    default:
      return invalid_model(node.label() + ": not a view op");
  }
}

Status evaluate_shape(const Node& node, const std::vector<int64_t>& shape, Tensor* out) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t start = node.attr_int("start", 0), end = node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, start, rank);
  *out = make_tensor(DataType::kInt64, {end - start});
  for (int64_t i = start; i < end; ++i) out->ints[i - start] = shape[i];
  return Status();
}

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
