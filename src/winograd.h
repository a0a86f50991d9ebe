// winograd.h: 3x3 stride-1 convolutions by Winograd's minimal filtering F(4x4, 3x3), and 6x6
// and 9x9 ones as 3x3 blocks of them (winograd.cpp): the internal fast path behind conv2d_f32
// (conv.h), which picks it when winograd_eligible().
//
//   if (instyle::winograd_eligible(s)) {
//     std::vector<float> ws(instyle::winograd_workspace_size(s));
//     instyle::conv2d_winograd_f32(y, x, w, bias, s, relu, ws.data());
//   }
//
// Same arguments and layouts as conv2d_f32. The scratch is bounded by the channel counts and
// a block of tiles, never by the image size.
#pragma once

#include <cstddef>

#include "conv.h"

namespace instyle {

// 3x3 (or 6x6, 9x9 with at most 8 input channels), stride 1, dilation 1, one group, and enough
// input channels (times 4 or 9 for the larger kernels) for the transforms to pay. Independent
// of O, so that slices of the output channels all take the same path.
bool winograd_eligible(const Conv2dShape& s);
// Any square 3x3, 6x6 or 9x9 stride-1 dilation-1 single-group shape (what
// conv2d_winograd_f32 can compute).
bool winograd_supported(const Conv2dShape& s);

std::size_t winograd_workspace_size(const Conv2dShape& s);

// Requires winograd_supported(s); workspace: winograd_workspace_size(s) floats.
void conv2d_winograd_f32(float* y, const float* x, const float* w, const float* bias,
                         const Conv2dShape& s, bool relu, float* workspace);
// Only output rows [row0, row1) of every channel (the rest of y is not touched): row0 a
// multiple of winograd_row_unit() (the tile height), row1 one too or the output's height. The
// same bits as the whole call gives those rows: threads split a layer by rows this way
// (threaded.h), each transforming only the input under its own rows.
std::size_t winograd_row_unit();
void conv2d_winograd_rows_f32(float* y, const float* x, const float* w, const float* bias,
                              const Conv2dShape& s, bool relu, float* workspace, std::size_t row0,
                              std::size_t row1);

}  // namespace instyle
