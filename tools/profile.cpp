// instyle_profile: where a network's time goes, step by step, natively.
//
//   ./build/instyle_profile styles/sequins.onnx 256x256 [--threads 2] [--runs 20]
//
// Loads an ONNX style network (input [1, 3, H, W], values 0..255) and prints model/profile.h's
// table: median milliseconds, share and GFLOP/s per step and per kind of step. The kernels are
// the ones WebAssembly runs, compiled for this processor (wider vectors), so compare shares
// with `npm run profile`, which runs the same code in the WebAssembly build.
#include "model/profile.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "parallel.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: instyle_profile MODEL.onnx WIDTHxHEIGHT [--threads N] [--runs N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return usage();
  int threads = 1, runs = 20, width = 0, height = 0;
  if (std::sscanf(argv[2], "%dx%d", &width, &height) != 2 || width < 8 || height < 8) {
    return usage();
  }
  for (int i = 3; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") {
      threads = std::atoi(argv[i + 1]);
    } else if (flag == "--runs") {
      runs = std::atoi(argv[i + 1]);
    } else {
      return usage();
    }
  }
  instyle::set_num_threads(threads);

  std::ifstream file(argv[1], std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                                   std::istreambuf_iterator<char>());
  auto model = instyle::model::Model::load(bytes.data(), bytes.size());
  if (!model.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], model.status().message().c_str());
    return 1;
  }
  // A picture in 0..255; the time does not depend on what it shows.
  std::vector<float> input(3 * std::size_t(width) * height);
  for (std::size_t i = 0; i < input.size(); ++i) input[i] = float((i * 7919) % 256);
  auto steps =
      instyle::model::profile(*model.value(), {input.data()}, {{1, 3, height, width}}, runs);
  if (!steps.ok()) {
    std::fprintf(stderr, "%s: %s\n", argv[1], steps.status().message().c_str());
    return 1;
  }
  std::printf("%s at %dx%d, %d thread%s, median of %d runs: ", argv[1], width, height, threads,
              threads > 1 ? "s" : "", runs);
  std::fputs(instyle::model::format_profile(steps.value()).c_str(), stdout);
  return 0;
}
