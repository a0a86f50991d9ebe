// threads.h: how the step kinds split their work across the thread pool (parallel.h).
#pragma once

#include <algorithm>
#include <cstddef>

#include "parallel.h"

namespace instyle::model {

// Element ranges of at least 16K floats, so threads are not woken for tiny tensors.
constexpr std::size_t kElementGrain = 1 << 14;

// Splits [0, n) items across the pool with at least `grain` items per range.
template <class F>
void split(std::size_t n, std::size_t grain, F&& f) {
  parallel_for(
      n, [&](std::size_t b, std::size_t e) { f(b, e); }, std::max<std::size_t>(1, grain));
}

// Planes per range so a range holds about kElementGrain floats.
inline std::size_t plane_grain(std::size_t plane) {
  return std::max<std::size_t>(1, kElementGrain / std::max<std::size_t>(1, plane));
}

}  // namespace instyle::model
