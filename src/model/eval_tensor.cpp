// The constant evaluator's shape functions (eval.h) and its data-movement ops: Cast,
// DequantizeLinear, Gather, Reshape, Slice, Transpose, Concat, on onnx::Tensor, int64 kept exact.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "model/eval_internal.h"

namespace instyle::model {

namespace eval_internal {

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

// y = (x - zero_point) * scale, per tensor (scalar scale) or, from opset 13, per slice along
// `axis` (1-D scale). What quantized weights need: the runner folds them to float at load time,
// so an int8 model is half the download of an fp16 one and runs exactly as fast.
Status eval_dequantize_linear(const Node& node, int64_t opset, const std::vector<const Tensor*>& in,
                              Tensor* out) {
  INSTYLE_RETURN_IF_ERROR(need_input(node, in, 1, "x_scale"));
  const Tensor& x = *in[0];
  const Tensor& scale = *in[1];
  const Tensor* zero = in.size() > 2 ? in[2] : nullptr;
  const DataType t = x.data_type;
  if (t != DataType::kInt8 && t != DataType::kUint8 && t != DataType::kInt32) {
    return unsupported(node.label() + ": x must be int8, uint8 or int32, got " +
                       onnx::data_type_name(t));
  }
  if (scale.data_type != DataType::kFloat) {
    return invalid_model(node.label() + ": x_scale must be float, got " +
                         onnx::data_type_name(scale.data_type));
  }
  if (zero && zero->data_type != t) {
    return invalid_model(node.label() + ": x_zero_point must have x's type " +
                         std::string(onnx::data_type_name(t)) + ", got " +
                         onnx::data_type_name(zero->data_type));
  }
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  const bool per_axis = !scale.dims.empty() && scale.element_count() != 1;
  int64_t axis = 0, channels = 1, inner = 1;
  if (per_axis) {
    if (opset < 13 || scale.dims.size() != 1) {
      return invalid_model(node.label() + ": x_scale must be a scalar" +
                           std::string(opset < 13 ? " before opset 13" : " or 1-D") + ", got " +
                           shape_string(scale.dims));
    }
    INSTYLE_RETURN_IF_ERROR(normalize_axis(node, node.attr_int("axis", 1), rank, &axis));
    channels = x.dims[static_cast<std::size_t>(axis)];
    if (scale.dims[0] != channels) {
      return invalid_model(node.label() + ": x_scale has " + std::to_string(scale.dims[0]) +
                           " elements but x has " + std::to_string(channels) + " along axis " +
                           std::to_string(axis));
    }
    for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dims[static_cast<std::size_t>(d)];
  }
  if (zero && zero->dims != scale.dims) {
    return invalid_model(node.label() + ": x_zero_point has shape " + shape_string(zero->dims) +
                         ", x_scale " + shape_string(scale.dims));
  }
  for (float s : scale.floats) {
    if (!std::isfinite(s)) return invalid_model(node.label() + ": x_scale is not finite");
  }
  *out = make_tensor(DataType::kFloat, x.dims);
  const std::size_t n = x.ints.size();
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t c = per_axis ? static_cast<std::size_t>((int64_t(i) / inner) % channels) : 0;
    const int64_t z = zero ? zero->ints[c] : 0;
    // In double, then rounded once: x - zero_point is exact, as in ONNX's reference.
    out->floats[i] = static_cast<float>(static_cast<double>(x.ints[i] - z) * scale.floats[c]);
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

}  // namespace eval_internal

using namespace eval_internal;  // NOLINT: this file's own helpers

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

}  // namespace instyle::model
