// The convolution step kinds.
// Conv: 1-D and 2-D convolutions (any stride, dilation, padding, groups), run by conv2d_f32
// (src/conv.h: Winograd, im2col GEMM, direct and depthwise paths) with output channels (or,
// for Winograd, rows) split across threads. Reflection or zero padding and a nearest-neighbour
// upsampling before the conv are folded into it by fuse.cpp (Conv2dShape::pad_mode, up_h, up_w).
// ConvTranspose: at the end of the file.
#include <algorithm>
#include <string>

#include "eltwise.h"
#include "model/eval.h"
#include "model/lowering.h"
#include "threaded.h"

namespace instyle::model {
Status lower_conv(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  if (xs.size() != 3 && xs.size() != 4) {
    return unsupported(node.label() + ": only 1-D and 2-D convolutions are supported, input is " +
                       shape_string(xs));
  }
  if (!l.present(node, 1)) return invalid_model(node.label() + ": weight is required");
  const Tensor* w = l.known(node.inputs[1]);
  if (!w)
    return unsupported(node.label() + ": weight '" + l.name(node.inputs[1]) +
                       "' must be a constant");
  const Shape& ws = w->dims;
  const bool two_d = xs.size() == 4;
  if (ws.size() != xs.size()) {
    return invalid_model(node.label() + ": weight " + shape_string(ws) + " does not match input " +
                         shape_string(xs));
  }
  const int64_t group = node.attr_int("group", 1);
  const int64_t C = xs[1], O = ws[0];
  if (group < 1 || C % group != 0 || O % group != 0 || ws[1] * group != C) {
    return invalid_model(node.label() + ": input has " + std::to_string(C) +
                         " channels but the weight " + shape_string(ws) + " with group " +
                         std::to_string(group) + " expects " + std::to_string(ws[1] * group));
  }
  const int64_t H = two_d ? xs[2] : 1, W = xs.back();
  const int64_t kH = two_d ? ws[2] : 1, kW = ws.back();
  if (O < 1 || kH < 1 || kW < 1) {
    return invalid_model(node.label() + ": empty weight " + shape_string(ws));
  }
  const std::size_t sr = xs.size() - 2;  // spatial rank
  std::vector<int64_t> strides = node.attr_ints("strides"), dil = node.attr_ints("dilations"),
                       pads = node.attr_ints("pads"), ks = node.attr_ints("kernel_shape");
  if (strides.empty()) strides.assign(sr, 1);
  if (dil.empty()) dil.assign(sr, 1);
  if (pads.empty()) pads.assign(2 * sr, 0);
  if (strides.size() != sr || dil.size() != sr || pads.size() != 2 * sr ||
      (!ks.empty() && ks.size() != sr)) {
    return invalid_model(node.label() +
                         ": strides, dilations, pads or kernel_shape have the wrong length");
  }
  if (!ks.empty() && (ks[0] != (two_d ? kH : kW) || ks.back() != kW)) {
    return invalid_model(node.label() + ": kernel_shape disagrees with the weight " +
                         shape_string(ws));
  }
  for (std::size_t i = 0; i < sr; ++i) {
    if (strides[i] < 1 || dil[i] < 1 || pads[i] < 0 || pads[i + sr] < 0 ||
        strides[i] > kMaxWindow || dil[i] > kMaxWindow || pads[i] > kMaxWindow ||
        pads[i + sr] > kMaxWindow) {
      return invalid_model(node.label() +
                           ": strides and dilations must be in [1, 65536], pads in [0, 65536]");
    }
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  const int64_t in_len[2] = {H, W}, k_len[2] = {kH, kW};
  const int64_t st[2] = {two_d ? strides[0] : 1, strides.back()};
  const int64_t dl[2] = {two_d ? dil[0] : 1, dil.back()};
  int64_t pb[2] = {two_d ? pads[0] : 0, pads[sr - 1]};
  int64_t pe[2] = {two_d ? pads[sr] : 0, pads[2 * sr - 1]};
  for (int a = 0; a < 2; ++a) {
    if (auto_pad == "VALID") {
      pb[a] = pe[a] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      const int64_t out = (in_len[a] + st[a] - 1) / st[a];
      const int64_t total =
          std::max<int64_t>(0, (out - 1) * st[a] + (k_len[a] - 1) * dl[a] + 1 - in_len[a]);
      pb[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pe[a] = total - pb[a];
    } else if (auto_pad != "NOTSET") {
      return invalid_model(node.label() + ": unknown auto_pad '" + auto_pad + "'");
    }
  }
  int64_t out_len[2];
  for (int a = 0; a < 2; ++a) {
    const int64_t span = in_len[a] + pb[a] + pe[a] - dl[a] * (k_len[a] - 1) - 1;
    if (span < 0) {
      return invalid_argument(node.label() + ": the " + std::to_string(k_len[a]) +
                              "-tap kernel does not fit an input of " + shape_string(xs));
    }
    out_len[a] = span / st[a] + 1;
  }
  ConvStep op;
  if (l.present(node, 2)) {
    INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 2, "bias", O, &op.bias));
  }
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 1, "weight"));
  op.weight = w->floats.data();
  Conv2dShape& c = op.conv;
  c.N = static_cast<std::size_t>(xs[0]);
  c.C = static_cast<std::size_t>(C);
  c.H = static_cast<std::size_t>(H);
  c.W = static_cast<std::size_t>(W);
  c.O = static_cast<std::size_t>(O);
  c.kH = static_cast<std::size_t>(kH);
  c.kW = static_cast<std::size_t>(kW);
  c.stride_h = static_cast<std::size_t>(st[0]);
  c.stride_w = static_cast<std::size_t>(st[1]);
  c.dilation_h = static_cast<std::size_t>(dl[0]);
  c.dilation_w = static_cast<std::size_t>(dl[1]);
  c.pad_top = static_cast<std::size_t>(pb[0]);
  c.pad_bottom = static_cast<std::size_t>(pe[0]);
  c.pad_left = static_cast<std::size_t>(pb[1]);
  c.pad_right = static_cast<std::size_t>(pe[1]);
  c.groups = static_cast<std::size_t>(group);
  c.pad_mode = PadMode::kZeros;
  step->inputs = {node.inputs[0]};
  step->op = std::move(op);
  Shape out = two_d ? Shape{xs[0], O, out_len[0], out_len[1]} : Shape{xs[0], O, out_len[1]};
  return l.set_output(node, 0, out);
}

