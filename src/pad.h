// pad.h: spatial padding modes shared by Pad and Conv, and the Pad kernel itself.
//
//   // x: [NC, H, W] -> y: [NC, H + top + bottom, W + left + right]
//   instyle::pad_f32(y, x, NC, H, W, top, left, bottom, right, instyle::PadMode::kReflect, 0.f);
#pragma once

#include <cstddef>
#include <cstdint>

namespace instyle {

// kZeros: a constant (0 for convolutions); kReflect: mirror without repeating the edge
// (ONNX "reflect", PyTorch ReflectionPad2d; needs pad < size); kEdge: repeat the edge value.
enum class PadMode { kZeros, kReflect, kEdge };

// Maps a coordinate i in [-pad, size + pad) to [0, size) for kReflect / kEdge.
// Returns -1 for kZeros outside [0, size) (the caller uses the constant).
inline std::ptrdiff_t pad_source_index(std::ptrdiff_t i, std::ptrdiff_t size, PadMode mode) {
  if (i >= 0 && i < size) return i;
  switch (mode) {
    case PadMode::kZeros:
      return -1;
    case PadMode::kEdge:
      return i < 0 ? 0 : size - 1;
    case PadMode::kReflect: {
      if (size == 1) return 0;
      const std::ptrdiff_t period = 2 * (size - 1);
      std::ptrdiff_t m = i % period;
      if (m < 0) m += period;
      return m < size ? m : period - m;
    }
  }
  return -1;
}

// y: [NC, H + top + bottom, W + left + right]; `value` fills kZeros padding.
void pad_f32(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
             std::size_t top, std::size_t left, std::size_t bottom, std::size_t right, PadMode mode,
             float value);
void pad_f32_ref(float* y, const float* x, std::size_t NC, std::size_t H, std::size_t W,
                 std::size_t top, std::size_t left, std::size_t bottom, std::size_t right,
                 PadMode mode, float value);

}  // namespace instyle
