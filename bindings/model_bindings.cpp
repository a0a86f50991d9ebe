// model_bindings.cpp: the Embind surface of the model runner (src/model/, src/image.h): one
// class, Module.Model, that js/model.js wraps as the `model` object of ist.loadModel().
// Buffers cross as heap addresses that js/model.js allocates (bindings/runtime.js); every
// fallible call returns a ModelStatus {code, message} (code 'OK' on success; otherwise the
// name of an instyle::ErrorCode) instead of throwing, so the module stays usable.
//
//   const m = new Module.Model();
//   const st = m.load(ptr, byteLength);               // st.code === 'OK'
//   m.stylizeStart(rgba, w, h, w, h, 1, false, Module.Statistics.OWN);  // then m.step(1)...
//   m.stylizeFinish(out, 1, false, 1, false);  m.delete();
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "heap_buffer.h"
#include "image.h"
#include "model/model.h"
#include "model/profile.h"
#include "model/session.h"
#include "resize.h"

namespace {

using namespace emscripten;
using instyle::Status;
using instyle::model::Shape;
using instyle::model::Statistics;

struct ModelStatus {
  std::string code = "OK";
  std::string message;
};

ModelStatus to_js(const Status& s) {
  return {instyle::error_code_name(s.code()), s.message()};
}

Shape to_shape(const val& array) {
  Shape s;
  const unsigned n = array["length"].as<unsigned>();
  for (unsigned i = 0; i < n; ++i) s.push_back(static_cast<int64_t>(array[i].as<double>()));
  return s;
}

val from_shape(const Shape& s) {
  val a = val::array();
  for (std::size_t i = 0; i < s.size(); ++i) a.set(i, static_cast<double>(s[i]));
  return a;
}

// The photo part of a stylize call; false when a size is not positive (JS numbers arrive as
// ints here, and a negative one must not wrap around in size_t).
bool photo_input(instyle::model::StylizeInput* in, std::uintptr_t rgba, int width, int height,
                 int target_w, int target_h, double scale, bool bgr) {
  if (width < 1 || height < 1 || target_w < 1 || target_h < 1) return false;
  in->rgba = reinterpret_cast<const uint8_t*>(rgba);
  in->width = static_cast<std::size_t>(width);
  in->height = static_cast<std::size_t>(height);
  in->target_width = static_cast<std::size_t>(target_w);
  in->target_height = static_cast<std::size_t>(target_h);
  in->scale = static_cast<float>(scale);
  in->bgr = bgr;
  return true;
}

Status bad_sizes_status() {
  return instyle::invalid_argument("image sizes must be positive");
}

ModelStatus bad_sizes() {
  return to_js(bad_sizes_status());
}

instyle::StylizeBlend blend_of(double scale, bool bgr, double strength, bool preserve_colors) {
  instyle::StylizeBlend blend;
  blend.scale = static_cast<float>(scale);
  blend.bgr = bgr;
  blend.strength = static_cast<float>(strength);
  blend.preserve_colors = preserve_colors;
  return blend;
}

class JsModel {
 public:
  ModelStatus load(std::uintptr_t bytes, double size) {
    session_ = instyle::model::StylizeSession(nullptr);
    live_ = instyle::model::StylizeSession(nullptr);
    adain_ = instyle::model::AdaInStyle();
    model_.reset();
    auto m = instyle::model::Model::load(reinterpret_cast<const uint8_t*>(bytes),
                                         static_cast<std::size_t>(size));
    if (!m.ok()) return to_js(m.status());
    model_ = m.take();
    session_ = instyle::model::StylizeSession(model_.get());
    live_ = instyle::model::StylizeSession(model_.get());
    return {};
  }

  int inputCount() const { return model_ ? static_cast<int>(model_->input_count()) : 0; }

  // The declared dims of input 0: numbers, or -1 for symbolic ones.
  val inputDims() const {
    val a = val::array();
    if (!model_ || model_->input_count() == 0) return a;
    const auto& g = model_->graph();
    const auto& dims = g.values[g.inputs[0]].declared.dims;
    for (std::size_t i = 0; i < dims.size(); ++i) a.set(i, static_cast<double>(dims[i].value));
    return a;
  }

