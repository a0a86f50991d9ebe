#include "threaded.h"

#include <algorithm>

#include "norm.h"
#include "parallel.h"
#include "winograd.h"

namespace instyle {
namespace {

template <class T>
const T* at(const T* p, std::size_t i) {
  return p ? p + i : nullptr;
}

// Calls f(first_plane, count) for the planes [begin, end) cut where the channel index wraps,
// so each call has consecutive channels (gamma, beta and the statistics follow them).
template <class F>
void for_each_channel_run(std::size_t begin, std::size_t end, std::size_t C, F&& f) {
  for (std::size_t p = begin; p < end;) {
    const std::size_t run = std::min(end - p, C - p % C);
    f(p, run);
    p += run;
  }
}

// The shape of output channels [o0, o1) of one sample (whole groups when grouped).
Conv2dShape channel_slice(const Conv2dShape& s, std::size_t o0, std::size_t o1) {
  Conv2dShape part = s;
  part.N = 1;
  part.O = o1 - o0;
  if (s.groups > 1) {
    part.groups = part.O / (s.O / s.groups);
    part.C = part.groups * (s.C / s.groups);
  }
  return part;
}

}  // namespace

void instance_norm_threaded(float* y, const float* x, const float* gamma, const float* beta,
                            std::size_t N, std::size_t C, std::size_t HW, float eps, bool relu,
                            const float* mean, const float* var) {
  parallel_for(
      N * C,
      [&](std::size_t begin, std::size_t end) {
        for_each_channel_run(begin, end, C, [&](std::size_t p, std::size_t run) {
          const std::size_t c = p % C;
          if (mean) {
            instance_norm_with_stats_f32(y + p * HW, x + p * HW, mean + p, var + p, at(gamma, c),
                                         at(beta, c), 1, run, HW, eps, relu);
          } else {
            instance_norm_f32(y + p * HW, x + p * HW, at(gamma, c), at(beta, c), 1, run, HW, eps,
                              relu);
          }
        });
      },
      grain_for(HW));
}

void instance_stats_threaded(float* mean, float* var, const float* x, std::size_t planes,
                             std::size_t HW) {
  parallel_for(
      planes,
      [&](std::size_t begin, std::size_t end) {
        instance_stats_f32(mean + begin, var + begin, x + begin * HW, 1, end - begin, HW);
      },
      grain_for(HW));
}

void batch_norm_threaded(float* y, const float* x, const float* mean, const float* var,
                         const float* gamma, const float* beta, std::size_t N, std::size_t C,
                         std::size_t HW, float eps, bool relu) {
  parallel_for(
      N * C,
      [&](std::size_t begin, std::size_t end) {
        for_each_channel_run(begin, end, C, [&](std::size_t p, std::size_t run) {
          const std::size_t c = p % C;
          batch_norm_f32(y + p * HW, x + p * HW, mean + c, var + c, at(gamma, c), at(beta, c), 1,
                         run, HW, eps, relu);
        });
      },
      grain_for(HW));
}

ConvSplit conv2d_split(const Conv2dShape& s, int threads) {
  const std::size_t t = static_cast<std::size_t>(std::max(1, threads));
  ConvSplit split;
  if (winograd_eligible(s) && t > 1) {
    const std::size_t unit = winograd_row_unit(), OH = s.out_h();
    const std::size_t units = (OH + unit - 1) / unit;
    const std::size_t parts = std::max<std::size_t>(1, std::min(t, units));
    split.by_rows = true;
    for (std::size_t i = 0; i <= parts; ++i) {
      split.ranges.push_back(i == parts ? OH : units * i / parts * unit);
    }
    return split;
  }
  const std::size_t unit = s.groups > 1 ? s.O / s.groups : (s.O >= 8 * t ? 8 : 1);
  const std::size_t units = s.O / unit;
  const std::size_t parts = std::max<std::size_t>(1, std::min(t, units));
  for (std::size_t i = 0; i <= parts; ++i) {
    split.ranges.push_back(i == parts ? s.O : units * i / parts * unit);
  }
  return split;
}

std::size_t conv2d_threaded_workspace(const Conv2dShape& s, const ConvSplit& split) {
  if (split.by_rows) return conv2d_workspace_size(s);  // each part the whole layer's scratch
  std::size_t need = 0;
  for (std::size_t r = 0; r < split.parts(); ++r) {
    need = std::max(need,
                    conv2d_workspace_size(channel_slice(s, split.ranges[r], split.ranges[r + 1])));
  }
  return need;
}

void conv2d_threaded(float* y, const float* x, const float* w, const float* bias,
                     const Conv2dShape& s, bool relu, const ConvSplit& split, float* workspace,
                     std::size_t workspace_per_part) {
  const std::size_t in_sample = s.C * s.H * s.W, out_plane = s.out_h() * s.out_w();
  const std::size_t og = s.O / s.groups, cg = s.C / s.groups;
  Conv2dShape one = s;
  one.N = 1;
  for (std::size_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * in_sample;
    float* yn = y + n * s.O * out_plane;
    parallel_for(split.parts(), [&](std::size_t r0, std::size_t r1) {
      for (std::size_t r = r0; r < r1; ++r) {
        float* ws = workspace ? workspace + r * workspace_per_part : nullptr;
        if (split.by_rows) {
          conv2d_winograd_rows_f32(yn, xn, w, bias, one, relu, ws, split.ranges[r],
                                   split.ranges[r + 1]);
          continue;
        }
        const std::size_t o0 = split.ranges[r], o1 = split.ranges[r + 1];
        const float* xp = s.groups > 1 ? xn + (o0 / og) * cg * s.H * s.W : xn;
        conv2d_f32(yn + o0 * out_plane, xp, w + o0 * cg * s.kH * s.kW, at(bias, o0),
                   channel_slice(s, o0, o1), relu, ws);
      }
    });
  }
}

}  // namespace instyle
