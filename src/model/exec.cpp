// The executor: one switch over step kinds, each calling a kernel (SIMD where the engine has
// one) on pointers the plan resolved, split across threads by planes or output channels.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "eltwise.h"
#include "model/plan.h"
#include "norm.h"
#include "parallel.h"

namespace instyle::model {
namespace {

// Splits [0, n) items across the pool with at least `grain` items per range.
template <class F>
void split(std::size_t n, std::size_t grain, F&& f) {
  parallel_for(
      n, [&](std::size_t b, std::size_t e) { f(b, e); }, std::max<std::size_t>(1, grain));
}

// Element ranges of at least 16K floats, so threads are not woken for tiny tensors.
constexpr std::size_t kElementGrain = 1 << 14;

std::size_t plane_grain(std::size_t plane) {
  return std::max<std::size_t>(1, kElementGrain / std::max<std::size_t>(1, plane));
}

float apply_binary(BinaryFn fn, float a, float b) {
  switch (fn) {
    case BinaryFn::kAdd:
      return a + b;
    case BinaryFn::kSub:
      return a - b;
    case BinaryFn::kMul:
      return a * b;
    case BinaryFn::kDiv:
      return a / b;
  }
  return 0.f;
}

// y[i] = a[i] op b[i] (stride 1) or a[i] op b[0] (stride 0), for i in [0, n). The loops are
// written per op so the compiler vectorizes each.
template <int SA, int SB>
void binary_run(BinaryFn fn, float* y, const float* a, const float* b, std::size_t n) {
  switch (fn) {
    case BinaryFn::kAdd:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] + b[i * SB];
      break;
    case BinaryFn::kSub:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] - b[i * SB];
      break;
    case BinaryFn::kMul:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] * b[i * SB];
      break;
    case BinaryFn::kDiv:
      for (std::size_t i = 0; i < n; ++i) y[i] = a[i * SA] / b[i * SB];
      break;
  }
}

void binary_strided(const Step& s, float* y, const float* a, const float* b) {
  const std::size_t rank = s.out_shape.size();
  if (rank == 0) {
    y[0] = apply_binary(s.binary, a[0], b[0]);
    return;
  }
  std::vector<int64_t> idx(rank, 0);
  const std::size_t inner = static_cast<std::size_t>(s.out_shape[rank - 1]);
  const int64_t sa = s.strides[0][rank - 1], sb = s.strides[1][rank - 1];
  int64_t oa = 0, ob = 0;
  for (std::size_t done = 0; done < s.count; done += inner) {
    for (std::size_t i = 0; i < inner; ++i) {
      y[done + i] = apply_binary(s.binary, a[oa + int64_t(i) * sa], b[ob + int64_t(i) * sb]);
    }
    // Odometer over the outer dimensions.
    for (std::size_t d = rank - 1; d-- > 0;) {
      if (++idx[d] < s.out_shape[d]) {
        oa += s.strides[0][d];
        ob += s.strides[1][d];
        break;
      }
      oa -= s.strides[0][d] * (s.out_shape[d] - 1);
      ob -= s.strides[1][d] * (s.out_shape[d] - 1);
      idx[d] = 0;
    }
  }
}

void run_binary(const Step& s, float* y, const float* a, const float* b) {
  const Operand ka = s.operand[0], kb = s.operand[1];
  if (ka == Operand::kFull && kb == Operand::kFull) {
    split(s.count, kElementGrain, [&](std::size_t i0, std::size_t i1) {
      if (s.binary == BinaryFn::kAdd) {
        add_f32(y + i0, a + i0, b + i0, i1 - i0, s.relu);
      } else {
        binary_run<1, 1>(s.binary, y + i0, a + i0, b + i0, i1 - i0);
      }
    });
  } else if (ka == Operand::kFull && kb == Operand::kScalar) {
    split(s.count, kElementGrain, [&](std::size_t i0, std::size_t i1) {
      binary_run<1, 0>(s.binary, y + i0, a + i0, b, i1 - i0);
    });
  } else if (ka == Operand::kScalar && kb == Operand::kFull) {
    split(s.count, kElementGrain, [&](std::size_t i0, std::size_t i1) {
      binary_run<0, 1>(s.binary, y + i0, a, b + i0, i1 - i0);
    });
  } else if ((ka == Operand::kFull && kb == Operand::kPerChannel) ||
             (ka == Operand::kPerChannel && kb == Operand::kFull)) {
    const std::size_t planes = s.planes * s.channels, size = s.plane_size;
    split(planes, plane_grain(size), [&](std::size_t p0, std::size_t p1) {
      for (std::size_t p = p0; p < p1; ++p) {
        const std::size_t c = p % s.channels;
        if (ka == Operand::kFull) {
          binary_run<1, 0>(s.binary, y + p * size, a + p * size, b + c, size);
        } else {
          binary_run<0, 1>(s.binary, y + p * size, a + c, b + p * size, size);
        }
      }
    });
  } else {
    binary_strided(s, y, a, b);
  }
  if (s.relu && !(ka == Operand::kFull && kb == Operand::kFull && s.binary == BinaryFn::kAdd)) {
    relu_f32(y, y, s.count);
  }
}

