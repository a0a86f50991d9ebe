// ops.h: every ONNX operator the runner knows, in one table. The enum, the op_type names and
// what the runner can do with each op all come from the X-macro below, so adding an op is one
// line here plus its folding on constants (eval.cpp) and/or, to run on activations, its
// lowering to a step kind (steps.h's table; CONTRIBUTING.md walks through it).
//
//   Op op;
//   if (!op_from_onnx("InstanceNormalization", &op)) ...;  // op == Op::kInstanceNormalization
//   if (op_info(op).runs_on_activations) ...;
#pragma once

#include <cstdint>
#include <string>

namespace instyle::model {

// X(enum name, ONNX op_type, runs on activations, folds on constants)
//   activations: the executor runs it on tensors whose values arrive at run time.
//   folds:       the evaluator computes it when every input is known at load or plan time
//                (shape arithmetic, and element-wise ops on constants).
#define INSTYLE_MODEL_OPS(X)                                     \
  /* the network itself */                                       \
  X(Conv, "Conv", true, false)                                   \
  X(ConvTranspose, "ConvTranspose", true, false)                 \
  X(InstanceNormalization, "InstanceNormalization", true, false) \
  X(BatchNormalization, "BatchNormalization", true, false)       \
  X(Relu, "Relu", true, true)                                    \
  X(LeakyRelu, "LeakyRelu", true, true)                          \
  X(Elu, "Elu", true, false)                                     \
  X(Sigmoid, "Sigmoid", true, true)                              \
  X(Tanh, "Tanh", true, true)                                    \
  X(Add, "Add", true, true)                                      \
  X(Sub, "Sub", true, true)                                      \
  X(Mul, "Mul", true, true)                                      \
  X(Div, "Div", true, true)                                      \
  X(Clip, "Clip", true, true)                                    \
  X(Pad, "Pad", true, false)                                     \
  X(AveragePool, "AveragePool", true, false)                     \
  X(MaxPool, "MaxPool", true, false)                             \
  X(Upsample, "Upsample", true, false)                           \
  X(Resize, "Resize", true, false)                               \
  X(Concat, "Concat", true, true)                                \
  /* views: no data moves on activations */                      \
  X(Identity, "Identity", true, true)                            \
  X(Dropout, "Dropout", true, true)                              \
  X(Reshape, "Reshape", true, true)                              \
  X(Flatten, "Flatten", true, true)                              \
  X(Squeeze, "Squeeze", true, true)                              \
  X(Unsqueeze, "Unsqueeze", true, true)                          \
  /* shape arithmetic, folded at load or plan time */            \
  X(Constant, "Constant", false, true)                           \
  X(ConstantOfShape, "ConstantOfShape", false, true)             \
  X(Shape, "Shape", false, true)                                 \
  X(Gather, "Gather", false, true)                               \
  X(Cast, "Cast", false, true)                                   \
  X(DequantizeLinear, "DequantizeLinear", false, true)           \
  X(Slice, "Slice", false, true)                                 \
  X(Transpose, "Transpose", false, true)                         \
  X(Expand, "Expand", false, true)                               \
  X(Range, "Range", false, true)                                 \
  X(Where, "Where", false, true)                                 \
  X(Equal, "Equal", false, true)                                 \
  X(Less, "Less", false, true)                                   \
  X(Greater, "Greater", false, true)                             \
  X(Not, "Not", false, true)                                     \
  X(Min, "Min", false, true)                                     \
  X(Max, "Max", false, true)                                     \
  X(Floor, "Floor", false, true)                                 \
  X(Ceil, "Ceil", false, true)                                   \
  X(Round, "Round", false, true)                                 \
  X(Neg, "Neg", false, true)                                     \
  X(Abs, "Abs", false, true)                                     \
  X(Sqrt, "Sqrt", false, true)                                   \
  X(Reciprocal, "Reciprocal", false, true)                       \
  X(Pow, "Pow", false, true)

enum class Op : uint8_t {
#define INSTYLE_OP_ENUM(name, onnx_name, act, fold) k##name,
  INSTYLE_MODEL_OPS(INSTYLE_OP_ENUM)
#undef INSTYLE_OP_ENUM
      kCount
};

struct OpInfo {
  const char* onnx_name;
  bool runs_on_activations;
  bool folds;
};

const OpInfo& op_info(Op op);
inline const char* op_name(Op op) {
  return op_info(op).onnx_name;
}

// Looks an ONNX op_type (default domain) up in the table; false when instyle lacks it.
bool op_from_onnx(const std::string& op_type, Op* op);

}  // namespace instyle::model
