// heap_buffer.h: the engine's one way to allocate a large block (activations, workspaces, photos,
// scratch). WASM builds have no exceptions, so std::vector's bad_alloc would abort the module;
// here a failed or impossible allocation is a Status (OUT_OF_MEMORY naming what it was for)
// and the module stays usable. Blocks are 64-byte aligned (a cache line, and any SIMD width).
//
//   HeapBuffer<float> scratch;
//   INSTYLE_RETURN_IF_ERROR(scratch.resize(3 * w * h, "the network input"));
//   use(scratch.data());                       // freed with the buffer, or by clear()
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "status.h"

namespace instyle {

// Whether malloc may be asked for `bytes`. wasm32 addresses 4 GiB; and requests above 2 GiB
// that would take the heap within 16 MiB of 4 GiB are refused, because Emscripten 3.1.6's
// pthreads allocator returns a block it cannot back for such sizes instead of null (seen in
// tests/js/errors.test.mjs). Natively: up to 2^48 bytes.
inline bool fits_in_heap(std::uint64_t bytes) {
  constexpr std::uint64_t kMaxBytes =
      sizeof(void*) == 4 ? (std::uint64_t{1} << 32) : (std::uint64_t{1} << 48);
  if (bytes >= kMaxBytes - 64) return false;
#if defined(__wasm__)
  const std::uint64_t heap = std::uint64_t(__builtin_wasm_memory_size(0)) * 65536;
  return bytes <= (std::uint64_t{1} << 31) || bytes + heap + (std::uint64_t{16} << 20) <= kMaxBytes;
#else
  return true;
#endif
}

// "12.5 MiB": how allocation errors state a size.
inline std::string mib_string(std::uint64_t bytes) {
  const std::uint64_t tenths = (bytes * 10 + (1 << 19)) >> 20;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

template <class T>
class HeapBuffer {
 public:
  HeapBuffer() = default;
  HeapBuffer(const HeapBuffer&) = delete;
  HeapBuffer& operator=(const HeapBuffer&) = delete;
  HeapBuffer(HeapBuffer&& o) noexcept { swap(o); }
  HeapBuffer& operator=(HeapBuffer&& o) noexcept {
    swap(o);
    return *this;
  }
  ~HeapBuffer() { std::free(data_); }

  // Room for n elements (contents not kept). A block that is large enough is kept, so that
  // the tiles of one photo, which differ a little in size, do not fragment the heap.
  Status resize(std::size_t n, const std::string& what) {
    if (n <= capacity_) {
      size_ = n;
      return Status();
    }
    clear();
    const std::uint64_t bytes = std::uint64_t(n) * sizeof(T);
    if (n > SIZE_MAX / sizeof(T) || !fits_in_heap(bytes)) return failure(bytes, what);
    const std::size_t rounded = (static_cast<std::size_t>(bytes) + 63) / 64 * 64;
    data_ = static_cast<T*>(std::aligned_alloc(64, rounded));
    if (!data_) return failure(bytes, what);
    size_ = capacity_ = n;
    return Status();
  }

  // Gives the block back.
  void clear() {
    std::free(data_);
    data_ = nullptr;
    size_ = capacity_ = 0;
  }

  T* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  static Status failure(std::uint64_t bytes, const std::string& what) {
#if defined(__wasm__)
    const char* where = " in the WebAssembly heap";
#else
    const char* where = "";
#endif
    return Status(ErrorCode::kOutOfMemory,
                  "cannot allocate " + mib_string(bytes) + " for " + what + where);
  }
  void swap(HeapBuffer& o) {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }

  T* data_ = nullptr;
  std::size_t size_ = 0, capacity_ = 0;
};

}  // namespace instyle
