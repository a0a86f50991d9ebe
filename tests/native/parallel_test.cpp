// The thread pool (src/parallel.h): every index covered exactly once, job after job, with
// fewer chunks than threads (workers that sit a job out), tiny jobs back to back with and
// without KeepThreadsWarm (the polling and the sleeping waits), jobs after the pool slept, and
// resizing in between.
#include "parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace instyle {
namespace {

// Runs `jobs` jobs of n items each and checks that every item ran once in each.
void check_jobs(int threads, std::size_t n, int jobs, std::size_t grain = 1) {
  set_num_threads(threads);
  std::vector<std::atomic<int>> hits(n);
  for (int j = 0; j < jobs; ++j) {
    for (auto& h : hits) h.store(0);
    parallel_for(
        n,
        [&](std::size_t begin, std::size_t end) {
          ASSERT_LT(begin, end);
          ASSERT_LE(end, n);
          for (std::size_t i = begin; i < end; ++i) hits[i].fetch_add(1);
        },
        grain);
    for (std::size_t i = 0; i < n; ++i)
      ASSERT_EQ(hits[i].load(), 1) << "job " << j << " item " << i;
  }
}

TEST(Parallel, EveryItemOnceAcrossManyTinyJobs) {
  for (int threads : {2, 3, 4, 8}) check_jobs(threads, 64, 500);  // waiting threads sleep
  {
    const KeepThreadsWarm warm;  // waiting threads poll first
    for (int threads : {2, 3, 4, 8}) check_jobs(threads, 64, 2000);
  }
  check_jobs(2, 64, 500);  // and sleep again
  set_num_threads(1);
}

TEST(Parallel, FewerChunksThanThreads) {
  // Alternating 2-chunk and 8-chunk jobs on 8 threads: workers 2..7 sit every other job out
  // and must not take the next job's count for the one they skipped.
  const KeepThreadsWarm warm;
  set_num_threads(8);
  for (int j = 0; j < 1000; ++j) {
    check_jobs(8, 2, 1);
    check_jobs(8, 8, 1);
    check_jobs(8, 5, 1);
  }
  set_num_threads(1);
}

TEST(Parallel, JobsAfterThePoolSleptAndAfterResizing) {
  set_num_threads(4);
  check_jobs(4, 1000, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));  // past the spin: workers sleep
  check_jobs(4, 1000, 3);
  set_num_threads(2);
  check_jobs(2, 1000, 3);
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  check_jobs(2, 7, 500);
  set_num_threads(1);
  check_jobs(1, 100, 3);
  EXPECT_EQ(num_threads(), 1);
}

TEST(Parallel, GrainBoundsTheChunkCount) {
  set_num_threads(4);
  std::atomic<int> calls{0};
  parallel_for(
      100,
      [&](std::size_t begin, std::size_t end) {
        calls.fetch_add(1);
        EXPECT_GE(end - begin, 50u);
      },
      50);
  EXPECT_EQ(calls.load(), 2);
  set_num_threads(1);
}

}  // namespace
}  // namespace instyle
