#include "model/model.h"

#include <algorithm>
#include <cstdlib>
#include <map>

#include "model/eval.h"
#include "parallel.h"

namespace instyle::model {
namespace {

constexpr std::size_t kCachedPlans = 3;  // e.g. thumbnail, tile, edge tile

// Shapes to check a freshly loaded model with: declared dims, symbolic ones at a typical
// photo size (batch 1, 3 channels, 256 x 256).
std::vector<Shape> probe_shapes(const Graph& g, bool* all_known) {
  std::vector<Shape> shapes;
  *all_known = true;
  for (int v : g.inputs) {
    const onnx::ValueInfo& d = g.values[v].declared;
    if (!d.has_shape) {
      *all_known = false;
      shapes.push_back({1, 3, 256, 256});
      continue;
    }
    Shape s;
    for (std::size_t i = 0; i < d.dims.size(); ++i) {
      if (d.dims[i].value >= 1) {
        s.push_back(d.dims[i].value);
      } else {
        *all_known = false;
        s.push_back(i == 0 ? 1 : (i == 1 && d.dims.size() == 4) ? 3 : 256);
      }
    }
    shapes.push_back(s);
  }
  return shapes;
}

}  // namespace

Model::Model(Graph graph) : graph_(std::move(graph)) {}

Model::~Model() {
  release();
}

Result<std::unique_ptr<Model>> Model::load(const uint8_t* data, std::size_t size) {
  auto parsed = onnx::parse_model(data, size);
  if (!parsed.ok()) return parsed.status();
  std::map<std::string, int> counts;
  for (const auto& n : parsed.value().graph.nodes) ++counts[n.op_type];
  auto graph = build_graph(parsed.take());
  if (!graph.ok()) return graph.status();
  auto model = from_graph(graph.take());
  if (!model.ok()) return model.status();
  model.value()->op_counts_.assign(counts.begin(), counts.end());
  return model;
}

Result<std::unique_ptr<Model>> Model::from_graph(Graph graph) {
  INSTYLE_RETURN_IF_ERROR(fold_constants(&graph));
  std::unique_ptr<Model> model(new Model(std::move(graph)));
  if (model->op_counts_.empty()) {
    std::map<std::string, int> counts;
    for (const auto& n : model->graph_.nodes) ++counts[n.op_type];
    model->op_counts_.assign(counts.begin(), counts.end());
  }
  // Plan once now so an unsupported construct fails at load, not at the first run. A size
  // the network cannot take is no reason to refuse it: the caller's sizes decide.
  bool all_known = false;
  const std::vector<Shape> shapes = probe_shapes(model->graph_, &all_known);
  auto plan = make_plan(model->graph_, shapes, 1);
  if (!plan.ok() && (all_known || plan.status().code() != ErrorCode::kInvalidArgument)) {
    return plan.status();
  }
  return model;
}

Result<Plan*> Model::plan_for(const std::vector<Shape>& shapes) {
  const int threads = num_threads();
  for (std::size_t i = 0; i < plans_.size(); ++i) {
    if (plans_[i]->input_shapes == shapes && plans_[i]->threads == threads) {
      std::rotate(plans_.begin(), plans_.begin() + i, plans_.begin() + i + 1);
      return plans_[0].get();
    }
  }
  auto plan = make_plan(graph_, shapes, threads);
  if (!plan.ok()) return plan.status();
  plans_.insert(plans_.begin(), std::make_unique<Plan>(plan.take()));
  if (plans_.size() > kCachedPlans) {
    if (plans_.back().get() == active_) {
      exec_.reset();
      active_ = nullptr;
    }
    plans_.pop_back();
  }
  return plans_[0].get();
}

Result<ReceptiveField> Model::receptive_field(const std::vector<Shape>& input_shapes) {
  auto plan = plan_for(input_shapes);
  if (!plan.ok()) return plan.status();
  return instyle::model::receptive_field(*plan.value());
}

Result<ModelInfo> Model::info(const std::vector<Shape>& input_shapes) {
  ModelInfo info;
  info.opset = graph_.opset;
  info.producer = graph_.producer_name;
  info.ops = op_counts_;
  for (std::size_t i = 0; i < graph_.inputs.size(); ++i) {
    const Value& v = graph_.values[graph_.inputs[i]];
    if (i) info.input_signature += ", ";
    info.input_signature += v.name + " " + dims_string(v.declared.dims);
  }
  std::vector<bool> weight(graph_.values.size(), false);
  for (const Node& n : graph_.nodes) {
    const bool layer = n.op == Op::kConv || n.op == Op::kConvTranspose ||
                       n.op == Op::kInstanceNormalization || n.op == Op::kBatchNormalization ||
                       n.op == Op::kAdd || n.op == Op::kSub || n.op == Op::kMul ||
                       n.op == Op::kDiv || n.op == Op::kConcat;
    for (int v : n.inputs) {
      if (layer && v >= 0) weight[v] = true;
    }
    if (n.op == Op::kInstanceNormalization) ++info.norm_layers;
  }
  for (std::size_t v = 0; v < graph_.values.size(); ++v) {
    const Tensor& t = graph_.values[v].data;
    if (!graph_.values[v].is_const) continue;
    info.weight_bytes +=
        uint64_t(t.floats.size()) * sizeof(float) + uint64_t(t.ints.size()) * sizeof(int64_t);
    if (weight[v]) info.parameters += static_cast<int64_t>(t.floats.size());
  }
  auto plan = plan_for(input_shapes);
  if (!plan.ok()) return plan.status();
  const Plan& p = *plan.value();
  info.input_shape = input_shapes.empty() ? Shape() : input_shapes[0];
  info.output_shape = p.outputs.empty() ? Shape() : p.output_shape(0);
  info.steps = p.steps.size();
  info.flops = p.flops;
  info.arena_bytes = uint64_t(p.arena_floats) * sizeof(float);
  info.workspace_bytes = uint64_t(p.workspace_floats) * sizeof(float);
  for (const Shape& s : input_shapes) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    info.io_bytes += static_cast<uint64_t>(n) * sizeof(float);
  }
  for (std::size_t o = 0; o < p.outputs.size(); ++o) {
    int64_t n = 1;
    for (int64_t d : p.output_shape(o)) n *= d;
    info.io_bytes += static_cast<uint64_t>(n) * sizeof(float);
  }
  info.peak_bytes = info.arena_bytes + info.workspace_bytes + info.io_bytes + info.weight_bytes;
  return info;
}

