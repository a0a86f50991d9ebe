// threaded.h: the threaded drivers over the kernels, shared by both entry points: the checked
// API (api.h, what JS calls op by op) and the model runner's steps (model/steps/). Each splits
// independent planes, output channels or output rows over parallel_for's pool; every kernel
// call covers a contiguous run, so the split never changes a kernel's arithmetic and any
// thread count gives the same bits. Pointers as in the kernels' headers (norm.h, conv.h); nothing
// is allocated.
//
//   instance_norm_threaded(y, x, gamma, beta, N, C, HW, 1e-5f, /*relu=*/true);
//   const ConvSplit split = conv2d_split(shape, num_threads());
//   std::vector<float> ws(conv2d_threaded_workspace(shape, split) * split.parts());
//   conv2d_threaded(y, x, w, bias, shape, relu, split, ws.data(), ws.size() / split.parts());
#pragma once

#include <cstddef>
#include <vector>

#include "conv.h"

namespace instyle {

// Below this many floats per task, waking another thread costs more than it saves.
constexpr std::size_t kMinFloatsPerTask = 16384;

// Items per task so that a task holds about kMinFloatsPerTask floats.
inline std::size_t grain_for(std::size_t floats_per_item) {
  const std::size_t per = floats_per_item > 0 ? floats_per_item : 1;
  return kMinFloatsPerTask / per > 0 ? kMinFloatsPerTask / per : 1;
}

// Instance norm of N*C planes of HW; gamma/beta may be null (1 and 0). With mean and var (N*C
// each, e.g. replayed from another run) those statistics are used instead of each plane's own.
void instance_norm_threaded(float* y, const float* x, const float* gamma, const float* beta,
                            std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu,
                            const float* mean = nullptr, const float* var = nullptr);

// Each plane's mean and biased variance.
void instance_stats_threaded(float* mean, float* var, const float* x, std::size_t planes,
                             std::size_t HW);

// Batch norm (inference) with per-channel mean and var; gamma/beta may be null.
void batch_norm_threaded(float* y, const float* x, const float* mean, const float* var,
                         const float* gamma, const float* beta, std::size_t N, std::size_t C,
                         std::size_t HW, float eps, bool relu);

// How conv2d_threaded splits a convolution into parts, at most one per thread:
//   by output channels: whole groups when grouped, multiples of 8 channels otherwise where
//     that still gives every thread work (the SIMD kernels block output channels by 8);
//   by output rows, for Winograd ones (whole tile rows): split by channels, every part would
//     transform the whole input, the same work once per thread (for 32 -> 16 channels a third
//     of the layer: it ran 1.68x faster on 2 threads, and 16 -> 3 not faster at all).
struct ConvSplit {
  bool by_rows = false;
  std::vector<std::size_t> ranges;  // boundaries, in output channels or rows: parts() + 1
  std::size_t parts() const { return ranges.size() - 1; }
};
ConvSplit conv2d_split(const Conv2dShape& s, int threads);

// Workspace floats one part needs (the largest over the parts).
std::size_t conv2d_threaded_workspace(const Conv2dShape& s, const ConvSplit& split);

// The convolution of s.N samples, one at a time, each split over the pool as `split` says;
// part r uses workspace + r * workspace_per_part.
void conv2d_threaded(float* y, const float* x, const float* w, const float* bias,
                     const Conv2dShape& s, bool relu, const ConvSplit& split, float* workspace,
                     std::size_t workspace_per_part);

}  // namespace instyle
