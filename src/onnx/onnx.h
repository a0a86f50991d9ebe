// onnx.h: reads the subset of ONNX's ModelProto that style networks use, straight from the
// protobuf wire format.
//
//   auto model = instyle::onnx::parse_model(bytes, size);
//   if (!model.ok()) puts(model.status().message().c_str());
//   for (const auto& node : model.value().graph.nodes) puts(node.op_type.c_str());
//
// Why a hand-written reader: no protobuf library builds for WASM in this toolchain (Debian's
// libprotobuf is native only, and generated code would pull in the whole runtime), and a style
// network needs a small, fixed part of the schema. The reader is written for hostile input:
// every length is checked against the bytes that remain before anything is read or
// allocated, so memory use is bounded by a small multiple of the input size; truncation, bad
// wire types, overlong varints, inconsistent tensor sizes and dimension products that overflow
// all return an error naming where in the model it happened. Nesting is bounded by the schema
// (model > graph > node > attribute > tensor): subgraph attributes (If, Loop) are not entered.
//
// Tensors are decoded to two storage kinds: floating types (float, float16, bfloat16, double)
// to float, integer types (int64, int32, int16, int8, uint*, bool) to int64. External data and
// strings are rejected.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "status.h"

namespace instyle::onnx {

// TensorProto.DataType values.
enum class DataType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kUint8 = 2,
  kInt8 = 3,
  kUint16 = 4,
  kInt16 = 5,
  kInt32 = 6,
  kInt64 = 7,
  kString = 8,
  kBool = 9,
  kFloat16 = 10,
  kDouble = 11,
  kUint32 = 12,
  kUint64 = 13,
  kComplex64 = 14,
  kComplex128 = 15,
  kBfloat16 = 16,
};

const char* data_type_name(DataType t);
bool is_float_type(DataType t);    // float, float16, bfloat16, double
bool is_integer_type(DataType t);  // int*, uint*, bool

// Limits that keep hostile files from asking for absurd work.
constexpr std::size_t kMaxRank = 16;
constexpr int64_t kMaxElements = int64_t(1) << 31;

struct Tensor {
  std::string name;
  DataType data_type = DataType::kUndefined;
  std::vector<int64_t> dims;
  std::vector<float> floats;  // when is_float_type(data_type)
  std::vector<int64_t> ints;  // when is_integer_type(data_type)

  int64_t element_count() const;  // product of dims (1 for a scalar)
};

// AttributeProto.AttributeType values.
enum class AttributeType : int32_t {
  kUndefined = 0,
  kFloat = 1,
  kInt = 2,
  kString = 3,
  kTensor = 4,
  kGraph = 5,
  kFloats = 6,
  kInts = 7,
  kStrings = 8,
  kTensors = 9,
  kGraphs = 10,
  kSparseTensor = 11,
  kSparseTensors = 12,
  kTypeProto = 13,
  kTypeProtos = 14,
};

struct Attribute {
  std::string name;
  AttributeType type = AttributeType::kUndefined;
  float f = 0.f;
  int64_t i = 0;
  std::string s;
  std::vector<Tensor> t;  // the `t` field: empty or one tensor
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;
  std::vector<std::string> inputs;  // "" marks an omitted optional input
  std::vector<std::string> outputs;
  std::vector<Attribute> attributes;

  const Attribute* attribute(const std::string& attr_name) const;
};

// One dimension of a graph input or output: a number, a symbolic name, or unknown.
struct Dim {
  int64_t value = -1;  // -1 when not a number
  std::string param;   // e.g. "height" for dynamic axes
};

struct ValueInfo {
  std::string name;
  DataType elem_type = DataType::kUndefined;
  bool has_shape = false;
  std::vector<Dim> dims;
};

struct Graph {
  std::string name;
  std::vector<Node> nodes;
  std::vector<Tensor> initializers;
  std::vector<ValueInfo> inputs;  // may include initializers (IR version < 4)
  std::vector<ValueInfo> outputs;
};

struct OperatorSetId {
  std::string domain;  // "" or "ai.onnx" is the default domain
  int64_t version = 0;
};

struct Model {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::vector<OperatorSetId> opset_imports;
  Graph graph;

  // The version imported for the default ONNX domain, 0 when none is.
  int64_t default_opset() const;
};

// A serialized ModelProto (the bytes of an .onnx file).
Result<Model> parse_model(const uint8_t* data, std::size_t size);

// A serialized TensorProto (the test_data_set_*/*.pb files of the ONNX conformance suite).
Result<Tensor> parse_tensor(const uint8_t* data, std::size_t size);

// float16 / bfloat16 bit patterns to float (exact: every such value is a float).
float half_to_float(uint16_t bits);
float bfloat16_to_float(uint16_t bits);

}  // namespace instyle::onnx
