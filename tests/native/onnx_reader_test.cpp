// The ONNX reader: every encoding a valid file may use, the models PyTorch writes (checked
// against what Debian's onnx package reads in them), and hostile bytes.
#include <chrono>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "model/model.h"
#include "model_test_util.h"
#include "onnx/onnx.h"
#include "onnx_writer.h"

namespace instyle::onnx {
namespace {

using test::Proto;

Result<Model> parse(const Proto& p) {
  const std::string& s = p.str();
  return parse_model(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Result<Tensor> parse_t(const Proto& p) {
  const std::string& s = p.str();
  return parse_tensor(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Proto tiny_graph() {
  return test::graph({test::node("Relu", {"x"}, {"y"}, "relu")}, {},
                     {test::value_info("x", {1, 3, -1, -1})},
                     {test::value_info("y", {1, 3, -1, -1})});
}

TEST(OnnxReader, ReadsEveryFieldKind) {
  Proto opset_ml;
  opset_ml.bytes(1, "ai.onnx.ml").varint(2, 3);
  Proto attrs_node =
      test::node("Foo", {"x", "", "w"}, {"y", "z"}, "n0",
                 {test::attr_int("i", -5), test::attr_float("f", 2.5f),
                  test::attr_string("s", "reflect"), test::attr_ints("unpacked", {1, -2, 3}),
                  Proto().bytes(1, "packed").varint(20, 7).ints(8, {4, 5, -6}),
                  Proto().bytes(1, "fl").varint(20, 6).floats(7, {0.5f, -1.f}).f32(7, 3.f),
                  Proto().bytes(1, "ss").varint(20, 8).bytes(9, "a").bytes(9, "bc"),
                  test::attr_tensor("t", test::int64_tensor("", {2}, {7, -8})),
                  // No `type` (IR < 3): inferred from the populated field.
                  Proto().bytes(1, "old").varint(3, 42)});
  Proto g = test::graph({attrs_node}, {test::float_tensor("w", {2, 2}, {1, 2, 3, 4})},
                        {test::value_info("x", {1, 3, -1, 7}), test::value_info("w", {2, 2})},
                        {test::value_info("y", {})});
  Proto m;
  m.varint(1, 7).bytes(2, "pytorch").bytes(3, "1.13").message(8, opset_ml);
  m.varint(99, 5).fixed64(98, 1).fixed32(97, 2).bytes(96, "unknown fields are skipped");
  m.message(7, g);
  Proto opset;
  opset.varint(2, 13);  // default domain: no domain field at all
  m.message(8, opset);

  auto r = parse(m);
  ASSERT_TRUE(r.ok()) << r.status().message();
  const Model& model = r.value();
  EXPECT_EQ(model.ir_version, 7);
  EXPECT_EQ(model.producer_name, "pytorch");
  EXPECT_EQ(model.producer_version, "1.13");
  EXPECT_EQ(model.default_opset(), 13);
  ASSERT_EQ(model.opset_imports.size(), 2u);
  EXPECT_EQ(model.opset_imports[0].domain, "ai.onnx.ml");
  const Graph& gr = model.graph;
  EXPECT_EQ(gr.name, "test");
  ASSERT_EQ(gr.nodes.size(), 1u);
  const Node& n = gr.nodes[0];
  EXPECT_EQ(n.op_type, "Foo");
  EXPECT_EQ(n.name, "n0");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"x", "", "w"}));
  EXPECT_EQ(n.outputs, (std::vector<std::string>{"y", "z"}));
  EXPECT_EQ(n.attribute("i")->i, -5);
  EXPECT_EQ(n.attribute("i")->type, AttributeType::kInt);
  EXPECT_EQ(n.attribute("f")->f, 2.5f);
  EXPECT_EQ(n.attribute("s")->s, "reflect");
  EXPECT_EQ(n.attribute("unpacked")->ints, (std::vector<int64_t>{1, -2, 3}));
  EXPECT_EQ(n.attribute("packed")->ints, (std::vector<int64_t>{4, 5, -6}));
  EXPECT_EQ(n.attribute("fl")->floats, (std::vector<float>{0.5f, -1.f, 3.f}));
  EXPECT_EQ(n.attribute("ss")->strings, (std::vector<std::string>{"a", "bc"}));
  ASSERT_EQ(n.attribute("t")->t.size(), 1u);
  EXPECT_EQ(n.attribute("t")->t[0].ints, (std::vector<int64_t>{7, -8}));
  EXPECT_EQ(n.attribute("old")->type, AttributeType::kInt);
  EXPECT_EQ(n.attribute("old")->i, 42);
  EXPECT_EQ(n.attribute("missing"), nullptr);
  ASSERT_EQ(gr.initializers.size(), 1u);
  EXPECT_EQ(gr.initializers[0].floats, (std::vector<float>{1, 2, 3, 4}));
  ASSERT_EQ(gr.inputs.size(), 2u);
  ASSERT_EQ(gr.inputs[0].dims.size(), 4u);
  EXPECT_EQ(gr.inputs[0].dims[1].value, 3);
  EXPECT_EQ(gr.inputs[0].dims[2].value, -1);
  EXPECT_EQ(gr.inputs[0].dims[2].param, "d2");
  EXPECT_EQ(gr.inputs[0].dims[3].value, 7);
  EXPECT_EQ(gr.inputs[0].elem_type, DataType::kFloat);
  EXPECT_TRUE(gr.outputs[0].has_shape);
  EXPECT_TRUE(gr.outputs[0].dims.empty());
}

TEST(OnnxReader, DecodesEveryStorageOfEveryType) {
  auto check_floats = [](const Proto& p, const std::vector<float>& want) {
    auto t = parse_t(p);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t.value().floats, want);
    EXPECT_TRUE(t.value().ints.empty());
  };
  auto check_ints = [](const Proto& p, const std::vector<int64_t>& want) {
    auto t = parse_t(p);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t.value().ints, want);
    EXPECT_TRUE(t.value().floats.empty());
  };
  // float: raw, packed float_data, unpacked float_data.
  check_floats(test::float_tensor("a", {3}, {1.5f, -2.f, 1e-30f}, true), {1.5f, -2.f, 1e-30f});
  check_floats(test::float_tensor("a", {3}, {1.5f, -2.f, 1e-30f}, false), {1.5f, -2.f, 1e-30f});
  check_floats(Proto().varint(1, 2).varint(2, 1).f32(4, 3.f).f32(4, 4.f), {3.f, 4.f});
  // float16: raw little-endian and int32_data; 0x3c00 = 1, 0xc000 = -2, 0x0001 = 2^-24.
  check_floats(
      Proto().varint(1, 3).varint(2, 10).bytes(9, std::string("\x00\x3c\x00\xc0\x01\x00", 6)),
      {1.f, -2.f, std::ldexp(1.f, -24)});
  check_floats(Proto().varint(1, 2).varint(2, 10).ints(5, {0x3c00, 0x7bff}), {1.f, 65504.f});
  // bfloat16 and double.
  check_floats(Proto().varint(1, 1).varint(2, 16).bytes(9, std::string("\xc0\x3f", 2)), {1.5f});
  check_floats(Proto()
                   .varint(1, 2)
                   .varint(2, 11)
                   .fixed64(10, 0x3ff0000000000000ull)
                   .fixed64(10, 0xc000000000000000ull),
               {1.f, -2.f});
  // int64: packed, unpacked, raw; int32 negative values (sign-extended varints).
  check_ints(test::int64_tensor("s", {3}, {1, -1, INT64_MIN}), {1, -1, INT64_MIN});
  check_ints(Proto().varint(1, 2).varint(2, 7).varint(7, 5).varint(7, uint64_t(-9)), {5, -9});
  check_ints(Proto().varint(1, 1).varint(2, 7).bytes(
                 9, std::string("\xfe\xff\xff\xff\xff\xff\xff\xff", 8)),
             {-2});
  check_ints(Proto().varint(1, 2).varint(2, 6).ints(5, {-3, 2147483647}), {-3, 2147483647});
  check_ints(Proto().varint(1, 2).varint(2, 6).bytes(
                 9, std::string("\xff\xff\xff\xff\x02\x00\x00\x00", 8)),
             {-1, 2});
  // int8, uint8, bool, uint16 raw; uint64 typed.
  check_ints(Proto().varint(1, 2).varint(2, 3).bytes(9, std::string("\xff\x05", 2)), {-1, 5});
  check_ints(Proto().varint(1, 2).varint(2, 2).bytes(9, std::string("\xff\x05", 2)), {255, 5});
  check_ints(Proto().varint(1, 2).varint(2, 9).bytes(9, std::string("\x00\x07", 2)), {0, 1});
  check_ints(Proto().varint(1, 1).varint(2, 4).bytes(9, std::string("\xff\xff", 2)), {65535});
  check_ints(Proto().varint(1, 1).varint(2, 13).varint(11, 1ull << 40), {int64_t(1) << 40});
  // A scalar (no dims) holds one value; a zero dimension holds none.
  check_floats(Proto().varint(2, 1).f32(4, 7.f), {7.f});
  check_floats(Proto().varint(1, 0).varint(1, 5).varint(2, 1), {});
}

TEST(OnnxReader, HalfToFloatIsExactForAllBitPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const int sign = (h >> 15) ? -1 : 1, exp = (h >> 10) & 31, mant = h & 1023;
    const float got = half_to_float(static_cast<uint16_t>(h));
    if (exp == 31) {
      EXPECT_TRUE(mant ? std::isnan(got) : got == sign * INFINITY) << h;
      continue;
    }
    const double want = sign * (exp ? std::ldexp(1024 + mant, exp - 25) : std::ldexp(mant, -24));
    ASSERT_EQ(double(got), want) << "bits " << h;
    ASSERT_EQ(std::signbit(got), sign < 0) << h;
  }
}

