// tiles.h: what tiled inference needs to know about a planned network.
//
// A big photo is stylized as overlapping tiles, each run with instance norm statistics
// recorded once on a thumbnail (RunOptions::replay; Chen et al., AAAI 2022, "Thumbnail
// Instance Normalization"). With the statistics fixed, every layer is local, so an output
// pixel depends only on input pixels within the network's receptive field. A tile whose
// margin covers that radius, and whose origin falls on the network's stride grid, gives the
// pixels of its core exactly as a run over the whole image with the same statistics would.
//
//   auto rf = instyle::model::receptive_field(plan);
//   std::size_t margin = rf.value().margin();   // 64 for the fast-neural-style network, 48 light
#pragma once

#include <cstddef>

#include "model/plan.h"
#include "status.h"

namespace instyle::model {

struct ReceptiveField {
  // Input pixels on either side of an output pixel's position that it may depend on: an
  // upper bound (kernels are counted in full, resampling adds a neighbour on each side).
  double radius = 0;
  // The network's total stride (e.g. 4 after two stride-2 convolutions): tile origins and
  // core sizes must be multiples of it for the tiles' sampling grids to match the image's.
  std::size_t align = 1;
  // A margin covering the radius, rounded up to the alignment.
  std::size_t margin() const;
};

// For the plan's first input, which must be [N, C, H, W], and its first output, which must
// be at the input's scale (style networks are). Fails with kUnsupported otherwise, naming
// the reason.
Result<ReceptiveField> receptive_field(const Plan& plan);

}  // namespace instyle::model
