// onnx_testdata.h: reads Debian's libonnx-testdata conformance cases (a directory holding
// model.onnx and test_data_set_*/{input,output}_*.pb) into plain tensors, with Debian's
// onnx/protobuf libraries. Used by onnx_conformance_test.cpp.
//
//   for (const Case& c : discover_cases(testdata_root(), {"Conv", "Relu"})) {
//     ::onnx::ModelProto model = read_model(c.dir + "/model.onnx");
//     Tensor x = read_tensor_file(c.dir + "/test_data_set_0/input_0.pb");
//   }
#pragma once

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace instyle::onnx_test {

namespace fs = std::filesystem;

// A tensor as the harness needs it: float data in `f`; every integer type (and bool) widened to
// int64 in `i`. Other types (double, float16, strings) keep only dtype and dims, which is enough
// for an op to name them when it refuses a case.
struct Tensor {
  int32_t dtype = ::onnx::TensorProto::UNDEFINED;
  std::vector<int64_t> dims;
  std::vector<float> f;
  std::vector<int64_t> i;

  std::size_t numel() const {
    std::size_t n = 1;
    for (int64_t d : dims) n *= static_cast<std::size_t>(d);
    return n;
  }
  bool is_float() const { return dtype == ::onnx::TensorProto::FLOAT; }
  bool is_integer() const {
    switch (dtype) {
      case ::onnx::TensorProto::INT8:
      case ::onnx::TensorProto::UINT8:
      case ::onnx::TensorProto::INT16:
      case ::onnx::TensorProto::UINT16:
      case ::onnx::TensorProto::INT32:
      case ::onnx::TensorProto::INT64:
      case ::onnx::TensorProto::UINT32:
      case ::onnx::TensorProto::UINT64:
      case ::onnx::TensorProto::BOOL:
        return true;
      default:
        return false;
    }
  }
};

inline std::string dtype_name(int32_t dtype) {
  if (!::onnx::TensorProto_DataType_IsValid(dtype)) return "dtype " + std::to_string(dtype);
  std::string s =
      ::onnx::TensorProto_DataType_Name(static_cast<::onnx::TensorProto_DataType>(dtype));
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return s;
}

inline std::string shape_string(const std::vector<int64_t>& dims) {
  std::ostringstream os;
  os << "[";
  for (std::size_t k = 0; k < dims.size(); ++k) os << (k ? "x" : "") << dims[k];
  os << "]";
  return os.str();
}

namespace detail {

// raw_data is little-endian by the ONNX spec, as is every machine this runs on, so a plain copy of
// `count` elements of type T suffices.
template <typename T>
std::vector<int64_t> widen_raw(const std::string& raw, std::size_t count) {
  if (raw.size() != count * sizeof(T)) throw std::runtime_error("raw_data size mismatch");
  std::vector<int64_t> out(count);
  for (std::size_t k = 0; k < count; ++k) {
    T v;
    std::memcpy(&v, raw.data() + k * sizeof(T), sizeof(T));
    out[k] = static_cast<int64_t>(v);
  }
  return out;
}

}  // namespace detail

inline Tensor to_tensor(const ::onnx::TensorProto& p) {
  if (p.data_location() == ::onnx::TensorProto::EXTERNAL) {
    throw std::runtime_error("tensor '" + p.name() + "' keeps its data in an external file");
  }
  Tensor t;
  t.dtype = p.data_type();
  t.dims.assign(p.dims().begin(), p.dims().end());
  const std::size_t n = t.numel();
  const std::string& raw = p.raw_data();
  const bool has_raw = p.has_raw_data();
  switch (t.dtype) {
    case ::onnx::TensorProto::FLOAT:
      if (has_raw) {
        if (raw.size() != n * sizeof(float)) throw std::runtime_error("raw_data size mismatch");
        t.f.resize(n);
        if (n) std::memcpy(t.f.data(), raw.data(), raw.size());
      } else {
        t.f.assign(p.float_data().begin(), p.float_data().end());
      }
      break;
    case ::onnx::TensorProto::INT64:
      t.i = has_raw ? detail::widen_raw<int64_t>(raw, n)
                    : std::vector<int64_t>(p.int64_data().begin(), p.int64_data().end());
      break;
    case ::onnx::TensorProto::UINT64:
    case ::onnx::TensorProto::UINT32:
      if (has_raw) {
        t.i = t.dtype == ::onnx::TensorProto::UINT64 ? detail::widen_raw<uint64_t>(raw, n)
                                                     : detail::widen_raw<uint32_t>(raw, n);
      } else {
        t.i.assign(p.uint64_data().begin(), p.uint64_data().end());
      }
      break;
    case ::onnx::TensorProto::INT32:
    case ::onnx::TensorProto::INT16:
    case ::onnx::TensorProto::UINT16:
    case ::onnx::TensorProto::INT8:
    case ::onnx::TensorProto::UINT8:
    case ::onnx::TensorProto::BOOL:
      if (has_raw) {
        switch (t.dtype) {
          case ::onnx::TensorProto::INT32:
            t.i = detail::widen_raw<int32_t>(raw, n);
            break;
          case ::onnx::TensorProto::INT16:
            t.i = detail::widen_raw<int16_t>(raw, n);
            break;
          case ::onnx::TensorProto::UINT16:
            t.i = detail::widen_raw<uint16_t>(raw, n);
            break;
          case ::onnx::TensorProto::INT8:
            t.i = detail::widen_raw<int8_t>(raw, n);
            break;
          default:
            t.i = detail::widen_raw<uint8_t>(raw, n);
            break;
        }
      } else {
        // The small integer types all travel in int32_data.
        t.i.assign(p.int32_data().begin(), p.int32_data().end());
      }
      break;
    default:
      return t;  // a type the harness does not read: dtype and dims only
  }
  if (t.f.size() + t.i.size() != n) {
    throw std::runtime_error("tensor '" + p.name() + "' holds " +
                             std::to_string(t.f.size() + t.i.size()) + " values for shape " +
                             shape_string(t.dims));
  }
  return t;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

inline Tensor read_tensor_file(const std::string& path) {
  ::onnx::TensorProto p;
  if (!p.ParseFromString(read_file(path))) throw std::runtime_error("not a TensorProto: " + path);
  return to_tensor(p);
}

inline ::onnx::ModelProto read_model(const std::string& path) {
  ::onnx::ModelProto m;
  if (!m.ParseFromString(read_file(path))) throw std::runtime_error("not a ModelProto: " + path);
  return m;
}

// The default-domain opset the model was exported with.
inline int64_t model_opset(const ::onnx::ModelProto& m) {
  for (const auto& o : m.opset_import()) {
    if (o.domain().empty() || o.domain() == "ai.onnx") return o.version();
  }
  return 1;
}

inline bool default_domain(const ::onnx::NodeProto& n) {
  return n.domain().empty() || n.domain() == "ai.onnx";
}

// Files matching prefix*.pb in `dir`, ordered by their number (input_2 before input_10).
inline std::vector<std::string> numbered_files(const std::string& dir, const std::string& prefix) {
  std::vector<std::pair<long, std::string>> found;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path().extension() == ".pb") {
      found.emplace_back(std::strtol(name.c_str() + prefix.size(), nullptr, 10), e.path().string());
    }
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

inline std::vector<std::string> data_set_dirs(const std::string& case_dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(case_dir)) {
    if (e.is_directory() && e.path().filename().string().rfind("test_data_set_", 0) == 0) {
      out.push_back(e.path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// One conformance case: `name` is a GoogleTest-safe id ("node_conv_with_autopad_same",
// "pytorch_converted_Conv2d"); `label` is the op the case exercises when the graph has a single op
// besides Constants, otherwise "multi-op graph".
struct Case {
  std::string name;
  std::string dir;
  std::string label;
};

inline std::ostream& operator<<(std::ostream& os, const Case& c) {
  return os << c.dir;
}

// The testdata root: $INSTYLE_ONNX_TESTDATA if set, else the path CMake compiled in.
inline std::string testdata_root() {
  if (const char* env = std::getenv("INSTYLE_ONNX_TESTDATA")) return env;
#ifdef INSTYLE_ONNX_TESTDATA
  return INSTYLE_ONNX_TESTDATA;
#else
  return "/usr/share/libonnx-testdata/data";
#endif
}

// Every test_* directory with a model.onnx under root/<group>/ whose graph uses at least one op in
// `ops` (default domain, top level). Scanning rather than listing means a newer libonnx-testdata
// brings its new cases in by itself.
inline std::vector<Case> discover_cases(const std::string& root, const std::set<std::string>& ops) {
  std::vector<Case> cases;
  if (!fs::is_directory(root)) return cases;
  std::vector<fs::path> groups;
  for (const auto& g : fs::directory_iterator(root)) {
    if (g.is_directory()) groups.push_back(g.path());
  }
  std::sort(groups.begin(), groups.end());
  for (const auto& group : groups) {
    std::vector<fs::path> dirs;
    for (const auto& d : fs::directory_iterator(group)) {
      const std::string name = d.path().filename().string();
      if (d.is_directory() && name.rfind("test_", 0) == 0 && fs::exists(d.path() / "model.onnx")) {
        dirs.push_back(d.path());
      }
    }
    std::sort(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
      ::onnx::ModelProto m;
      try {
        m = read_model((d / "model.onnx").string());
      } catch (const std::exception&) {
        continue;  // a model this protobuf cannot read is no case for us either
      }
      bool ours = false;
      std::vector<std::string> non_constant;
      for (const auto& n : m.graph().node()) {
        if (default_domain(n) && ops.count(n.op_type())) ours = true;
        if (n.op_type() != "Constant") non_constant.push_back(n.op_type());
      }
      if (!ours) continue;
      Case c;
      c.dir = d.string();
      c.name = group.filename().string() + "_" + d.filename().string().substr(5);
      for (char& ch : c.name) {
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      c.label = non_constant.size() == 1 ? non_constant[0] : "multi-op graph";
      cases.push_back(c);
    }
  }
  return cases;
}

}  // namespace instyle::onnx_test
