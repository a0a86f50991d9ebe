// onnx_conformance_test.cpp: the outside reference for instyle's kernels. Every case in Debian's
// libonnx-testdata whose graph uses an op family instyle implements is run through instyle's
// kernels and compared with the outputs ONNX ships; a case outside instyle's scope is skipped with
// the reason. The run ends with a summary per op: passed, skipped (why), failed, and the worst
// error seen against each op's stated tolerance.
//
//   build-conf/onnx_conformance_tests                                # every case, then summary
//   build-conf/onnx_conformance_tests --gtest_filter='Onnx/*Conv*'   # one op's cases
//   INSTYLE_ONNX_TESTDATA=/other/data build-conf/onnx_conformance_tests
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "conv.h"
#include "eltwise.h"
#include "norm.h"
#include "onnx_testdata.h"
#include "pad.h"
#include "pool.h"
#include "resize.h"

namespace instyle::onnx_test {
namespace {

// ---------------------------------------------------------------------------------------------
// Tolerances, one per kind of op, as |got - want| <= atol + rtol * |want|. The expected outputs
// were computed by numpy or PyTorch in float32; instyle's statistics use double accumulators and
// its conv sums in a different order, so those ops get room for float32 rounding of sums of a few
// hundred terms, and no more: an eps mix-up (1e-5 vs 1e-2) or a biased/unbiased variance swap on
// these sizes moves outputs by 1e-3 or more and fails.
struct Tol {
  float atol, rtol;
};
// Data movement (pad, nearest) and one IEEE operation per element (add, max, min): bit-exact.
constexpr Tol kExact{0.f, 0.f};
// Normalizations: mean and variance over 3 to 1024 values, then one scale and shift.
constexpr Tol kNorm{1e-5f, 1e-4f};
// Convolution: dot products of up to C/groups * kH * kW = 144 terms of magnitude about 1.
constexpr Tol kConv{1e-4f, 1e-4f};
// Bilinear: four weights summing to 1 applied to values up to about 16.
constexpr Tol kInterp{1e-5f, 1e-5f};
// Average pooling: a sum of up to 25 values of magnitude about 1, in another order, divided once.
constexpr Tol kMean{1e-6f, 1e-5f};

// A case, or one node of it, outside instyle's scope: the test is skipped with `reason`.
struct Unsupported {
  std::string reason;
};

template <typename... Args>
std::string cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

[[noreturn]] void unsupported(const std::string& reason) {
  throw Unsupported{reason};
}
[[noreturn]] void malformed(const std::string& what) {
  throw std::runtime_error(what);
}

std::string join(const std::vector<int64_t>& v) {
  std::string s;
  for (std::size_t k = 0; k < v.size(); ++k) s += (k ? "," : "") + std::to_string(v[k]);
  return s;
}

// ---------------------------------------------------------------------------------------------
// One node being run: its inputs from the environment, its attributes, where outputs go.
struct NodeRun {
  const ::onnx::NodeProto& node;
  std::map<std::string, Tensor>& env;
  std::map<std::string, Tol>& tolerance;  // per produced value, used when it is a graph output
  int64_t opset;
  bool scalar_ref;  // run the kernels' scalar `_ref` twins instead of the SIMD ones

  // The SIMD kernel or its scalar twin; both have one signature.
  template <typename Fn>
  Fn* kernel(Fn* simd, Fn* ref) const {
    return scalar_ref ? ref : simd;
  }

  const std::string& op() const { return node.op_type(); }

  // Input k, or nullptr when the node leaves that optional input out.
  const Tensor* in(int k) const {
    if (k >= node.input_size() || node.input(k).empty()) return nullptr;
    auto it = env.find(node.input(k));
    if (it == env.end()) malformed(cat(op(), ": input '", node.input(k), "' has no value"));
    return &it->second;
  }
  const Tensor& req(int k) const {
    const Tensor* t = in(k);
    if (!t) malformed(cat(op(), ": required input ", k, " is missing"));
    return *t;
  }
  static const Tensor& must_be_float(const Tensor& t, const std::string& op, int k) {
    if (!t.is_float()) {
      unsupported(
          cat(op, " input ", k, " is ", dtype_name(t.dtype), ": instyle's kernels are f32"));
    }
    return t;
  }
  const Tensor& float_in(int k) const { return must_be_float(req(k), op(), k); }
  const Tensor* opt_float_in(int k) const {
    const Tensor* t = in(k);
    return t ? &must_be_float(*t, op(), k) : nullptr;
  }

  int named_outputs() const {
    int n = 0;
    for (const auto& o : node.output()) n += !o.empty();
    return n;
  }
  bool wants_output(int k) const { return k < node.output_size() && !node.output(k).empty(); }
  void out(int k, Tensor t, Tol tol) const {
    if (!wants_output(k)) return;
    env[node.output(k)] = std::move(t);
    tolerance[node.output(k)] = tol;
  }

  const ::onnx::AttributeProto* attr(const char* name) const {
    for (const auto& a : node.attribute()) {
      if (a.name() == name) return &a;
    }
    return nullptr;
  }
  int64_t attr_int(const char* name, int64_t fallback) const {
    const auto* a = attr(name);
    return a ? a->i() : fallback;
  }
  float attr_float(const char* name, float fallback) const {
    const auto* a = attr(name);
    return a ? a->f() : fallback;
  }
  std::string attr_string(const char* name, const std::string& fallback) const {
    const auto* a = attr(name);
    return a ? a->s() : fallback;
  }
  std::vector<int64_t> attr_ints(const char* name) const {
    const auto* a = attr(name);
    return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : std::vector<int64_t>{};
  }
  std::vector<float> attr_floats(const char* name) const {
    const auto* a = attr(name);
    return a ? std::vector<float>(a->floats().begin(), a->floats().end()) : std::vector<float>{};
  }