std::size_t ConvStep::prepare(int threads) {
  split = conv2d_split(conv, threads);
  return conv2d_threaded_workspace(conv, split);
}

Status ConvStep::run(const StepArgs& a) const {
  conv2d_threaded(a.y, a.x[0], weight, bias, conv, a.step.relu, split, a.workspace,
                  a.workspace_per_thread);
  return Status();
}

std::string ConvStep::describe() const {
  const Conv2dShape& c = conv;
  std::string d = std::to_string(c.kH) + "x" + std::to_string(c.kW) + "/" +
                  std::to_string(c.stride_h) + " " + std::to_string(c.C) + "->" +
                  std::to_string(c.O);
  if (c.groups > 1) d += " g" + std::to_string(c.groups);
  if (c.up_h > 1 || c.up_w > 1) d += " up" + std::to_string(c.up_h);
  return d + " " + conv2d_algorithm(c);
}

Status ConvStep::field(const Plan&, const Step&, Axis axes[2]) const {
  // A folded upsampling first (conv.h: up_h, up_w), then the kernel.
  const Conv2dShape& c = conv;
  const Axis h = c.up_h > 1 ? through_resize(axes[0], c.H, c.in_h()) : axes[0];
  const Axis w = c.up_w > 1 ? through_resize(axes[1], c.W, c.in_w()) : axes[1];
  axes[0] = through_conv(h, c.kH, c.stride_h, c.dilation_h, c.pad_top);
  axes[1] = through_conv(w, c.kW, c.stride_w, c.dilation_w, c.pad_left);
  return Status();
}

