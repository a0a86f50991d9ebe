// image.h: photo pre- and post-processing around a style network: RGBA8 pixels to planar
// float and back, box-filter resizing, and the output blend (strength, preserved colours).
//
//   instyle::rgba_to_planar_f32(x, rgba, w, h, /*scale=*/1.f, /*bgr=*/false);   // zoo: 0..255
//   ... run the network on x: [1, 3, h, w] -> y ...
//   instyle::StylizeBlend blend;  blend.strength = 0.8f;  blend.preserve_colors = true;
//   instyle::stylize_output_u8(out_rgba, y, w, h, rgba, blend);
//
// Pixels are [h, w, 4] bytes (ImageData's layout); planar float is [3, h, w] (NCHW with N = 1).
// Colours are 0..255 in the blend; `scale` maps the network's range onto it (1 for the ONNX
// zoo's 0..255 models, 1/255 and 255 for 0..1 models).
#pragma once

#include <cstddef>
#include <cstdint>

namespace instyle {

// y[c, i] = rgba[i, c] * scale, channels R, G, B (B, G, R when bgr). Alpha is dropped.
void rgba_to_planar_f32(float* y, const uint8_t* rgba, std::size_t width, std::size_t height,
                        float scale, bool bgr);

// rgba[i, c] = round(clamp(x[c, i] * scale, 0, 255)); alpha from `alpha_from` (an RGBA image of
// the same size) or 255 when it is nullptr.
void planar_to_rgba_u8(uint8_t* rgba, const float* x, std::size_t width, std::size_t height,
                       float scale, bool bgr, const uint8_t* alpha_from);

// Resizes RGBA8 by area averaging (each output pixel is the mean of the source area it
// covers): the right filter for shrinking photos, free of the aliasing of point sampling.
// Allocates nothing: the caller's scratch holds two rows; each source row is filtered at
// most twice (it can straddle two output rows).
void resize_rgba_u8(uint8_t* dst, std::size_t dst_width, std::size_t dst_height, const uint8_t* src,
                    std::size_t src_width, std::size_t src_height,
                    float* row_scratch /* 8 * dst_width floats */);

// The same resize a band at a time, for photos that never enter memory whole: output rows
// [y0, y1) into `dst_rows` (row y0 first), from `src_rows`, which starts at source row
// `src_row0` and holds the source rows resize_source_rows() names. Bands put together give
// exactly resize_rgba_u8's result.
void resize_source_rows(std::size_t dst_height, std::size_t src_height, std::size_t y0,
                        std::size_t y1, std::size_t* src_row0, std::size_t* src_row1);
void resize_rgba_u8_rows(uint8_t* dst_rows, std::size_t dst_width, std::size_t dst_height,
                         std::size_t y0, std::size_t y1, const uint8_t* src_rows,
                         std::size_t src_row0, std::size_t src_width, std::size_t src_height,
                         float* row_scratch /* 8 * dst_width floats */);

struct StylizeBlend {
  float scale = 1.f;             // network output * scale = 0..255
  bool bgr = false;              // network output channel order
  float strength = 1.f;          // 0: the photo, 1: the stylized image
  bool preserve_colors = false;  // take only the stylized luminance, keep the photo's colours
};

// The last step of stylization, per pixel: the network's output y ([3, h, w]) brought to
// 0..255 and clipped; with preserve_colors, shifted so that its BT.601 luma is the styled
// luma while the chroma is the photo's (photo + (Y(styled) - Y(photo)) on every channel,
// which leaves Cb and Cr unchanged); blended with the photo by strength; written as RGBA8
// with the photo's alpha.
void stylize_output_u8(uint8_t* out, const float* y, std::size_t width, std::size_t height,
                       const uint8_t* photo, const StylizeBlend& blend);

}  // namespace instyle
