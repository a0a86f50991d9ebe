// Normalization kernels at a typical stylization-network activation, 1x64x256x256 (16 MiB).
// They are memory bound, so each reports bytes/s counted like memcpy's (every byte read once
// and written once: 2 * tensor bytes) and sits beside a memcpy of the same tensor, the
// ceiling to compare against. The *_ref rows are the scalar double-precision oracles.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "norm.h"

namespace {

constexpr std::size_t kN = 1, kC = 64, kHW = 256 * 256, kCount = kN * kC * kHW;

// 64-byte aligned, as a graph runner's arena hands tensors out: with AVX-512 every vector
// access to a misaligned tensor touches two cache lines (the offset:4 rows show the cost).
struct Buffer {
  explicit Buffer(std::size_t n)
      : data(static_cast<float*>(std::aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64 + 64))) {
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  float* data;
};

struct Tensors {
  Buffer x{kCount + 16}, y{kCount + 16};
  std::vector<float> gamma, beta, mean, var;
  Tensors() : gamma(kC), beta(kC), mean(kC), var(kC) {
    std::mt19937 rng(7);
    std::normal_distribution<float> dist(0.5f, 2.f);
    for (std::size_t i = 0; i < kCount + 16; ++i) x.data[i] = dist(rng);
    std::fill(y.data, y.data + kCount + 16, 0.f);
    for (std::size_t c = 0; c < kC; ++c) {
      gamma[c] = 1.f + 0.01f * float(c);
      beta[c] = 0.1f * float(c);
      mean[c] = 0.5f;
      var[c] = 4.f;
    }
  }
};

Tensors& tensors() {
  static Tensors t;
  return t;
}

void finish(benchmark::State& state) {
  state.SetBytesProcessed(std::int64_t(state.iterations()) * 2 * kCount * sizeof(float));
}

// state.range(0): offset in floats from 64-byte alignment, for the misaligned rows.
void BM_Memcpy(benchmark::State& state) {
  auto& t = tensors();
  const std::size_t off = std::size_t(state.range(0));
  for (auto _ : state) {
    std::memcpy(t.y.data + off, t.x.data + off, kCount * sizeof(float));
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_InstanceNorm(benchmark::State& state) {
  auto& t = tensors();
  const std::size_t off = std::size_t(state.range(1));
  for (auto _ : state) {
    instyle::instance_norm_f32(t.y.data + off, t.x.data + off, t.gamma.data(), t.beta.data(), kN,
                               kC, kHW, 1e-5f, state.range(0) != 0);
    benchmark::ClobberMemory();
  }
  finish(state);
}

// In place (y == x): what a graph runner that reuses the activation buffer sees. Each run
// normalizes the previous output again, which is harmless (IN of IN is IN).
void BM_InstanceNormInPlace(benchmark::State& state) {
  auto& t = tensors();
  std::memcpy(t.y.data, t.x.data, kCount * sizeof(float));
  for (auto _ : state) {
    instyle::instance_norm_f32(t.y.data, t.y.data, nullptr, nullptr, kN, kC, kHW, 1e-5f, false);
    benchmark::ClobberMemory();
  }
  finish(state);
}

// The same result in two sweeps, statistics of every plane then the apply: what the
// one-sweep instance_norm_f32 saves.
void BM_InstanceNormTwoSweeps(benchmark::State& state) {
  auto& t = tensors();
  std::vector<float> mean(kN * kC), var(kN * kC);
  for (auto _ : state) {
    instyle::instance_stats_f32(mean.data(), var.data(), t.x.data, kN, kC, kHW);
    instyle::instance_norm_with_stats_f32(t.y.data, t.x.data, mean.data(), var.data(),
                                          t.gamma.data(), t.beta.data(), kN, kC, kHW, 1e-5f, true);
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_InstanceNormRef(benchmark::State& state) {
  auto& t = tensors();
  for (auto _ : state) {
    instyle::instance_norm_f32_ref(t.y.data, t.x.data, t.gamma.data(), t.beta.data(), kN, kC, kHW,
                                   1e-5f, true);
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_BatchNormInference(benchmark::State& state) {
  auto& t = tensors();
  for (auto _ : state) {
    instyle::batch_norm_f32(t.y.data, t.x.data, t.mean.data(), t.var.data(), t.gamma.data(),
                            t.beta.data(), kN, kC, kHW, 1e-5f, true);
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_BatchNormTrain(benchmark::State& state) {
  auto& t = tensors();
  std::vector<float> bm(kC), bv(kC);
  for (auto _ : state) {
    instyle::batch_norm_train_f32(t.y.data, bm.data(), bv.data(), t.x.data, t.gamma.data(),
                                  t.beta.data(), kN, kC, kHW, 1e-5f, true);
    benchmark::ClobberMemory();
  }
  finish(state);
}

// LN over the whole sample: the 16 MiB row does not fit in cache, so the statistics passes
// and the apply pass each stream it from memory.
void BM_LayerNorm(benchmark::State& state) {
  auto& t = tensors();
  float mean, rstd;
  for (auto _ : state) {
    instyle::layer_norm_f32(t.y.data, &mean, &rstd, t.x.data, nullptr, nullptr, kN, kC * kHW,
                            1e-5f);
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_GroupNorm(benchmark::State& state) {
  auto& t = tensors();
  for (auto _ : state) {
    instyle::group_norm_f32(t.y.data, t.x.data, t.gamma.data(), t.beta.data(), kN, kC, kHW,
                            std::size_t(state.range(0)), 1e-5f, true);
    benchmark::ClobberMemory();
  }
  finish(state);
}

void BM_AdaIN(benchmark::State& state) {
  auto& t = tensors();
  for (auto _ : state) {
    instyle::adain_f32(t.y.data, t.x.data, t.beta.data(), t.gamma.data(), kN, kC, kHW, 1.f, 1e-5f);
    benchmark::ClobberMemory();
  }
  finish(state);
}

BENCHMARK(BM_Memcpy)->ArgName("offset")->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstanceNorm)
    ->ArgNames({"relu", "offset"})
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({1, 4})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstanceNormInPlace)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstanceNormTwoSweeps)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_InstanceNormRef)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatchNormInference)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BatchNormTrain)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_LayerNorm)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_GroupNorm)->ArgName("groups")->Arg(32)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AdaIN)->Unit(benchmark::kMillisecond);

}  // namespace
