// The ONNX messages over the protobuf wire layer (wire.h). Unknown fields are skipped, which is
// how newer ONNX files stay readable. Field numbers below are those of onnx.proto (IR 8).
#include "onnx/onnx.h"

#include <cstring>
#include <limits>

#include "onnx/wire.h"

namespace instyle::onnx {
namespace {

using namespace wire;  // NOLINT: the wire layer is this reader's own

std::size_t element_size(DataType t) {
  switch (t) {
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kBool:
      return 1;
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kFloat16:
    case DataType::kBfloat16:
      return 2;
    case DataType::kFloat:
    case DataType::kInt32:
    case DataType::kUint32:
      return 4;
    case DataType::kInt64:
    case DataType::kUint64:
    case DataType::kDouble:
      return 8;
    default:
      return 0;
  }
}

uint64_t load_le(const uint8_t* p, std::size_t bytes) {
  uint64_t v = 0;
  for (std::size_t b = 0; b < bytes; ++b) v |= static_cast<uint64_t>(p[b]) << (8 * b);
  return v;
}

// Sign-extends the low `bits` of v.
int64_t sign_extend(uint64_t v, int bits) {
  const uint64_t m = uint64_t(1) << (bits - 1);
  v &= (bits == 64) ? ~uint64_t(0) : ((uint64_t(1) << bits) - 1);
  return static_cast<int64_t>((v ^ m) - m);
}

// Converts one stored element of type t (its raw little-endian bits) to the storage kinds.
float float_from_bits(DataType t, uint64_t bits) {
  switch (t) {
    case DataType::kFloat:
      return bits_to_float(static_cast<uint32_t>(bits));
    case DataType::kFloat16:
      return half_to_float(static_cast<uint16_t>(bits));
    case DataType::kBfloat16:
      return bfloat16_to_float(static_cast<uint16_t>(bits));
    case DataType::kDouble:
      return static_cast<float>(bits_to_double(bits));
    default:
      return 0.f;
  }
}

Status int_from_bits(DataType t, uint64_t bits, int64_t* out) {
  switch (t) {
    case DataType::kInt8:
      *out = sign_extend(bits, 8);
      break;
    case DataType::kInt16:
      *out = sign_extend(bits, 16);
      break;
    case DataType::kInt32:
      *out = sign_extend(bits, 32);
      break;
    case DataType::kInt64:
      *out = static_cast<int64_t>(bits);
      break;
    case DataType::kUint8:
      *out = static_cast<int64_t>(bits & 0xff);
      break;
    case DataType::kUint16:
      *out = static_cast<int64_t>(bits & 0xffff);
      break;
    case DataType::kUint32:
      *out = static_cast<int64_t>(bits & 0xffffffffu);
      break;
    case DataType::kBool:
      *out = (bits & 0xff) != 0;
      break;
    case DataType::kUint64:
      if (bits > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        return unsupported("uint64 value " + std::to_string(bits) + " does not fit int64");
      }
      *out = static_cast<int64_t>(bits);
      break;
    default:
      return invalid_model("not an integer type");
  }
  return Status();
}

// The fields of a TensorProto, collected before we know which of them hold the data.
struct RawTensor {
  std::vector<uint64_t> dims, float_data, int32_data, int64_data, double_data, uint64_data;
  int64_t data_type = 0;
  const uint8_t* raw = nullptr;
  std::size_t raw_size = 0;
  bool has_raw = false, has_strings = false, external = false, has_segment = false;
  std::string name;
};

Status parse_tensor_fields(Reader r, const uint8_t* file_start, RawTensor* t) {
  Field f;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        INSTYLE_RETURN_IF_ERROR(append_varints(f, &t->dims, "dims", file_start));
        break;
      case 2:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "data_type"));
        t->data_type = static_cast<int32_t>(f.value);
        break;
      case 3:
        t->has_segment = true;
        break;
      case 4:
        INSTYLE_RETURN_IF_ERROR(append_fixed(f, 4, &t->float_data, "float_data"));
        break;
      case 5:
        INSTYLE_RETURN_IF_ERROR(append_varints(f, &t->int32_data, "int32_data", file_start));
        break;
      case 6:
        t->has_strings = true;
        break;
      case 7:
        INSTYLE_RETURN_IF_ERROR(append_varints(f, &t->int64_data, "int64_data", file_start));
        break;
      case 8:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "name"));
        t->name = as_string(f);
        break;
      case 9:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "raw_data"));
        t->raw = f.data;
        t->raw_size = f.size;
        t->has_raw = true;
        break;
      case 10:
        INSTYLE_RETURN_IF_ERROR(append_fixed(f, 8, &t->double_data, "double_data"));
        break;
      case 11:
        INSTYLE_RETURN_IF_ERROR(append_varints(f, &t->uint64_data, "uint64_data", file_start));
        break;
      case 13:
        t->external = true;
        break;  // external_data
      case 14:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "data_location"));
        if (f.value == 1) t->external = true;
        break;
      default:
        break;  // doc_string and future fields
    }
  }
  return Status();
}

