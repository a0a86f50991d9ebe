// place.h: where a plan's activations live. Every step output is a buffer alive from the step
// that writes it to the last step that reads it; buffers whose lifetimes do not overlap share
// memory in one arena. place_buffers() is the placement itself, a pure function over sizes
// and lifetimes; assign_arena() derives those from a plan (views share their source's buffer,
// element-wise steps may write over an input read for the last time) and gives every value
// its slot.
//
//   Placement p = place_buffers({{1024, 0, 1}, {512, 1, 2}, {1024, 2, 3}});
//   // p.offsets == {0, 1024, 0}: the third buffer reuses the first's memory; p.arena == 1536
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/graph.h"
#include "model/plan.h"

namespace instyle::model {

struct BufferLife {
  uint64_t size = 0;                // floats
  std::size_t first = 0, last = 0;  // steps that write it first and read it last, inclusive
};

struct Placement {
  std::vector<uint64_t> offsets;  // in floats, one per buffer
  uint64_t arena = 0;             // floats in all; 64-bit whatever size_t is
};

// Greedy by size: largest buffers first, each at the lowest offset that is free for its
// whole lifetime (close to optimal on chain-like graphs). Two buffers get overlapping
// memory only if their lifetimes do not overlap. Sizes should be aligned by the caller.
Placement place_buffers(const std::vector<BufferLife>& buffers);

// Liveness, in-place reuse and placement for `plan` (after fusion): sets arena_floats and
// every value's slot. Fails with kOutOfMemory past what the build can address.
Status assign_arena(const Graph& graph, Plan* plan);

// Floats rounded up so that offsets stay 64-byte aligned (a cache line, and any SIMD width).
std::size_t align_floats(std::size_t n);

}  // namespace instyle::model