// ConvTranspose: the plain scatter kernel of model/conv_transpose.h, single-threaded (style
// networks rarely use it).
Status lower_conv_transpose(Lowering& l, const Node& node, Step* step) {
  INSTYLE_RETURN_IF_ERROR(l.float_operand(node, 0, "input"));
  const Shape& xs = l.shape(node.inputs[0]);
  if (xs.size() != 4) {
    return unsupported(node.label() + ": only 2-D transposed convolutions are supported");
  }
  const float* wdata = nullptr;
  INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 1, "weight", -1, &wdata));
  const Shape& ws = l.known(node.inputs[1])->dims;
  const int64_t group = node.attr_int("group", 1);
  if (ws.size() != 4 || group < 1 || ws[0] != xs[1] || xs[1] % group != 0) {
    return invalid_model(node.label() + ": weight " + shape_string(ws) + " does not match input " +
                         shape_string(xs) + " with group " + std::to_string(group));
  }
  const int64_t O = ws[1] * group;
  std::vector<int64_t> strides = node.attr_ints("strides"), dil = node.attr_ints("dilations"),
                       pads = node.attr_ints("pads"), out_pad = node.attr_ints("output_padding"),
                       out_shape = node.attr_ints("output_shape");
  if (strides.empty()) strides = {1, 1};
  if (dil.empty()) dil = {1, 1};
  if (pads.empty()) pads = {0, 0, 0, 0};
  if (out_pad.empty()) out_pad = {0, 0};
  if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4 || out_pad.size() != 2 ||
      (!out_shape.empty() && out_shape.size() != 2)) {
    return invalid_model(node.label() + ": attributes have the wrong length");
  }
  const std::string auto_pad = node.attr_string("auto_pad", "NOTSET");
  int64_t out_len[2];
  for (int a = 0; a < 2; ++a) {
    if (strides[a] < 1 || dil[a] < 1 || out_pad[a] < 0 || pads[a] < 0 || pads[a + 2] < 0 ||
        strides[a] > kMaxWindow || dil[a] > kMaxWindow || out_pad[a] > kMaxWindow ||
        pads[a] > kMaxWindow || pads[a + 2] > kMaxWindow ||
        (!out_shape.empty() && (out_shape[a] < 1 || out_shape[a] > kMaxActivationElements))) {
      return invalid_model(node.label() + ": bad strides, dilations or pads");
    }
    const int64_t in = xs[2 + a], k = ws[2 + a];
    const int64_t full = strides[a] * (in - 1) + out_pad[a] + (k - 1) * dil[a] + 1;
    if (!out_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // The output size is given; the pads follow from it. A target larger than the full
      // output is reached by extra rows and columns at the end that only get the bias.
      const int64_t target = out_shape.empty() ? in * strides[a] : out_shape[a];
      const int64_t total = std::max<int64_t>(0, full - target);
      pads[a] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pads[a + 2] = total - pads[a];
      out_len[a] = target;
    } else {
      if (auto_pad == "VALID") pads[a] = pads[a + 2] = 0;
      out_len[a] = full - pads[a] - pads[a + 2];
    }
    if (out_len[a] > kMaxActivationElements) {
      return Status(ErrorCode::kOutOfMemory, node.label() + ": output too large");
    }
    if (out_len[a] < 1) return invalid_model(node.label() + ": empty output");
  }
  ConvTransposeStep op;
  if (l.present(node, 2)) INSTYLE_RETURN_IF_ERROR(l.known_floats(node, 2, "bias", O, &op.bias));
  op.weight = wdata;
  ConvTransposeShape& c = op.convt;
  c.N = xs[0];
  c.C = xs[1];
  c.H = xs[2];
  c.W = xs[3];
  c.O = O;
  c.kH = ws[2];
  c.kW = ws[3];
  c.stride_h = strides[0];
  c.stride_w = strides[1];
  c.dilation_h = dil[0];
  c.dilation_w = dil[1];
  c.pad_top = pads[0];
  c.pad_left = pads[1];
  c.groups = group;
  c.OH = out_len[0];
  c.OW = out_len[1];
  step->inputs = {node.inputs[0]};
  step->op = std::move(op);
  return l.set_output(node, 0, {xs[0], O, out_len[0], out_len[1]});
}

double ConvTransposeStep::flops(std::size_t) const {
  const ConvTransposeShape& c = convt;
  return 2.0 * c.N * c.C * c.H * c.W * (c.O / c.groups) * c.kH * c.kW;
}

Status ConvTransposeStep::run(const StepArgs& a) const {
  conv_transpose2d_f32(a.y, a.x[0], weight, bias, convt);
  if (a.step.relu) relu_f32(a.y, a.y, convt.N * convt.O * convt.OH * convt.OW);
  return Status();
}

Status ConvTransposeStep::field(const Plan&, const Step&, Axis axes[2]) const {
  const ConvTransposeShape& c = convt;
  axes[0] = through_conv_transpose(axes[0], c.kH, c.stride_h, c.dilation_h, c.pad_top);
  axes[1] = through_conv_transpose(axes[1], c.kW, c.stride_w, c.dilation_w, c.pad_left);
  return Status();
}

}  // namespace instyle::model