Status build_tensor(const RawTensor& raw, Tensor* out) {
  out->name = raw.name;
  const std::string label = raw.name.empty() ? "tensor" : "tensor '" + raw.name + "'";
  if (raw.external) return unsupported(label + ": external data is not supported");
  if (raw.has_segment) return unsupported(label + ": segmented tensors are not supported");
  const DataType type = static_cast<DataType>(raw.data_type);
  out->data_type = type;
  if (type == DataType::kString || raw.has_strings) {
    return unsupported(label + ": string tensors are not supported");
  }
  if (!is_float_type(type) && !is_integer_type(type)) {
    return unsupported(label + ": data type " + std::to_string(raw.data_type) +
                       " is not supported");
  }
  if (raw.dims.size() > kMaxRank) {
    return unsupported(label + ": rank " + std::to_string(raw.dims.size()) + " exceeds " +
                       std::to_string(kMaxRank));
  }
  int64_t count = 1;
  out->dims.clear();
  for (uint64_t d : raw.dims) {
    const int64_t dim = static_cast<int64_t>(d);
    if (dim < 0) return invalid_model(label + ": negative dimension " + std::to_string(dim));
    out->dims.push_back(dim);
    // Checked before multiplying, so the product never overflows.
    if (dim != 0 && count > kMaxElements / dim) {
      return invalid_model(label + ": dimensions multiply to more than " +
                           std::to_string(kMaxElements) + " elements");
    }
    count *= dim;
  }
  const auto mismatch = [&](std::size_t have, const char* where) {
    return invalid_model(label + ": " + where + " holds " + std::to_string(have) +
                         " values but dims need " + std::to_string(count));
  };
  const std::size_t n = static_cast<std::size_t>(count);

  if (raw.has_raw) {
    const std::size_t es = element_size(type);
    if (raw.raw_size / es != n || raw.raw_size % es != 0) {
      return mismatch(raw.raw_size / es, "raw_data");
    }
    if (is_float_type(type)) {
      out->floats.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        out->floats[i] = float_from_bits(type, load_le(raw.raw + i * es, es));
      }
    } else {
      out->ints.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        INSTYLE_RETURN_IF_ERROR(int_from_bits(type, load_le(raw.raw + i * es, es), &out->ints[i])
                                    .prefixed(label + ": "));
      }
    }
    return Status();
  }

  // Typed fields: which one holds the data depends on the type (see onnx.proto).
  const std::vector<uint64_t>* source = nullptr;
  const char* field = "";
  switch (type) {
    case DataType::kFloat:
      source = &raw.float_data;
      field = "float_data";
      break;
    case DataType::kDouble:
      source = &raw.double_data;
      field = "double_data";
      break;
    case DataType::kInt64:
      source = &raw.int64_data;
      field = "int64_data";
      break;
    case DataType::kUint32:
    case DataType::kUint64:
      source = &raw.uint64_data;
      field = "uint64_data";
      break;
    default:
      source = &raw.int32_data;
      field = "int32_data";
      break;  // 8/16/32-bit, bool, f16
  }
  if (source->size() != n) return mismatch(source->size(), field);
  if (is_float_type(type)) {
    out->floats.resize(n);
    for (std::size_t i = 0; i < n; ++i) out->floats[i] = float_from_bits(type, (*source)[i]);
  } else {
    out->ints.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      INSTYLE_RETURN_IF_ERROR(
          int_from_bits(type, (*source)[i], &out->ints[i]).prefixed(label + ": "));
    }
  }
  return Status();
}

