// libFuzzer target: the ONNX reader and everything a loaded file reaches (graph building,
// constant folding, planning, and a small run). Built with clang's -fsanitize=fuzzer,address,
// undefined by scripts/fuzz.sh, which also runs it for a bounded time from a seed corpus.
//
//   scripts/fuzz.sh --seconds 60                      # build, seed, fuzz
//   build-fuzz/build/onnx_reader_fuzz crash-<hash>    # replay one input
#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/model.h"
#include "onnx/onnx.h"

namespace {

using instyle::model::Model;
using instyle::model::Shape;

// Runs a loaded model on a small input when the plan stays cheap, so fuzzed graphs also
// exercise the planner's sizes and the executor's pointers under ASan.
void try_run(Model& m) {
  std::vector<Shape> shapes;
  const auto& g = m.graph();
  for (int v : g.inputs) {
    const auto& d = g.values[v].declared;
    Shape s;
    for (const auto& dim : d.dims) s.push_back(dim.value >= 1 && dim.value <= 64 ? dim.value : 8);
    if (!d.has_shape) s = {1, 3, 8, 8};
    shapes.push_back(s);
  }
  auto info = m.info(shapes);
  if (!info.ok()) return;
  if (info.value().arena_bytes + info.value().workspace_bytes > (std::size_t(64) << 20) ||
      info.value().flops > 2e8) {
    return;
  }
  std::vector<std::vector<float>> data;
  std::vector<const float*> ptrs;
  for (const Shape& s : shapes) {
    int64_t n = 1;
    for (int64_t d : s) n *= d;
    data.emplace_back(static_cast<std::size_t>(n), 0.5f);
  }
  for (const auto& d : data) ptrs.push_back(d.data());
  if (m.run(ptrs, shapes).ok()) {
    for (std::size_t o = 0; o < m.output_count(); ++o) (void)m.output(o);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  (void)instyle::onnx::parse_tensor(data, size);
  auto m = Model::load(data, size);
  if (m.ok()) try_run(*m.value());
  return 0;
}
