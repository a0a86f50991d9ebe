// Validation first, then work split over parallel_for. Every kernel call below covers a
// contiguous run of planes (or groups, or output channels), so splitting never changes a
// kernel's arithmetic: any thread count gives bit-identical results.
#include "api.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "conv.h"
#include "heap_buffer.h"
#include "norm.h"
#include "parallel.h"
#include "threaded.h"

namespace instyle {
namespace {

Status error(ErrorCode code, const char* fmt, ...) {
  char buf[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  return Status(code, buf);
}

std::string shape_string(Shape4 s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "[%lld,%lld,%lld,%lld]", (long long)s.n, (long long)s.c,
                (long long)s.h, (long long)s.w);
  return buf;
}

std::string bytes_string(double bytes) {
  char buf[32];
  if (bytes >= 1e9)
    std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  else
    std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  return buf;
}

const char* heap_name() {
  return sizeof(void*) == 4 ? "4 GB WebAssembly heap" : "address space";
}

Status check_length(const char* op, const char* name, std::size_t got, std::size_t want,
                    const char* shape_name, Shape4 shape) {
  if (got == want) return {};
  return error(ErrorCode::kShapeMismatch, "%s: %s has %zu elements but %s %s needs %zu", op, name,
               got, shape_name, shape_string(shape).c_str(), want);
}

Status check_input(const char* op, const char* name, ConstSpan x, std::size_t want,
                   const char* shape_name, Shape4 shape) {
  INSTYLE_RETURN_IF_ERROR(check_length(op, name, x.data ? x.size : 0, want, shape_name, shape));
  if (!x.data) return error(ErrorCode::kInvalidArgument, "%s: %s is missing", op, name);
  return {};
}

// Outputs are sized by the caller from the same shape; a mismatch is the caller's bug.
Status check_output(const char* op, const char* name, Span y, std::size_t want) {
  if (y.data && y.size == want) return {};
  return error(ErrorCode::kShapeMismatch, "%s: output %s has %zu elements but needs %zu", op, name,
               y.data ? y.size : 0, want);
}

Status check_eps(const char* op, float eps) {
  if (std::isfinite(eps) && eps >= 0.f) return {};
  return error(ErrorCode::kInvalidArgument, "%s: eps must be a finite number >= 0, got %g", op,
               double(eps));
}

// Per-channel parameters: optional (data == nullptr) or exactly `want` finite values.
Status check_param(const char* op, const char* name, ConstSpan p, std::size_t want,
                   const char* want_name, bool required = false, bool non_negative = false) {
  if (!p.data) {
    if (!required) return {};
    return error(ErrorCode::kInvalidArgument, "%s: %s is required", op, name);
  }
  if (p.size != want) {
    return error(ErrorCode::kShapeMismatch, "%s: %s has %zu elements but needs %s = %zu", op, name,
                 p.size, want_name, want);
  }
  for (std::size_t i = 0; i < p.size; ++i) {
    if (!std::isfinite(p.data[i])) {
      return error(ErrorCode::kInvalidArgument, "%s: %s[%zu] is %g; parameters must be finite", op,
                   name, i, double(p.data[i]));
    }
    if (non_negative && p.data[i] < 0.f) {
      return error(ErrorCode::kInvalidArgument, "%s: %s[%zu] is %g; it must be >= 0", op, name, i,
                   double(p.data[i]));
    }
  }
  return {};
}

// Calls f(sample, first_item, item_count) for the run [begin, end) of items laid out as
// N samples x per_sample items, one call per sample touched.
template <typename F>
void for_each_sample_run(std::size_t begin, std::size_t end, std::size_t per_sample, F&& f) {
  for (std::size_t i = begin; i < end;) {
    const std::size_t n = i / per_sample, first = i % per_sample;
    const std::size_t count = std::min(end - i, per_sample - first);
    f(n, first, count);
    i += count;
  }
}

template <typename T>
const T* offset(const T* p, std::size_t i) {
  return p ? p + i : nullptr;
}

}  // namespace

Status shape_elements(std::size_t* count, const char* op, const char* name, Shape4 shape) {
  const std::int64_t dims[4] = {shape.n, shape.c, shape.h, shape.w};
  const char* dim_names[4] = {"N", "C", "H", "W"};
  for (int i = 0; i < 4; ++i) {
    if (dims[i] < 1) {
      return error(ErrorCode::kInvalidArgument,
                   "%s: %s %s has %s = %lld; sizes must be positive integers", op, name,
                   shape_string(shape).c_str(), dim_names[i], (long long)dims[i]);
    }
  }
  const std::uint64_t max_elements = kMaxTensorBytes / sizeof(float);
  std::uint64_t n = 1;
  double approx = 1.0;
  bool too_big = false;
  for (std::int64_t d : dims) {
    approx *= double(d);
    if (std::uint64_t(d) > max_elements || n > max_elements / std::uint64_t(d))
      too_big = true;
    else
      n *= std::uint64_t(d);
  }
  if (too_big || n > std::uint64_t(SIZE_MAX) / sizeof(float)) {
    return error(ErrorCode::kOutOfMemory,
                 "%s: %s %s needs %.4g elements (%s as float32), more than the %s can hold", op,
                 name, shape_string(shape).c_str(), approx,
                 bytes_string(approx * sizeof(float)).c_str(), heap_name());
  }
  *count = static_cast<std::size_t>(n);
  return {};
}

// The checks every normalization starts with: a valid shape small enough for the heap, x and y
// holding its element count (written to *count), and a usable eps.
static Status check_norm_io(std::size_t* count, const char* op, Span y, ConstSpan x, Shape4 shape,
                            float eps) {
  INSTYLE_RETURN_IF_ERROR(shape_elements(count, op, "shape", shape));
  INSTYLE_RETURN_IF_ERROR(check_input(op, "x", x, *count, "shape", shape));
  INSTYLE_RETURN_IF_ERROR(check_output(op, "y", y, *count));
  return check_eps(op, eps);
}

Status instance_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan gamma, ConstSpan beta, float eps,
                     bool relu) {
  const char* op = "instanceNorm";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(check_norm_io(&count, op, y, x, shape, eps));
  const std::size_t C = shape.c, HW = count / (shape.n * C);
  INSTYLE_RETURN_IF_ERROR(check_param(op, "gamma", gamma, C, "C"));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "beta", beta, C, "C"));
  instance_norm_threaded(y.data, x.data, gamma.data, beta.data, shape.n, C, HW, eps, relu);
  return {};
}

