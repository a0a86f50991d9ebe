// onnx_writer.h: writes protobuf wire format by hand, for tests that need exact control over
// the bytes: every field encoding the reader must accept, and hostile ones it must refuse.
//
//   Proto t;
//   t.ints(1, {2, 3}).varint(2, 1).floats(4, {1, 2, 3, 4, 5, 6});   // a TensorProto
//   std::string bytes = model(13, graph({node("Relu", {"x"}, {"y"})}, {}, {input("x", {1, 3})},
//                                       {input("y", {1, 3})})).str();
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace instyle::test {

class Proto {
 public:
  Proto& tag(uint32_t field, int wire) {
    return raw_varint((uint64_t(field) << 3) | uint64_t(wire));
  }
  Proto& raw_varint(uint64_t v) {
    while (v >= 0x80) {
      s_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    s_.push_back(static_cast<char>(v));
    return *this;
  }
  Proto& raw(const std::string& bytes) {
    s_ += bytes;
    return *this;
  }
  Proto& varint(uint32_t field, uint64_t v) { return tag(field, 0).raw_varint(v); }
  Proto& fixed32(uint32_t field, uint32_t v) {
    tag(field, 5);
    for (int i = 0; i < 4; ++i) s_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Proto& fixed64(uint32_t field, uint64_t v) {
    tag(field, 1);
    for (int i = 0; i < 8; ++i) s_.push_back(static_cast<char>(v >> (8 * i)));
    return *this;
  }
  Proto& f32(uint32_t field, float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return fixed32(field, b);
  }
  Proto& bytes(uint32_t field, const std::string& b) {
    return tag(field, 2).raw_varint(b.size()).raw(b);
  }
  Proto& message(uint32_t field, const Proto& m) { return bytes(field, m.str()); }
  // Packed repeated fields.
  Proto& ints(uint32_t field, const std::vector<int64_t>& v) {
    Proto p;
    for (int64_t x : v) p.raw_varint(static_cast<uint64_t>(x));
    return bytes(field, p.str());
  }
  Proto& floats(uint32_t field, const std::vector<float>& v) {
    std::string b(v.size() * 4, '\0');
    if (!v.empty()) std::memcpy(&b[0], v.data(), b.size());
    return bytes(field, b);
  }
  const std::string& str() const { return s_; }
  std::vector<uint8_t> data() const { return std::vector<uint8_t>(s_.begin(), s_.end()); }

 private:
  std::string s_;
};

// --- ONNX messages (field numbers of onnx.proto)

inline Proto float_tensor(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<float>& values, bool raw = true) {
  Proto t;
  for (int64_t d : dims) t.varint(1, static_cast<uint64_t>(d));  // unpacked, as onnx writes dims
  t.varint(2, 1);
  if (raw) {
    std::string b(values.size() * 4, '\0');
    if (!values.empty()) std::memcpy(&b[0], values.data(), b.size());
    t.bytes(9, b);
  } else {
    t.floats(4, values);
  }
  return t.bytes(8, name);
}

inline Proto int64_tensor(const std::string& name, const std::vector<int64_t>& dims,
                          const std::vector<int64_t>& values) {
  Proto t;
  t.ints(1, dims).varint(2, 7).ints(7, values);
  return t.bytes(8, name);
}

// int8 (type 3) or uint8 (type 2) values in raw_data, as quantized weights are stored.
inline Proto int8_tensor(const std::string& name, const std::vector<int64_t>& dims,
                         const std::vector<int>& values, int type = 3) {
  Proto t;
  for (int64_t d : dims) t.varint(1, static_cast<uint64_t>(d));
  t.varint(2, static_cast<uint64_t>(type));
  std::string b;
  for (int v : values) b.push_back(static_cast<char>(static_cast<uint8_t>(v)));
  t.bytes(9, b);
  return t.bytes(8, name);
}

inline Proto attr_int(const std::string& name, int64_t v) {
  return Proto().bytes(1, name).varint(20, 2).varint(3, static_cast<uint64_t>(v));
}
inline Proto attr_float(const std::string& name, float v) {
  return Proto().bytes(1, name).varint(20, 1).f32(2, v);
}
inline Proto attr_string(const std::string& name, const std::string& v) {
  return Proto().bytes(1, name).varint(20, 3).bytes(4, v);
}
inline Proto attr_ints(const std::string& name, const std::vector<int64_t>& v) {
  Proto a;
  a.bytes(1, name).varint(20, 7);
  for (int64_t x : v) a.varint(8, static_cast<uint64_t>(x));
  return a;
}
inline Proto attr_tensor(const std::string& name, const Proto& t) {
  return Proto().bytes(1, name).varint(20, 4).message(5, t);
}

inline Proto node(const std::string& op, const std::vector<std::string>& inputs,
                  const std::vector<std::string>& outputs, const std::string& name = "",
                  const std::vector<Proto>& attrs = {}) {
  Proto n;
  for (const auto& i : inputs) n.bytes(1, i);
  for (const auto& o : outputs) n.bytes(2, o);
  if (!name.empty()) n.bytes(3, name);
  n.bytes(4, op);
  for (const auto& a : attrs) n.message(5, a);
  return n;
}

// A float tensor value; dims < 0 become symbolic ("d0", "d1", ...).
inline Proto value_info(const std::string& name, const std::vector<int64_t>& dims) {
  Proto shape;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    Proto d;
    if (dims[i] >= 0) {
      d.varint(1, static_cast<uint64_t>(dims[i]));
    } else {
      d.bytes(2, "d" + std::to_string(i));
    }
    shape.message(1, d);
  }
  Proto tensor;
  tensor.varint(1, 1).message(2, shape);
  Proto type;
  type.message(1, tensor);
  return Proto().bytes(1, name).message(2, type);
}

inline Proto graph(const std::vector<Proto>& nodes, const std::vector<Proto>& initializers,
                   const std::vector<Proto>& inputs, const std::vector<Proto>& outputs) {
  Proto g;
  for (const auto& n : nodes) g.message(1, n);
  g.bytes(2, "test");
  for (const auto& t : initializers) g.message(5, t);
  for (const auto& i : inputs) g.message(11, i);
  for (const auto& o : outputs) g.message(12, o);
  return g;
}

inline Proto model(int64_t opset, const Proto& g) {
  Proto opset_id;
  opset_id.bytes(1, "").varint(2, static_cast<uint64_t>(opset));
  Proto m;
  m.varint(1, 8).bytes(2, "instyle-test").message(7, g).message(8, opset_id);
  return m;
}

}  // namespace instyle::test
