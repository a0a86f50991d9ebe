#include "model/graph.h"

#include <unordered_map>
#include <utility>

#include "model/eval.h"

namespace instyle::model {

const onnx::Attribute* Node::attr(const char* attr_name) const {
  for (const auto& a : attributes) {
    if (a.name == attr_name) return &a;
  }
  return nullptr;
}

int64_t Node::attr_int(const char* attr_name, int64_t fallback) const {
  const onnx::Attribute* a = attr(attr_name);
  return a ? a->i : fallback;
}

float Node::attr_float(const char* attr_name, float fallback) const {
  const onnx::Attribute* a = attr(attr_name);
  return a ? a->f : fallback;
}

std::string Node::attr_string(const char* attr_name, const std::string& fallback) const {
  const onnx::Attribute* a = attr(attr_name);
  return a ? a->s : fallback;
}

std::vector<int64_t> Node::attr_ints(const char* attr_name) const {
  const onnx::Attribute* a = attr(attr_name);
  return a ? a->ints : std::vector<int64_t>();
}

std::string Node::label() const {
  return "node '" + name + "' (" + op_type + ")";
}

int Graph::find_value(const std::string& name) const {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string dims_string(const std::vector<onnx::Dim>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    if (dims[i].value >= 0) {
      s += std::to_string(dims[i].value);
    } else {
      s += dims[i].param.empty() ? "?" : dims[i].param;
    }
  }
  return s + "]";
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

Result<Graph> build_graph(onnx::Model model) {
  Graph g;
  g.opset = model.default_opset();
  g.producer_name = model.producer_name;
  onnx::Graph& src = model.graph;
  for (const auto& o : model.opset_imports) {
    if (!o.domain.empty() && o.domain != "ai.onnx") continue;
    if (o.version < 1) return invalid_model("opset version " + std::to_string(o.version));
  }

  std::unordered_map<std::string, int> ids;
  auto add_value = [&](const std::string& name) {
    g.values.push_back(Value());
    g.values.back().name = name;
    const int id = static_cast<int>(g.values.size()) - 1;
    ids.emplace(name, id);
    return id;
  };

  for (auto& t : src.initializers) {
    if (t.name.empty()) return invalid_model("an initializer has no name");
    if (ids.count(t.name)) return invalid_model("initializer '" + t.name + "' is defined twice");
    const int id = add_value(t.name);
    g.values[id].is_const = true;
    g.values[id].data = std::move(t);
  }
  src.initializers.clear();

  for (auto& in : src.inputs) {
    auto it = ids.find(in.name);
    if (it != ids.end()) {
      // IR < 4 lists every weight as a graph input too; the initializer is its value.
      if (g.values[it->second].is_const) continue;
      return invalid_model("graph input '" + in.name + "' is listed twice");
    }
    if (in.name.empty()) return invalid_model("a graph input has no name");
    const int id = add_value(in.name);
    g.values[id].is_graph_input = true;
    g.values[id].declared = std::move(in);
    g.inputs.push_back(id);
  }

  // Node outputs: each name produced exactly once.
  g.nodes.resize(src.nodes.size());
  for (std::size_t n = 0; n < src.nodes.size(); ++n) {
    onnx::Node& sn = src.nodes[n];
    Node& node = g.nodes[n];
    node.name = sn.name.empty() ? "#" + std::to_string(n) : sn.name;
    node.op_type = sn.op_type;
    node.attributes = std::move(sn.attributes);
    if (!sn.domain.empty() && sn.domain != "ai.onnx") {
      return unsupported("unsupported op '" + sn.domain + "::" + sn.op_type + "' at node '" +
                         node.name + "' (only the default ONNX domain is supported)");
    }
    if (!op_from_onnx(sn.op_type, &node.op)) {
      return unsupported("unsupported op '" + sn.op_type + "' at node '" + node.name + "'");
    }
    for (const auto& out : sn.outputs) {
      if (out.empty()) {
        node.outputs.push_back(-1);  // an optional output nobody reads
        continue;
      }
      if (ids.count(out)) {
        return invalid_model(node.label() + ": output '" + out +
                             "' is already produced by another node, initializer or input");
      }
      const int id = add_value(out);
      g.values[id].producer = static_cast<int>(n);
      node.outputs.push_back(id);
    }
    if (node.outputs.empty() || node.outputs[0] < 0) {
      return invalid_model(node.label() + " has no output");
    }
  }
  for (std::size_t n = 0; n < src.nodes.size(); ++n) {
    Node& node = g.nodes[n];
    for (const auto& in : src.nodes[n].inputs) {
      if (in.empty()) {
        node.inputs.push_back(-1);
        continue;
      }
      auto it = ids.find(in);
      if (it == ids.end()) {
        return invalid_model(node.label() + ": input '" + in +
                             "' is missing (no node, initializer or graph input provides it)");
      }
      node.inputs.push_back(it->second);
    }
  }
  for (const auto& out : src.outputs) {
    auto it = ids.find(out.name);
    if (it == ids.end()) {
      return invalid_model("graph output '" + out.name + "' is not produced by any node");
    }
    g.values[it->second].is_graph_output = true;
    g.outputs.push_back(it->second);
  }
  if (g.outputs.empty()) return invalid_model("the graph has no outputs");

  // Kahn's algorithm: ONNX requires topological order, but sorting costs little and makes
  // cycles an error instead of a hang or a read of an unwritten buffer.
  const std::size_t count = g.nodes.size();
  std::vector<int> pending(count, 0);
  std::vector<std::vector<int>> consumers(g.values.size());
  for (std::size_t n = 0; n < count; ++n) {
    for (int v : g.nodes[n].inputs) {
      if (v >= 0 && g.values[v].producer >= 0) {
        ++pending[n];
        consumers[v].push_back(static_cast<int>(n));
      }
    }
  }
  std::vector<int> ready, order;
  order.reserve(count);
  for (std::size_t n = 0; n < count; ++n) {
    if (pending[n] == 0) ready.push_back(static_cast<int>(n));
  }
  // Take ready nodes in file order so the result stays close to the exporter's order.
  std::size_t head = 0;
  while (head < ready.size()) {
    const int n = ready[head++];
    order.push_back(n);
    for (int v : g.nodes[n].outputs) {
      if (v < 0) continue;
      for (int c : consumers[v]) {
        if (--pending[c] == 0) ready.push_back(c);
      }
    }
  }
  if (order.size() != count) {
    for (std::size_t n = 0; n < count; ++n) {
      if (pending[n] > 0) {
        return invalid_model("the graph has a cycle through " + g.nodes[n].label());
      }
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(count);
  for (int n : order) sorted.push_back(std::move(g.nodes[n]));
  g.nodes = std::move(sorted);
  for (std::size_t n = 0; n < count; ++n) {
    for (int v : g.nodes[n].outputs) {
      if (v >= 0) g.values[v].producer = static_cast<int>(n);
    }
  }
  return g;
}

Status fold_constants(Graph* graph) {
  Graph& g = *graph;
  std::vector<bool> dead(g.nodes.size(), false);
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    const Node& node = g.nodes[n];
    if (!op_info(node.op).folds) continue;
    bool all_const = true;
    std::vector<const Tensor*> inputs;
    for (int v : node.inputs) {
      if (v >= 0 && !g.values[v].is_const) all_const = false;
      inputs.push_back(v >= 0 ? &g.values[v].data : nullptr);
    }
    if (!all_const) continue;
    std::vector<Tensor> outputs;
    INSTYLE_RETURN_IF_ERROR(evaluate_node(node, g.opset, inputs, &outputs));
    for (std::size_t o = 0; o < node.outputs.size() && o < outputs.size(); ++o) {
      const int v = node.outputs[o];
      if (v < 0) continue;
      g.values[v].is_const = true;
      g.values[v].producer = -1;
      g.values[v].data = std::move(outputs[o]);
      g.values[v].data.name = g.values[v].name;
    }
    dead[n] = true;
  }

  // Nodes nothing downstream reads (a Dropout mask, exporter leftovers) are dead too.
  std::vector<bool> needed(g.values.size(), false);
  for (int v : g.outputs) needed[v] = true;
  for (std::size_t n = g.nodes.size(); n-- > 0;) {
    if (dead[n]) continue;
    bool any = false;
    for (int v : g.nodes[n].outputs) any = any || (v >= 0 && needed[v]);
    if (!any) {
      dead[n] = true;
      continue;
    }
    for (int v : g.nodes[n].inputs) {
      if (v >= 0) needed[v] = true;
    }
  }

  // Keep the live nodes, then free constants that no node and no output reads.
  std::vector<Node> live;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    if (!dead[n]) live.push_back(std::move(g.nodes[n]));
  }
  g.nodes = std::move(live);
  std::vector<bool> used(g.values.size(), false);
  for (auto& v : g.values) v.producer = -1;
  for (std::size_t n = 0; n < g.nodes.size(); ++n) {
    for (int v : g.nodes[n].inputs) {
      if (v >= 0) used[v] = true;
    }
    for (int v : g.nodes[n].outputs) {
      if (v >= 0) g.values[v].producer = static_cast<int>(n);
    }
  }
  for (int v : g.outputs) used[v] = true;
  for (std::size_t v = 0; v < g.values.size(); ++v) {
    if (g.values[v].is_const && !used[v]) {
      g.values[v].data.floats = std::vector<float>();
      g.values[v].data.ints = std::vector<int64_t>();
    }
  }
  return Status();
}

}  // namespace instyle::model
