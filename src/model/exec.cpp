// The executor: runs a plan's steps one at a time, each through its kind's run() (steps.h),
// on the pointers the plan's slots resolve to.
#include "model/plan.h"

namespace instyle::model {

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
  step_inputs_.clear();
  for (int v : s.inputs) step_inputs_.push_back(data(v));
  const StepArgs args{s,          mutable_data(s.output),     step_inputs_.data(),
                      workspace_, plan_.workspace_per_thread, options_};
  INSTYLE_RETURN_IF_ERROR(std::visit([&](const auto& op) { return op.run(args); }, s.op));
  flops_done_ += s.flops;
  ++next_;
  return Status();
}

}  // namespace instyle::model
