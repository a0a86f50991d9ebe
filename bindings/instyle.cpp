// instyle.cpp: the Embind surface of the WASM module, and the only file that includes
// Emscripten headers. Small on purpose: js/core.js copies typed arrays into the heap with
// _malloc, passes each as a Buffer {ptr, size} (address and float count; ptr 0 = not given),
// and copies outputs back out. Every op returns a Status {code, message} (code 0: success;
// codes as in src/api.h) instead of throwing, so JS raises one InstyleError type and the
// module stays usable.
//
//   const st = Module.instanceNorm({ptr: y, size: n}, {ptr: x, size: n}, [1, 3, 4, 5],
//                                  {ptr: 0, size: 0}, {ptr: 0, size: 0}, 1e-5, false);
#include <emscripten/bind.h>
#include <emscripten/emmalloc.h>
#include <malloc.h>

#include <array>
#include <cstdint>
#include <string>

#include "api.h"
#include "parallel.h"
#include "simd.h"

namespace {

using namespace emscripten;
using instyle::ConstSpan;
using instyle::Shape4;
using instyle::Span;

struct Buffer {
  std::uintptr_t ptr = 0;
  std::size_t size = 0;
};

// `code` is the name of an instyle::ErrorCode ("OK", "SHAPE_MISMATCH", ...), as InstyleError
// uses it.
struct JsStatus {
  std::string code = "OK";
  std::string message;
};

struct JsShapeStatus {
  std::string code = "OK";
  std::string message;
  std::array<double, 4> shape{};
};

// Sizes travel as JS numbers; js/core.js has checked they are safe integers.
using JsShape = std::array<double, 4>;

struct JsConv2dParams {
  double stride_h = 1, stride_w = 1;
  double pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  double dilation_h = 1, dilation_w = 1;
  double groups = 1;
  int pad_mode = 0;  // 0 zeros, 1 reflect, 2 edge (instyle::PadMode order)
  bool relu = false;
};

JsStatus to_js(const instyle::Status& s) {
  return {instyle::error_code_name(s.code()), s.message()};
}

Shape4 to_shape(const JsShape& s) {
  return {std::int64_t(s[0]), std::int64_t(s[1]), std::int64_t(s[2]), std::int64_t(s[3])};
}

Span out(const Buffer& b) {
  return {reinterpret_cast<float*>(b.ptr), b.size};
}
ConstSpan in(const Buffer& b) {
  return {reinterpret_cast<const float*>(b.ptr), b.size};
}

instyle::Conv2dParams to_params(const JsConv2dParams& p) {
  instyle::Conv2dParams q;
  q.stride_h = std::int64_t(p.stride_h), q.stride_w = std::int64_t(p.stride_w);
  q.pad_top = std::int64_t(p.pad_top), q.pad_left = std::int64_t(p.pad_left);
  q.pad_bottom = std::int64_t(p.pad_bottom), q.pad_right = std::int64_t(p.pad_right);
  q.dilation_h = std::int64_t(p.dilation_h), q.dilation_w = std::int64_t(p.dilation_w);
  q.groups = std::int64_t(p.groups);
  q.pad_mode = p.pad_mode == 1   ? instyle::PadMode::kReflect
               : p.pad_mode == 2 ? instyle::PadMode::kEdge
                                 : instyle::PadMode::kZeros;
  q.relu = p.relu;
  return q;
}

JsStatus instance_norm(Buffer y, Buffer x, JsShape shape, Buffer gamma, Buffer beta, double eps,
                       bool relu) {
  return to_js(instyle::instance_norm(out(y), in(x), to_shape(shape), in(gamma), in(beta),
                                      float(eps), relu));
}

JsStatus instance_stats(Buffer mean, Buffer variance, Buffer x, JsShape shape) {
  return to_js(instyle::instance_stats(out(mean), out(variance), in(x), to_shape(shape)));
}

JsStatus batch_norm(Buffer y, Buffer x, JsShape shape, Buffer mean, Buffer variance, Buffer gamma,
                    Buffer beta, double eps, bool relu) {
  return to_js(instyle::batch_norm(out(y), in(x), to_shape(shape), in(mean), in(variance),
                                   in(gamma), in(beta), float(eps), relu));
}

JsStatus batch_norm_train(Buffer y, Buffer mean, Buffer variance, Buffer x, JsShape shape,
                          Buffer gamma, Buffer beta, double eps, bool relu) {
  return to_js(instyle::batch_norm_train(out(y), out(mean), out(variance), in(x), to_shape(shape),
                                         in(gamma), in(beta), float(eps), relu));
}

JsStatus layer_norm(Buffer y, Buffer x, JsShape shape, Buffer gamma, Buffer beta, double eps) {
  return to_js(
      instyle::layer_norm(out(y), in(x), to_shape(shape), in(gamma), in(beta), float(eps)));
}

JsStatus group_norm(Buffer y, Buffer x, JsShape shape, double groups, Buffer gamma, Buffer beta,
                    double eps, bool relu) {
  return to_js(instyle::group_norm(out(y), in(x), to_shape(shape), std::int64_t(groups), in(gamma),
                                   in(beta), float(eps), relu));
}

JsStatus adain(Buffer y, Buffer content, JsShape content_shape, Buffer style, JsShape style_shape,
               double alpha, double eps) {
  return to_js(instyle::adain(out(y), in(content), to_shape(content_shape), in(style),
                              to_shape(style_shape), float(alpha), float(eps)));
}

JsShapeStatus conv2d_output_shape(JsShape x_shape, JsShape w_shape, JsConv2dParams params) {
  Shape4 y;
  const instyle::Status s =
      instyle::conv2d_output_shape(&y, to_shape(x_shape), to_shape(w_shape), to_params(params));
  JsShapeStatus r{instyle::error_code_name(s.code()), s.message(), {}};
  if (s.ok()) r.shape = {double(y.n), double(y.c), double(y.h), double(y.w)};
  return r;
}

JsStatus conv2d(Buffer y, Buffer x, JsShape x_shape, Buffer w, JsShape w_shape, Buffer bias,
                JsConv2dParams params) {
  return to_js(instyle::conv2d(out(y), in(x), to_shape(x_shape), in(w), to_shape(w_shape), in(bias),
                               to_params(params)));
}

std::string simd_arch() {
  return instyle::simd::arch_name();
}

// Bytes malloc has handed out and not taken back: the leak tests compare it across calls.
double heap_in_use() {
  return double(mallinfo().uordblks);
}

}  // namespace

