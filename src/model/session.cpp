#include "model/session.h"

#include <algorithm>

#include "resize.h"

namespace instyle::model {

Status StylizeSession::start(const StylizeInput& in) {
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
  RunOptions options;
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
  INSTYLE_RETURN_IF_ERROR(model_->start(
      {input_.data()}, {{1, 3, static_cast<int64_t>(h), static_cast<int64_t>(w)}}, options));
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