Status instance_stats(Span mean, Span variance, ConstSpan x, Shape4 shape) {
  const char* op = "instanceStats";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(shape_elements(&count, op, "shape", shape));
  INSTYLE_RETURN_IF_ERROR(check_input(op, "x", x, count, "shape", shape));
  const std::size_t planes = shape.n * shape.c, HW = count / planes;
  INSTYLE_RETURN_IF_ERROR(check_output(op, "mean", mean, planes));
  INSTYLE_RETURN_IF_ERROR(check_output(op, "variance", variance, planes));
  instance_stats_threaded(mean.data, variance.data, x.data, planes, HW);
  return {};
}

Status batch_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan mean, ConstSpan variance,
                  ConstSpan gamma, ConstSpan beta, float eps, bool relu) {
  const char* op = "batchNorm";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(check_norm_io(&count, op, y, x, shape, eps));
  const std::size_t C = shape.c, HW = count / (shape.n * C);
  INSTYLE_RETURN_IF_ERROR(check_param(op, "mean", mean, C, "C", /*required=*/true));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "variance", variance, C, "C", /*required=*/true,
                                      /*non_negative=*/true));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "gamma", gamma, C, "C"));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "beta", beta, C, "C"));
  batch_norm_threaded(y.data, x.data, mean.data, variance.data, gamma.data, beta.data, shape.n, C,
                      HW, eps, relu);
  return {};
}

