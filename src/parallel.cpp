// A fork-join pool: workers sleep on a condition variable between jobs. One job runs at a
// time; the submitting thread runs the first range itself and waits for the rest.
#include "parallel.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace instyle {
namespace {

class Pool {
 public:
  ~Pool() { resize(1); }

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  void resize(int n) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
      ++generation_;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // A new worker must not take the last finished job for a new one: it starts from the
    // current generation (all workers are joined here, so reading it unlocked is safe).
    const std::uint64_t current = generation_;
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
    std::unique_lock<std::mutex> lock(mu_);
    fn_ = &fn;
    n_ = n;
    chunks_ = chunks;
    pending_ = chunks - 1;
    ++generation_;
    lock.unlock();
    wake_.notify_all();
    run_chunk(0);
    lock.lock();
    done_.wait(lock, [this] { return pending_ == 0; });
    fn_ = nullptr;
  }

 private:
  void run_chunk(std::size_t i) {
    const std::size_t begin = n_ * i / chunks_, end = n_ * (i + 1) / chunks_;
    if (begin < end) (*fn_)(begin, end);
  }

  void loop(int index, std::uint64_t seen) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (static_cast<std::size_t>(index) >= chunks_) continue;
      lock.unlock();
      run_chunk(static_cast<std::size_t>(index));
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;
  const std::function<void(std::size_t, std::size_t)>* fn_ = nullptr;
  std::size_t n_ = 0, chunks_ = 0, pending_ = 0;
};

Pool& pool() {
  static Pool p;
  return p;
}

}  // namespace

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
