#include "model/session.h"

#include <algorithm>
#include <cmath>
#include <variant>

#include "resize.h"
#include "wct.h"

namespace instyle::model {

Status StylizeSession::prepare(const StylizeInput& in) {
  running_ = false;
  if (in.width < 1 || in.height < 1 || in.target_width < 1 || in.target_height < 1) {
    return invalid_argument("image sizes must be positive");
  }
  const std::size_t w = in.target_width, h = in.target_height;
  INSTYLE_RETURN_IF_ERROR(photo_.resize(w * h * 4, "the photo"));
  if (w == in.width && h == in.height) {
    std::copy(in.rgba, in.rgba + w * h * 4, photo_.data());
  } else {
    HeapBuffer<float> rows;
    INSTYLE_RETURN_IF_ERROR(rows.resize(8 * w, "resizing"));
    resize_rgba_u8(photo_.data(), w, h, in.rgba, in.width, in.height, rows.data());
  }
  INSTYLE_RETURN_IF_ERROR(input_.resize(3 * w * h, "the network input"));
  rgba_to_planar_f32(input_.data(), photo_.data(), w, h, in.scale, in.bgr);
  width_ = w;
  height_ = h;
  return Status();
}

Shape StylizeSession::input_shape() const {
  return {1, 3, static_cast<int64_t>(height_), static_cast<int64_t>(width_)};
}

Status StylizeSession::start(const StylizeInput& in) {
  INSTYLE_RETURN_IF_ERROR(prepare(in));
  RunOptions options;
  options.adain = in.adain;
  if (in.adain && in.adain->wct()) options.covariance_layer = in.adain->layer;
  switch (in.statistics) {
    case Statistics::kOwn:
      break;
    case Statistics::kRecord:
      stats_ = NormStats();
      options.record = &stats_;
      break;
    case Statistics::kReplay:
      if (!has_statistics()) {
        return invalid_argument("no recorded statistics to replay: run a thumbnail first");
      }
      options.replay = &stats_;
      break;
    case Statistics::kSmooth:
      if (!(in.temporal >= 0.f && in.temporal < 1.f)) {
        return invalid_argument("temporal must be in [0, 1)");
      }
      options.smooth = &stats_;
      options.keep = in.temporal;
      break;
  }
  INSTYLE_RETURN_IF_ERROR(model_->start({input_.data()}, {input_shape()}, options));
  running_ = true;
  return Status();
}

Status StylizeSession::finish(uint8_t* out, const StylizeBlend& blend) {
  if (!running_ || !model_->done()) return invalid_argument("no finished stylization to read");
  running_ = false;
  const Shape& os = model_->output_shape(0);
  if (os.size() != 4 || os[0] != 1 || os[1] != 3) {
    return unsupported("stylize needs a network with a [1,3,H,W] output, this one gives " +
                       shape_string(os));
  }
  const float* y = model_->output(0);
  HeapBuffer<float> resized;  // freed on return: a whole photo's worth of floats
  if (static_cast<std::size_t>(os[2]) != height_ || static_cast<std::size_t>(os[3]) != width_) {
    // The network changed the size (e.g. rounded up to its stride): back to the photo's.
    INSTYLE_RETURN_IF_ERROR(resized.resize(3 * width_ * height_, "resizing the output"));
    resize_bilinear_f32(resized.data(), y, 3, static_cast<std::size_t>(os[2]),
                        static_cast<std::size_t>(os[3]), height_, width_, CoordMode::kHalfPixel);
    y = resized.data();
  }
  stylize_output_u8(out, y, width_, height_, photo_.data(), blend);
  return Status();  // the photo and input blocks stay for the next tile; cancel() frees them
}

Status StylizeSession::style_code(const StylizeInput& in, int layer, AdaInStyle* code) {
  INSTYLE_RETURN_IF_ERROR(prepare(in));
  // A run of its own that records, stopped right after the layer (the next start() replaces
  // it): the style image's statistics at the layer's input, and nothing computed past it.
  NormStats record;
  RunOptions options;
  options.record = &record;
  options.covariance_layer = layer;
  INSTYLE_RETURN_IF_ERROR(model_->start({input_.data()}, {input_shape()}, options));
  const Plan& plan = *model_->active_plan();
  std::size_t last = plan.steps.size();
  float eps = 0.f;
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    const auto* norm = std::get_if<InstanceNormStep>(&plan.steps[i].op);
    if (norm && norm->norm_index == layer) {
      last = i;
      eps = norm->eps;
    }
  }
  if (last == plan.steps.size()) {
    return invalid_argument("the network has no instance norm layer " + std::to_string(layer));
  }
  INSTYLE_RETURN_IF_ERROR(model_->step(last + 1));
  const auto li = static_cast<std::size_t>(layer);
  code->layer = layer;
  code->mean = record.mean[li];
  code->stddev.resize(record.var[li].size());
  for (std::size_t c = 0; c < code->stddev.size(); ++c) {
    code->stddev[c] = std::sqrt(record.var[li][c] + eps);
  }
  auto coloring = wct_coloring(record.covariance.data(), code->mean.size());
  if (!coloring.ok()) return coloring.status().prefixed("the style image: ");
  code->coloring = coloring.take();
  return Status();
}

Status StylizeSession::run(const StylizeInput& in, uint8_t* out, const StylizeBlend& blend) {
  INSTYLE_RETURN_IF_ERROR(start(in));
  while (!model_->done()) INSTYLE_RETURN_IF_ERROR(model_->step(SIZE_MAX));
  return finish(out, blend);
}

void StylizeSession::cancel() {
  running_ = false;
  photo_.clear();
  input_.clear();
}

}  // namespace instyle::model