  // info(shape) -> {status, ...numbers}: all in one object so JS builds its own.
  val info(val shape) {
    val r = val::object();
    auto info = model_->info({to_shape(shape)});
    r.set("code", std::string(instyle::error_code_name(info.status().code())));
    r.set("message", info.status().message());
    if (!info.ok()) return r;
    const auto& i = info.value();
    r.set("opset", static_cast<double>(i.opset));
    r.set("producer", i.producer);
    r.set("parameters", static_cast<double>(i.parameters));
    r.set("weightBytes", static_cast<double>(i.weight_bytes));
    val ops = val::object();
    for (const auto& [name, count] : i.ops) ops.set(name, count);
    r.set("ops", ops);
    r.set("instanceNormLayers", i.norm_layers);
    r.set("input", i.input_signature);
    r.set("inputShape", from_shape(i.input_shape));
    r.set("outputShape", from_shape(i.output_shape));
    r.set("steps", static_cast<double>(i.steps));
    r.set("flops", i.flops);
    r.set("arenaBytes", static_cast<double>(i.arena_bytes));
    r.set("workspaceBytes", static_cast<double>(i.workspace_bytes));
    r.set("ioBytes", static_cast<double>(i.io_bytes));
    r.set("peakBytes", static_cast<double>(i.peak_bytes));
    return r;
  }

  // Times every step (model/profile.h) over `runs` runs of the input at `input` (a heap address
  // of the shape's floats): {code, message, text (the table), steps: [{label, group, output,
  // flops, ms}]}. For scripts/profile.mjs; not part of the package's API.
  val profile(std::uintptr_t input, val shape, int runs) {
    session_.cancel();
    val r = val::object();
    auto steps = instyle::model::profile(*model_, {reinterpret_cast<const float*>(input)},
                                         {to_shape(shape)}, runs);
    r.set("code", std::string(instyle::error_code_name(steps.status().code())));
    r.set("message", steps.status().message());
    if (!steps.ok()) return r;
    val list = val::array();
    for (std::size_t i = 0; i < steps.value().size(); ++i) {
      const auto& s = steps.value()[i];
      val step = val::object();
      step.set("label", s.label);
      step.set("group", s.group);
      step.set("output", from_shape(s.output));
      step.set("flops", s.flops);
      step.set("ms", s.ms);
      list.set(i, step);
    }
    r.set("steps", list);
    r.set("text", instyle::model::format_profile(steps.value()));
    return r;
  }

  // run: input is a heap address of the shape's element count floats.
  ModelStatus start(std::uintptr_t input, val shape) {
    session_.cancel();  // a plain run: stylizeFinish has nothing to read
    return to_js(model_->start({reinterpret_cast<const float*>(input)}, {to_shape(shape)}));
  }

  ModelStatus step(int max_steps) {
    return to_js(model_->step(static_cast<std::size_t>(max_steps < 1 ? 1 : max_steps)));
  }
  bool done() const { return model_->done(); }
  double progress() const { return model_->progress(); }

  val outputShape() const { return from_shape(model_->output_shape(0)); }
  std::uintptr_t output() const { return reinterpret_cast<std::uintptr_t>(model_->output(0)); }

  // receptiveField(shape) -> {code, message, radius, align, margin}: how much overlap tiles need.
  val receptiveField(val shape) {
    val r = val::object();
    auto rf = model_->receptive_field({to_shape(shape)});
    r.set("code", std::string(instyle::error_code_name(rf.status().code())));
    r.set("message", rf.status().message());
    if (!rf.ok()) return r;
    r.set("radius", rf.value().radius);
    r.set("align", static_cast<double>(rf.value().align));
    r.set("margin", static_cast<double>(rf.value().margin()));
    return r;
  }

  // Reserves the memory a run at this shape needs (Model::prepare).
  ModelStatus prepare(val shape) { return to_js(model_->prepare({to_shape(shape)})); }

  // Instance norm statistics for tiled runs (model/session.h): `statistics` is a
  // Module.Statistics value: OWN, RECORD (a thumbnail), REPLAY (each tile).
  void forgetStatistics() { session_.forget_statistics(); }
  bool hasStatistics() const { return session_.has_statistics(); }

  // Stylize, first half: the photo (rgba, width x height) resized to target_w x target_h,
  // kept for the blend and converted; the run starts. Second half after the steps.
  ModelStatus stylizeStart(std::uintptr_t rgba, int width, int height, int target_w, int target_h,
                           double scale, bool bgr, Statistics statistics) {
    instyle::model::StylizeInput in;
    if (!photo_input(&in, rgba, width, height, target_w, target_h, scale, bgr)) return bad_sizes();
    in.statistics = statistics;
    in.adain = adain_.layer >= 0 ? &adain_ : nullptr;
    return to_js(session_.start(in));
  }