Status batch_norm_train(Span y, Span batch_mean, Span batch_var, ConstSpan x, Shape4 shape,
                        ConstSpan gamma, ConstSpan beta, float eps, bool relu) {
  const char* op = "batchNorm";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(check_norm_io(&count, op, y, x, shape, eps));
  const std::size_t C = shape.c, HW = count / (shape.n * C);
  INSTYLE_RETURN_IF_ERROR(check_output(op, "mean", batch_mean, C));
  INSTYLE_RETURN_IF_ERROR(check_output(op, "variance", batch_var, C));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "gamma", gamma, C, "C"));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "beta", beta, C, "C"));
  batch_norm_train_f32(y.data, batch_mean.data, batch_var.data, x.data, gamma.data, beta.data,
                       shape.n, C, HW, eps, relu);
  return {};
}

Status layer_norm(Span y, ConstSpan x, Shape4 shape, ConstSpan gamma, ConstSpan beta, float eps) {
  const char* op = "layerNorm";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(check_norm_io(&count, op, y, x, shape, eps));
  const std::size_t inner = count / shape.n;
  INSTYLE_RETURN_IF_ERROR(check_param(op, "gamma", gamma, inner, "C*H*W"));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "beta", beta, inner, "C*H*W"));
  parallel_for(
      shape.n,
      [&](std::size_t begin, std::size_t end) {
        layer_norm_f32(y.data + begin * inner, nullptr, nullptr, x.data + begin * inner, gamma.data,
                       beta.data, end - begin, inner, eps);
      },
      grain_for(inner));
  return {};
}

Status group_norm(Span y, ConstSpan x, Shape4 shape, std::int64_t groups, ConstSpan gamma,
                  ConstSpan beta, float eps, bool relu) {
  const char* op = "groupNorm";
  std::size_t count = 0;
  INSTYLE_RETURN_IF_ERROR(check_norm_io(&count, op, y, x, shape, eps));
  if (groups < 1 || shape.c % groups != 0) {
    return error(ErrorCode::kInvalidArgument,
                 "groupNorm: groups = %lld must be a positive divisor of C = %lld",
                 (long long)groups, (long long)shape.c);
  }
  const std::size_t C = shape.c, G = groups, Cg = C / G, HW = count / (shape.n * C);
  INSTYLE_RETURN_IF_ERROR(check_param(op, "gamma", gamma, C, "C"));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "beta", beta, C, "C"));
  parallel_for(
      shape.n * G,
      [&](std::size_t begin, std::size_t end) {
        for_each_sample_run(begin, end, G, [&](std::size_t n, std::size_t g, std::size_t k) {
          const std::size_t c = g * Cg, at = (n * C + c) * HW;
          group_norm_f32(y.data + at, x.data + at, offset(gamma.data, c), offset(beta.data, c), 1,
                         k * Cg, HW, k, eps, relu);
        });
      },
      grain_for(Cg * HW));
  return {};
}

Status adain(Span y, ConstSpan content, Shape4 content_shape, ConstSpan style, Shape4 style_shape,
             float alpha, float eps) {
  const char* op = "adain";
  std::size_t count = 0, style_count = 0;
  INSTYLE_RETURN_IF_ERROR(shape_elements(&count, op, "contentShape", content_shape));
  INSTYLE_RETURN_IF_ERROR(shape_elements(&style_count, op, "styleShape", style_shape));
  INSTYLE_RETURN_IF_ERROR(
      check_input(op, "content", content, count, "contentShape", content_shape));
  INSTYLE_RETURN_IF_ERROR(check_input(op, "style", style, style_count, "styleShape", style_shape));
  INSTYLE_RETURN_IF_ERROR(check_output(op, "y", y, count));
  if (style_shape.c != content_shape.c ||
      (style_shape.n != content_shape.n && style_shape.n != 1)) {
    return error(ErrorCode::kShapeMismatch,
                 "adain: styleShape %s must have C = %lld and N = %lld or 1, like contentShape %s",
                 shape_string(style_shape).c_str(), (long long)content_shape.c,
                 (long long)content_shape.n, shape_string(content_shape).c_str());
  }
  if (!std::isfinite(alpha)) {
    return error(ErrorCode::kInvalidArgument, "adain: alpha must be finite, got %g", double(alpha));
  }
  INSTYLE_RETURN_IF_ERROR(check_eps(op, eps));
  const std::size_t C = content_shape.c, HW = count / (content_shape.n * C);
  const std::size_t style_planes = style_shape.n * C, style_HW = style_count / style_planes;
  HeapBuffer<float> stats;
  INSTYLE_RETURN_IF_ERROR(
      stats.resize(2 * style_planes, "the style statistics").prefixed(std::string(op) + ": "));
  float* style_mean = stats.data();
  float* style_std = stats.data() + style_planes;
  parallel_for(
      style_planes,
      [&](std::size_t begin, std::size_t end) {
        style_stats_f32(style_mean + begin, style_std + begin, style.data + begin * style_HW, 1,
                        end - begin, style_HW, eps);
      },
      grain_for(style_HW));
  const bool shared_style = style_shape.n == 1;
  parallel_for(
      content_shape.n * C,
      [&](std::size_t begin, std::size_t end) {
        for_each_sample_run(begin, end, C, [&](std::size_t n, std::size_t c, std::size_t k) {
          const std::size_t at = (n * C + c) * HW, s = (shared_style ? 0 : n) * C + c;
          adain_f32(y.data + at, content.data + at, style_mean + s, style_std + s, 1, k, HW, alpha,
                    eps);
        });
      },
      grain_for(HW));
  return {};
}

