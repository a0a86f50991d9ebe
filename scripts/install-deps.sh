#!/usr/bin/env bash
# Installs the Debian packages instyle's build and tests need, only those missing.
# Run by `npm start`, `npm test` and `.ci/run`; safe to run again (it does nothing then).
# Versions seen working: Emscripten 3.1.6, xsimd 8.1.0, GoogleTest 1.12, Chromium 156.
set -euo pipefail

packages=(
  cmake g++ clang                      # native build, libFuzzer
  clang-format                         # npm run lint
  libgtest-dev libbenchmark-dev        # native tests and microbenchmarks
  libxsimd-dev libeigen3-dev           # SIMD kernels, eigen-decompositions (headers only)
  emscripten binaryen                  # WASM build (emcc, wasm-dis)
  node-acorn                           # emcc's JS optimizer needs acorn (NODE_PATH=/usr/share/nodejs)
  libonnx-testdata                     # ONNX op conformance vectors (outside reference)
  libonnx-dev libprotobuf-dev protobuf-compiler  # reading the conformance .pb tensors natively
  python3-onnx python3-numpy           # generating test models
  python3-torch                        # PyTorch reference outputs for the model runner
  libopenblas0-pthread                 # fast BLAS for PyTorch (see TOOLCHAIN.md)
  chromium                             # browser tests, driven by playwright-core
  imagemagick                          # test photos and screenshots
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "instyle: installing Debian packages: ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
