// A fork-join pool. One job runs at a time; the submitting thread runs the first range itself
// and waits for the rest.
//
// Waiting spins before it sleeps. A network is a chain of jobs a few microseconds to a few
// milliseconds long with little between them; a worker that slept on a condition variable after
// every job cost a futex wake per job and per thread (in WebAssembly an Atomics.notify that
// reaches a worker some 50-300 us later): at 2 threads a 256x256 live network's three Adds
// took 0.85 ms instead of 0.11, and the whole network ran in 43 ms instead of 37. So a waiting
// thread first polls for up to kSpinTime, which catches the next job of the same run (and the
// end of a job whose other half took longer), and only then sleeps, so an idle pool costs
// nothing. Measured on that network: polling 20 us or 500 us left it at 40-42 ms; 2 ms and 5 ms
// gave 37 (a worker that finishes its half of an uneven convolution early waits that long).
// Only while a KeepThreadsWarm lives (the model runner's steps): single ops called between
// other work sleep at once, or the polling threads would take the cores that work needs (the
// invariance lab in Chromium ran at 31 updates/s with 2 threads polling, 37 with one thread).
//
// The job is one atomic word, generation and chunk count together, so a worker that takes no
// part in a job (more threads than chunks) cannot pair one job's generation with the next
// one's count. The function and the size are plain fields: written before the word changes,
// and read only by the job's own workers, whose pending count keeps them from changing until
// they are done.
//
// Sleeping without lost wake-ups: a thread announces it is about to sleep (sleepers_ or
// waiting_, sequentially consistent) under the mutex and re-checks its condition in the wait;
// the other side changes the condition first, then reads the announcement, and notifies under
// the mutex only if someone sleeps or is about to. Either the sleeper sees the change, or the
// notifier sees the sleeper.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

namespace instyle {
namespace {

constexpr std::chrono::microseconds kSpinTime(2000);

std::atomic<int> warm_scopes{0};  // KeepThreadsWarm objects alive

// Polls ready() until it holds (true), or kSpinTime has passed or no KeepThreadsWarm is left
// (false).
template <typename Ready>
bool spin_until(Ready ready) {
  using Clock = std::chrono::steady_clock;
  if (ready()) return true;
  if (warm_scopes.load(std::memory_order_relaxed) == 0) return false;
  const Clock::time_point deadline = Clock::now() + kSpinTime;
  for (unsigned i = 1;; ++i) {
    if (ready()) return true;
    if (i % 1024 == 0 &&
        (Clock::now() > deadline || warm_scopes.load(std::memory_order_relaxed) == 0)) {
      return false;
    }
  }
}
constexpr int kChunkBits = 8;  // chunks <= threads <= 64

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // A new worker must not take the last finished job for a new one: it starts from the
    // current generation (all workers are joined here).
    const std::uint64_t current = job_.load();
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, i, current] { loop(i, current); });
  }

  void run(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
           std::size_t grain) {
    const std::size_t max_chunks = std::max<std::size_t>(1, n / std::max<std::size_t>(1, grain));
    const std::size_t chunks = std::min<std::size_t>(size(), max_chunks);
    if (chunks <= 1) {
      fn(0, n);
      return;
    }
    fn_ = &fn;
    n_ = n;
    pending_.store(chunks - 1);
    job_.store(((job_.load() >> kChunkBits) + 1) << kChunkBits | chunks);
    if (sleepers_.load() > 0) {
      std::lock_guard<std::mutex> lock(mu_);
      wake_.notify_all();
    }
    run_chunk(0, chunks);
    const auto finished = [this] { return pending_.load() == 0; };
    if (!spin_until(finished)) {
      std::unique_lock<std::mutex> lock(mu_);
      waiting_.store(true);
      done_.wait(lock, finished);
      waiting_.store(false);
    }
    fn_ = nullptr;
  }

 private:
  void run_chunk(std::size_t i, std::size_t chunks) {
    const std::size_t begin = n_ * i / chunks, end = n_ * (i + 1) / chunks;
    if (begin < end) (*fn_)(begin, end);
  }

  // Waits for a job other than `seen` (or stop); returns it.
  std::uint64_t await_job(std::uint64_t seen) {
    const auto changed = [&] { return stop_ || job_.load() != seen; };
    if (!spin_until(changed)) {
      std::unique_lock<std::mutex> lock(mu_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, changed);
      sleepers_.fetch_sub(1);
    }
    return job_.load();
  }

  void loop(int index, std::uint64_t seen) {
    for (;;) {
      seen = await_job(seen);
      if (stop_) return;
      const std::size_t chunks = seen & ((1u << kChunkBits) - 1);
      if (static_cast<std::size_t>(index) >= chunks) continue;
      run_chunk(static_cast<std::size_t>(index), chunks);
      if (pending_.fetch_sub(1) == 1 && waiting_.load()) {
        std::lock_guard<std::mutex> lock(mu_);
        done_.notify_one();
      }
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> job_{0};  // generation << kChunkBits | chunks
  std::atomic<std::size_t> pending_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> waiting_{false};
  // The job: written by the submitter before the generation changes, read-only until it ends.
  const std::function<void(std::size_t, std::size_t)>* fn_ = nullptr;
  std::size_t n_ = 0;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

KeepThreadsWarm::KeepThreadsWarm() {
  warm_scopes.fetch_add(1, std::memory_order_relaxed);
}

KeepThreadsWarm::~KeepThreadsWarm() {
  warm_scopes.fetch_sub(1, std::memory_order_relaxed);
}

void set_num_threads(int n) {
  n = std::clamp(n, 1, 64);
  if (n != pool().size()) pool().resize(n);
}

int num_threads() {
  return pool().size();
}

void parallel_for(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn,
                  std::size_t grain) {
  if (n == 0) return;
  pool().run(n, fn, grain);
}

}  // namespace instyle
