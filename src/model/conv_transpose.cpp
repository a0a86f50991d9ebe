// The scatter form: for each (input channel, output channel, kernel tap) one scalar weight is
// multiplied into a strided row of the output, so the inner loop runs over input columns
// with no index arithmetic besides the stride.
#include "model/conv_transpose.h"

#include <cstdint>

namespace instyle::model {

void conv_transpose2d_f32(float* y, const float* x, const float* w, const float* bias,
                          const ConvTransposeShape& s) {
  const std::size_t cg = s.C / s.groups, og = s.O / s.groups;
  const std::ptrdiff_t OH = static_cast<std::ptrdiff_t>(s.OH),
                       OW = static_cast<std::ptrdiff_t>(s.OW);
  for (std::size_t n = 0; n < s.N; ++n) {
    float* yn = y + n * s.O * s.OH * s.OW;
    for (std::size_t o = 0; o < s.O; ++o) {
      const float b = bias ? bias[o] : 0.f;
      float* plane = yn + o * s.OH * s.OW;
      for (std::size_t i = 0; i < s.OH * s.OW; ++i) plane[i] = b;
    }
    for (std::size_t g = 0; g < s.groups; ++g) {
      for (std::size_t ci = 0; ci < cg; ++ci) {
        const std::size_t c = g * cg + ci;
        const float* xc = x + (n * s.C + c) * s.H * s.W;
        for (std::size_t oi = 0; oi < og; ++oi) {
          const std::size_t o = g * og + oi;
          float* yo = yn + o * s.OH * s.OW;
          const float* wk = w + (c * og + oi) * s.kH * s.kW;
          for (std::size_t kh = 0; kh < s.kH; ++kh) {
            for (std::size_t kw = 0; kw < s.kW; ++kw) {
              const float wv = wk[kh * s.kW + kw];
              const std::ptrdiff_t off_w = static_cast<std::ptrdiff_t>(kw * s.dilation_w) -
                                           static_cast<std::ptrdiff_t>(s.pad_left);
              // Input columns whose output column lands inside [0, OW).
              std::ptrdiff_t iw0 = 0, iw1 = static_cast<std::ptrdiff_t>(s.W);
              const std::ptrdiff_t sw = static_cast<std::ptrdiff_t>(s.stride_w);
              while (iw0 < iw1 && iw0 * sw + off_w < 0) ++iw0;
              while (iw1 > iw0 && (iw1 - 1) * sw + off_w >= OW) --iw1;
              for (std::size_t ih = 0; ih < s.H; ++ih) {
                const std::ptrdiff_t oh =
                    static_cast<std::ptrdiff_t>(ih * s.stride_h + kh * s.dilation_h) -
                    static_cast<std::ptrdiff_t>(s.pad_top);
                if (oh < 0 || oh >= OH) continue;
                const float* xr = xc + ih * s.W;
                float* yr = yo + oh * OW;
                for (std::ptrdiff_t iw = iw0; iw < iw1; ++iw) yr[iw * sw + off_w] += wv * xr[iw];
              }
            }
          }
        }
      }
    }
  }
}

void conv_transpose2d_f32_ref(float* y, const float* x, const float* w, const float* bias,
                              const ConvTransposeShape& s) {
  const std::size_t cg = s.C / s.groups, og = s.O / s.groups;
  for (std::size_t n = 0; n < s.N; ++n) {
    for (std::size_t o = 0; o < s.O; ++o) {
      const std::size_t g = o / og, oi = o % og;
      for (std::size_t oh = 0; oh < s.OH; ++oh) {
        for (std::size_t ow = 0; ow < s.OW; ++ow) {
          double acc = bias ? bias[o] : 0.0;
          for (std::size_t ci = 0; ci < cg; ++ci) {
            const std::size_t c = g * cg + ci;
            for (std::size_t kh = 0; kh < s.kH; ++kh) {
              // oh = ih * stride - pad + kh * dilation, solved for ih.
              const std::int64_t th =
                  std::int64_t(oh + s.pad_top) - std::int64_t(kh * s.dilation_h);
              if (th < 0 || th % std::int64_t(s.stride_h) != 0) continue;
              const std::int64_t ih = th / std::int64_t(s.stride_h);
              if (ih >= std::int64_t(s.H)) continue;
              for (std::size_t kw = 0; kw < s.kW; ++kw) {
                const std::int64_t tw =
                    std::int64_t(ow + s.pad_left) - std::int64_t(kw * s.dilation_w);
                if (tw < 0 || tw % std::int64_t(s.stride_w) != 0) continue;
                const std::int64_t iw = tw / std::int64_t(s.stride_w);
                if (iw >= std::int64_t(s.W)) continue;
                acc += double(x[((n * s.C + c) * s.H + ih) * s.W + iw]) *
                       double(w[((c * og + oi) * s.kH + kh) * s.kW + kw]);
              }
            }
          }
          y[((n * s.O + o) * s.OH + oh) * s.OW + ow] = static_cast<float>(acc);
        }
      }
    }
  }
}

}  // namespace instyle::model