Status Model::reserve(std::size_t floats) {
  if (floats <= memory_.size()) return Status();
  memory_.clear();  // the old block goes before the larger one is asked for
  return memory_.resize(floats, "activations (try a smaller image)");
}

Status Model::prepare(const std::vector<Shape>& input_shapes) {
  auto plan = plan_for(input_shapes);
  if (!plan.ok()) return plan.status();
  if (plan.value() != active_) {
    exec_.reset();  // a run in progress would lose its memory below
    active_ = nullptr;
  }
  return reserve(plan.value()->arena_floats + plan.value()->workspace_floats);
}

Status Model::start(std::vector<const float*> inputs, const std::vector<Shape>& shapes,
                    RunOptions options) {
  exec_.reset();
  active_ = nullptr;
  if (inputs.size() != shapes.size()) {
    return invalid_argument("got " + std::to_string(inputs.size()) + " inputs but " +
                            std::to_string(shapes.size()) + " shapes");
  }
  for (const float* p : inputs) {
    if (!p) return invalid_argument("input data is null");
  }
  auto plan = plan_for(shapes);
  if (!plan.ok()) return plan.status();
  Plan* p = plan.value();
  INSTYLE_RETURN_IF_ERROR(reserve(p->arena_floats + p->workspace_floats));
  active_ = p;
  exec_ = std::make_unique<Execution>(*p, memory_.data(), memory_.data() + p->arena_floats,
                                      std::move(inputs), options);
  return Status();
}

int Model::norm_layer_index(const std::string& name) const {
  int index = 0;
  for (const Node& node : graph_.nodes) {
    if (node.op != Op::kInstanceNormalization) continue;
    if (node.name == name) return index;
    ++index;
  }
  return -1;
}

Status Model::step(std::size_t max_steps) {
  if (!exec_) return invalid_argument("no run in progress");
  const KeepThreadsWarm warm;  // the steps follow one another closely (parallel.h)
  for (std::size_t i = 0; i < max_steps && !exec_->done(); ++i) {
    const Status s = exec_->step();
    if (!s.ok()) {
      exec_.reset();
      return s;
    }
  }
  return Status();
}

double Model::progress() const {
  if (!exec_ || !active_) return 0.0;
  if (exec_->done()) return 1.0;
  return active_->flops > 0 ? exec_->flops_done() / active_->flops : 0.0;
}

Status Model::run(std::vector<const float*> inputs, const std::vector<Shape>& shapes,
                  RunOptions options) {
  INSTYLE_RETURN_IF_ERROR(start(std::move(inputs), shapes, options));
  return step(SIZE_MAX);
}

const float* Model::output(std::size_t i) const {
  if (!exec_ || !exec_->done() || i >= graph_.outputs.size()) return nullptr;
  return exec_->output(i);
}

const Shape& Model::output_shape(std::size_t i) const {
  static const Shape kEmpty;
  if (!active_ || i >= active_->outputs.size()) return kEmpty;
  return active_->output_shape(i);
}

void Model::release() {
  exec_.reset();
  active_ = nullptr;
  plans_.clear();
  memory_.clear();
}

}  // namespace instyle::model