Status parse_tensor_message(Reader r, const uint8_t* file_start, Tensor* out) {
  RawTensor raw;
  INSTYLE_RETURN_IF_ERROR(parse_tensor_fields(r, file_start, &raw));
  return build_tensor(raw, out);
}

Status parse_attribute(Reader r, const uint8_t* file_start, Attribute* a) {
  Field f;
  bool has[16] = {};  // which value fields were seen, to infer a missing `type`
  std::vector<uint64_t> scratch;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "attribute name"));
        a->name = as_string(f);
        break;
      case 2:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kFixed32, "attribute f"));
        a->f = bits_to_float(static_cast<uint32_t>(f.value));
        has[int(AttributeType::kFloat)] = true;
        break;
      case 3:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "attribute i"));
        a->i = static_cast<int64_t>(f.value);
        has[int(AttributeType::kInt)] = true;
        break;
      case 4:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "attribute s"));
        a->s = as_string(f);
        has[int(AttributeType::kString)] = true;
        break;
      case 5: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "attribute t"));
        Tensor t;
        INSTYLE_RETURN_IF_ERROR(parse_tensor_message(sub_reader(f, file_start), file_start, &t));
        a->t.assign(1, std::move(t));
        has[int(AttributeType::kTensor)] = true;
        break;
      }
      case 6:
        has[int(AttributeType::kGraph)] = true;
        break;  // subgraphs are not entered
      case 7:
        scratch.clear();
        INSTYLE_RETURN_IF_ERROR(append_fixed(f, 4, &scratch, "attribute floats"));
        for (uint64_t v : scratch) a->floats.push_back(bits_to_float(static_cast<uint32_t>(v)));
        has[int(AttributeType::kFloats)] = true;
        break;
      case 8:
        scratch.clear();
        INSTYLE_RETURN_IF_ERROR(append_varints(f, &scratch, "attribute ints", file_start));
        for (uint64_t v : scratch) a->ints.push_back(static_cast<int64_t>(v));
        has[int(AttributeType::kInts)] = true;
        break;
      case 9:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "attribute strings"));
        a->strings.push_back(as_string(f));
        has[int(AttributeType::kStrings)] = true;
        break;
      case 10:
        has[int(AttributeType::kTensors)] = true;
        break;
      case 11:
        has[int(AttributeType::kGraphs)] = true;
        break;
      case 20:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "attribute type"));
        a->type = static_cast<AttributeType>(static_cast<int32_t>(f.value));
        break;
      case 21:
        return unsupported("attribute '" + a->name + "' refers to a function attribute");
      default:
        break;
    }
  }
  if (a->type == AttributeType::kUndefined) {
    // Files from before IR version 3 may omit `type`; the populated field says it.
    for (int t = 1; t < 16; ++t) {
      if (has[t]) {
        a->type = static_cast<AttributeType>(t);
        break;
      }
    }
  }
  return Status();
}

Status parse_node(Reader r, const uint8_t* file_start, Node* n) {
  Field f;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "node input"));
        n->inputs.push_back(as_string(f));
        break;
      case 2:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "node output"));
        n->outputs.push_back(as_string(f));
        break;
      case 3:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "node name"));
        n->name = as_string(f);
        break;
      case 4:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "op_type"));
        n->op_type = as_string(f);
        break;
      case 5: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "attribute"));
        Attribute a;
        const Status s = parse_attribute(sub_reader(f, file_start), file_start, &a);
        if (!s.ok()) {
          return s.prefixed("attribute " + std::to_string(n->attributes.size()) +
                            (a.name.empty() ? "" : " '" + a.name + "'") + ": ");
        }
        n->attributes.push_back(std::move(a));
        break;
      }
      case 7:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "node domain"));
        n->domain = as_string(f);
        break;
      default:
        break;
    }
  }
  return Status();
}

