// parallel.h: a small fixed thread pool for splitting independent work (planes, tiles).
//
//   instyle::set_num_threads(2);
//   instyle::parallel_for(N * C, [&](std::size_t begin, std::size_t end) {
//     for (std::size_t p = begin; p < end; ++p) process_plane(p);
//   });
//
// Kernels stay single-threaded and pure; callers split their work with parallel_for. The
// calling thread takes a share too, so set_num_threads(1) (the default, and the only choice in
// a WASM build without pthreads) runs everything inline with no synchronization.
#pragma once

#include <cstddef>
#include <functional>

namespace instyle {

// Number of threads parallel_for uses, the caller included. Clamped to [1, 64].
void set_num_threads(int n);
int num_threads();

// Calls fn(begin, end) on disjoint ranges covering [0, n), at most one range per thread, and
// returns when all are done. Ranges hold at least `grain` items (except the last). Not
// reentrant: fn must not call parallel_for.
void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                  std::size_t grain = 1);

// While one of these lives, threads waiting for the next job poll for it for a while (about
// 2 ms) before they sleep: for a chain of jobs with little between them, such as the steps of
// a network, where a sleeping thread's wake-up costs more than the job (parallel.cpp). Without
// one, a waiting thread sleeps at once, so that callers who run single jobs between other work
// (the invariance lab's one op at a time) do not have idle threads spinning beside them.
class KeepThreadsWarm {
 public:
  KeepThreadsWarm();
  ~KeepThreadsWarm();
  KeepThreadsWarm(const KeepThreadsWarm&) = delete;
  KeepThreadsWarm& operator=(const KeepThreadsWarm&) = delete;
};

}  // namespace instyle
