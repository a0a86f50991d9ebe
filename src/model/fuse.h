// fuse.h: the planner's fusion pass, run after lowering and before arena placement (place.h).
// Pad and nearest-neighbour upsampling fold into the convolution that reads them; Relu folds
// into the Conv, norm or Add before it. Only values nothing else reads are fused away.
#pragma once

#include "model/graph.h"
#include "model/plan.h"

namespace instyle::model {

void fuse_steps(const Graph& graph, Plan* plan);

}  // namespace instyle::model