Status parse_dim(Reader r, Dim* d) {
  Field f;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "dim_value"));
      d->value = static_cast<int64_t>(f.value);
      if (d->value < 0) return invalid_model("negative dim_value" + at(f.offset));
    } else if (f.number == 2) {
      INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "dim_param"));
      d->param = as_string(f);
    }
  }
  return Status();
}

// TypeProto > tensor_type > (elem_type, shape > dim*). Other kinds (sequences, maps) are
// left undefined and rejected where the graph uses them.
Status parse_value_info(Reader r, const uint8_t* file_start, ValueInfo* v) {
  Field f;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    if (f.number == 1) {
      INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "value name"));
      v->name = as_string(f);
    } else if (f.number == 2) {
      INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "value type"));
      Reader type = sub_reader(f, file_start);
      Field tf;
      while (!type.done()) {
        INSTYLE_RETURN_IF_ERROR(type.next(&tf));
        if (tf.number != 1) continue;  // only tensor_type
        INSTYLE_RETURN_IF_ERROR(expect_wire(tf, kLengthDelimited, "tensor_type"));
        Reader tensor = sub_reader(tf, file_start);
        Field xf;
        while (!tensor.done()) {
          INSTYLE_RETURN_IF_ERROR(tensor.next(&xf));
          if (xf.number == 1) {
            INSTYLE_RETURN_IF_ERROR(expect_wire(xf, kVarint, "elem_type"));
            v->elem_type = static_cast<DataType>(static_cast<int32_t>(xf.value));
          } else if (xf.number == 2) {
            INSTYLE_RETURN_IF_ERROR(expect_wire(xf, kLengthDelimited, "shape"));
            v->has_shape = true;
            v->dims.clear();
            Reader shape = sub_reader(xf, file_start);
            Field sf;
            while (!shape.done()) {
              INSTYLE_RETURN_IF_ERROR(shape.next(&sf));
              if (sf.number != 1) continue;
              INSTYLE_RETURN_IF_ERROR(expect_wire(sf, kLengthDelimited, "dim"));
              if (v->dims.size() == kMaxRank) {
                return unsupported("value '" + v->name + "' has more than " +
                                   std::to_string(kMaxRank) + " dimensions");
              }
              Dim d;
              INSTYLE_RETURN_IF_ERROR(parse_dim(sub_reader(sf, file_start), &d));
              v->dims.push_back(std::move(d));
            }
          }
        }
      }
    }
  }
  return Status();
}

Status parse_graph(Reader r, const uint8_t* file_start, Graph* g) {
  Field f;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "node"));
        Node n;
        const Status s = parse_node(sub_reader(f, file_start), file_start, &n);
        if (!s.ok()) {
          return s.prefixed("node " + std::to_string(g->nodes.size()) +
                            (n.name.empty() ? "" : " '" + n.name + "'") + ": ");
        }
        g->nodes.push_back(std::move(n));
        break;
      }
      case 2:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "graph name"));
        g->name = as_string(f);
        break;
      case 5: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "initializer"));
        Tensor t;
        const Status s = parse_tensor_message(sub_reader(f, file_start), file_start, &t);
        if (!s.ok()) {
          return s.prefixed("initializer " + std::to_string(g->initializers.size()) + ": ");
        }
        g->initializers.push_back(std::move(t));
        break;
      }
      case 11:
      case 12: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "graph input/output"));
        ValueInfo v;
        INSTYLE_RETURN_IF_ERROR(parse_value_info(sub_reader(f, file_start), file_start, &v)
                                    .prefixed(f.number == 11 ? "graph input: " : "graph output: "));
        (f.number == 11 ? g->inputs : g->outputs).push_back(std::move(v));
        break;
      }
      case 15:
        return unsupported("sparse initializers are not supported");
      default:
        break;  // value_info, doc_string, quantization annotations
    }
  }
  return Status();
}

}  // namespace