  // Arbitrary style (model/plan.h, AdaInStyle): which InstanceNormalization node is called
  // `name` (-1: none), a style image's statistics at it, and the style later runs use.
  int normLayerIndex(const std::string& name) const { return model_->norm_layer_index(name); }

  // styleCode(rgba, ..., layer) -> {code, message, mean, stddev (arrays of numbers), coloring
  // (a Float32Array view of channels x channels floats in the heap, valid until the next
  // styleCode or release: copy it at once)}.
  val styleCode(std::uintptr_t rgba, int width, int height, int target_w, int target_h,
                double scale, bool bgr, int layer) {
    val r = val::object();
    instyle::model::StylizeInput in;
    Status s = bad_sizes_status();
    instyle::model::AdaInStyle code;
    if (photo_input(&in, rgba, width, height, target_w, target_h, scale, bgr)) {
      s = session_.style_code(in, layer, &code);
      session_.cancel();
    }
    r.set("code", std::string(instyle::error_code_name(s.code())));
    r.set("message", s.message());
    if (!s.ok()) return r;
    val mean = val::array(), stddev = val::array();
    for (std::size_t c = 0; c < code.mean.size(); ++c) {
      mean.set(c, code.mean[c]);
      stddev.set(c, code.stddev[c]);
    }
    r.set("mean", mean);
    r.set("stddev", stddev);
    coloring_ = std::move(code.coloring);
    r.set("coloring", val(emscripten::typed_memory_view(coloring_.size(), coloring_.data())));
    return r;
  }

  // mean and stddev: heap addresses of `channels` floats each; coloring: of channels x channels
  // floats for the whitening and colouring transform, or 0 for AdaIN. The layer checks the
  // count against its own when it runs.
  void setAdain(int layer, std::uintptr_t mean, std::uintptr_t stddev, std::uintptr_t coloring,
                int channels, double strength) {
    const auto* m = reinterpret_cast<const float*>(mean);
    const auto* d = reinterpret_cast<const float*>(stddev);
    const auto* k = reinterpret_cast<const float*>(coloring);
    const std::size_t n = channels > 0 ? static_cast<std::size_t>(channels) : 0;
    adain_.layer = layer;
    adain_.mean.assign(m, m + n);
    adain_.stddev.assign(d, d + n);
    if (k) {
      adain_.coloring.assign(k, k + n * n);
    } else {
      adain_.coloring.clear();
    }
    adain_.strength = static_cast<float>(strength);
  }
  void clearAdain() { adain_ = instyle::model::AdaInStyle(); }

  ModelStatus stylizeFinish(std::uintptr_t out, double scale, bool bgr, double strength,
                            bool preserve_colors) {
    return to_js(session_.finish(reinterpret_cast<uint8_t*>(out),
                                 blend_of(scale, bgr, strength, preserve_colors)));
  }

  // Stops a run between steps and lets go of its copies.
  void cancel() { session_.cancel(); }

  // A video frame (model.live()): the whole stylization in one call, with the instance norm
  // statistics averaged over frames (`temporal`: the weight of the past; 0: each frame its
  // own). Its own session, so the average survives stylize() calls in between.
  ModelStatus liveStylize(std::uintptr_t rgba, int width, int height, int target_w, int target_h,
                          double in_scale, double out_scale, bool bgr, double temporal,
                          std::uintptr_t out, double strength, bool preserve_colors) {
    instyle::model::StylizeInput in;
    if (!photo_input(&in, rgba, width, height, target_w, target_h, in_scale, bgr)) {
      return bad_sizes();
    }
    in.statistics = temporal > 0 ? Statistics::kSmooth : Statistics::kOwn;
    in.temporal = static_cast<float>(temporal);
    in.adain = adain_.layer >= 0 ? &adain_ : nullptr;
    return to_js(live_.run(in, reinterpret_cast<uint8_t*>(out),
                           blend_of(out_scale, bgr, strength, preserve_colors)));
  }

  // Forgets the averaged statistics (the next frame starts from its own) and frees the frame's
  // copies (a session ends, or a scene changes: the next frame allocates them again).
  void liveReset() {
    live_.cancel();
    live_.forget_statistics();
  }