void run_unary(const Step& s, float* y, const float* x) {
  split(s.count, kElementGrain, [&](std::size_t i0, std::size_t i1) {
    float* yy = y + i0;
    const float* xx = x + i0;
    const std::size_t n = i1 - i0;
    switch (s.unary) {
      case UnaryFn::kRelu:
        relu_f32(yy, xx, n);
        break;
      case UnaryFn::kClip:
        clamp_f32(yy, xx, n, s.lo, s.hi);
        break;
      case UnaryFn::kLeakyRelu:
        for (std::size_t i = 0; i < n; ++i) yy[i] = xx[i] < 0.f ? xx[i] * s.alpha : xx[i];
        break;
      case UnaryFn::kSigmoid:
        for (std::size_t i = 0; i < n; ++i) yy[i] = 1.f / (1.f + std::exp(-xx[i]));
        break;
      case UnaryFn::kTanh:
        for (std::size_t i = 0; i < n; ++i) yy[i] = std::tanh(xx[i]);
        break;
    }
  });
}

void run_resize_table(const Step& s, float* y, const float* x) {
  split(s.NC, plane_grain(s.OH * s.OW), [&](std::size_t p0, std::size_t p1) {
    for (std::size_t p = p0; p < p1; ++p) {
      const float* xp = x + p * s.H * s.W;
      float* yp = y + p * s.OH * s.OW;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        float* yr = yp + oh * s.OW;
        if (!s.linear) {
          const float* xr = xp + static_cast<std::size_t>(s.h0[oh]) * s.W;
          for (std::size_t ow = 0; ow < s.OW; ++ow) yr[ow] = xr[s.w0[ow]];
          continue;
        }
        const float* r0 = xp + static_cast<std::size_t>(s.h0[oh]) * s.W;
        const float* r1 = xp + static_cast<std::size_t>(s.h1[oh]) * s.W;
        const float fy = s.hf[oh];
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          const float fx = s.wf[ow];
          const float top = r0[s.w0[ow]] + (r0[s.w1[ow]] - r0[s.w0[ow]]) * fx;
          const float bot = r1[s.w0[ow]] + (r1[s.w1[ow]] - r1[s.w0[ow]]) * fx;
          yr[ow] = top + (bot - top) * fy;
        }
      }
    }
  });
}

}  // namespace

Execution::Execution(const Plan& plan, float* arena, float* workspace,
                     std::vector<const float*> inputs, RunOptions options)
    : plan_(plan),
      arena_(arena),
      workspace_(workspace),
      inputs_(std::move(inputs)),
      options_(options) {
  if (options_.record) {
    options_.record->mean.resize(static_cast<std::size_t>(plan_.norm_layers));
    options_.record->var.resize(static_cast<std::size_t>(plan_.norm_layers));
  }
}

const float* Execution::data(int value) const {
  const Slot& s = plan_.values[value].slot;
  switch (s.kind) {
    case Slot::kConst:
      return s.data;
    case Slot::kInput:
      return inputs_[s.input];
    case Slot::kArena:
      return arena_ + s.offset;
    default:
      return nullptr;
  }
}

float* Execution::mutable_data(int value) const {
  return arena_ + plan_.values[value].slot.offset;
}

Status Execution::run_all() {
  while (!done()) INSTYLE_RETURN_IF_ERROR(step());
  return Status();
}