namespace {

// The largest pad or stride accepted: far above any real network, and small enough that the
// size arithmetic below cannot overflow int64.
constexpr std::int64_t kMaxConvParam = std::int64_t{1} << 30;

Conv2dShape to_conv_shape(Shape4 x, Shape4 w, const Conv2dParams& p) {
  Conv2dShape s;
  s.N = x.n, s.C = x.c, s.H = x.h, s.W = x.w;
  s.O = w.n, s.kH = w.h, s.kW = w.w;
  s.stride_h = p.stride_h, s.stride_w = p.stride_w;
  s.pad_top = p.pad_top, s.pad_left = p.pad_left, s.pad_bottom = p.pad_bottom,
  s.pad_right = p.pad_right;
  s.dilation_h = p.dilation_h, s.dilation_w = p.dilation_w;
  s.groups = p.groups;
  s.pad_mode = p.pad_mode;
  return s;
}

}  // namespace

Status conv2d_output_shape(Shape4* y_shape, Shape4 x_shape, Shape4 w_shape, const Conv2dParams& p) {
  const char* op = "conv2d";
  std::size_t x_count = 0, w_count = 0, y_count = 0;
  INSTYLE_RETURN_IF_ERROR(shape_elements(&x_count, op, "shape", x_shape));
  INSTYLE_RETURN_IF_ERROR(shape_elements(&w_count, op, "weightShape", w_shape));
  const struct {
    const char* name;
    std::int64_t value, min;
  } params[] = {{"stride (height)", p.stride_h, 1},
                {"stride (width)", p.stride_w, 1},
                {"dilation (height)", p.dilation_h, 1},
                {"dilation (width)", p.dilation_w, 1},
                {"padding (top)", p.pad_top, 0},
                {"padding (left)", p.pad_left, 0},
                {"padding (bottom)", p.pad_bottom, 0},
                {"padding (right)", p.pad_right, 0},
                {"groups", p.groups, 1}};
  for (const auto& q : params) {
    if (q.value < q.min || q.value > kMaxConvParam) {
      return error(ErrorCode::kInvalidArgument,
                   "conv2d: %s = %lld must be an integer in [%lld, %lld]", q.name,
                   (long long)q.value, (long long)q.min, (long long)kMaxConvParam);
    }
  }
  if (x_shape.c % p.groups != 0 || w_shape.n % p.groups != 0) {
    return error(ErrorCode::kInvalidArgument,
                 "conv2d: groups = %lld must divide the input channels C = %lld and the output "
                 "channels O = %lld",
                 (long long)p.groups, (long long)x_shape.c, (long long)w_shape.n);
  }
  if (w_shape.c != x_shape.c / p.groups) {
    return error(ErrorCode::kShapeMismatch,
                 "conv2d: weightShape %s needs C/groups = %lld/%lld = %lld input channels per "
                 "group in position 1, for x of shape %s",
                 shape_string(w_shape).c_str(), (long long)x_shape.c, (long long)p.groups,
                 (long long)(x_shape.c / p.groups), shape_string(x_shape).c_str());
  }
  if (p.pad_mode == PadMode::kReflect && (p.pad_top >= x_shape.h || p.pad_bottom >= x_shape.h ||
                                          p.pad_left >= x_shape.w || p.pad_right >= x_shape.w)) {
    return error(ErrorCode::kInvalidArgument,
                 "conv2d: reflect padding [top %lld, left %lld, bottom %lld, right %lld] must be "
                 "smaller than the input (H = %lld, W = %lld)",
                 (long long)p.pad_top, (long long)p.pad_left, (long long)p.pad_bottom,
                 (long long)p.pad_right, (long long)x_shape.h, (long long)x_shape.w);
  }
  const std::int64_t padded_h = x_shape.h + p.pad_top + p.pad_bottom;
  const std::int64_t padded_w = x_shape.w + p.pad_left + p.pad_right;
  const std::int64_t extent_h = p.dilation_h * (w_shape.h - 1) + 1;
  const std::int64_t extent_w = p.dilation_w * (w_shape.w - 1) + 1;
  if (extent_h > padded_h || extent_w > padded_w) {
    return error(ErrorCode::kInvalidArgument,
                 "conv2d: the kernel (%lldx%lld with dilation) is larger than the padded input "
                 "(%lldx%lld)",
                 (long long)extent_h, (long long)extent_w, (long long)padded_h,
                 (long long)padded_w);
  }
  const Shape4 out{x_shape.n, w_shape.n, (padded_h - extent_h) / p.stride_h + 1,
                   (padded_w - extent_w) / p.stride_w + 1};
  INSTYLE_RETURN_IF_ERROR(shape_elements(&y_count, op, "the output", out));
  const double total = (double(x_count) + double(w_count) + double(y_count)) * sizeof(float);
  if (total > double(kMaxTensorBytes)) {
    return error(ErrorCode::kOutOfMemory,
                 "conv2d: input, weights and output %s need %s, more than the %s can hold",
                 shape_string(out).c_str(), bytes_string(total).c_str(), heap_name());
  }
  *y_shape = out;
  return {};
}

