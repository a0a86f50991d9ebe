// api.h: checked, threaded entry points over the kernels, for the JS bindings and the model
// runner. Each op validates its arguments first (a Status naming the argument, the module
// stays usable), then splits independent planes or groups across parallel_for's threads.
//
//   instyle::Shape4 s{1, 3, 256, 256};
//   instyle::Status st = instyle::instance_norm({y, n}, {x, n}, s, {gamma, 3}, {}, 1e-5f, true);
//   if (!st.ok()) std::fprintf(stderr, "%s: %s\n", instyle::error_code_name(st.code()),
//                              st.message().c_str());
//
// Spans carry their element count so a wrong length is reported, not read past; an input span
// with data == nullptr is "not given" (optional gamma, beta, bias). Outputs never alias inputs
// here, except that the norms allow y == x. Messages name ops the way the JS API does
// ("instanceNorm: x has 59 elements but shape [1,3,4,5] needs 60").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "pad.h"
#include "status.h"

namespace instyle {

// NCHW sizes. Signed, so a negative size from JS or a model file is reported, not wrapped.
struct Shape4 {
  std::int64_t n = 1, c = 1, h = 1, w = 1;
};

struct ConstSpan {
  const float* data = nullptr;
  std::size_t size = 0;
};
struct Span {
  float* data = nullptr;
  std::size_t size = 0;
};

// The most bytes one op's tensors may take together: the 4 GiB address space of wasm32
// (WebAssembly's heap can grow no further), 2^48 natively.
constexpr std::uint64_t kMaxTensorBytes =
    sizeof(void*) == 4 ? (std::uint64_t{1} << 32) : (std::uint64_t{1} << 48);

// Element count of a shape, or an error: INVALID_ARGUMENT for a size < 1, OUT_OF_MEMORY when
// the float32 tensor would not fit in kMaxTensorBytes. `op` and `name` go in the message.
Status shape_elements(std::size_t* count, const char* op, const char* name, Shape4 shape);

// y, x: [N, C, H, W] (y may be x); gamma, beta: [C] or not given.
Status instance_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan gamma, ConstSpan beta, float eps,
                     bool relu);

// Per-(n, c) mean and biased variance, [N, C] each: what instance_norm would use.
Status instance_stats(Span mean, Span variance, ConstSpan x, Shape4 shape);

// Inference batch norm with running statistics. mean, variance: [C] (required, variance >= 0);
// gamma, beta: [C] or not given.
Status batch_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan mean, ConstSpan variance,
                  ConstSpan gamma, ConstSpan beta, float eps, bool relu);

// Training batch norm: statistics over (N, H, W), written to batch_mean, batch_var ([C],
// biased). Runs on one thread: the kernel merges per-plane moments across the batch itself.
Status batch_norm_train(Span y, Span batch_mean, Span batch_var, ConstSpan x, Shape4 shape,
                        ConstSpan gamma, ConstSpan beta, float eps, bool relu);

// Layer norm over (C, H, W) of each sample; gamma, beta: [C*H*W] element-wise or not given.
Status layer_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan gamma, ConstSpan beta, float eps);

// Group norm, `groups` dividing C; gamma, beta: [C] or not given.
Status group_norm(Span y, ConstSpan x, Shape4 shape, std::int64_t groups, ConstSpan gamma,
                  ConstSpan beta, float eps, bool relu);

// AdaIN: y = alpha * (std_s * (x - mean_x) / sqrt(var_x + eps) + mean_s) + (1 - alpha) * x,
// statistics per (n, c). style: [Ns, C, Hs, Ws] with Ns == N, or Ns == 1 for one style shared
// by the whole batch; its plane size may differ from the content's. y: like content.
Status adain(Span y, ConstSpan content, Shape4 content_shape, ConstSpan style, Shape4 style_shape,
             float alpha, float eps);

struct Conv2dParams {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t groups = 1;
  PadMode pad_mode = PadMode::kZeros;
  bool relu = false;
};

// Output shape of conv2d for x: [N, C, H, W] and w: [O, C/groups, kH, kW], after checking
// every parameter (positive strides, groups dividing C and O, the kernel fitting the padded
// input, reflect padding smaller than the input). Also checks that the tensors fit in memory.
Status conv2d_output_shape(Shape4* y_shape, Shape4 x_shape, Shape4 w_shape,
                           const Conv2dParams& params);

// y: conv2d_output_shape's shape; bias: [O] or not given.
Status conv2d(Span y, ConstSpan x, Shape4 x_shape, ConstSpan w, Shape4 w_shape, ConstSpan bias,
              const Conv2dParams& params);

}  // namespace instyle