const char* data_type_name(DataType t) {
  switch (t) {
    case DataType::kFloat:
      return "float";
    case DataType::kUint8:
      return "uint8";
    case DataType::kInt8:
      return "int8";
    case DataType::kUint16:
      return "uint16";
    case DataType::kInt16:
      return "int16";
    case DataType::kInt32:
      return "int32";
    case DataType::kInt64:
      return "int64";
    case DataType::kString:
      return "string";
    case DataType::kBool:
      return "bool";
    case DataType::kFloat16:
      return "float16";
    case DataType::kDouble:
      return "double";
    case DataType::kUint32:
      return "uint32";
    case DataType::kUint64:
      return "uint64";
    case DataType::kComplex64:
      return "complex64";
    case DataType::kComplex128:
      return "complex128";
    case DataType::kBfloat16:
      return "bfloat16";
    default:
      return "undefined";
  }
}

bool is_float_type(DataType t) {
  return t == DataType::kFloat || t == DataType::kFloat16 || t == DataType::kBfloat16 ||
         t == DataType::kDouble;
}

bool is_integer_type(DataType t) {
  switch (t) {
    case DataType::kUint8:
    case DataType::kInt8:
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kInt32:
    case DataType::kInt64:
    case DataType::kBool:
    case DataType::kUint32:
    case DataType::kUint64:
      return true;
    default:
      return false;
  }
}

int64_t Tensor::element_count() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // bounded by kMaxElements when parsed
  return n;
}

const Attribute* Node::attribute(const std::string& attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

int64_t Model::default_opset() const {
  for (const auto& o : opset_imports) {
    if (o.domain.empty() || o.domain == "ai.onnx") return o.version;
  }
  return 0;
}

Result<Model> parse_model(const uint8_t* data, std::size_t size) {
  if (data == nullptr && size != 0) return invalid_model("null model buffer");
  if (size == 0) return invalid_model("empty model file");
  Model m;
  Reader r(data, size, 0);
  Field f;
  bool has_graph = false;
  while (!r.done()) {
    INSTYLE_RETURN_IF_ERROR(r.next(&f));
    switch (f.number) {
      case 1:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kVarint, "ir_version"));
        m.ir_version = static_cast<int64_t>(f.value);
        break;
      case 2:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "producer_name"));
        m.producer_name = as_string(f);
        break;
      case 3:
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "producer_version"));
        m.producer_version = as_string(f);
        break;
      case 7: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "graph"));
        if (has_graph) return invalid_model("model holds two graphs" + at(f.offset));
        has_graph = true;
        INSTYLE_RETURN_IF_ERROR(
            parse_graph(sub_reader(f, data), data, &m.graph).prefixed("graph: "));
        break;
      }
      case 8: {
        INSTYLE_RETURN_IF_ERROR(expect_wire(f, kLengthDelimited, "opset_import"));
        OperatorSetId id;
        Reader o = sub_reader(f, data);
        Field of;
        while (!o.done()) {
          INSTYLE_RETURN_IF_ERROR(o.next(&of));
          if (of.number == 1) {
            INSTYLE_RETURN_IF_ERROR(expect_wire(of, kLengthDelimited, "opset domain"));
            id.domain = as_string(of);
          } else if (of.number == 2) {
            INSTYLE_RETURN_IF_ERROR(expect_wire(of, kVarint, "opset version"));
            id.version = static_cast<int64_t>(of.value);
          }
        }
        m.opset_imports.push_back(std::move(id));
        break;
      }
      default:
        break;  // domain, model_version, doc_string, metadata, functions
    }
  }
  if (!has_graph) return invalid_model("not an ONNX model: no graph found");
  return m;
}

Result<Tensor> parse_tensor(const uint8_t* data, std::size_t size) {
  if (data == nullptr && size != 0) return invalid_model("null tensor buffer");
  Tensor t;
  INSTYLE_RETURN_IF_ERROR(parse_tensor_message(Reader(data, size, 0), data, &t));
  return t;
}

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf or NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);  // rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // +-0
  } else {
    // Subnormal half: normalize the mantissa into a float exponent.
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while (!(mant & 0x400));
    bits = sign | (static_cast<uint32_t>(112 - e) << 23) | ((mant & 0x3ff) << 13);
  }
  return bits_to_float(bits);
}

float bfloat16_to_float(uint16_t bits) {
  return bits_to_float(static_cast<uint32_t>(bits) << 16);
}

}  // namespace instyle::onnx
