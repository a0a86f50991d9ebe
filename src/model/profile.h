// profile.h: where a network's time goes, step by step. Runs the model `runs` times after one
// warm-up run, times each step of the plan (after folding and fusion: a Conv with its folded
// upsampling and ReLU is one step) and gives the median per step. Used by the native tool
// (tools/profile.cpp) and by the bindings (scripts/profile.mjs), so the WebAssembly build is
// profiled by the same code.
//
//   auto steps = profile(model, {input.data()}, {{1, 3, 256, 256}}, 20);
//   std::fputs(format_profile(steps.value()).c_str(), stdout);
#pragma once

#include <string>
#include <vector>

#include "model/model.h"

namespace instyle::model {

struct StepProfile {
  std::string label;  // "Conv 9x9/1 3->16 direct +Relu": the ONNX op and what its kind adds
  std::string group;  // what the summary sums it under: the op, and a convolution's kernel
  Shape output;
  double flops = 0;
  double ms = 0;  // median over the runs
};

Result<std::vector<StepProfile>> profile(Model& model, const std::vector<const float*>& inputs,
                                         const std::vector<Shape>& shapes, int runs);

// A table per step, then one per group, largest share first.
std::string format_profile(const std::vector<StepProfile>& steps);

}  // namespace instyle::model
