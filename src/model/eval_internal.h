// eval_internal.h: what the two halves of the constant evaluator share (eval.cpp: the
// dispatch and element-wise math; eval_tensor.cpp: shapes and data movement). Not a public
// header: include eval.h.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "model/eval.h"

namespace instyle::model::eval_internal {

using onnx::DataType;

inline bool is_float(const Tensor& t) {
  return onnx::is_float_type(t.data_type);
}

inline Tensor make_tensor(DataType type, std::vector<int64_t> dims) {
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

inline double as_double(const Tensor& t, std::size_t i) {
  return is_float(t) ? static_cast<double>(t.floats[i]) : static_cast<double>(t.ints[i]);
}

inline std::size_t size_of(const Tensor& t) {
  return is_float(t) ? t.floats.size() : t.ints.size();
}

inline Status need_input(const Node& node, const std::vector<const Tensor*>& in, std::size_t i,
                         const char* what) {
  if (i < in.size() && in[i] != nullptr) return Status();
  return invalid_model(node.label() + ": input " + std::to_string(i) + " (" + what +
                       ") is required");
}

inline Status need_ints(const Node& node, const Tensor& t, const char* what) {
  if (!is_float(t)) return Status();
  return invalid_model(node.label() + ": " + what + " must be an integer tensor, got " +
                       onnx::data_type_name(t.data_type));
}

// Normalizes a possibly negative axis into [0, rank).
inline Status normalize_axis(const Node& node, int64_t axis, int64_t rank, int64_t* out) {
  if (axis < -rank || axis >= rank) {
    return invalid_model(node.label() + ": axis " + std::to_string(axis) +
                         " is out of range for rank " + std::to_string(rank));
  }
  *out = axis < 0 ? axis + rank : axis;
  return Status();
}

inline std::vector<int64_t> strides_of(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (std::size_t i = shape.size(); i-- > 1;) s[i - 1] = s[i] * shape[i];
  return s;
}

// For each element of `out` (row-major), its offset in a tensor of shape `in` broadcast to it.
inline std::vector<std::size_t> broadcast_offsets(const std::vector<int64_t>& in,
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

inline Status broadcast_all(const Node& node, const std::vector<const Tensor*>& ins,
                            std::vector<int64_t>* out) {
  *out = ins[0]->dims;
  for (std::size_t i = 1; i < ins.size(); ++i) {
    INSTYLE_RETURN_IF_ERROR(
        broadcast_shapes(*out, ins[i]->dims, out).prefixed(node.label() + ": "));
  }
  int64_t count = 0;
  return checked_count(*out, kMaxFoldElements, &count).prefixed(node.label() + ": ");
}

// Copies elements of `in` at the given offsets into a new tensor of `dims`.
inline Tensor gather_offsets(const Tensor& in, std::vector<int64_t> dims,
                             const std::vector<std::size_t>& offsets) {
  Tensor out = make_tensor(in.data_type, std::move(dims));
  if (is_float(in)) {
    for (std::size_t e = 0; e < offsets.size(); ++e) out.floats[e] = in.floats[offsets[e]];
  } else {
    for (std::size_t e = 0; e < offsets.size(); ++e) out.ints[e] = in.ints[offsets[e]];
  }
  return out;
}

inline Status to_int_list(const Node& node, const Tensor* t, const char* what,
                          std::vector<int64_t>* out) {
  INSTYLE_RETURN_IF_ERROR(need_ints(node, *t, what));
  if (t->dims.size() > 1) {
    return invalid_model(node.label() + ": " + what + " must be 1-D, got " + shape_string(t->dims));
  }
  *out = t->ints;
  return Status();
}

// Axes come from an attribute (older opsets) or an optional input (newer ones).
inline Status axes_from(const Node& node, const std::vector<const Tensor*>& in,
                        std::size_t input_index, std::vector<int64_t>* axes, bool* given) {
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

// Data movement (eval_tensor.cpp).
Status eval_cast(const Node& node, const Tensor& in, Tensor* out);
Status eval_dequantize_linear(const Node& node, int64_t opset, const std::vector<const Tensor*>& in,
                              Tensor* out);
Status eval_gather(const Node& node, const Tensor& data, const Tensor& indices, Tensor* out);
Status reshape_dims(const Node& node, const std::vector<int64_t>& in_dims,
                    const std::vector<int64_t>& spec, bool allow_zero, std::vector<int64_t>* dims);
Status eval_slice(const Node& node, int64_t opset, const std::vector<const Tensor*>& in,
                  Tensor* out);
Status eval_transpose(const Node& node, const Tensor& data, Tensor* out);
Status eval_concat(const Node& node, const std::vector<const Tensor*>& in, Tensor* out);

}  // namespace instyle::model::eval_internal
