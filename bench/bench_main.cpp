// The one main() of instyle_bench: each bench/*_bench.cpp registers its benchmarks.
//
//   ./build/instyle_bench --benchmark_filter=InstanceNorm
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