  // An attribute the mapping below does not read could change the result unnoticed: refuse it.
  void check_attributes(std::initializer_list<const char*> known) const {
    for (const auto& a : node.attribute()) {
      bool ok = false;
      for (const char* k : known) ok = ok || a.name() == k;
      if (!ok) unsupported(cat(op(), " attribute '", a.name(), "' is not mapped to instyle"));
    }
  }
};

Tensor float_like(const std::vector<int64_t>& dims) {
  Tensor t;
  t.dtype = ::onnx::TensorProto::FLOAT;
  t.dims = dims;
  t.f.assign(t.numel(), 0.f);
  return t;
}

float scalar_value(const Tensor& t, const std::string& what) {
  if (t.numel() != 1) malformed(cat(what, " should be a scalar, has shape ", shape_string(t.dims)));
  if (t.is_float()) return t.f[0];
  if (t.is_integer()) return static_cast<float>(t.i[0]);
  unsupported(cat(what, " is ", dtype_name(t.dtype)));
}

// N, C and the product of the remaining (spatial) axes: instyle's [N, C, HW] view of an
// [N, C, D1, ..., Dk] tensor, which is the same memory.
struct NCHW {
  std::size_t N, C, HW;
};
NCHW nc_hw(const Tensor& x, const std::string& op) {
  if (x.dims.size() < 2 || x.numel() == 0) {
    unsupported(cat(op, " on a tensor of shape ", shape_string(x.dims), " (needs N, C, ...)"));
  }
  return {static_cast<std::size_t>(x.dims[0]), static_cast<std::size_t>(x.dims[1]),
          x.numel() / static_cast<std::size_t>(x.dims[0] * x.dims[1])};
}

void expect_numel(const Tensor& t, std::size_t n, const std::string& what) {
  if (t.numel() != n) malformed(cat(what, " has ", t.numel(), " values, expected ", n));
}

// ---------------------------------------------------------------------------------------------
// The ops. Each maps one ONNX node onto instyle's kernels, or says why it cannot.

void run_constant(const NodeRun& r) {
  r.check_attributes({"value"});
  if (!r.attr("value")) unsupported("Constant without a 'value' tensor");
  r.out(0, to_tensor(r.attr("value")->t()), kExact);
}

void run_relu(const NodeRun& r) {
  r.check_attributes({"consumed_inputs"});
  const Tensor& x = r.float_in(0);
  Tensor y = float_like(x.dims);
  r.kernel(relu_f32, relu_f32_ref)(y.f.data(), x.f.data(), x.numel());
  r.out(0, std::move(y), kExact);
}

void run_add(const NodeRun& r) {
  // broadcast/axis (opsets 1-6) only describe how to broadcast; equal shapes need neither.
  r.check_attributes({"broadcast", "axis", "consumed_inputs"});
  const Tensor& a = r.float_in(0);
  const Tensor& b = r.float_in(1);
  if (a.dims != b.dims) {
    unsupported(cat("broadcasting Add ", shape_string(a.dims), " + ", shape_string(b.dims),
                    ": instyle's add_f32 takes two tensors of one shape"));
  }
  Tensor y = float_like(a.dims);
  r.kernel(add_f32, add_f32_ref)(y.f.data(), a.f.data(), b.f.data(), a.numel(), false);
  r.out(0, std::move(y), kExact);
}

void run_clip(const NodeRun& r) {
  r.check_attributes({"min", "max", "consumed_inputs"});
  const Tensor& x = r.float_in(0);
  float lo = std::numeric_limits<float>::lowest(), hi = std::numeric_limits<float>::max();
  if (r.opset < 11) {  // bounds are attributes before opset 11, optional inputs after
    lo = r.attr_float("min", lo);
    hi = r.attr_float("max", hi);
  } else {
    if (const Tensor* t = r.opt_float_in(1)) lo = scalar_value(*t, "Clip min");
    if (const Tensor* t = r.opt_float_in(2)) hi = scalar_value(*t, "Clip max");
  }
  Tensor y = float_like(x.dims);
  r.kernel(clamp_f32, clamp_f32_ref)(y.f.data(), x.f.data(), x.numel(), lo, hi);
  r.out(0, std::move(y), kExact);
}

void run_instance_norm(const NodeRun& r) {
  r.check_attributes({"epsilon", "consumed_inputs"});
  const Tensor& x = r.float_in(0);
  const Tensor& scale = r.float_in(1);
  const Tensor& bias = r.float_in(2);
  const NCHW s = nc_hw(x, r.op());
  expect_numel(scale, s.C, "InstanceNormalization scale");
  expect_numel(bias, s.C, "InstanceNormalization B");
  Tensor y = float_like(x.dims);
  r.kernel(instance_norm_f32, instance_norm_f32_ref)(y.f.data(), x.f.data(), scale.f.data(),
                                                     bias.f.data(), s.N, s.C, s.HW,
                                                     r.attr_float("epsilon", 1e-5f), false);
  r.out(0, std::move(y), kNorm);
}

void run_batch_norm(const NodeRun& r) {
  r.check_attributes(
      {"epsilon", "momentum", "spatial", "is_test", "training_mode", "consumed_inputs"});
  const Tensor& x = r.float_in(0);
  const Tensor& scale = r.float_in(1);
  const Tensor& bias = r.float_in(2);
  const Tensor& mean = r.float_in(3);
  const Tensor& var = r.float_in(4);
  const float eps = r.attr_float("epsilon", 1e-5f);
  const float momentum = r.attr_float("momentum", 0.9f);
  if (r.attr_int("spatial", 1) == 0) {
    unsupported("BatchNormalization spatial=0 (statistics per activation, not per channel)");
  }
  // How ONNX says "training" changed twice: is_test (opsets 1-6), the number of outputs (7-13),
  // training_mode (14+).
  bool training;
  if (r.opset >= 14) {
    training = r.attr_int("training_mode", 0) != 0;
  } else if (r.opset >= 7) {
    training = r.named_outputs() > 1;
  } else {
    training = r.attr_int("is_test", 0) == 0;
  }
  if (training && r.opset < 14) {
    unsupported(
        "BatchNormalization training mode before opset 14 (outputs saved_mean and saved_var, which "
        "instyle's batch_norm_train_f32 does not define)");
  }
  const NCHW s = nc_hw(x, r.op());
  for (const Tensor* t : {&scale, &bias, &mean, &var}) {
    expect_numel(*t, s.C, "BatchNormalization input");
  }
  Tensor y = float_like(x.dims);
  if (!training) {
    r.kernel(batch_norm_f32, batch_norm_f32_ref)(y.f.data(), x.f.data(), mean.f.data(),
                                                 var.f.data(), scale.f.data(), bias.f.data(), s.N,
                                                 s.C, s.HW, eps, false);
    r.out(0, std::move(y), kNorm);
    return;
  }
  Tensor batch_mean = float_like({static_cast<int64_t>(s.C)});
  Tensor batch_var = float_like({static_cast<int64_t>(s.C)});
  r.kernel(batch_norm_train_f32, batch_norm_train_f32_ref)(
      y.f.data(), batch_mean.f.data(), batch_var.f.data(), x.f.data(), scale.f.data(),
      bias.f.data(), s.N, s.C, s.HW, eps, false);
  r.out(0, std::move(y), kNorm);
  // ONNX returns running statistics blended with the batch's; instyle returns the batch's and
  // leaves the blend to its caller, done here as ONNX defines it.
  Tensor running_mean = float_like(batch_mean.dims), running_var = float_like(batch_var.dims);
  for (std::size_t c = 0; c < s.C; ++c) {
    running_mean.f[c] = static_cast<float>(double(mean.f[c]) * momentum +
                                           double(batch_mean.f[c]) * (1.0 - momentum));
    running_var.f[c] =
        static_cast<float>(double(var.f[c]) * momentum + double(batch_var.f[c]) * (1.0 - momentum));
  }
  r.out(1, std::move(running_mean), kNorm);
  r.out(2, std::move(running_var), kNorm);
  if (r.named_outputs() > 3) unsupported("BatchNormalization outputs beyond running mean/var");
}

void run_layer_norm(const NodeRun& r) {
  r.check_attributes({"axis", "epsilon", "stash_type"});
  const Tensor& x = r.float_in(0);
  const Tensor& scale = r.float_in(1);
  const Tensor* bias = r.opt_float_in(2);
  const int64_t rank = static_cast<int64_t>(x.dims.size());
  int64_t axis = r.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) malformed(cat("LayerNormalization axis ", axis, " of rank ", rank));
  // Rows are the axes before `axis`, each normalized over everything from `axis` on.
  std::size_t outer = 1, inner = 1;
  for (int64_t a = 0; a < rank; ++a) {
    (a < axis ? outer : inner) *= static_cast<std::size_t>(x.dims[a]);
  }
  if (scale.numel() != inner || (bias && bias->numel() != inner)) {
    unsupported(cat("LayerNormalization with scale/B broadcast from ", shape_string(scale.dims),
                    ": instyle's layer_norm_f32 takes one value per normalized element"));
  }
  Tensor y = float_like(x.dims);
  std::vector<int64_t> stat_dims(x.dims.begin(), x.dims.begin() + axis);
  stat_dims.resize(rank, 1);
  Tensor mean = float_like(stat_dims), rstd = float_like(stat_dims);
  r.kernel(layer_norm_f32, layer_norm_f32_ref)(y.f.data(), mean.f.data(), rstd.f.data(), x.f.data(),
                                               scale.f.data(), bias ? bias->f.data() : nullptr,
                                               outer, inner, r.attr_float("epsilon", 1e-5f));
  r.out(0, std::move(y), kNorm);
  r.out(1, std::move(mean), kNorm);
  r.out(2, std::move(rstd), kNorm);
}

void run_group_norm(const NodeRun& r) {
  r.check_attributes({"num_groups", "epsilon", "stash_type"});
  const Tensor& x = r.float_in(0);
  const Tensor& scale = r.float_in(1);
  const Tensor& bias = r.float_in(2);
  const NCHW s = nc_hw(x, r.op());
  const std::size_t G = static_cast<std::size_t>(r.attr_int("num_groups", 0));
  if (G == 0 || s.C % G != 0) {
    malformed(cat("GroupNormalization num_groups ", G, " with C = ", s.C));
  }
  // Opset 18 gave scale and B one value per group; opset 21 one per channel, as instyle does.
  std::vector<float> gamma(s.C), beta(s.C);
  for (std::size_t c = 0; c < s.C; ++c) {
    const std::size_t k = scale.numel() == s.C ? c : c / (s.C / G);
    if (scale.numel() != s.C && scale.numel() != G) malformed("GroupNormalization scale size");
    gamma[c] = scale.f[k];
    beta[c] = bias.f[k];
  }
  Tensor y = float_like(x.dims);
  r.kernel(group_norm_f32, group_norm_f32_ref)(y.f.data(), x.f.data(), gamma.data(), beta.data(),
                                               s.N, s.C, s.HW, G, r.attr_float("epsilon", 1e-5f),
                                               false);
  r.out(0, std::move(y), kNorm);
}

void run_conv(const NodeRun& r) {
  r.check_attributes({"auto_pad", "dilations", "group", "kernel_shape", "pads", "strides"});
  const Tensor& x = r.float_in(0);
  const Tensor& w = r.float_in(1);
  const Tensor* b = r.opt_float_in(2);
  const std::size_t rank = x.dims.size();
  if (rank != 3 && rank != 4) {
    unsupported(cat(rank - 2, "-D convolution: instyle's conv2d_f32 is 2-D (1-D runs as H = 1)"));
  }
  const std::size_t sp = rank - 2;
  if (w.dims.size() != rank) malformed("Conv weight rank differs from input rank");
  const std::vector<int64_t> in(x.dims.begin() + 2, x.dims.end());
  const std::vector<int64_t> kernel(w.dims.begin() + 2, w.dims.end());
  const auto kernel_attr = r.attr_ints("kernel_shape");  // optional: W's shape says the same
  if (!kernel_attr.empty() && kernel_attr != kernel) malformed("Conv kernel_shape differs from W");
  auto per_axis = [&](const char* name, int64_t fallback) {
    auto v = r.attr_ints(name);
    if (v.empty()) v.assign(sp, fallback);
    if (v.size() != sp) malformed(cat("Conv ", name, " has ", v.size(), " values"));
    return v;
  };
  const auto strides = per_axis("strides", 1);
  const auto dilations = per_axis("dilations", 1);
  std::vector<int64_t> pads = r.attr_ints("pads");  // [x1_begin, x2_begin, ..., x1_end, x2_end]
  if (pads.empty()) pads.assign(2 * sp, 0);
  if (pads.size() != 2 * sp) malformed("Conv pads size");
  const std::string auto_pad = r.attr_string("auto_pad", "NOTSET");
  if (auto_pad == "VALID") {
    pads.assign(2 * sp, 0);
  } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    // Output ceil(in / stride); the padding this needs is split in two, the odd pixel going to the
    // end (SAME_UPPER) or to the beginning (SAME_LOWER).
    for (std::size_t a = 0; a < sp; ++a) {
      const int64_t out = (in[a] + strides[a] - 1) / strides[a];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * strides[a] + (kernel[a] - 1) * dilations[a] + 1 - in[a]);
      const int64_t small = total / 2, big = total - small;
      pads[a] = auto_pad == "SAME_UPPER" ? small : big;
      pads[a + sp] = auto_pad == "SAME_UPPER" ? big : small;
    }
  } else if (auto_pad != "NOTSET") {
    malformed("Conv auto_pad " + auto_pad);
  }
  Conv2dShape s;
  s.N = x.dims[0];
  s.C = x.dims[1];
  s.O = w.dims[0];
  s.groups = static_cast<std::size_t>(r.attr_int("group", 1));
  if (sp == 2) {
    s.H = in[0], s.W = in[1], s.kH = kernel[0], s.kW = kernel[1];
    s.stride_h = strides[0], s.stride_w = strides[1];
    s.dilation_h = dilations[0], s.dilation_w = dilations[1];
    s.pad_top = pads[0], s.pad_left = pads[1], s.pad_bottom = pads[2], s.pad_right = pads[3];
  } else {  // a 1-D signal is a 1 x L image: same memory, same arithmetic
    s.W = in[0], s.kW = kernel[0], s.stride_w = strides[0], s.dilation_w = dilations[0];
    s.pad_left = pads[0], s.pad_right = pads[1];
  }
  if (s.C != static_cast<std::size_t>(w.dims[1]) * s.groups || s.O % s.groups != 0) {
    malformed(cat("Conv shapes: x ", shape_string(x.dims), ", W ", shape_string(w.dims), ", group ",
                  s.groups));
  }
  if (b) expect_numel(*b, s.O, "Conv B");
  std::vector<int64_t> out_dims = {x.dims[0], w.dims[0]};
  if (sp == 2) out_dims.push_back(static_cast<int64_t>(s.out_h()));
  out_dims.push_back(static_cast<int64_t>(s.out_w()));
  Tensor y = float_like(out_dims);
  std::vector<float> workspace(conv2d_workspace_size(s));
  r.kernel(conv2d_f32, conv2d_f32_ref)(y.f.data(), x.f.data(), w.f.data(),
                                       b ? b->f.data() : nullptr, s, false, workspace.data());
  r.out(0, std::move(y), kConv);
}

