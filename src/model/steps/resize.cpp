// The resampling step kinds: ONNX Resize (opsets 10-19) and Upsample, lowered to the cheapest
// kernel that gives ONNX's result: nearest-neighbour by whole factors (upsample_nearest_f32,
// and usually folded into the following conv by fuse.cpp), bilinear where its coordinate
// rule is one the kernel knows (resize_bilinear_f32), else a per-row/column lookup table.
#include <algorithm>
#include <cmath>
#include <string>

#include "model/eval.h"
#include "model/lowering.h"
#include "parallel.h"
#include "threaded.h"

namespace instyle::model {
namespace {

// Maps output coordinate x to input coordinate (ONNX Resize's coordinate_transformation_mode).
double source_coordinate(const std::string& mode, double x, double scale, int64_t in_len,
                         double out_len) {
  if (mode == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (mode == "pytorch_half_pixel") return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (mode == "align_corners") {
    return out_len == 1 ? 0.0 : x * static_cast<double>(in_len - 1) / (out_len - 1);
  }
  if (mode == "tf_half_pixel_for_nearest") return (x + 0.5) / scale;
  return x / scale;  // asymmetric
}

int64_t round_nearest(const std::string& mode, double x, bool downsampling) {
  if (mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(x + 0.5));
  if (mode == "simple") {
    // onnxruntime's rule for Upsample and Resize-10: floor, but ceil when downsampling.
    return static_cast<int64_t>(downsampling ? std::ceil(x) : std::floor(x));
  }
  // round_prefer_floor: halves go down.
  return static_cast<int64_t>(std::ceil(x - 0.5));
}

Status resample_field(std::size_t H, std::size_t W, std::size_t OH, std::size_t OW, Axis axes[2]) {
  axes[0] = through_resize(axes[0], H, OH);
  axes[1] = through_resize(axes[1], W, OW);
  return Status();
}

}  // namespace

Status lower_resize(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  const int64_t rank = static_cast<int64_t>(xs.size());
  const bool upsample = node.op == Op::kUpsample;
  const bool old_style = upsample || l.graph().opset <= 10;
  std::string mode = node.attr_string("mode", "nearest");
  if (mode == "bilinear") mode = "linear";  // Upsample-7 spelling
  if (mode != "nearest" && mode != "linear") {
    return unsupported(node.label() + ": mode '" + mode + "' is not supported");
  }
  std::string coord =
      old_style ? "asymmetric" : node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (coord == "tf_half_pixel_for_nn") coord = "tf_half_pixel_for_nearest";  // opset-11 name
  if (coord != "half_pixel" && coord != "pytorch_half_pixel" && coord != "align_corners" &&
      coord != "asymmetric" && coord != "tf_half_pixel_for_nearest" &&
      coord != "tf_crop_and_resize") {
    return unsupported(node.label() + ": coordinate_transformation_mode '" + coord +
                       "' is not supported");
  }
  const std::string nearest =
      old_style ? "simple" : node.attr_string("nearest_mode", "round_prefer_floor");
  if (coord == "tf_crop_and_resize") {
    return unsupported(node.label() +
                       ": coordinate_transformation_mode 'tf_crop_and_resize' is not supported");
  }
  if (node.attr_int("antialias", 0) != 0 || node.attr("axes") ||
      node.attr_string("keep_aspect_ratio_policy", "stretch") != "stretch") {
    return unsupported(node.label() +
                       ": antialias, axes and keep_aspect_ratio_policy are not supported");
  }

  std::vector<double> scales;
  Shape out = xs;
  const Tensor* scale_t = nullptr;
  const Tensor* sizes_t = nullptr;
  if (upsample && node.attr("scales")) {
    for (float f : node.attr("scales")->floats) scales.push_back(f);
  } else {
    const std::size_t si = old_style ? 1 : 2;
    if (l.present(node, si)) {
      scale_t = l.known(node.inputs[si]);
      if (!scale_t) return unsupported(node.label() + ": scales must be computable before the run");
    }
    if (!old_style && l.present(node, 3)) {
      sizes_t = l.known(node.inputs[3]);
      if (!sizes_t) return unsupported(node.label() + ": sizes must be computable before the run");
    }
    if (scale_t && scale_t->element_count() == 0) scale_t = nullptr;
    if (sizes_t && sizes_t->element_count() == 0) sizes_t = nullptr;
    if (!scale_t == !sizes_t) {
      return invalid_model(node.label() + ": exactly one of scales and sizes must be given");
    }
    if (scale_t) {
      if (!onnx::is_float_type(scale_t->data_type)) {
        return invalid_model(node.label() + ": scales must be float");
      }
      for (float f : scale_t->floats) scales.push_back(f);
    }
  }
  if (sizes_t) {
    if (onnx::is_float_type(sizes_t->data_type) || sizes_t->element_count() != rank) {
      return invalid_model(node.label() + ": sizes must hold " + std::to_string(rank) +
                           " integers");
    }
    for (int64_t d = 0; d < rank; ++d) {
      out[d] = sizes_t->ints[d];
      if (out[d] < 1) return invalid_model(node.label() + ": sizes must be >= 1");
      scales.push_back(static_cast<double>(out[d]) / static_cast<double>(xs[d]));
    }
  } else {
    if (static_cast<int64_t>(scales.size()) != rank) {
      return invalid_model(node.label() + ": " + std::to_string(scales.size()) +
                           " scales for an input of rank " + std::to_string(rank));
    }
    for (int64_t d = 0; d < rank; ++d) {
      if (!(scales[d] > 0) || !std::isfinite(scales[d]) || scales[d] > 1e6) {
        return invalid_model(node.label() + ": scales must be positive and finite");
      }
      const double len = std::floor(static_cast<double>(xs[d]) * scales[d]);
      if (len > static_cast<double>(kMaxActivationElements)) {
        return Status(ErrorCode::kOutOfMemory, node.label() + ": output too large");
      }
      out[d] = static_cast<int64_t>(len);
      if (out[d] < 1) return invalid_argument(node.label() + ": output would be empty");
    }
  }
  for (int64_t d = 0; d + 2 < rank; ++d) {
    if (out[d] != xs[d]) {
      return unsupported(node.label() + ": resizing is supported on the last two dimensions only");
    }
  }
  if (rank < 2) return unsupported(node.label() + ": input must have rank >= 2");
  INSTYLE_RETURN_IF_ERROR(l.set_output(node, 0, out));

  step->inputs = {node.inputs[0]};
  ResizeTableStep t;
  t.NC = static_cast<std::size_t>(product(xs, 0, rank - 2));
  t.H = xs[rank - 2];
  t.W = xs[rank - 1];
  t.OH = out[rank - 2];
  t.OW = out[rank - 1];
  t.linear = mode == "linear";
  const double sh = scales[rank - 2], sw = scales[rank - 1];

  // Source indices per output row and column; the fast kernels where they apply.
  auto table = [&](int64_t in_len, int64_t out_len, double scale, std::vector<int32_t>* i0,
                   std::vector<int32_t>* i1, std::vector<float>* f) {
    // With scales, ONNX measures the resized length before rounding (align_corners).
    const double resized =
        sizes_t ? static_cast<double>(out_len) : static_cast<double>(in_len) * scale;
    for (int64_t x = 0; x < out_len; ++x) {
      const double src = source_coordinate(coord, static_cast<double>(x), scale, in_len, resized);
      if (!t.linear) {
        const int64_t i =
            std::clamp<int64_t>(round_nearest(nearest, src, scale < 1), 0, in_len - 1);
        i0->push_back(static_cast<int32_t>(i));
        continue;
      }
      const double c = std::clamp(src, 0.0, static_cast<double>(in_len - 1));
      const int64_t lo = static_cast<int64_t>(std::floor(c));
      const int64_t hi = std::min(lo + 1, in_len - 1);
      i0->push_back(static_cast<int32_t>(lo));
      i1->push_back(static_cast<int32_t>(hi));
      f->push_back(static_cast<float>(c - static_cast<double>(lo)));
    }
  };
  table(xs[rank - 2], out[rank - 2], sh, &t.h0, &t.h1, &t.hf);
  table(xs[rank - 1], out[rank - 1], sw, &t.w0, &t.w1, &t.wf);

  if (!t.linear && t.OH % t.H == 0 && t.OW % t.W == 0) {
    const std::size_t fh = t.OH / t.H, fw = t.OW / t.W;
    bool replicate = true;
    for (std::size_t i = 0; i < t.OH; ++i) replicate = replicate && t.h0[i] == int32_t(i / fh);
    for (std::size_t i = 0; i < t.OW; ++i) replicate = replicate && t.w0[i] == int32_t(i / fw);
    if (replicate) {
      step->op = UpsampleStep{{}, t.NC, t.H, t.W, t.OH, t.OW, fh, fw};
      return Status();
    }
  }
  // The bilinear kernel derives its scale from the sizes; use it only where ONNX does too.
  const bool exact_scales = sizes_t || (std::fabs(sh * xs[rank - 2] - out[rank - 2]) < 1e-9 &&
                                        std::fabs(sw * xs[rank - 1] - out[rank - 1]) < 1e-9);
  if (t.linear && exact_scales && t.OH > 1 && t.OW > 1 &&
      (coord == "half_pixel" || coord == "pytorch_half_pixel" || coord == "align_corners" ||
       coord == "asymmetric")) {
    const CoordMode coord_mode = coord == "half_pixel"           ? CoordMode::kHalfPixel
                                 : coord == "pytorch_half_pixel" ? CoordMode::kPytorchHalfPixel
                                 : coord == "align_corners"      ? CoordMode::kAlignCorners
                                                                 : CoordMode::kAsymmetric;
    step->op = ResizeBilinearStep{{}, t.NC, t.H, t.W, t.OH, t.OW, coord_mode};
    return Status();
  }
  step->op = std::move(t);
  return Status();
}

Status UpsampleStep::run(const StepArgs& a) const {
  parallel_for(
      NC,
      [&](std::size_t p0, std::size_t p1) {
        upsample_nearest_f32(a.y + p0 * OH * OW, a.x[0] + p0 * H * W, p1 - p0, H, W, scale_h,
                             scale_w);
      },
      grain_for(OH * OW));
  return Status();
}

Status ResizeBilinearStep::run(const StepArgs& a) const {
  parallel_for(
      NC,
      [&](std::size_t p0, std::size_t p1) {
        resize_bilinear_f32(a.y + p0 * OH * OW, a.x[0] + p0 * H * W, p1 - p0, H, W, OH, OW,
                            coord_mode);
      },
      grain_for(OH * OW));
  return Status();
}

Status ResizeTableStep::run(const StepArgs& a) const {
  const ResizeTableStep& s = *this;
  float* y = a.y;
  const float* x = a.x[0];
  parallel_for(
      s.NC,
      [&](std::size_t p0, std::size_t p1) {
        for (std::size_t p = p0; p < p1; ++p) {
          const float* xp = x + p * s.H * s.W;
          float* yp = y + p * s.OH * s.OW;
          for (std::size_t oh = 0; oh < s.OH; ++oh) {
            float* yr = yp + oh * s.OW;
            if (!s.linear) {
              const float* xr = xp + static_cast<std::size_t>(s.h0[oh]) * s.W;
              for (std::size_t ow = 0; ow < s.OW; ++ow) yr[ow] = xr[s.w0[ow]];
              continue;
            }
            const float* r0 = xp + static_cast<std::size_t>(s.h0[oh]) * s.W;
            const float* r1 = xp + static_cast<std::size_t>(s.h1[oh]) * s.W;
            const float fy = s.hf[oh];
            for (std::size_t ow = 0; ow < s.OW; ++ow) {
              const float fx = s.wf[ow];
              const float top = r0[s.w0[ow]] + (r0[s.w1[ow]] - r0[s.w0[ow]]) * fx;
              const float bot = r1[s.w0[ow]] + (r1[s.w1[ow]] - r1[s.w0[ow]]) * fx;
              yr[ow] = top + (bot - top) * fy;
            }
          }
        }
      },
      grain_for(s.OH * s.OW));
  return Status();
}

// Resampling from H x W to OH x OW pixels: the same receptive-field rule for all three.
Status UpsampleStep::field(const Plan&, const Step&, Axis axes[2]) const {
  return resample_field(H, W, OH, OW, axes);
}

Status ResizeBilinearStep::field(const Plan&, const Step&, Axis axes[2]) const {
  return resample_field(H, W, OH, OW, axes);
}

Status ResizeTableStep::field(const Plan&, const Step&, Axis axes[2]) const {
  return resample_field(H, W, OH, OW, axes);
}

}  // namespace instyle::model