Status conv2d(Span y, ConstSpan x, Shape4 x_shape, ConstSpan w, Shape4 w_shape, ConstSpan bias,
              const Conv2dParams& p) {
  const char* op = "conv2d";
  Shape4 y_shape;
  INSTYLE_RETURN_IF_ERROR(conv2d_output_shape(&y_shape, x_shape, w_shape, p));
  const std::size_t x_count = std::size_t(x_shape.n * x_shape.c * x_shape.h * x_shape.w);
  const std::size_t w_count = std::size_t(w_shape.n * w_shape.c * w_shape.h * w_shape.w);
  const std::size_t y_count = std::size_t(y_shape.n * y_shape.c * y_shape.h * y_shape.w);
  INSTYLE_RETURN_IF_ERROR(check_input(op, "x", x, x_count, "shape", x_shape));
  INSTYLE_RETURN_IF_ERROR(check_input(op, "weight", w, w_count, "weightShape", w_shape));
  INSTYLE_RETURN_IF_ERROR(check_param(op, "bias", bias, w_shape.n, "O"));
  INSTYLE_RETURN_IF_ERROR(check_output(op, "y", y, y_count));

  const Conv2dShape full = to_conv_shape(x_shape, w_shape, p);
  const ConvSplit split = conv2d_split(full, num_threads());
  const std::size_t per_part = conv2d_threaded_workspace(full, split);
  HeapBuffer<float> workspace;
  INSTYLE_RETURN_IF_ERROR(
      workspace.resize(per_part * split.parts(), "the workspace").prefixed(std::string(op) + ": "));
  conv2d_threaded(y.data, x.data, w.data, bias.data, full, p.relu, split, workspace.data(),
                  per_part);
  return {};
}

}  // namespace instyle