// Each hostile input: a clear error, no crash, no large allocation.
TEST(OnnxReader, RefusesHostileBytes) {
  struct Case {
    const char* what;
    std::string bytes;
    const char* message;  // a fragment the error must contain
  };
  const std::string g = tiny_graph().str();
  std::vector<Case> cases = {
      {"empty", "", "empty model file"},
      {"truncated varint", std::string("\x08\xff\xff", 3), "truncated varint"},
      {"overlong varint", std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12),
       "varint"},
      {"field number 0", std::string("\x00\x01", 2), "field number 0"},
      {"group wire type", std::string("\x0b", 1), "wire type 3"},
      {"wire type 7", std::string("\x0f", 1), "wire type 7"},
      {"graph longer than the file",
       Proto().tag(7, 2).raw_varint(uint64_t(1) << 60).raw("abc").str(),
       "declares 1152921504606846976 bytes but only 3 remain"},
      {"graph with wrong wire type", Proto().varint(7, 1).str(), "graph: wire type 0"},
      {"no graph", Proto().varint(1, 7).str(), "no graph"},
      {"two graphs", Proto().bytes(7, g).bytes(7, g).str(), "two graphs"},
      {"truncated fixed32", Proto().tag(2, 5).raw("ab").str(), "truncated fixed-size field"},
  };
  auto with_tensor = [](const Proto& t) {
    return test::model(13, test::graph({}, {t}, {}, {test::value_info("t", {})})).str();
  };
  cases.push_back(
      {"dims overflow",
       with_tensor(Proto().varint(1, 1ull << 40).varint(1, 1ull << 40).varint(2, 1).bytes(8, "t")),
       "dimensions multiply to more than"});
  cases.push_back(
      {"dims just over the limit, no data",
       with_tensor(Proto().varint(1, 1u << 16).varint(1, 1u << 16).varint(2, 1).bytes(8, "t")),
       "dimensions multiply"});
  cases.push_back(
      {"large dims, no data",
       with_tensor(Proto().varint(1, 1u << 20).varint(1, 1u << 10).varint(2, 1).bytes(8, "t")),
       "holds 0 values but dims need 1073741824"});
  cases.push_back({"negative dim",
                   with_tensor(Proto().varint(1, uint64_t(-3)).varint(2, 1).bytes(8, "t")),
                   "negative dimension"});
  cases.push_back(
      {"raw size mismatch",
       with_tensor(Proto().varint(1, 4).varint(2, 1).bytes(9, "12345678").bytes(8, "t")),
       "raw_data holds 2 values but dims need 4"});
  cases.push_back({"typed count mismatch",
                   with_tensor(Proto().varint(1, 3).varint(2, 7).ints(7, {1, 2}).bytes(8, "t")),
                   "int64_data holds 2 values but dims need 3"});
  cases.push_back({"packed floats not a multiple of 4",
                   with_tensor(Proto().varint(1, 1).varint(2, 1).bytes(4, "abcde").bytes(8, "t")),
                   "not a multiple of 4"});
  cases.push_back({"external data",
                   with_tensor(Proto().varint(1, 1).varint(2, 1).varint(14, 1).bytes(8, "t")),
                   "external data"});
  cases.push_back({"strings",
                   with_tensor(Proto().varint(1, 1).varint(2, 8).bytes(6, "s").bytes(8, "t")),
                   "string tensors"});
  cases.push_back(
      {"undefined type", with_tensor(Proto().varint(1, 1).bytes(8, "t")), "data type 0"});
  Proto deep_rank;
  for (int i = 0; i < 17; ++i) deep_rank.varint(1, 1);
  cases.push_back(
      {"rank 17", with_tensor(deep_rank.varint(2, 1).f32(4, 1.f).bytes(8, "t")), "rank 17"});
  cases.push_back({"uint64 beyond int64",
                   with_tensor(Proto().varint(1, 1).varint(2, 13).varint(11, ~0ull).bytes(8, "t")),
                   "does not fit int64"});
  cases.push_back({"truncated packed varints",
                   with_tensor(Proto().varint(1, 1).varint(2, 7).bytes(7, "\xff").bytes(8, "t")),
                   "truncated varint"});

  for (const auto& c : cases) {
    auto r = parse_model(reinterpret_cast<const uint8_t*>(c.bytes.data()), c.bytes.size());
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_NE(r.status().message().find(c.message), std::string::npos)
        << c.what << ": got \"" << r.status().message() << "\"";
  }
}