void run_pad(const NodeRun& r) {
  r.check_attributes({"mode", "pads", "paddings", "value"});
  const Tensor& x = r.req(0);
  const std::string mode = r.attr_string("mode", "constant");
  std::vector<int64_t> pads;
  float value = 0.f;
  if (r.opset < 11) {  // pads and value are attributes before opset 11, inputs after
    pads = r.attr_ints("pads");
    if (pads.empty()) pads = r.attr_ints("paddings");  // opset 1's name
    value = r.attr_float("value", 0.f);
  } else {
    const Tensor& p = r.req(1);
    if (p.dtype != ::onnx::TensorProto::INT64) malformed("Pad pads is not int64");
    pads = p.i;
    if (const Tensor* v = r.in(2)) value = scalar_value(*v, "Pad constant_value");
    if (r.in(3)) unsupported("Pad with an axes input (opset 18)");
  }
  PadMode pad_mode;
  if (mode == "constant") {
    pad_mode = PadMode::kZeros;
  } else if (mode == "reflect") {
    pad_mode = PadMode::kReflect;
  } else if (mode == "edge") {
    pad_mode = PadMode::kEdge;
  } else {
    unsupported("Pad mode '" + mode + "' (instyle has constant, reflect, edge)");
  }
  const std::size_t rank = x.dims.size();
  if (pads.size() != 2 * rank) malformed(cat("Pad has ", pads.size(), " pads for rank ", rank));
  if (rank < 2) unsupported(cat(rank, "-D Pad: instyle's pad_f32 pads the last two axes"));
  for (std::size_t a = 0; a < 2 * rank; ++a) {
    if (pads[a] < 0) unsupported("Pad with negative pads (cropping): " + join(pads));
    if (a % rank < rank - 2 && pads[a] != 0) {
      unsupported(cat("Pad on axis ", a % rank, " (pads ", join(pads),
                      "): instyle's pad_f32 pads the two spatial axes only"));
    }
  }
  // Leading axes are unpadded, so they fold into NC planes of H x W.
  const std::size_t H = x.dims[rank - 2], W = x.dims[rank - 1];
  const std::size_t NC = H * W != 0 ? x.numel() / (H * W) : 0;
  const std::size_t top = pads[rank - 2], left = pads[rank - 1];
  const std::size_t bottom = pads[2 * rank - 2], right = pads[2 * rank - 1];
  if (pad_mode == PadMode::kReflect && (top >= H || bottom >= H || left >= W || right >= W)) {
    unsupported(cat("reflect Pad wider than the input (pads ", join(pads), ", input ",
                    shape_string(x.dims), ")"));
  }
  // Pad only moves values, so integers of at most 24 bits survive a round trip through f32 exactly,
  // and an integer case checks the same index mapping as a float one.
  std::vector<float> xf;
  const float* src = x.f.data();
  if (x.is_integer()) {
    for (int64_t v : x.i) {
      if (std::llabs(v) > (int64_t{1} << 24)) {
        unsupported(cat("Pad of ", dtype_name(x.dtype), " values beyond 2^24"));
      }
      xf.push_back(static_cast<float>(v));
    }
    src = xf.data();
  } else if (!x.is_float()) {
    unsupported("Pad of " + dtype_name(x.dtype));
  }
  std::vector<int64_t> out_dims = x.dims;
  out_dims[rank - 2] += top + bottom;
  out_dims[rank - 1] += left + right;
  Tensor y = float_like(out_dims);
  r.kernel(pad_f32, pad_f32_ref)(y.f.data(), src, NC, H, W, top, left, bottom, right, pad_mode,
                                 value);
  if (x.is_integer()) {
    y.dtype = x.dtype;
    for (float v : y.f) y.i.push_back(static_cast<int64_t>(v));
    y.f.clear();
  }
  r.out(0, std::move(y), kExact);
}

