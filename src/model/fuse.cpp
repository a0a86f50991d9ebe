// fuse_steps(): folds a reflection or zero Pad and a nearest-neighbour upsampling before a
// convolution into it (its kernel pads and upsamples on the fly while gathering, so the
// padded and the upsampled tensors are never made), and a Relu into the Conv,
// InstanceNormalization, BatchNormalization or Add before it, when nothing else reads the
// intermediate value.
#include "model/fuse.h"

#include <utility>
#include <vector>

namespace instyle::model {
namespace {

int root(const Plan& p, int v) {
  while (p.alias_of[v] >= 0) v = p.alias_of[v];
  return v;
}

bool takes_relu(const StepOp& op) {
  if (const auto* b = std::get_if<BinaryStep>(&op)) return b->fn == BinaryFn::kAdd;
  return std::holds_alternative<ConvStep>(op) || std::holds_alternative<InstanceNormStep>(op) ||
         std::holds_alternative<BatchNormStep>(op);
}

}  // namespace

void fuse_steps(const Graph& g, Plan* plan) {
  Plan& p = *plan;
  std::vector<int> uses(p.values.size(), 0), producer(p.values.size(), -1);
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    for (int v : p.steps[i].inputs) ++uses[root(p, v)];
    producer[p.steps[i].output] = static_cast<int>(i);
  }
  for (int v : g.outputs) uses[root(p, v)] += 2;  // never fuse a graph output away
  for (std::size_t v = 0; v < p.alias_of.size(); ++v) {
    if (p.alias_of[v] >= 0) ++uses[root(p, static_cast<int>(v))];  // a view is a reader too
  }
  std::vector<bool> removed(p.steps.size(), false);
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    Step& s = p.steps[i];
    if (auto* conv = std::get_if<ConvStep>(&s.op)) {
      Conv2dShape& c = conv->conv;
      // The step that makes input value x, if only this conv reads x and x is not a view.
      auto sole_producer = [&](int x) {
        return p.alias_of[x] < 0 && uses[x] == 1 ? producer[x] : -1;
      };
      // The conv reads the producer's input instead (of H x W per plane); the producer goes.
      auto fold = [&](int pi, std::size_t H, std::size_t W) {
        s.inputs[0] = p.steps[pi].inputs[0];
        c.H = H;
        c.W = W;
        removed[pi] = true;
      };
      int pi = sole_producer(s.inputs[0]);
      const bool unpadded =
          c.pad_top == 0 && c.pad_left == 0 && c.pad_bottom == 0 && c.pad_right == 0;
      const PadStep* pad = pi >= 0 ? std::get_if<PadStep>(&p.steps[pi].op) : nullptr;
      if (pad && unpadded && pad->NC == c.N * c.C &&
          !(pad->mode == PadMode::kZeros && pad->value != 0.f)) {
        c.pad_top = pad->top;
        c.pad_left = pad->left;
        c.pad_bottom = pad->bottom;
        c.pad_right = pad->right;
        c.pad_mode = pad->mode;
        fold(pi, pad->H, pad->W);
        pi = sole_producer(s.inputs[0]);
      }
      // A nearest-neighbour upsampling by whole factors before it (TransformerNet's
      // UpsampleConvLayer: Resize, ReflectionPad, Conv): the conv reads the smaller tensor
      // in place, so the upsampled one, the largest of such a network, is never made.
      const UpsampleStep* up = pi >= 0 ? std::get_if<UpsampleStep>(&p.steps[pi].op) : nullptr;
      if (up && up->NC == c.N * c.C && c.up_h == 1 && c.up_w == 1) {
        c.up_h = up->scale_h;
        c.up_w = up->scale_w;
        fold(pi, up->H, up->W);
      }
    } else if (const auto* u = std::get_if<UnaryStep>(&s.op); u && u->fn == UnaryFn::kRelu) {
      const int x = s.inputs[0];
      const int pi = p.alias_of[x] < 0 ? producer[x] : -1;
      if (pi < 0 || uses[x] != 1 || removed[pi]) continue;
      Step& prev = p.steps[pi];
      if (!takes_relu(prev.op) || prev.relu) continue;
      prev.relu = true;
      prev.output = s.output;
      producer[s.output] = pi;
      removed[i] = true;
    }
  }
  std::vector<Step> kept;
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (!removed[i]) kept.push_back(std::move(p.steps[i]));
  }
  p.steps = std::move(kept);
}

}  // namespace instyle::model
