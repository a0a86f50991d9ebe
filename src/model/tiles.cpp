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

struct Field {
  bool spatial = false;  // derived from the image (constants are not)
  Axis axis[2];          // H, W
};

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
    INSTYLE_RETURN_IF_ERROR(
        std::visit([&](const auto& op) { return op.field(plan, s, out.axis); }, s.op));
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
