#include "model/profile.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <variant>

#include "conv.h"
#include "parallel.h"

namespace instyle::model {
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

std::string shape_text(const Shape& s) {
  std::string t;
  for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "x" : "") + std::to_string(s[i]);
  return t;
}

std::string label(const Graph& graph, const Step& step) {
  std::string text = graph.nodes[step.node].op_type;
  const std::string detail = std::visit([](const auto& op) { return op.describe(); }, step.op);
  if (!detail.empty()) text += " " + detail;
  if (step.relu) text += " +Relu";
  return text;
}

std::string group(const Graph& graph, const Step& step) {
  std::string g = graph.nodes[step.node].op_type;
  if (const auto* conv = std::get_if<ConvStep>(&step.op)) {
    const Conv2dShape& c = conv->conv;
    g += " " + std::to_string(c.kH) + "x" + std::to_string(c.kW) + " " + conv2d_algorithm(c);
  }
  return g;
}

template <typename... Args>
std::string printf_string(const char* format, Args... args) {
  char line[256];
  std::snprintf(line, sizeof line, format, args...);
  return line;
}

}  // namespace

Result<std::vector<StepProfile>> profile(Model& model, const std::vector<const float*>& inputs,
                                         const std::vector<Shape>& shapes, int runs) {
  using Clock = std::chrono::steady_clock;
  std::vector<std::vector<double>> times;
  std::vector<StepProfile> steps;
  const KeepThreadsWarm warm;                           // between the timed steps too, as in a run
  for (int run = -1; run < std::max(runs, 1); ++run) {  // run -1 warms up
    INSTYLE_RETURN_IF_ERROR(model.start(inputs, shapes));
    const Plan& plan = *model.active_plan();
    if (steps.empty()) {
      for (const Step& s : plan.steps) {
        steps.push_back({label(model.graph(), s), group(model.graph(), s),
                         plan.values[s.output].shape, s.flops, 0});
      }
      times.resize(steps.size());
    }
    for (std::size_t i = 0; !model.done(); ++i) {
      const auto t0 = Clock::now();
      INSTYLE_RETURN_IF_ERROR(model.step(1));
      const std::chrono::duration<double, std::milli> dt = Clock::now() - t0;
      if (run >= 0) times[i].push_back(dt.count());
    }
  }
  for (std::size_t i = 0; i < steps.size(); ++i) steps[i].ms = median(times[i]);
  return steps;
}

std::string format_profile(const std::vector<StepProfile>& steps) {
  double total_ms = 0, total_flops = 0;
  for (const StepProfile& s : steps) {
    total_ms += s.ms;
    total_flops += s.flops;
  }
  const auto rate = [](double flops, double ms) { return flops / 1e6 / std::max(ms, 1e-9); };
  std::string out = printf_string("total %.2f ms, %.2f GFLOP, %.1f GFLOP/s\n\n", total_ms,
                                  total_flops / 1e9, rate(total_flops, total_ms));
  out += printf_string("%3s  %-38s %-16s %9s %8s %6s %8s\n", "#", "step", "output", "MFLOP", "ms",
                       "share", "GFLOP/s");
  struct Sum {
    double ms = 0, flops = 0;
    int count = 0;
  };
  std::map<std::string, Sum> groups;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const StepProfile& s = steps[i];
    out += printf_string("%3zu  %-38s %-16s %9.1f %8.3f %5.1f%% %8.1f\n", i, s.label.c_str(),
                         shape_text(s.output).c_str(), s.flops / 1e6, s.ms, 100 * s.ms / total_ms,
                         rate(s.flops, s.ms));
    Sum& g = groups[s.group];
    g.ms += s.ms;
    g.flops += s.flops;
    ++g.count;
  }
  std::vector<std::pair<std::string, Sum>> sorted(groups.begin(), groups.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
  out += printf_string("\n%-30s %5s %9s %8s %6s %8s\n", "by kind", "steps", "MFLOP", "ms", "share",
                       "GFLOP/s");
  for (const auto& [name, g] : sorted) {
    out += printf_string("%-30s %5d %9.1f %8.3f %5.1f%% %8.1f\n", name.c_str(), g.count,
                         g.flops / 1e6, g.ms, 100 * g.ms / total_ms, rate(g.flops, g.ms));
  }
  return out;
}

}  // namespace instyle::model
