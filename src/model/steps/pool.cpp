// AveragePool and MaxPool: 1-D and 2-D windows over NC planes, run by pool2d_f32 (src/pool.h),
// the planes split across threads. A 1-D input [N, C, L] runs as planes of 1 x L. Dilations,
// MaxPool's Indices output (and storage_order, which only orders it) are refused, as is
// ceil_mode with count_include_pad where the extra window would reach past the padding (ONNX
// and PyTorch then divide by different counts).
#include <algorithm>
#include <string>

#include "model/eval.h"
#include "model/lowering.h"
#include "parallel.h"
#include "threaded.h"

namespace instyle::model {

Status lower_pool(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  if (xs.size() != 3 && xs.size() != 4) {
    return unsupported(node.label() + ": only 1-D and 2-D pooling is supported, input is " +
                       shape_string(xs));
  }
  const bool two_d = xs.size() == 4;
  const bool average = node.op == Op::kAveragePool;
  const std::size_t sr = xs.size() - 2;  // spatial rank
  std::vector<int64_t> ks = node.attr_ints("kernel_shape"), strides = node.attr_ints("strides"),
                       pads = node.attr_ints("pads"), dil = node.attr_ints("dilations");
  if (ks.empty()) return invalid_model(node.label() + ": kernel_shape is required");
  if (strides.empty()) strides.assign(sr, 1);
  if (pads.empty()) pads.assign(2 * sr, 0);
  if (dil.empty()) dil.assign(sr, 1);
  if (ks.size() != sr || strides.size() != sr || pads.size() != 2 * sr || dil.size() != sr) {
    return invalid_model(node.label() + ": kernel_shape, strides, pads or dilations have the " +
                         "wrong length for input " + shape_string(xs));
  }
  for (std::size_t i = 0; i < sr; ++i) {
    if (ks[i] < 1 || strides[i] < 1 || pads[i] < 0 || pads[i + sr] < 0 || ks[i] > kMaxWindow ||
        strides[i] > kMaxWindow || pads[i] > kMaxWindow || pads[i + sr] > kMaxWindow) {
      return invalid_model(node.label() +
                           ": kernel_shape and strides must be in [1, 65536], pads in [0, 65536]");
    }
    if (dil[i] != 1) {
      return unsupported(node.label() + ": dilations other than 1 are not supported");
    }
  }
  if (node.attr_int("storage_order", 0) != 0) {
    return unsupported(node.label() + ": storage_order other than 0 is not supported");
  }
  const int64_t ceil_mode = node.attr_int("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1) {
    return invalid_model(node.label() + ": ceil_mode must be 0 or 1");
  }
  const bool include_pad = average && node.attr_int("count_include_pad", 0) != 0;
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const int64_t in_len[2] = {two_d ? xs[2] : 1, xs.back()};
  const int64_t k_len[2] = {two_d ? ks[0] : 1, ks.back()};
  const int64_t st[2] = {two_d ? strides[0] : 1, strides.back()};
  int64_t pb[2] = {two_d ? pads[0] : 0, pads[sr - 1]};
  int64_t pe[2] = {two_d ? pads[sr] : 0, pads[2 * sr - 1]};
  int64_t out_len[2];
  for (int a = 0; a < 2; ++a) {
    if (auto_pad == "VALID") {
      pb[a] = pe[a] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in_len[a] + st[a] - 1) / st[a];
      const int64_t total = std::max<int64_t>(0, (out - 1) * st[a] + k_len[a] - in_len[a]);
      pb[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[a] = total - pb[a];
    } else if (auto_pad != "NOTSET") {
      return invalid_model(node.label() + ": unknown auto_pad '" + auto_pad + "'");
    }
    // A window of nothing but padding has no maximum (and no average without the padding).
    if (pb[a] >= k_len[a] || pe[a] >= k_len[a]) {
      return unsupported(node.label() + ": pads must be smaller than the kernel (" +
                         std::to_string(k_len[a]) + ")");
    }
    const int64_t span = in_len[a] + pb[a] + pe[a] - k_len[a];
    if (span < 0) {
      return invalid_argument(node.label() + ": the " + std::to_string(k_len[a]) +
                              "-wide window does not fit an input of " + shape_string(xs));
    }
    out_len[a] = span / st[a] + 1;
    // ceil_mode: one more window where the stride leaves input uncovered, unless it would start
    // in the end padding (ONNX and PyTorch drop such windows).
    if (ceil_mode && auto_pad == "NOTSET" && span % st[a] != 0 &&
        out_len[a] * st[a] < in_len[a] + pb[a]) {
      if (include_pad) {
        return unsupported(node.label() +
                           ": ceil_mode with count_include_pad is not supported where the last "
                           "window reaches past the padding");
      }
      ++out_len[a];
    }
  }
  PoolStep op;
  Pool2dShape& p = op.pool;
  p.NC = static_cast<std::size_t>(xs[0] * xs[1]);
  p.H = static_cast<std::size_t>(in_len[0]);
  p.W = static_cast<std::size_t>(in_len[1]);
  p.OH = static_cast<std::size_t>(out_len[0]);
  p.OW = static_cast<std::size_t>(out_len[1]);
  p.kH = static_cast<std::size_t>(k_len[0]);
  p.kW = static_cast<std::size_t>(k_len[1]);
  p.stride_h = static_cast<std::size_t>(st[0]);
  p.stride_w = static_cast<std::size_t>(st[1]);
  p.pad_top = static_cast<std::size_t>(pb[0]);
  p.pad_left = static_cast<std::size_t>(pb[1]);
  p.mode = average ? PoolMode::kAverage : PoolMode::kMax;
  p.count_include_pad = include_pad;
  step->inputs = {node.inputs[0]};
  step->op = op;
  Shape out = two_d ? Shape{xs[0], xs[1], out_len[0], out_len[1]} : Shape{xs[0], xs[1], out_len[1]};
  return l.set_output(node, 0, out);
}

std::size_t PoolStep::prepare(int threads) {
  const std::size_t most = static_cast<std::size_t>(std::max(1, threads));
  parts = std::max<std::size_t>(1, std::min(most, pool.NC / grain_for(pool.H * pool.W)));
  return pool2d_scratch_size(pool);
}

Status PoolStep::run(const StepArgs& a) const {
  const std::size_t in_plane = pool.H * pool.W, out_plane = pool.OH * pool.OW;
  parallel_for(parts, [&](std::size_t r0, std::size_t r1) {
    for (std::size_t r = r0; r < r1; ++r) {
      const std::size_t p0 = pool.NC * r / parts, p1 = pool.NC * (r + 1) / parts;
      Pool2dShape part = pool;
      part.NC = p1 - p0;
      pool2d_f32(a.y + p0 * out_plane, a.x[0] + p0 * in_plane, part,
                 a.workspace + r * a.workspace_per_thread);
    }
  });
  return Status();
}

Status PoolStep::field(const Plan&, const Step&, Axis axes[2]) const {
  axes[0] = through_conv(axes[0], pool.kH, pool.stride_h, 1, pool.pad_top);
  axes[1] = through_conv(axes[1], pool.kW, pool.stride_w, 1, pool.pad_left);
  return Status();
}

std::string PoolStep::describe() const {
  std::string d =
      std::to_string(pool.kH) + "x" + std::to_string(pool.kW) + "/" + std::to_string(pool.stride_h);
  if (pool.pad_top > 0 || pool.pad_left > 0) {
    d += " pad " + std::to_string(pool.pad_top);
    if (pool.pad_left != pool.pad_top) d += "," + std::to_string(pool.pad_left);
  }
  return d;
}

}  // namespace instyle::model
