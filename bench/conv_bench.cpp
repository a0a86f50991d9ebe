// Convolution layers of the pytorch/examples TransformerNet (fast neural style) at a 256x256
// input, the bulk of its 20 GFLOP. Each reports GFLOP/s (2 * multiply-adds per second);
// compare with the core's fp32 peak (2 FMA/cycle x lanes x 2 FLOP x clock).
//
//   ./build/instyle_bench --benchmark_filter=Conv2d
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "conv.h"

namespace {

using instyle::Conv2dShape;

Conv2dShape layer(std::size_t C, std::size_t O, std::size_t HW, std::size_t k, std::size_t stride) {
  Conv2dShape s;
  s.C = C;
  s.O = O;
  s.H = s.W = HW;
  s.kH = s.kW = k;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = k / 2;
  s.pad_mode = instyle::PadMode::kReflect;  // TransformerNet's ReflectionPad2d
  return s;
}

std::vector<float> random_floats(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

void run(benchmark::State& state, const Conv2dShape& s, bool relu) {
  const auto x = random_floats(s.N * s.C * s.H * s.W, 1);
  const auto w = random_floats(s.O * s.C / s.groups * s.kH * s.kW, 2);
  const auto b = random_floats(s.O, 3);
  std::vector<float> y(s.N * s.O * s.out_h() * s.out_w());
  std::vector<float> ws(instyle::conv2d_workspace_size(s));
  for (auto _ : state) {
    instyle::conv2d_f32(y.data(), x.data(), w.data(), b.data(), s, relu, ws.data());
    benchmark::DoNotOptimize(y.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(s.flops() * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}

// The ten residual convs at 1/4 resolution.
void BM_Conv2d_3x3_128to128_64x64(benchmark::State& state) {
  run(state, layer(128, 128, 64, 3, 1), false);
}
// The same residual conv at a 512x512 input (1/4 resolution: 128x128).
void BM_Conv2d_3x3_128to128_128x128(benchmark::State& state) {
  run(state, layer(128, 128, 128, 3, 1), false);
}
// A 3x3 conv with 32 channels at full resolution (the upsampling stage's last 3x3 width).
void BM_Conv2d_3x3_32to32_256x256(benchmark::State& state) {
  run(state, layer(32, 32, 256, 3, 1), true);
}
// The first layer, on the RGB image.
void BM_Conv2d_9x9_3to32_256x256(benchmark::State& state) {
  run(state, layer(3, 32, 256, 9, 1), false);
}
// The first downsampling conv.
void BM_Conv2d_3x3s2_32to64_256x256(benchmark::State& state) {
  run(state, layer(32, 64, 256, 3, 2), false);
}
// The second downsampling conv.
void BM_Conv2d_3x3s2_64to128_128x128(benchmark::State& state) {
  run(state, layer(64, 128, 128, 3, 2), false);
}
// The upsampling stage's convs, after nearest 2x.
void BM_Conv2d_3x3_128to64_128x128(benchmark::State& state) {
  run(state, layer(128, 64, 128, 3, 1), false);
}
// The same conv reading the 64x64 tensor with the 2x upsampling folded in (conv.h: up_h,
// up_w), as the model planner runs it: compare with the line above, which reads a tensor
// already upsampled to 128x128.
void BM_Conv2d_3x3_128to64_up2_64x64(benchmark::State& state) {
  Conv2dShape s = layer(128, 64, 64, 3, 1);
  s.up_h = s.up_w = 2;
  run(state, s, false);
}
// The last upsampling conv, folded: 64 channels at 128x128 in, 32 at 256x256 out.
void BM_Conv2d_3x3_64to32_up2_128x128(benchmark::State& state) {
  Conv2dShape s = layer(64, 32, 128, 3, 1);
  s.up_h = s.up_w = 2;
  run(state, s, false);
}
void BM_Conv2d_3x3_64to32_256x256(benchmark::State& state) {
  run(state, layer(64, 32, 256, 3, 1), false);
}
// The last layer, back to RGB.
void BM_Conv2d_9x9_32to3_256x256(benchmark::State& state) {
  run(state, layer(32, 3, 256, 9, 1), false);
}
// Not in TransformerNet: a depthwise 3x3 (MobileNet-style) and a pointwise 1x1.
void BM_Conv2d_Depthwise3x3_128_64x64(benchmark::State& state) {
  Conv2dShape s = layer(128, 128, 64, 3, 1);
  s.groups = 128;
  run(state, s, true);
}
void BM_Conv2d_1x1_128to128_64x64(benchmark::State& state) {
  run(state, layer(128, 128, 64, 1, 1), true);
}

// 3x3 stride-1 convs over channel counts around the Winograd threshold (winograd.cpp): args
// C, O, plane size. Compare with a build where -DINSTYLE_WINOGRAD_MIN_CHANNELS=100000 sends
// every shape to the im2col path.
void BM_Conv2d_3x3_Sweep(benchmark::State& state) {
  run(state,
      layer(std::size_t(state.range(0)), std::size_t(state.range(1)), std::size_t(state.range(2)),
            3, 1),
      false);
}
BENCHMARK(BM_Conv2d_3x3_Sweep)
    ->ArgsProduct({{8, 12, 16, 24, 32, 64}, {8, 16, 32, 64}, {32, 128}})
    ->Unit(benchmark::kMillisecond);

BENCHMARK(BM_Conv2d_3x3_128to128_64x64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_128to128_128x128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_32to32_256x256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_9x9_3to32_256x256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3s2_32to64_256x256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3s2_64to128_128x128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_128to64_128x128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_128to64_up2_64x64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_64to32_256x256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_3x3_64to32_up2_128x128)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_9x9_32to3_256x256)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_Depthwise3x3_128_64x64)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Conv2d_1x1_128to128_64x64)->Unit(benchmark::kMillisecond);

}  // namespace