// Subgraph attributes are skipped, not entered: nesting depth costs no stack. The file nests
// 100000 Loop bodies (graph > node > attribute > graph > ...), built inside out.
TEST(OnnxReader, DeepNestingIsNotRecursedInto) {
  std::string rev;  // the message, back to front, so each wrapper is an append
  auto prepend = [&rev](const std::string& bytes) { rev.append(bytes.rbegin(), bytes.rend()); };
  auto header = [](uint32_t field, std::size_t len) {
    return Proto().tag(field, 2).raw_varint(len).str();
  };
  const std::string attr_fields = Proto().bytes(1, "body").varint(20, 5).str();
  const std::string node_fields = Proto().bytes(2, "o").bytes(4, "Loop").str();
  for (int depth = 0; depth < 100000; ++depth) {
    prepend(header(6, rev.size()));  // attribute.g = the graph so far
    prepend(attr_fields);
    prepend(header(5, rev.size()));  // node.attribute
    prepend(node_fields);
    prepend(header(1, rev.size()));  // graph.node
  }
  prepend(header(7, rev.size()));  // model.graph
  const std::string m(rev.rbegin(), rev.rend());
  ASSERT_GT(m.size(), 3000000u);
  auto r = parse_model(reinterpret_cast<const uint8_t*>(m.data()), m.size());
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r.value().graph.nodes.size(), 1u);
  EXPECT_EQ(r.value().graph.nodes[0].attribute("body")->type, AttributeType::kGraph);
  // And the runner refuses the op by name instead of descending into it.
  auto loaded = model::Model::load(reinterpret_cast<const uint8_t*>(m.data()), m.size());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().message(), "unsupported op 'Loop' at node '#0'");
}

