// eval.h: a small reference evaluator for nodes whose inputs are all known: the shape
// arithmetic exporters write around Pad, Resize and Reshape (Shape, Gather, Slice, Concat,
// Cast, ...), and element-wise ops on constants. Plain scalar loops over onnx::Tensor (float
// or int64 storage); used for constant folding at load and for size-dependent folding at plan
// time. Not for activations: the executor (plan.h) runs those with the SIMD kernels.
//
//   std::vector<Tensor> out;
//   INSTYLE_RETURN_IF_ERROR(evaluate_node(node, opset, {&a, &b}, &out));
#pragma once

#include <cstdint>
#include <vector>

#include "model/graph.h"

namespace instyle::model {

// Folding never makes a tensor larger than this (a hostile ConstantOfShape or Expand would
// otherwise allocate whatever it asks for).
constexpr int64_t kMaxFoldElements = int64_t(1) << 24;

// inputs[i] is nullptr for an omitted optional input. Fills one tensor per node output.
Status evaluate_node(const Node& node, int64_t opset, const std::vector<const Tensor*>& inputs,
                     std::vector<Tensor>* outputs);

// Shape's output for an input known only by its shape (an activation).
Status evaluate_shape(const Node& node, const std::vector<int64_t>& shape, Tensor* out);

// Output dims of the ops that only reinterpret data (Identity, Dropout, Reshape, Flatten,
// Squeeze, Unsqueeze) for an input of `in_dims`; in[1] (shape or axes) must be known when the
// op takes it.
Status view_dims(const Node& node, const std::vector<int64_t>& in_dims,
                 const std::vector<const Tensor*>& in, std::vector<int64_t>* out_dims);

// Numpy-style broadcasting of two shapes; an error names both when they do not broadcast.
Status broadcast_shapes(const std::vector<int64_t>& a, const std::vector<int64_t>& b,
                        std::vector<int64_t>* out);

// Element count of a shape, or an error when a dimension is negative or the product exceeds
// `limit`.
Status checked_count(const std::vector<int64_t>& shape, int64_t limit, int64_t* count);

}  // namespace instyle::model
