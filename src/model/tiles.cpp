// Receptive field by walking the plan's steps once, per spatial axis. Each activation value
// carries, in input pixels: its pixel pitch (`step`), where its pixel 0 sits (`origin`), and
// the interval [lo, hi] of input positions that any of its pixels may read, relative to the
// pixel's own position. Convolutions widen the interval by their kernel's reach, strides and
// resampling change the pitch, padding moves the origin; element-wise steps take the union.
#include "model/tiles.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace instyle::model {
namespace {

struct Axis {
  double step = 1, origin = 0, lo = 0, hi = 0;
};

struct Field {
  bool spatial = false;  // derived from the image (constants are not)
  Axis axis[2];          // H, W
};

// A kernel of `k` taps `dilation` apart, `stride` apart, starting `pad` pixels before the
// input: output pixel p reads input pixels p*stride - pad + [0, (k-1)*dilation].
Axis through_conv(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                  std::size_t pad) {
  const double reach = 0.5 * static_cast<double>((k - 1) * dilation) * in.step;
  Axis out;
  out.step = in.step * static_cast<double>(stride);
  out.origin = in.origin +
               (0.5 * static_cast<double>((k - 1) * dilation) - static_cast<double>(pad)) * in.step;
  out.lo = in.lo - reach;
  out.hi = in.hi + reach;
  return out;
}

// Output pixel p of a transposed convolution takes input pixels q with q*stride - pad + j*d = p.
Axis through_conv_transpose(const Axis& in, std::size_t k, std::size_t stride, std::size_t dilation,
                            std::size_t pad) {
  const double s = static_cast<double>(stride);
  const double reach = (0.5 * static_cast<double>((k - 1) * dilation) / s + 1.0) * in.step;
  Axis out;
  out.step = in.step / s;
  out.origin =
      in.origin +
      (static_cast<double>(pad) - 0.5 * static_cast<double>((k - 1) * dilation)) / s * in.step;
  out.lo = in.lo - reach;
  out.hi = in.hi + reach;
  return out;
}

// Resampling from n to m pixels (half-pixel centres); nearest or linear reads at most the
// neighbour on either side of the source position.
Axis through_resize(const Axis& in, std::size_t n, std::size_t m) {
  const double scale = static_cast<double>(m) / static_cast<double>(n);
  Axis out;
  out.step = in.step / scale;
  out.origin = in.origin + (0.5 / scale - 0.5) * in.step;
  out.lo = in.lo - in.step;
  out.hi = in.hi + in.step;
  return out;
}

Axis through_pad(const Axis& in, std::size_t before) {
  Axis out = in;
  out.origin -= static_cast<double>(before) * in.step;
  return out;
}

Status unsupported_for_tiles(const std::string& why) {
  return Status(ErrorCode::kUnsupported,
                "tiled runs need a network whose output is on its input's pixel grid: " + why);
}

}  // namespace

std::size_t ReceptiveField::margin() const {
  const std::size_t need = static_cast<std::size_t>(std::ceil(radius));
  return (need + align - 1) / align * align;
}

Result<ReceptiveField> receptive_field(const Plan& plan) {
  if (plan.input_shapes.empty() || plan.input_shapes[0].size() != 4) {
    return unsupported_for_tiles("the first input is not [N, C, H, W]");
  }
  std::vector<Field> field(plan.values.size());
  for (std::size_t v = 0; v < plan.values.size(); ++v) {
    if (plan.values[v].slot.kind == Slot::kInput && plan.values[v].slot.input == 0)
      field[v].spatial = true;
  }
  double max_step = 1;
  for (const Step& s : plan.steps) {
    // The union over the inputs that come from the image (a residual add has two).
    Field in;
    for (int v : s.inputs) {
      if (v < 0 || !field[v].spatial) continue;
      if (!in.spatial) {
        in = field[v];
        continue;
      }
      for (int a = 0; a < 2; ++a) {
        in.axis[a].lo = std::min(in.axis[a].lo, field[v].axis[a].lo);
        in.axis[a].hi = std::max(in.axis[a].hi, field[v].axis[a].hi);
      }
    }
    if (!in.spatial) continue;
    Field out = in;
    switch (s.kind) {
      case StepKind::kConv: {
        // A folded upsampling first (conv.h: up_h, up_w), then the kernel.
        const Conv2dShape& c = s.conv;
        const Axis h = c.up_h > 1 ? through_resize(in.axis[0], c.H, c.in_h()) : in.axis[0];
        const Axis w = c.up_w > 1 ? through_resize(in.axis[1], c.W, c.in_w()) : in.axis[1];
        out.axis[0] = through_conv(h, c.kH, c.stride_h, c.dilation_h, c.pad_top);
        out.axis[1] = through_conv(w, c.kW, c.stride_w, c.dilation_w, c.pad_left);
        break;
      }
      case StepKind::kConvTranspose:
        out.axis[0] = through_conv_transpose(in.axis[0], s.convt.kH, s.convt.stride_h,
                                             s.convt.dilation_h, s.convt.pad_top);
        out.axis[1] = through_conv_transpose(in.axis[1], s.convt.kW, s.convt.stride_w,
                                             s.convt.dilation_w, s.convt.pad_left);
        break;
      case StepKind::kPad:
        out.axis[0] = through_pad(in.axis[0], s.top);
        out.axis[1] = through_pad(in.axis[1], s.left);
        break;
      case StepKind::kUpsampleNearest:
      case StepKind::kResizeBilinear:
      case StepKind::kResizeTable:
        out.axis[0] = through_resize(in.axis[0], s.H, s.OH);
        out.axis[1] = through_resize(in.axis[1], s.W, s.OW);
        break;
      case StepKind::kConcat:
        // Joining channels keeps the grid; joining along H or W would not.
        if (plan.values[s.output].shape.size() == 4) {
          const Shape& first = plan.values[s.inputs[0]].shape;
          const Shape& shape = plan.values[s.output].shape;
          if (first.size() == 4 && (first[2] != shape[2] || first[3] != shape[3])) {
            return unsupported_for_tiles("a Concat joins along a spatial axis");
          }
        }
        break;
      case StepKind::kInstanceNorm:  // per pixel, with replayed statistics
      case StepKind::kBatchNorm:
      case StepKind::kUnary:
      case StepKind::kBinary:
        break;
    }
    for (const Axis& a : out.axis) max_step = std::max(max_step, a.step);
    field[s.output] = out;
  }
  const int y = plan.outputs.empty() ? -1 : plan.outputs[0];
  if (y < 0 || !field[y].spatial)
    return unsupported_for_tiles("the output does not depend on the image");
  ReceptiveField rf;
  for (const Axis& a : field[y].axis) {
    if (std::fabs(a.step - 1.0) > 1e-9) {
      return unsupported_for_tiles("the output has a different scale (pixel pitch " +
                                   std::to_string(a.step) + ")");
    }
    // Output pixel p reads input positions p + origin + [lo, hi]. The origin is where the
    // bookkeeping puts a pixel's centre after strides and resampling (half-pixel shifts).
    rf.radius = std::max({rf.radius, -(a.origin + a.lo), a.origin + a.hi});
  }
  rf.align = static_cast<std::size_t>(std::lround(max_step));
  if (rf.align < 1 || std::fabs(static_cast<double>(rf.align) - max_step) > 1e-9) {
    return unsupported_for_tiles("its strides do not multiply to a whole number");
  }
  return rf;
}

}  // namespace instyle::model