// PyTorch's exports, against what Debian's onnx package reads in them (the .summary.txt
// files that scripts/make_test_models.py writes).
TEST(OnnxReader, ReadsTorchExportsLikeOnnxDoes) {
  const std::string dir = test::test_models_dir();
  int checked = 0;
  for (const auto& c : test::model_cases()) {
    if (c.h != 64) continue;  // each model once
    std::ifstream f(c.model.substr(0, c.model.size() - 5) + ".summary.txt");
    std::map<std::string, std::string> facts;
    std::string key, line;
    while (std::getline(f, line)) {
      const auto sp = line.find(' ');
      facts[line.substr(0, sp)] = line.substr(sp + 1);
    }
    const auto bytes = test::read_file(c.model);
    auto r = parse_model(bytes.data(), bytes.size());
    ASSERT_TRUE(r.ok()) << c.model << ": " << r.status().message();
    const Model& m = r.value();
    EXPECT_EQ(std::to_string(m.default_opset()), facts["opset"]) << c.model;
    EXPECT_EQ(std::to_string(m.graph.nodes.size()), facts["nodes"]) << c.model;
    EXPECT_EQ(std::to_string(m.graph.initializers.size()), facts["initializers"]) << c.model;
    std::string dims;
    for (const auto& d : m.graph.inputs[0].dims) {
      dims += (dims.empty() ? "" : ",") + (d.value >= 0 ? std::to_string(d.value) : d.param);
    }
    EXPECT_EQ(m.graph.inputs[0].name + " " + dims, facts["input"]) << c.model;
    double sum = 0;
    for (const auto& t : m.graph.initializers) {
      for (float v : t.floats) sum += std::fabs(double(v));
    }
    EXPECT_NEAR(sum, std::stod(facts["float_abs_sum"]), 1e-6 * sum + 1e-6) << c.model;
    const std::string first = m.graph.nodes[0].op_type + " " +
                              (m.graph.nodes[0].name.empty() ? "-" : m.graph.nodes[0].name);
    EXPECT_EQ(first, facts["first_node"]) << c.model;
    ++checked;
  }
  EXPECT_GE(checked, 17);
}