Status Execution::step() {
  if (done()) return Status();
  const Step& s = plan_.steps[next_];
  float* y = mutable_data(s.output);
  const float* x = data(s.inputs[0]);
  switch (s.kind) {
    case StepKind::kConv: {
      const Conv2dShape& c = s.conv;
      const std::size_t in_sample = c.C * c.H * c.W, out_plane = c.out_h() * c.out_w();
      const std::size_t og = c.O / c.groups, cg = c.C / c.groups;
      const std::size_t parts = s.ranges.size() - 1;
      for (std::size_t n = 0; n < s.batch; ++n) {
        const float* xn = x + n * in_sample;
        float* yn = y + n * c.O * out_plane;
        parallel_for(parts, [&](std::size_t r0, std::size_t r1) {
          for (std::size_t r = r0; r < r1; ++r) {
            const std::size_t o0 = s.ranges[r], o1 = s.ranges[r + 1];
            Conv2dShape part = c;
            part.O = o1 - o0;
            const float* xp = xn;
            if (c.groups > 1) {
              part.groups = part.O / og;
              part.C = part.groups * cg;
              xp = xn + (o0 / og) * cg * c.H * c.W;
            }
            conv2d_f32(yn + o0 * out_plane, xp, s.weight + o0 * cg * c.kH * c.kW,
                       s.bias ? s.bias + o0 : nullptr, part, s.relu,
                       workspace_ + r * plan_.workspace_per_thread);
          }
        });
      }
      break;
    }
    case StepKind::kConvTranspose:
      conv_transpose2d_f32(y, x, s.weight, s.bias, s.convt);
      if (s.relu) relu_f32(y, y, s.convt.N * s.convt.O * s.convt.OH * s.convt.OW);
      break;
    case StepKind::kInstanceNorm: {
      const std::size_t planes = s.N * s.C;
      const float* mean = nullptr;
      const float* var = nullptr;
      const std::size_t li = static_cast<std::size_t>(s.norm_index);
      if (options_.replay) {
        const NormStats& st = *options_.replay;
        if (li >= st.mean.size() || st.mean[li].size() != planes || st.var[li].size() != planes) {
          return invalid_argument("replayed statistics do not match instance norm layer " +
                                  std::to_string(li) + " (" + std::to_string(planes) +
                                  " channels)");
        }
        mean = st.mean[li].data();
        var = st.var[li].data();
      } else if (options_.record) {
        NormStats& st = *options_.record;
        st.mean[li].resize(planes);
        st.var[li].resize(planes);
        split(planes, plane_grain(s.HW), [&](std::size_t p0, std::size_t p1) {
          instance_stats_f32(st.mean[li].data() + p0, st.var[li].data() + p0, x + p0 * s.HW, 1,
                             p1 - p0, s.HW);
        });
        mean = st.mean[li].data();
        var = st.var[li].data();
      }
      // Threads take whole planes; gamma and beta follow the channel of the first plane.
      split(planes, plane_grain(s.HW), [&](std::size_t p0, std::size_t p1) {
        for (std::size_t p = p0; p < p1;) {
          const std::size_t c = p % s.C, run = std::min(p1 - p, s.C - c);
          if (mean) {
            instance_norm_with_stats_f32(y + p * s.HW, x + p * s.HW, mean + p, var + p, s.scale + c,
                                         s.shift + c, 1, run, s.HW, s.eps, s.relu);
          } else {
            instance_norm_f32(y + p * s.HW, x + p * s.HW, s.scale + c, s.shift + c, 1, run, s.HW,
                              s.eps, s.relu);
          }
          p += run;
        }
      });
      break;
    }
    case StepKind::kBatchNorm:
      split(s.N * s.C, plane_grain(s.HW), [&](std::size_t p0, std::size_t p1) {
        for (std::size_t p = p0; p < p1;) {
          const std::size_t c = p % s.C, run = std::min(p1 - p, s.C - c);
          batch_norm_f32(y + p * s.HW, x + p * s.HW, s.mean + c, s.var + c, s.scale + c,
                         s.shift + c, 1, run, s.HW, s.eps, s.relu);
          p += run;
        }
      });
      break;
    case StepKind::kUnary:
      run_unary(s, y, x);
      break;
    case StepKind::kBinary:
      run_binary(s, y, x, data(s.inputs[1]));
      break;
    case StepKind::kPad: {
      const std::size_t OHW = (s.H + s.top + s.bottom) * (s.W + s.left + s.right);
      split(s.NC, plane_grain(OHW), [&](std::size_t p0, std::size_t p1) {
        pad_f32(y + p0 * OHW, x + p0 * s.H * s.W, p1 - p0, s.H, s.W, s.top, s.left, s.bottom,
                s.right, s.pad_mode, s.pad_value);
      });
      break;
    }
    case StepKind::kUpsampleNearest:
      split(s.NC, plane_grain(s.OH * s.OW), [&](std::size_t p0, std::size_t p1) {
        upsample_nearest_f32(y + p0 * s.OH * s.OW, x + p0 * s.H * s.W, p1 - p0, s.H, s.W, s.scale_h,
                             s.scale_w);
      });
      break;
    case StepKind::kResizeBilinear:
      split(s.NC, plane_grain(s.OH * s.OW), [&](std::size_t p0, std::size_t p1) {
        resize_bilinear_f32(y + p0 * s.OH * s.OW, x + p0 * s.H * s.W, p1 - p0, s.H, s.W, s.OH, s.OW,
                            s.coord_mode);
      });
      break;
    case StepKind::kResizeTable:
      run_resize_table(s, y, x);
      break;
    case StepKind::kConcat: {
      float* out = y;
      for (std::size_t o = 0; o < s.outer; ++o) {
        for (std::size_t i = 0; i < s.inputs.size(); ++i) {
          std::memcpy(out, data(s.inputs[i]) + o * s.chunk[i], s.chunk[i] * sizeof(float));
          out += s.chunk[i];
        }
      }
      break;
    }
  }
  flops_done_ += s.flops;
  ++next_;
  return Status();
}

}  // namespace instyle::model
