#include "model/place.h"

#include <algorithm>
#include <string>
#include <utility>

#include "model/lowering.h"

namespace instyle::model {
namespace {

// All activations live at once: just under 4 GiB in wasm32 (all of its memory), 256 GiB natively.
constexpr uint64_t kMaxArenaFloats =
    sizeof(void*) == 4 ? (uint64_t(1) << 30) - (uint64_t(1) << 24) : uint64_t(1) << 36;
constexpr std::size_t kAlignFloats = 16;

int root(const Plan& p, int v) {
  while (p.alias_of[v] >= 0) v = p.alias_of[v];
  return v;
}

}  // namespace

std::size_t align_floats(std::size_t n) {
  return (n + kAlignFloats - 1) / kAlignFloats * kAlignFloats;
}

Placement place_buffers(const std::vector<BufferLife>& buffers) {
  std::vector<std::size_t> order(buffers.size());
  for (std::size_t b = 0; b < order.size(); ++b) order[b] = b;
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return buffers[a].size > buffers[b].size; });
  Placement p;
  p.offsets.assign(buffers.size(), 0);
  std::vector<std::size_t> placed;
  std::vector<std::pair<uint64_t, uint64_t>> busy;
  for (std::size_t b : order) {
    busy.clear();
    for (std::size_t o : placed) {
      if (buffers[o].first <= buffers[b].last && buffers[b].first <= buffers[o].last) {
        busy.push_back({p.offsets[o], p.offsets[o] + buffers[o].size});
      }
    }
    std::sort(busy.begin(), busy.end());
    uint64_t at = 0;
    for (const auto& r : busy) {
      if (r.first >= at + buffers[b].size) break;
      at = std::max(at, r.second);
    }
    p.offsets[b] = at;
    p.arena = std::max(p.arena, at + buffers[b].size);
    placed.push_back(b);
  }
  return p;
}

Status assign_arena(const Graph& g, Plan* plan) {
  Plan& p = *plan;
  const std::size_t steps = p.steps.size();
  // Buffers: one per step output, shared by the views of that output.
  std::vector<BufferLife> buffers;
  std::vector<bool> live;
  std::vector<int> buffer_of(p.values.size(), -1);
  for (std::size_t i = 0; i < steps; ++i) {
    const int v = p.steps[i].output;
    buffer_of[v] = static_cast<int>(buffers.size());
    buffers.push_back({align_floats(static_cast<std::size_t>(product(p.values[v].shape))), i, i});
    live.push_back(true);
  }
  auto buffer_of_root = [&](int v) { return buffer_of[root(p, v)]; };
  for (std::size_t i = 0; i < steps; ++i) {
    for (int v : p.steps[i].inputs) {
      const int b = buffer_of_root(v);
      if (b >= 0) buffers[b].last = std::max(buffers[b].last, i);
    }
  }
  for (int v : g.outputs) {
    const int b = buffer_of_root(v);
    if (b >= 0) buffers[b].last = steps;  // alive after the last step, for the caller
  }

  // In place: a step may write over an input that nothing reads afterwards, where its kind
  // allows it (element-wise kinds).
  for (std::size_t i = 0; i < steps; ++i) {
    const Step& s = p.steps[i];
    const int out = buffer_of[s.output];
    for (std::size_t k = 0; k < s.inputs.size(); ++k) {
      if (!std::visit([&](const auto& op) { return op.may_overwrite(k); }, s.op)) continue;
      const int in = buffer_of_root(s.inputs[k]);
      if (in < 0 || buffers[in].last != i || buffers[in].size != buffers[out].size) continue;
      // Both operands reading the same buffer is fine; it is still read once per element.
      buffers[in].last = buffers[out].last;
      live[out] = false;
      for (int& b : buffer_of) {
        if (b == out) b = in;
      }
      break;
    }
  }

  std::vector<BufferLife> placed;
  std::vector<int> index(buffers.size(), -1);  // buffer -> its entry in `placed`
  for (std::size_t b = 0; b < buffers.size(); ++b) {
    if (!live[b]) continue;
    index[b] = static_cast<int>(placed.size());
    placed.push_back(buffers[b]);
  }
  const Placement placement = place_buffers(placed);
  if (placement.arena > kMaxArenaFloats) {
    return Status(ErrorCode::kOutOfMemory, "the plan needs " +
                                               std::to_string(placement.arena * 4 >> 20) +
                                               " MiB for activations, more than the " +
                                               std::to_string(kMaxArenaFloats * 4 >> 20) +
                                               " MiB this build can address; try a smaller input");
  }
  p.arena_floats = static_cast<std::size_t>(placement.arena);

  for (std::size_t v = 0; v < p.values.size(); ++v) {
    PlannedValue& pv = p.values[v];
    if (pv.known) {
      pv.slot.kind = Slot::kConst;
      pv.slot.data = onnx::is_float_type(pv.known->data_type) ? pv.known->floats.data() : nullptr;
      continue;
    }
    const int r = root(p, static_cast<int>(v));
    if (p.values[r].slot.kind == Slot::kInput) {
      pv.slot = p.values[r].slot;
    } else if (buffer_of[r] >= 0) {
      pv.slot.kind = Slot::kArena;
      pv.slot.offset = static_cast<std::size_t>(placement.offsets[index[buffer_of[r]]]);
    }
  }
  return Status();
}

}  // namespace instyle::model