// AveragePool and MaxPool. The output size and padding follow ONNX's formulas here, apart from
// instyle's lowering (src/model/steps/pool.cpp), and the expected output's shape checks them.
void run_pool(const NodeRun& r) {
  r.check_attributes({"auto_pad", "ceil_mode", "count_include_pad", "dilations", "kernel_shape",
                      "pads", "storage_order", "strides"});
  const bool is_max = r.op() == "MaxPool";
  const Tensor& x = r.req(0);
  if (is_max && r.wants_output(1)) {
    unsupported("MaxPool's Indices output: instyle's pool2d_f32 returns the maxima only");
  }
  const std::size_t rank = x.dims.size();
  if (rank != 3 && rank != 4) {
    unsupported(cat(rank - 2, "-D pooling: instyle's pool2d_f32 is 2-D (1-D runs as H = 1)"));
  }
  const std::size_t sp = rank - 2;
  const std::vector<int64_t> in(x.dims.begin() + 2, x.dims.end());
  const auto kernel = r.attr_ints("kernel_shape");
  if (kernel.size() != sp) malformed(cat(r.op(), " kernel_shape has ", kernel.size(), " values"));
  auto per_axis = [&](const char* name, int64_t fallback) {
    auto v = r.attr_ints(name);
    if (v.empty()) v.assign(sp, fallback);
    if (v.size() != sp) malformed(cat(r.op(), " ", name, " has ", v.size(), " values"));
    return v;
  };
  const auto strides = per_axis("strides", 1);
  for (int64_t d : per_axis("dilations", 1)) {
    if (d != 1) unsupported(cat(r.op(), " with dilations ", join(r.attr_ints("dilations"))));
  }
  std::vector<int64_t> pads = r.attr_ints("pads");  // [x1_begin, x2_begin, ..., x1_end, x2_end]
  if (pads.empty()) pads.assign(2 * sp, 0);
  if (pads.size() != 2 * sp) malformed(cat(r.op(), " pads size"));
  const bool ceil_mode = r.attr_int("ceil_mode", 0) != 0;
  const bool include_pad = !is_max && r.attr_int("count_include_pad", 0) != 0;
  const std::string auto_pad = r.attr_string("auto_pad", "NOTSET");
  std::vector<int64_t> out(sp);
  for (std::size_t a = 0; a < sp; ++a) {
    if (auto_pad == "VALID") {
      pads[a] = pads[a + sp] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Output ceil(in / stride); the padding it needs split in two, the odd pixel at the end
      // (SAME_UPPER) or at the beginning (SAME_LOWER).
      const int64_t o = (in[a] + strides[a] - 1) / strides[a];
      const int64_t total = std::max<int64_t>(0, (o - 1) * strides[a] + kernel[a] - in[a]);
      pads[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[a + sp] = total - pads[a];
    } else if (auto_pad != "NOTSET") {
      malformed(cat(r.op(), " auto_pad ", auto_pad));
    }
    if (pads[a] >= kernel[a] || pads[a + sp] >= kernel[a]) {
      unsupported(cat(r.op(), " pads ", join(pads), " not smaller than kernel ", join(kernel)));
    }
    const int64_t span = in[a] + pads[a] + pads[a + sp] - kernel[a];
    if (span < 0) malformed(cat(r.op(), " kernel larger than the padded input"));
    // ceil_mode rounds the window count up, but a window must start before the end padding.
    out[a] = (ceil_mode && auto_pad == "NOTSET" ? (span + strides[a] - 1) : span) / strides[a] + 1;
    if ((out[a] - 1) * strides[a] >= in[a] + pads[a]) --out[a];
    if (include_pad && (out[a] - 1) * strides[a] + kernel[a] > in[a] + pads[a] + pads[a + sp]) {
      unsupported("AveragePool ceil_mode with count_include_pad past the padding");
    }
  }
  Pool2dShape s;
  s.NC = static_cast<std::size_t>(x.dims[0] * x.dims[1]);
  s.mode = is_max ? PoolMode::kMax : PoolMode::kAverage;
  s.count_include_pad = include_pad;
  if (sp == 2) {
    s.H = in[0], s.W = in[1], s.OH = out[0], s.OW = out[1], s.kH = kernel[0], s.kW = kernel[1];
    s.stride_h = strides[0], s.stride_w = strides[1], s.pad_top = pads[0], s.pad_left = pads[1];
  } else {  // a 1-D signal is a 1 x L image
    s.W = in[0], s.OW = out[0], s.kW = kernel[0], s.stride_w = strides[0], s.pad_left = pads[0];
  }
  // MaxPool only selects values, so integers of at most 24 bits are exact through f32.
  std::vector<float> xf;
  const float* src = x.f.data();
  if (x.is_integer() && is_max) {
    for (int64_t v : x.i) {
      if (std::llabs(v) > (int64_t{1} << 24)) {
        unsupported(cat("MaxPool of ", dtype_name(x.dtype), " values beyond 2^24"));
      }
      xf.push_back(static_cast<float>(v));
    }
    src = xf.data();
  } else {
    NodeRun::must_be_float(x, r.op(), 0);
  }
  std::vector<int64_t> out_dims = {x.dims[0], x.dims[1]};
  out_dims.insert(out_dims.end(), out.begin(), out.end());
  Tensor y = float_like(out_dims);
  std::vector<float> scratch(pool2d_scratch_size(s));
  r.kernel(pool2d_f32, pool2d_f32_ref)(y.f.data(), src, s, scratch.data());
  if (x.is_integer()) {
    y.dtype = x.dtype;
    for (float v : y.f) y.i.push_back(static_cast<int64_t>(v));
    y.f.clear();
  }
  r.out(0, std::move(y), is_max ? kExact : kMean);
}

// Resize and Upsample share one mapping onto instyle's two resamplers.
struct ResizeSpec {
  std::string mode;             // "nearest" or "linear"
  std::string coordinate_mode;  // ONNX coordinate_transformation_mode
  std::string nearest_mode;     // ONNX nearest_mode
  bool scales_given = false;    // ONNX maps coordinates by the given scale, not out / in
  double scale_h = 1, scale_w = 1;
  std::size_t out_h = 0, out_w = 0;
};

// Where ONNX samples the input for output index i along one axis.
double onnx_source_coordinate(std::size_t i, std::size_t in, std::size_t out, double scale,
                              const std::string& mode) {
  if (mode == "half_pixel") return (i + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out > 1 ? (i + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") return out == 1 ? 0.0 : double(i) * (in - 1) / double(out - 1);
  if (mode == "asymmetric") return i / scale;
  if (mode == "tf_half_pixel_for_nn") return (i + 0.5) / scale;
  malformed("coordinate_transformation_mode " + mode);
}

std::size_t onnx_nearest_index(double x, std::size_t in, const std::string& nearest_mode) {
  const bool tie = x - std::floor(x) == 0.5;
  double v;
  if (nearest_mode == "floor") {
    v = std::floor(x);
  } else if (nearest_mode == "ceil") {
    v = std::ceil(x);
  } else if (nearest_mode == "round_prefer_ceil") {
    v = tie ? std::ceil(x) : std::round(x);
  } else if (nearest_mode == "round_prefer_floor") {
    v = tie ? std::floor(x) : std::round(x);
  } else {
    malformed("nearest_mode " + nearest_mode);
  }
  return static_cast<std::size_t>(std::clamp(v, 0.0, double(in - 1)));
}

void run_resample(const NodeRun& r, const Tensor& x, const ResizeSpec& spec) {
  if (x.dims.size() != 4) {
    unsupported(cat(r.op(), " of a ", x.dims.size(), "-D tensor: instyle resizes H, W of NCHW"));
  }
  const std::size_t NC = x.dims[0] * x.dims[1], H = x.dims[2], W = x.dims[3];
  const std::size_t OH = spec.out_h, OW = spec.out_w;
  const double scale_h = spec.scales_given ? spec.scale_h : double(OH) / H;
  const double scale_w = spec.scales_given ? spec.scale_w : double(OW) / W;
  Tensor y = float_like({x.dims[0], x.dims[1], static_cast<int64_t>(OH), static_cast<int64_t>(OW)});
  if (spec.mode == "nearest") {
    if (OH < H || OW < W || OH % H || OW % W) {
      unsupported(
          cat("nearest ", H, "x", W, " -> ", OH, "x", OW,
              ": instyle's upsample_nearest_f32 repeats pixels an integer number of times"));
    }
    const std::size_t sh = OH / H, sw = OW / W;
    // upsample_nearest_f32 reads input i / s for output i; run the case only where ONNX's
    // coordinate and rounding modes pick that same pixel everywhere.
    auto same_as_repeat = [&](std::size_t in, std::size_t out, std::size_t s, double scale) {
      for (std::size_t i = 0; i < out; ++i) {
        const double c = onnx_source_coordinate(i, in, out, scale, spec.coordinate_mode);
        if (onnx_nearest_index(c, in, spec.nearest_mode) != i / s) return false;
      }
      return true;
    };
    if (!same_as_repeat(H, OH, sh, scale_h) || !same_as_repeat(W, OW, sw, scale_w)) {
      unsupported(cat("nearest with coordinate_transformation_mode=", spec.coordinate_mode,
                      ", nearest_mode=", spec.nearest_mode, " at x", sh, ", x", sw,
                      " does not repeat each pixel (instyle's upsample_nearest_f32 does)"));
    }
    r.kernel(upsample_nearest_f32, upsample_nearest_f32_ref)(y.f.data(), x.f.data(), NC, H, W, sh,
                                                             sw);
    r.out(0, std::move(y), kExact);
    return;
  }
  if (spec.mode != "linear") unsupported(cat(r.op(), " mode '", spec.mode, "'"));
  CoordMode coord;
  if (spec.coordinate_mode == "half_pixel") {
    coord = CoordMode::kHalfPixel;
  } else if (spec.coordinate_mode == "pytorch_half_pixel") {
    coord = CoordMode::kPytorchHalfPixel;
  } else if (spec.coordinate_mode == "align_corners") {
    coord = CoordMode::kAlignCorners;
  } else if (spec.coordinate_mode == "asymmetric") {
    coord = CoordMode::kAsymmetric;
  } else {
    unsupported("linear with coordinate_transformation_mode=" + spec.coordinate_mode);
  }
  // instyle maps coordinates through the output size; ONNX through in * scale when scales are
  // given, unrounded, in every coordinate mode (align_corners divides by in * scale - 1). The two
  // agree only when in * scale is whole.
  if (spec.scales_given &&
      (double(H) * spec.scale_h != double(OH) || double(W) * spec.scale_w != double(OW))) {
    unsupported(cat("linear with scales ", spec.scale_h, ", ", spec.scale_w, " on ", H, "x", W,
                    ": ONNX maps coordinates through the unrounded size ", double(H) * spec.scale_h,
                    "x", double(W) * spec.scale_w,
                    ", instyle's resize_bilinear_f32 through the output size ", OH, "x", OW));
  }
  r.kernel(resize_bilinear_f32, resize_bilinear_f32_ref)(y.f.data(), x.f.data(), NC, H, W, OH, OW,
                                                         coord);
  r.out(0, std::move(y), kInterp);
}

// scales for N, C, H, W -> the spec's output size; N and C must stay.
void set_from_scales(ResizeSpec& spec, const Tensor& x, const std::vector<float>& scales,
                     const std::string& op) {
  if (scales.size() != x.dims.size() || x.dims.size() != 4) {
    unsupported(cat(op, " with ", scales.size(), " scales on a ", x.dims.size(), "-D tensor"));
  }
  if (scales[0] != 1.f || scales[1] != 1.f) unsupported(op + " scaling N or C");
  spec.scales_given = true;
  spec.scale_h = scales[2];
  spec.scale_w = scales[3];
  spec.out_h = static_cast<std::size_t>(std::floor(double(x.dims[2]) * scales[2]));
  spec.out_w = static_cast<std::size_t>(std::floor(double(x.dims[3]) * scales[3]));
}

void run_upsample(const NodeRun& r) {
  r.check_attributes({"mode", "scales", "height_scale", "width_scale"});
  const Tensor& x = r.float_in(0);
  if (r.attr("height_scale")) unsupported("Upsample opset 1 (height_scale/width_scale)");
  ResizeSpec spec;
  spec.mode = r.attr_string("mode", "nearest");
  if (spec.mode == "bilinear") spec.mode = "linear";
  // Upsample samples input floor(i / scale): asymmetric coordinates, rounded down.
  spec.coordinate_mode = "asymmetric";
  spec.nearest_mode = "floor";
  std::vector<float> scales = r.attr_floats("scales");  // an attribute in opset 7, input in 9
  if (r.opset >= 9) {
    const Tensor& s = r.float_in(1);
    scales = s.f;
  }
  set_from_scales(spec, x, scales, r.op());
  run_resample(r, x, spec);
}

void run_resize(const NodeRun& r) {
  r.check_attributes({"mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a",
                      "exclude_outside", "extrapolation_value", "antialias", "axes",
                      "keep_aspect_ratio_policy"});
  const Tensor& x = r.float_in(0);
  ResizeSpec spec;
  spec.mode = r.attr_string("mode", "nearest");
  // Opset 10's Resize had no modes: it sampled like Upsample.
  spec.coordinate_mode =
      r.attr_string("coordinate_transformation_mode", r.opset >= 11 ? "half_pixel" : "asymmetric");
  spec.nearest_mode = r.attr_string("nearest_mode", r.opset >= 11 ? "round_prefer_floor" : "floor");
  if (spec.mode == "cubic") unsupported("Resize mode 'cubic' (instyle has nearest and bilinear)");
  if (r.attr_int("antialias", 0) != 0) unsupported("Resize antialias=1");
  if (r.attr("axes")) unsupported("Resize with axes (opset 18)");
  if (r.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch") {
    unsupported("Resize keep_aspect_ratio_policy " + r.attr_string("keep_aspect_ratio_policy", ""));
  }
  if (spec.coordinate_mode == "tf_crop_and_resize") {
    unsupported(
        "Resize coordinate_transformation_mode=tf_crop_and_resize (crops to the roi, fills with "
        "extrapolation_value)");
  }
  const Tensor* scales = r.opset >= 11 ? r.opt_float_in(2) : &r.float_in(1);
  const Tensor* sizes = r.opset >= 11 ? r.in(3) : nullptr;
  if (sizes && sizes->numel() > 0) {
    if (sizes->dtype != ::onnx::TensorProto::INT64 || sizes->numel() != x.dims.size() ||
        x.dims.size() != 4) {
      unsupported(cat("Resize sizes ", shape_string(sizes->dims), " for ", shape_string(x.dims)));
    }
    if (sizes->i[0] != x.dims[0] || sizes->i[1] != x.dims[1]) unsupported("Resize of N or C");
    spec.out_h = sizes->i[2];
    spec.out_w = sizes->i[3];
  } else if (scales && scales->numel() > 0) {
    set_from_scales(spec, x, scales->f, r.op());
  } else {
    malformed("Resize without scales or sizes");
  }
  run_resample(r, x, spec);
}

using Runner = void (*)(const NodeRun&);

const std::map<std::string, Runner>& runners() {
  static const std::map<std::string, Runner> table = {
      {"Add", run_add},
      {"AveragePool", run_pool},
      {"BatchNormalization", run_batch_norm},
      {"Clip", run_clip},
      {"Constant", run_constant},
      {"Conv", run_conv},
      {"GroupNormalization", run_group_norm},
      {"InstanceNormalization", run_instance_norm},
      {"LayerNormalization", run_layer_norm},
      {"MaxPool", run_pool},
      {"Pad", run_pad},
      {"Relu", run_relu},
      {"Resize", run_resize},
      {"Upsample", run_upsample},
  };
  return table;
}

// The op families that make a case ours (Constant alone does not).
std::set<std::string> instyle_ops() {
  std::set<std::string> ops;
  for (const auto& kv : runners()) {
    if (kv.first != "Constant") ops.insert(kv.first);
  }
  return ops;
}

const std::vector<Case>& all_cases() {
  static const std::vector<Case> cases = discover_cases(testdata_root(), instyle_ops());
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Comparison, and what the summary reports.

// Worst errors of one case, for the SIMD kernels [0] and their scalar twins [1].
struct CaseRecord {
  double worst_abs[2] = {0, 0};       // largest |got - want| over every output value
  double worst_fraction[2] = {0, 0};  // largest |got - want| / (atol + rtol |want|): > 1 fails
};

std::map<std::string, CaseRecord>& records() {
  static std::map<std::string, CaseRecord> r;
  return r;
}

// Records the worst errors into *worst_abs and *worst_fraction when they are given.
::testing::AssertionResult matches(const Tensor& got, const Tensor& want, Tol tol,
                                   double* worst_abs = nullptr, double* worst_fraction = nullptr) {
  if (got.dims != want.dims) {
    return ::testing::AssertionFailure()
           << "shape " << shape_string(got.dims) << ", expected " << shape_string(want.dims);
  }
  if (want.is_integer()) {
    if (got.dtype != want.dtype || got.i != want.i) {
      return ::testing::AssertionFailure() << dtype_name(want.dtype) << " values differ";
    }
    return ::testing::AssertionSuccess();
  }
  if (!want.is_float() || !got.is_float()) {
    return ::testing::AssertionFailure()
           << "dtype " << dtype_name(got.dtype) << ", expected " << dtype_name(want.dtype);
  }
  std::size_t worst = 0;
  double most_abs = 0, most_fraction = 0;
  for (std::size_t k = 0; k < want.f.size(); ++k) {
    double diff = std::fabs(double(got.f[k]) - double(want.f[k]));
    if (std::isnan(diff)) diff = INFINITY;
    const double allowed = tol.atol + tol.rtol * std::fabs(double(want.f[k]));
    const double fraction = allowed > 0 ? diff / allowed : (diff > 0 ? INFINITY : 0.0);
    most_abs = std::max(most_abs, diff);
    if (fraction > most_fraction) most_fraction = fraction, worst = k;
  }
  if (worst_abs) *worst_abs = std::max(*worst_abs, most_abs);
  if (worst_fraction) *worst_fraction = std::max(*worst_fraction, most_fraction);
  if (most_fraction > 1.0) {
    return ::testing::AssertionFailure()
           << "element " << worst << " of " << want.f.size() << ": got " << std::setprecision(9)
           << got.f[worst] << ", expected " << want.f[worst] << " (|diff| "
           << std::fabs(double(got.f[worst]) - want.f[worst]) << ", atol " << tol.atol << ", rtol "
           << tol.rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

// Runs every test_data_set of one case, through the SIMD kernels and through their scalar twins:
// the twins are the oracle of the unit tests, so they answer to ONNX too. Throws Unsupported to
// skip.
void run_case(const Case& c) {
  const ::onnx::ModelProto model = read_model(c.dir + "/model.onnx");
  const ::onnx::GraphProto& graph = model.graph();
  const int64_t opset = model_opset(model);

  // Refuse a graph with any op instyle lacks before running part of it, naming them all.
  std::vector<std::string> missing;
  for (const auto& n : graph.node()) {
    const std::string op = default_domain(n) ? n.op_type() : n.domain() + "." + n.op_type();
    if ((!default_domain(n) || !runners().count(op)) &&
        std::find(missing.begin(), missing.end(), op) == missing.end()) {
      missing.push_back(op);
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    unsupported("graph uses ops instyle does not implement: " + list);
  }

  // Fed inputs are the graph inputs that are not initializers (opsets < 9 list both).
  std::set<std::string> initialized;
  for (const auto& t : graph.initializer()) initialized.insert(t.name());
  std::vector<std::string> fed;
  for (const auto& v : graph.input()) {
    if (!initialized.count(v.name())) fed.push_back(v.name());
  }

  CaseRecord& record = records()[c.name];
  const auto data_sets = data_set_dirs(c.dir);
  ASSERT_FALSE(data_sets.empty()) << "no test_data_set_* in " << c.dir;
  for (int variant : {0, 1}) {
    for (const std::string& ds : data_sets) {
      SCOPED_TRACE(cat(ds, variant ? " (scalar _ref kernels)" : " (SIMD kernels)"));
      std::map<std::string, Tensor> env;
      std::map<std::string, Tol> tolerance;
      for (const auto& t : graph.initializer()) env[t.name()] = to_tensor(t);
      const auto inputs = numbered_files(ds, "input_");
      ASSERT_EQ(inputs.size(), fed.size()) << "input files vs graph inputs";
      for (std::size_t k = 0; k < inputs.size(); ++k) env[fed[k]] = read_tensor_file(inputs[k]);

      for (const auto& n : graph.node()) {
        runners().at(n.op_type())(NodeRun{n, env, tolerance, opset, variant == 1});
      }

      const auto outputs = numbered_files(ds, "output_");
      ASSERT_EQ(outputs.size(), static_cast<std::size_t>(graph.output_size())) << "output files";
      for (std::size_t k = 0; k < outputs.size(); ++k) {
        const std::string& name = graph.output(static_cast<int>(k)).name();
        auto it = env.find(name);
        ASSERT_NE(it, env.end()) << "graph output '" << name << "' was not produced";
        const Tensor want = read_tensor_file(outputs[k]);
        EXPECT_TRUE(matches(it->second, want, tolerance[name], &record.worst_abs[variant],
                            &record.worst_fraction[variant]))
            << "output " << k << " ('" << name << "')";
      }
    }
  }
}

class Conformance : public ::testing::TestWithParam<Case> {};

TEST_P(Conformance, Case) {
  try {
    run_case(GetParam());
  } catch (const Unsupported& u) {
    GTEST_SKIP() << u.reason;
  } catch (const std::exception& e) {
    FAIL() << GetParam().dir << ": " << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Onnx, Conformance, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Conformance);

// Without the data every case above would vanish and the suite would pass empty.
TEST(OnnxTestdata, HoldsCasesForEachOpFamily) {
  ASSERT_TRUE(fs::is_directory(testdata_root()))
      << testdata_root() << " is missing: install Debian's libonnx-testdata";
  std::set<std::string> labels;
  for (const auto& c : all_cases()) labels.insert(c.label);
  for (const char* op :
       {"InstanceNormalization", "BatchNormalization", "LayerNormalization", "Conv", "Pad",
        "Resize", "Upsample", "Relu", "Add", "Clip", "AveragePool", "MaxPool"}) {
    EXPECT_TRUE(labels.count(op)) << "no case for " << op;
  }
}

// The comparison itself must be able to fail.
TEST(OnnxHarness, ComparisonCatchesOffByToleranceNaNAndShape) {
  Tensor want = float_like({1, 3});
  want.f = {1.f, -2.f, 100.f};
  Tensor got = want;
  EXPECT_TRUE(matches(got, want, kNorm));
  got.f[2] = 100.f * (1 + 2 * kNorm.rtol);
  EXPECT_FALSE(matches(got, want, kNorm));
  got.f[2] = NAN;
  EXPECT_FALSE(matches(got, want, kNorm));
  got = want;
  got.f[0] = std::nextafter(1.f, 2.f);
  EXPECT_FALSE(matches(got, want, kExact));
  got = want;
  got.dims = {3, 1};
  EXPECT_FALSE(matches(got, want, kNorm));
}

// ---------------------------------------------------------------------------------------------
// The summary printed after the run: per op, the cases passed, skipped (with reasons), failed.

class SummaryPrinter : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (!info.value_param() || std::string(info.test_suite_name()) != "Onnx/Conformance") return;
    const std::string name = info.name();
    const std::string param = name.substr(name.find('/') + 1);
    Outcome o;
    o.name = param;
    const auto* result = info.result();
    o.status = result->Skipped() ? 's' : result->Failed() ? 'f' : 'p';
    for (int k = 0; k < result->total_part_count(); ++k) {
      if (result->GetTestPartResult(k).skipped()) o.reason = result->GetTestPartResult(k).message();
    }
    outcomes_.push_back(o);
  }

  void OnTestProgramEnd(const ::testing::UnitTest&) override {
    if (outcomes_.empty()) return;
    std::map<std::string, std::string> label_of;
    for (const auto& c : all_cases()) label_of[c.name] = c.label;
    struct Row {
      int passed = 0, skipped = 0, failed = 0;
      CaseRecord worst;  // over the op's passed cases
      std::vector<std::string> lines;
    };
    std::map<std::string, Row> rows;
    for (const auto& o : outcomes_) {
      Row& row = rows[label_of[o.name]];
      if (o.status == 'p') {
        ++row.passed;
        const CaseRecord& rec = records()[o.name];
        for (int v : {0, 1}) {
          row.worst.worst_abs[v] = std::max(row.worst.worst_abs[v], rec.worst_abs[v]);
          row.worst.worst_fraction[v] =
              std::max(row.worst.worst_fraction[v], rec.worst_fraction[v]);
        }
        row.lines.push_back("  pass  " + o.name);
      } else if (o.status == 'f') {
        ++row.failed;
        row.lines.push_back("  FAIL  " + o.name);
      } else {
        ++row.skipped;
        row.lines.push_back("  skip  " + o.name + ": " + o.reason);
      }
    }
    // Passes first, then failures, then skips, each in case order.
    for (auto& [label, row] : rows) {
      std::stable_sort(row.lines.begin(), row.lines.end(), [](const auto& a, const auto& b) {
        auto rank = [](const std::string& l) { return l[2] == 'p' ? 0 : l[2] == 'F' ? 1 : 2; };
        return rank(a) < rank(b);
      });
    }
    std::ostream& os = std::cout;
    os << "\n== ONNX conformance (" << testdata_root() << "): " << outcomes_.size()
       << " cases using instyle's op families\n"
       << "   worst |err| over passed cases, and its share of the op's tolerance (< 1 passes)\n";
    os << std::left << std::setw(23) << "op" << std::right << std::setw(7) << "passed"
       << std::setw(8) << "skipped" << std::setw(7) << "failed" << std::setw(20) << "SIMD kernels"
       << std::setw(20) << "scalar _ref"
       << "\n";
    auto err = [](double abs, double fraction) {
      std::ostringstream e;
      e << std::scientific << std::setprecision(1) << abs << " (" << std::fixed
        << std::setprecision(2) << fraction << ")";
      return e.str();
    };
    int tp = 0, ts = 0, tf = 0;
    for (const auto& [label, row] : rows) {
      os << std::left << std::setw(23) << label << std::right << std::setw(7) << row.passed
         << std::setw(8) << row.skipped << std::setw(7) << row.failed;
      if (row.passed) {
        for (int v : {0, 1}) {
          os << std::setw(20) << err(row.worst.worst_abs[v], row.worst.worst_fraction[v]);
        }
      }
      os << "\n";
      tp += row.passed, ts += row.skipped, tf += row.failed;
    }
    os << std::left << std::setw(23) << "total" << std::right << std::setw(7) << tp << std::setw(8)
       << ts << std::setw(7) << tf << "\n";
    for (const auto& [label, row] : rows) {
      os << "\n" << label << "\n";
      for (const auto& l : row.lines) os << l << "\n";
    }
    os << std::flush;
  }

 private:
  struct Outcome {
    std::string name, reason;
    char status;
  };
  std::vector<Outcome> outcomes_;
};

}  // namespace
}  // namespace instyle::onnx_test

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(new instyle::onnx_test::SummaryPrinter);
  return RUN_ALL_TESTS();
}