EMSCRIPTEN_BINDINGS(instyle) {
  value_object<Buffer>("Buffer").field("ptr", &Buffer::ptr).field("size", &Buffer::size);
  value_object<JsStatus>("Status")
      .field("code", &JsStatus::code)
      .field("message", &JsStatus::message);
  value_array<JsShape>("Shape")
      .element(emscripten::index<0>())
      .element(emscripten::index<1>())
      .element(emscripten::index<2>())
      .element(emscripten::index<3>());
  value_object<JsShapeStatus>("ShapeStatus")
      .field("code", &JsShapeStatus::code)
      .field("message", &JsShapeStatus::message)
      .field("shape", &JsShapeStatus::shape);
  value_object<JsConv2dParams>("Conv2dParams")
      .field("strideH", &JsConv2dParams::stride_h)
      .field("strideW", &JsConv2dParams::stride_w)
      .field("padTop", &JsConv2dParams::pad_top)
      .field("padLeft", &JsConv2dParams::pad_left)
      .field("padBottom", &JsConv2dParams::pad_bottom)
      .field("padRight", &JsConv2dParams::pad_right)
      .field("dilationH", &JsConv2dParams::dilation_h)
      .field("dilationW", &JsConv2dParams::dilation_w)
      .field("groups", &JsConv2dParams::groups)
      .field("padMode", &JsConv2dParams::pad_mode)
      .field("relu", &JsConv2dParams::relu);

  function("instanceNorm", &instance_norm);
  function("instanceStats", &instance_stats);
  function("batchNorm", &batch_norm);
  function("batchNormTrain", &batch_norm_train);
  function("layerNorm", &layer_norm);
  function("groupNorm", &group_norm);
  function("adain", &adain);
  function("conv2dOutputShape", &conv2d_output_shape);
  function("conv2d", &conv2d);

  function("setNumThreads", &instyle::set_num_threads);
  function("numThreads", &instyle::num_threads);
  function("simdArch", &simd_arch);
  function("heapInUse", &heap_in_use);
}