std::string load_error(const Proto& m) {
  const std::string& s = m.str();
  auto r = model::Model::load(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  return r.ok() ? "OK" : r.status().message();
}

TEST(ModelLoad, NamesWhatIsWrongWithAGraph) {
  const auto in = test::value_info("x", {1, 3, -1, -1});
  const auto out = test::value_info("y", {1, 3, -1, -1});
  EXPECT_EQ(load_error(test::model(
                13, test::graph({test::node("Foo", {"x"}, {"y"}, "bar")}, {}, {in}, {out}))),
            "unsupported op 'Foo' at node 'bar'");
  EXPECT_EQ(
      load_error(test::model(
          13, test::graph({test::node("Relu", {"x"}, {"y"}, "r").bytes(7, "com.example")}, {}, {in},
                          {out}))),
      "unsupported op 'com.example::Relu' at node 'r' (only the default ONNX domain is supported)");
  // A cycle: a reads b's output, b reads a's.
  EXPECT_EQ(load_error(test::model(13, test::graph({test::node("Add", {"x", "b"}, {"a"}, "a"),
                                                    test::node("Relu", {"a"}, {"b"}, "b"),
                                                    test::node("Relu", {"a"}, {"y"}, "c")},
                                                   {}, {in}, {out}))),
            "the graph has a cycle through node 'a' (Add)");
  EXPECT_EQ(load_error(test::model(
                13, test::graph({test::node("Relu", {"y"}, {"y"}, "self")}, {}, {in}, {out}))),
            "the graph has a cycle through node 'self' (Relu)");
  // A missing initializer.
  EXPECT_EQ(
      load_error(test::model(
          13, test::graph({test::node("Conv", {"x", "W"}, {"y"}, "conv")}, {}, {in}, {out}))),
      "node 'conv' (Conv): input 'W' is missing (no node, initializer or graph input provides it)");
  EXPECT_EQ(load_error(test::model(
                13, test::graph({test::node("Relu", {"x"}, {"z"}, "r")}, {}, {in}, {out}))),
            "graph output 'y' is not produced by any node");
  EXPECT_EQ(
      load_error(test::model(13, test::graph({test::node("Relu", {"x"}, {"y"}, "r"),
                                              test::node("Relu", {"x"}, {"y"}, "s")},
                                             {}, {in}, {out}))),
      "node 's' (Relu): output 'y' is already produced by another node, initializer or input");
  // A weight computed at run time, and a weight that does not fit the input.
  EXPECT_EQ(load_error(test::model(
                13, test::graph({test::node("Conv", {"x", "x"}, {"y"}, "conv")}, {}, {in}, {out}))),
            "node 'conv' (Conv): weight 'x' must be a constant");
  const auto w = test::float_tensor("W", {8, 4, 3, 3}, std::vector<float>(8 * 4 * 9, 0.1f));
  EXPECT_EQ(
      load_error(test::model(
          13, test::graph({test::node("Conv", {"x", "W"}, {"y"}, "conv")}, {w}, {in}, {out}))),
      "node 'conv' (Conv): input has 3 channels but the weight [8,4,3,3] with group 1 expects 4");
  // Gather on an activation: the runner folds it on constants only.
  const auto idx = test::int64_tensor("i", {1}, {0});
  EXPECT_EQ(load_error(test::model(13, test::graph({test::node("Gather", {"x", "i"}, {"y"}, "g")},
                                                   {idx}, {in}, {out}))),
            "node 'g' (Gather): runs only on constants, but input 'x' is an activation computed at "
            "run time");
  // Not an error: the same Relu graph loads.
  EXPECT_EQ(load_error(test::model(13, tiny_graph())), "OK");
}

// Found by the fuzzer: Slice steps near INT64_MIN overflowed the element count. Any step
// longer than the dimension takes one element.
TEST(ModelLoad, FoldsSliceWithExtremeSteps) {
  struct Case {
    int64_t start, end, step;
    std::vector<float> want;
  };
  for (const Case& c : {Case{3, INT64_MIN, INT64_MIN, {4.f}}, Case{0, INT64_MAX, INT64_MAX, {1.f}},
                        Case{INT64_MAX, INT64_MIN, -1, {4.f, 3.f, 2.f, 1.f}},
                        Case{INT64_MIN, INT64_MAX, 2, {1.f, 3.f}}, Case{2, 1, 1, {}}}) {
    const auto data = test::float_tensor("data", {4}, {1.f, 2.f, 3.f, 4.f});
    const auto starts = test::int64_tensor("starts", {1}, {c.start});
    const auto ends = test::int64_tensor("ends", {1}, {c.end});
    const auto axes = test::int64_tensor("axes", {1}, {0});
    const auto steps = test::int64_tensor("steps", {1}, {c.step});
    const std::string m =
        test::model(
            13, test::graph(
                    {test::node("Slice", {"data", "starts", "ends", "axes", "steps"}, {"y"}, "s")},
                    {data, starts, ends, axes, steps}, {}, {test::value_info("y", {-1})}))
            .str();
    auto loaded = model::Model::load(reinterpret_cast<const uint8_t*>(m.data()), m.size());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ASSERT_TRUE(loaded.value()->run({}, {}).ok());
    const auto& shape = loaded.value()->output_shape(0);
    ASSERT_EQ(shape, (model::Shape{static_cast<int64_t>(c.want.size())}))
        << c.start << ":" << c.end << ":" << c.step;
    const float* y = loaded.value()->output(0);
    EXPECT_EQ(std::vector<float>(y, y + c.want.size()), c.want);
  }
}

// Truncation anywhere inside the graph fails cleanly; so do corrupted bytes or a model that
// loads but is nonsense. The module stays usable throughout.
TEST(ModelLoad, SurvivesTruncationAndCorruption) {
  const std::string path = test::test_models_dir() + "/small.opset11.onnx";
  const auto bytes = test::read_file(path);
  ASSERT_GT(bytes.size(), 10000u);
  auto t0 = std::chrono::steady_clock::now();
  int cuts = 0;
  // The graph is the model's 4th field, after ir_version, producer name and version: every
  // cut from its tag to its last byte leaves a length that overruns the data.
  for (std::size_t cut = 1; cut < bytes.size(); cut += (cut < 256 ? 1 : 397)) {
    auto r = model::Model::load(bytes.data(), cut);
    if (cut > 40 && cut < bytes.size() - 20) {
      EXPECT_FALSE(r.ok()) << "cut at " << cut;
    }
    if (!r.ok()) {
      EXPECT_FALSE(r.status().message().empty());
    }
    ++cuts;
  }
  std::mt19937 rng(42);
  int loaded = 0, ran = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> b = bytes;
    const int flips = 1 + trial % 8;
    for (int k = 0; k < flips; ++k) b[rng() % b.size()] = static_cast<uint8_t>(rng());
    auto r = model::Model::load(b.data(), b.size());
    if (!r.ok()) continue;
    ++loaded;
    const std::vector<float> x(3 * 24 * 20, 100.f);
    if (r.value()->run({x.data()}, {{1, 3, 24, 20}}).ok()) ++ran;
  }
  auto ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("  %d truncations refused; %d of 300 corrupted copies loaded, %d ran (%.0f ms)\n",
              cuts, loaded, ran, ms);
  auto good = model::Model::load(bytes.data(), bytes.size());
  ASSERT_TRUE(good.ok());
}

}  // namespace
}  // namespace instyle::onnx
