// The ONNX conformance vectors of Debian's libonnx-testdata, through instyle's own reader,
// loader, planner and executor: every model.onnx must parse; every case whose ops are all in
// the runner's table is run and compared with the expected outputs.
//
// The runner has one kind of runtime input, float activations; other graph inputs are bound
// as constants before loading (weights, pads, scales, as a real model stores them). A case
// made only of ops that fold on constants also runs with every input bound, which checks
// the constant-folding evaluator against the same vectors.
#include <dirent.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "model/model.h"
#include "model_test_util.h"

namespace instyle::model {
namespace {

const char* kDataDir = "/usr/share/libonnx-testdata/data";

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<Tensor> read_tensor(const std::string& path) {
  const auto bytes = test::read_file(path);
  return onnx::parse_tensor(bytes.data(), bytes.size());
}

enum class Outcome { kPass, kSkip, kFail };

struct Report {
  std::map<std::string, int> counts;
  std::vector<std::string> failures, skips;
  std::set<std::string> passed_cases;
  void add(Outcome o, const std::string& kind, const std::string& name, const std::string& why) {
    ++counts[kind];
    if (o == Outcome::kFail) failures.push_back(name + ": " + why);
    if (o == Outcome::kSkip) skips.push_back(name + ": " + why);
    if (o == Outcome::kPass) passed_cases.insert(name);
  }
};

std::string compare(const Tensor& want, const float* got, const Shape& got_shape) {
  if (want.dims != got_shape) {
    return "shape " + shape_string(got_shape) + ", expected " + shape_string(want.dims);
  }
  const std::size_t n = static_cast<std::size_t>(want.element_count());
  for (std::size_t i = 0; i < n; ++i) {
    const double w = onnx::is_float_type(want.data_type) ? want.floats[i] : double(want.ints[i]);
    const double g = got[i];
    if (w == g || (std::isnan(w) && std::isnan(g))) continue;
    if (!(std::fabs(w - g) <= 1e-4 + 1e-3 * std::fabs(w))) {
      return "element " + std::to_string(i) + ": " + std::to_string(g) + ", expected " +
             std::to_string(w);
    }
  }
  return "";
}

// Runs one case with the first `runtime` graph inputs as activations, the rest bound.
Outcome run_case(const onnx::Model& parsed, const std::vector<Tensor>& inputs,
                 const std::vector<Tensor>& outputs, std::size_t runtime, std::string* why) {
  auto built = build_graph(parsed);
  if (!built.ok()) {
    *why = built.status().message();
    return Outcome::kFail;
  }
  Graph g = built.take();
  if (g.inputs.size() != inputs.size()) {
    *why = "graph has " + std::to_string(g.inputs.size()) + " inputs, data has " +
           std::to_string(inputs.size());
    return Outcome::kFail;
  }
  std::vector<int> keep;
  for (std::size_t i = 0; i < g.inputs.size(); ++i) {
    Value& v = g.values[g.inputs[i]];
    if (i < runtime) {
      keep.push_back(g.inputs[i]);
      continue;
    }
    v.is_const = true;
    v.is_graph_input = false;
    v.data = inputs[i];
  }
  g.inputs = keep;
  auto model = Model::from_graph(std::move(g));
  if (!model.ok()) {
    *why = model.status().message();
    return model.status().code() == ErrorCode::kUnsupported ? Outcome::kSkip : Outcome::kFail;
  }
  Model& m = *model.value();
  if (m.output_count() != outputs.size()) {
    *why = "output count differs";
    return Outcome::kFail;
  }
  std::vector<const float*> ptrs;
  std::vector<Shape> shapes;
  for (std::size_t i = 0; i < runtime; ++i) {
    ptrs.push_back(inputs[i].floats.data());
    shapes.push_back(inputs[i].dims);
  }
  const Status s = m.run(ptrs, shapes);
  if (!s.ok()) {
    *why = s.message();
    return s.code() == ErrorCode::kUnsupported ? Outcome::kSkip : Outcome::kFail;
  }
  for (std::size_t o = 0; o < outputs.size(); ++o) {
    const std::string diff = compare(outputs[o], m.output(o), m.output_shape(o));
    if (!diff.empty()) {
      *why = "output " + std::to_string(o) + ": " + diff;
      return Outcome::kFail;
    }
  }
  return Outcome::kPass;
}

// An all-constant graph has its outputs folded at load: compare those directly.
Outcome fold_case(const onnx::Model& parsed, const std::vector<Tensor>& inputs,
                  const std::vector<Tensor>& outputs, std::string* why) {
  auto built = build_graph(parsed);
  if (!built.ok()) {
    *why = built.status().message();
    return Outcome::kFail;
  }
  Graph g = built.take();
  for (std::size_t i = 0; i < g.inputs.size() && i < inputs.size(); ++i) {
    Value& v = g.values[g.inputs[i]];
    v.is_const = true;
    v.is_graph_input = false;
    v.data = inputs[i];
  }
  g.inputs.clear();
  const Status s = fold_constants(&g);
  if (!s.ok()) {
    *why = s.message();
    return s.code() == ErrorCode::kUnsupported ? Outcome::kSkip : Outcome::kFail;
  }
  for (std::size_t o = 0; o < outputs.size() && o < g.outputs.size(); ++o) {
    const Value& v = g.values[g.outputs[o]];
    if (!v.is_const) {
      *why = "output not folded";
      return Outcome::kFail;
    }
    const Tensor& want = outputs[o];
    if (v.data.dims != want.dims) {
      *why = "shape " + shape_string(v.data.dims) + ", expected " + shape_string(want.dims);
      return Outcome::kFail;
    }
    const std::size_t n = static_cast<std::size_t>(want.element_count());
    for (std::size_t i = 0; i < n; ++i) {
      const bool fw = onnx::is_float_type(want.data_type),
                 fg = onnx::is_float_type(v.data.data_type);
      if (!fw && !fg) {
        if (want.ints[i] != v.data.ints[i]) {
          *why = "element " + std::to_string(i) + ": " + std::to_string(v.data.ints[i]) +
                 ", expected " + std::to_string(want.ints[i]);
          return Outcome::kFail;
        }
        continue;
      }
      const double w = fw ? want.floats[i] : double(want.ints[i]);
      const double gv = fg ? v.data.floats[i] : double(v.data.ints[i]);
      if (w == gv || (std::isnan(w) && std::isnan(gv))) continue;
      if (!(std::fabs(w - gv) <= 1e-4 + 1e-3 * std::fabs(w))) {
        *why = "element " + std::to_string(i) + ": " + std::to_string(gv) + ", expected " +
               std::to_string(w);
        return Outcome::kFail;
      }
    }
  }
  return Outcome::kPass;
}

TEST(ModelConformance, OnnxTestData) {
  Report report;
  int parsed_models = 0, unreadable = 0;
  for (const char* group : {"node", "pytorch-converted", "pytorch-operator", "simple"}) {
    const std::string root = std::string(kDataDir) + "/" + group;
    for (const std::string& name : list_dir(root)) {
      const std::string dir = root + "/" + name;
      const std::string id = std::string(group) + "/" + name;
      const auto bytes = test::read_file(dir + "/model.onnx");
      if (bytes.empty()) continue;
      auto parsed = onnx::parse_model(bytes.data(), bytes.size());
      if (!parsed.ok()) {
        // The reader must read every valid file; only types instyle lacks may be refused.
        if (parsed.status().code() == ErrorCode::kUnsupported) {
          ++unreadable;
          report.add(Outcome::kSkip, "skip: tensor type", id, parsed.status().message());
        } else {
          report.add(Outcome::kFail, "reader failures", id, parsed.status().message());
        }
        continue;
      }
      ++parsed_models;
      onnx::Model model = parsed.take();
      std::string missing;
      bool all_fold = true;
      for (const auto& n : model.graph.nodes) {
        Op op;
        if (!n.domain.empty() && n.domain != "ai.onnx") {
          missing = n.domain + "::" + n.op_type;
          break;
        }
        if (!op_from_onnx(n.op_type, &op)) {
          missing = n.op_type;
          break;
        }
        all_fold = all_fold && op_info(op).folds;
      }
      if (!missing.empty()) {
        ++report.counts["skip: op not in table"];
        continue;
      }
      std::vector<Tensor> inputs, outputs;
      std::string data_error;
      const std::string set = dir + "/test_data_set_0";
      for (const std::string& f : list_dir(set)) {
        auto t = read_tensor(set + "/" + f);
        if (!t.ok()) {
          data_error = f + ": " + t.status().message();
          break;
        }
        (f.rfind("input_", 0) == 0 ? inputs : outputs).push_back(t.take());
      }
      // list_dir sorts input_10 before input_2; no case here has ten inputs.
      if (!data_error.empty()) {
        report.add(Outcome::kSkip, "skip: test data type", id, data_error);
        continue;
      }
      // Quirks of the data, not of the runner.
      if (name.find("BFLOAT16") != std::string::npos) {
        report.add(Outcome::kSkip, "skip: test data type", id,
                   "the data stores bfloat16 as uint16 bit patterns");
        continue;
      }
      bool empty = false;
      for (const auto& t : inputs) empty = empty || t.element_count() == 0;
      if (empty) {
        report.add(Outcome::kSkip, "skip: empty tensor", id, "an input has no elements");
        continue;
      }
      // Pad moves data without arithmetic: int32 data run as float is exact.
      bool pad_only = !inputs.empty() && inputs[0].data_type == onnx::DataType::kInt32;
      for (const auto& n : model.graph.nodes) pad_only = pad_only && n.op_type == "Pad";
      if (pad_only) {
        for (Tensor* t : {&inputs[0], &outputs[0]}) {
          t->floats.assign(t->ints.begin(), t->ints.end());
          t->ints.clear();
          t->data_type = onnx::DataType::kFloat;
        }
        model.graph.inputs[0].elem_type = onnx::DataType::kFloat;
      }
      std::string why;
      bool ran = false;
      const bool float_first = !inputs.empty() && onnx::is_float_type(inputs[0].data_type) &&
                               inputs[0].data_type == onnx::DataType::kFloat;
      bool float_outputs = true;
      for (const auto& t : outputs)
        float_outputs = float_outputs && t.data_type == onnx::DataType::kFloat;
      if (float_first && float_outputs) {
        const Outcome o = run_case(model, inputs, outputs, 1, &why);
        report.add(o,
                   o == Outcome::kPass   ? "pass: executor"
                   : o == Outcome::kSkip ? "skip: unsupported"
                                         : "FAIL: executor",
                   id, why);
        ran = true;
      }
      if (all_fold) {
        const Outcome o = fold_case(model, inputs, outputs, &why);
        report.add(o,
                   o == Outcome::kPass   ? "pass: folding"
                   : o == Outcome::kSkip ? "skip: unsupported"
                                         : "FAIL: folding",
                   id + " (folded)", why);
        ran = true;
      }
      if (!ran) {
        report.add(Outcome::kSkip, "skip: needs non-float runtime input", id,
                   "first input or an output is not float32");
      }
    }
  }
  std::printf("  models parsed: %d, refused (unsupported tensor types): %d\n", parsed_models,
              unreadable);
  std::set<std::string> distinct;
  for (const auto& name : report.passed_cases) distinct.insert(name.substr(0, name.find(' ')));
  std::printf("  distinct cases passed (executor or folding): %zu\n", distinct.size());
  for (const auto& [kind, n] : report.counts) std::printf("  %-40s %d\n", kind.c_str(), n);
  for (const auto& s : report.skips) std::printf("  skipped %s\n", s.c_str());
  for (const auto& f : report.failures) ADD_FAILURE() << f;
  // The cases the issues name must be among the passes (the weights-only ops by folding).
  for (const char* must : {"node/test_instancenorm_example",
                           "node/test_instancenorm_epsilon",
                           "node/test_batchnorm_example",
                           "node/test_basic_conv_with_padding",
                           "node/test_conv_with_strides_padding",
                           "node/test_reflect_pad",
                           "node/test_edge_pad",
                           "node/test_constant_pad",
                           "node/test_upsample_nearest",
                           "node/test_resize_upsample_scales_nearest",
                           "node/test_resize_upsample_scales_linear",
                           "node/test_relu",
                           "node/test_add",
                           "node/test_dequantizelinear (folded)",
                           "node/test_dequantizelinear_axis (folded)",
                           "pytorch-converted/test_Conv2d",
                           "pytorch-converted/test_Conv2d_depthwise",
                           "pytorch-converted/test_BatchNorm2d_eval",
                           "pytorch-converted/test_ConvTranspose2d",
                           "pytorch-converted/test_ReflectionPad2d"}) {
    EXPECT_TRUE(report.passed_cases.count(must)) << must << " did not pass";
  }
  EXPECT_GE(report.counts["pass: executor"], 100);
  EXPECT_GE(report.counts["pass: folding"], 50);
}

}  // namespace
}  // namespace instyle::model