  // Frees activations and plans (the weights stay); the next run allocates again.
  void release() {
    cancel();
    clearAdain();
    coloring_ = std::vector<float>();
    forgetStatistics();
    live_.cancel();
    live_.forget_statistics();
    if (model_) model_->release();
  }

 private:
  std::unique_ptr<instyle::model::Model> model_;
  instyle::model::StylizeSession session_{nullptr};
  instyle::model::StylizeSession live_{nullptr};
  instyle::model::AdaInStyle adain_;  // layer -1: none
  std::vector<float> coloring_;       // the last styleCode's, until JS has copied it
};

// Tiled stylize resizes photos a band of rows at a time (js/model.js), so that a 12 MP photo
// never enters the heap whole: resizeSourceRows names the source rows output rows [y0, y1)
// read, resizeRgbaRows resizes them (src and dst in the heap; see image.h).
val resize_source_rows(int dst_h, int src_h, int y0, int y1) {
  std::size_t s0 = 0, s1 = 0;
  instyle::resize_source_rows(static_cast<std::size_t>(dst_h), static_cast<std::size_t>(src_h),
                              static_cast<std::size_t>(y0), static_cast<std::size_t>(y1), &s0, &s1);
  val r = val::object();
  r.set("s0", static_cast<double>(s0));
  r.set("s1", static_cast<double>(s1));
  return r;
}

ModelStatus resize_rgba_rows(std::uintptr_t dst, int dst_w, int dst_h, int y0, int y1,
                             std::uintptr_t src, int src_row0, int src_w, int src_h) {
  if (dst_w < 1 || dst_h < 1 || src_w < 1 || src_h < 1 || y0 < 0 || y1 > dst_h || y0 >= y1 ||
      src_row0 < 0 || src_row0 >= src_h) {
    return to_js(instyle::invalid_argument("resizeRgbaRows: sizes or rows out of range"));
  }
  instyle::HeapBuffer<float> scratch;
  const Status s = scratch.resize(8 * static_cast<std::size_t>(dst_w), "resizing");
  if (!s.ok()) return to_js(s);
  instyle::resize_rgba_u8_rows(reinterpret_cast<uint8_t*>(dst), static_cast<std::size_t>(dst_w),
                               static_cast<std::size_t>(dst_h), static_cast<std::size_t>(y0),
                               static_cast<std::size_t>(y1), reinterpret_cast<const uint8_t*>(src),
                               static_cast<std::size_t>(src_row0), static_cast<std::size_t>(src_w),
                               static_cast<std::size_t>(src_h), scratch.data());
  return {};
}

}  // namespace

EMSCRIPTEN_BINDINGS(instyle_model) {
  function("resizeSourceRows", &resize_source_rows);
  function("resizeRgbaRows", &resize_rgba_rows);
  enum_<Statistics>("Statistics")
      .value("OWN", Statistics::kOwn)
      .value("RECORD", Statistics::kRecord)
      .value("REPLAY", Statistics::kReplay)
      .value("SMOOTH", Statistics::kSmooth);
  value_object<ModelStatus>("ModelStatus")
      .field("code", &ModelStatus::code)
      .field("message", &ModelStatus::message);
  class_<JsModel>("Model")
      .constructor<>()
      .function("load", &JsModel::load)
      .function("inputCount", &JsModel::inputCount)
      .function("inputDims", &JsModel::inputDims)
      .function("info", &JsModel::info)
      .function("start", &JsModel::start)
      .function("profile", &JsModel::profile)
      .function("step", &JsModel::step)
      .function("done", &JsModel::done)
      .function("progress", &JsModel::progress)
      .function("outputShape", &JsModel::outputShape)
      .function("output", &JsModel::output)
      .function("receptiveField", &JsModel::receptiveField)
      .function("prepare", &JsModel::prepare)
      .function("forgetStatistics", &JsModel::forgetStatistics)
      .function("hasStatistics", &JsModel::hasStatistics)
      .function("stylizeStart", &JsModel::stylizeStart)
      .function("stylizeFinish", &JsModel::stylizeFinish)
      .function("normLayerIndex", &JsModel::normLayerIndex)
      .function("styleCode", &JsModel::styleCode)
      .function("setAdain", &JsModel::setAdain)
      .function("clearAdain", &JsModel::clearAdain)
      .function("liveStylize", &JsModel::liveStylize)
      .function("liveReset", &JsModel::liveReset)
      .function("cancel", &JsModel::cancel)
      .function("release", &JsModel::release);
}
