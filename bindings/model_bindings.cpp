// model_bindings.cpp: the Embind surface of the model runner (src/model/, src/image.h): one
// class, Module.Model, that js/model.js wraps as the `model` object of ist.loadModel().
// Buffers cross as heap addresses that js/model.js allocates with _malloc and frees; every
// fallible call returns a ModelStatus {code, message} (code 'OK' on success; otherwise the
// name of an instyle::ErrorCode) instead of throwing, so the module stays usable.
//
//   const m = new Module.Model();
//   const st = m.load(ptr, byteLength);               // st.code === 'OK'
//   m.stylizeStart(rgba, w, h, w, h, 1, false, 0);    // then m.step(1) until m.done()
//   m.stylizeFinish(out, 1, false, 1, false);  m.delete();
#include <emscripten/bind.h>
#include <emscripten/val.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "image.h"
#include "model/model.h"
#include "resize.h"

namespace {

using namespace emscripten;
using instyle::ErrorCode;
using instyle::Status;
using instyle::model::Shape;

struct ModelStatus {
  std::string code = "OK";
  std::string message;
};

ModelStatus to_js(const Status& s) {
  return {instyle::error_code_name(s.code()), s.message()};
}

Status out_of_memory(const std::string& what, std::size_t bytes) {
  return Status(ErrorCode::kOutOfMemory, "cannot allocate " + std::to_string(bytes >> 20) +
                                             " MiB for " + what + " in the WebAssembly heap");
}

// A malloc'd array: in WASM a failed malloc returns null, where a vector would abort. It keeps
// its block when resized smaller (the tiles of one stylize differ a little in size: freeing
// and allocating for each would fragment the heap); clear() gives the block back.
template <class T>
class HeapArray {
 public:
  ~HeapArray() { std::free(data_); }
  Status resize(std::size_t n, const char* what) {
    if (n <= capacity_) {
      size_ = n;
      return Status();
    }
    clear();
    data_ = static_cast<T*>(std::malloc(n * sizeof(T)));
    if (!data_) return out_of_memory(what, n * sizeof(T));
    size_ = capacity_ = n;
    return Status();
  }
  void clear() {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }
  T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

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

class JsModel {
 public:
  ModelStatus load(std::uintptr_t bytes, double size) {
    model_.reset();
    auto m = instyle::model::Model::load(reinterpret_cast<const uint8_t*>(bytes),
                                         static_cast<std::size_t>(size));
    if (!m.ok()) return to_js(m.status());
    model_ = m.take();
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

  // run: input is a heap address of the shape's element count floats.
  ModelStatus start(std::uintptr_t input, val shape) {
    stylizing_ = false;
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

  // Instance norm statistics for tiled runs: stats 1 records them during the next
  // stylizeStart run (a thumbnail of the photo), stats 2 replays the recorded ones (each
  // tile), stats 0 uses each run's own. forgetStatistics() lets them go.
  void forgetStatistics() { stats_ = instyle::model::NormStats(); }
  bool hasStatistics() const { return !stats_.mean.empty(); }

  // Stylize, first half: the photo (rgba, width x height) is resized to target_w x
  // target_h when they differ (box filter), kept for the blend, and converted to the
  // network's input (scale, channel order); the run starts, with `stats` as above.
  ModelStatus stylizeStart(std::uintptr_t rgba, int width, int height, int target_w, int target_h,
                           double scale, bool bgr, int stats) {
    stylizing_ = false;
    if (width < 1 || height < 1 || target_w < 1 || target_h < 1) {
      return to_js(instyle::invalid_argument("image sizes must be positive"));
    }
    const std::size_t w = static_cast<std::size_t>(target_w),
                      h = static_cast<std::size_t>(target_h);
    Status s = photo_.resize(w * h * 4, "the photo");
    if (!s.ok()) return to_js(s);
    const auto* src = reinterpret_cast<const uint8_t*>(rgba);
    if (target_w == width && target_h == height) {
      std::copy(src, src + w * h * 4, photo_.data());
    } else {
      HeapArray<float> scratch;
      s = scratch.resize(8 * w, "resizing");
      if (!s.ok()) return to_js(s);
      instyle::resize_rgba_u8(photo_.data(), w, h, src, static_cast<std::size_t>(width),
                              static_cast<std::size_t>(height), scratch.data());
    }
    s = input_.resize(3 * w * h, "the network input");
    if (!s.ok()) return to_js(s);
    instyle::rgba_to_planar_f32(input_.data(), photo_.data(), w, h, static_cast<float>(scale), bgr);
    width_ = w;
    height_ = h;
    instyle::model::RunOptions options;
    if (stats == 1) {
      stats_ = instyle::model::NormStats();
      options.record = &stats_;
    } else if (stats == 2) {
      if (!hasStatistics()) {
        return to_js(
            instyle::invalid_argument("no recorded statistics to replay: run a thumbnail first"));
      }
      options.replay = &stats_;
    }
    s = model_->start({input_.data()}, {{1, 3, static_cast<int64_t>(h), static_cast<int64_t>(w)}},
                      options);
    if (!s.ok()) return to_js(s);
    stylizing_ = true;
    return {};
  }

  // Stylize, second half: the network's output (resized to the photo's size if the network
  // changed it), clipped, colour-preserved and blended, written to `out` (target_w x
  // target_h RGBA bytes).
  ModelStatus stylizeFinish(std::uintptr_t out, double scale, bool bgr, double strength,
                            bool preserve_colors) {
    if (!stylizing_ || !model_->done()) {
      return to_js(instyle::invalid_argument("no finished stylization to read"));
    }
    stylizing_ = false;
    const Shape& os = model_->output_shape(0);
    if (os.size() != 4 || os[0] != 1 || os[1] != 3) {
      return to_js(
          instyle::unsupported("stylize needs a network with a [1,3,H,W] output, this one gives " +
                               instyle::model::shape_string(os)));
    }
    const float* y = model_->output(0);
    HeapArray<float> resized;
    if (static_cast<std::size_t>(os[2]) != height_ || static_cast<std::size_t>(os[3]) != width_) {
      Status s = resized.resize(3 * width_ * height_, "resizing the output");
      if (!s.ok()) return to_js(s);
      instyle::resize_bilinear_f32(resized.data(), y, 3, static_cast<std::size_t>(os[2]),
                                   static_cast<std::size_t>(os[3]), height_, width_,
                                   instyle::CoordMode::kHalfPixel);
      y = resized.data();
    }
    instyle::StylizeBlend blend;
    blend.scale = static_cast<float>(scale);
    blend.bgr = bgr;
    blend.strength = static_cast<float>(strength);
    blend.preserve_colors = preserve_colors;
    instyle::stylize_output_u8(reinterpret_cast<uint8_t*>(out), y, width_, height_, photo_.data(),
                               blend);
    return {};  // the photo and input blocks stay for the next tile; cancel() frees them
  }

  // Stops a run between steps and lets go of its copies.
  void cancel() {
    stylizing_ = false;
    photo_.clear();
    input_.clear();
  }

  // Frees activations and plans (the weights stay); the next run allocates again.
  void release() {
    cancel();
    forgetStatistics();
    if (model_) model_->release();
  }

 private:
  std::unique_ptr<instyle::model::Model> model_;
  HeapArray<uint8_t> photo_;
  HeapArray<float> input_;
  instyle::model::NormStats stats_;  // recorded on a thumbnail, replayed on tiles
  std::size_t width_ = 0, height_ = 0;
  bool stylizing_ = false;
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
  HeapArray<float> scratch;
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
      .function("cancel", &JsModel::cancel)
      .function("release", &JsModel::release);
}
