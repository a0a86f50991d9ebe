#!/usr/bin/env bash
# Builds the libFuzzer target for the ONNX reader and model loader (clang, ASan + UBSan) and
# runs it for a bounded time on a corpus seeded with small ONNX files: Debian's conformance
# models and instyle's generated test models. Exits non-zero when the fuzzer finds a crash
# (the input is saved as OUT/crash-*). ctest runs it as `onnx_reader_fuzz`.
#   scripts/fuzz.sh [--seconds 30] [--runs N] [--out build-fuzz] [--models DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
runs=-1
out=build-fuzz
models=build/test-models
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

CXX=clang++ cmake -S fuzz -B "$out/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$out/build" -j"${JOBS:-2}" >/dev/null

# Seeds: every conformance model (a few hundred bytes each) and the small generated models.
seeds="$out/seeds"
mkdir -p "$seeds" "$out/corpus"
if [ -d /usr/share/libonnx-testdata/data ]; then
  for f in /usr/share/libonnx-testdata/data/*/test_*/model.onnx; do
    name=$(basename "$(dirname "$f")")
    [ -f "$seeds/$name.onnx" ] || cp "$f" "$seeds/$name.onnx"
  done
fi
if [ -d "$models" ]; then
  find "$models" -name '*.onnx' -size -400k -exec cp -u {} "$seeds/" \;
fi

set +e
"$out/build/onnx_reader_fuzz" "$out/corpus" "$seeds" \
  -max_total_time="$seconds" -runs="$runs" -max_len=300000 -rss_limit_mb=2560 -timeout=30 \
  -print_final_stats=1 -artifact_prefix="$out/" > "$out/last-run.log" 2>&1
status=$?
set -e
grep -E "INITED|DONE|stat::number_of_executed_units|stat::peak_rss" "$out/last-run.log" || true
if [ $status -ne 0 ]; then
  tail -n 60 "$out/last-run.log"
  echo "fuzz: the fuzzer failed (status $status); inputs that crash are in $out/" >&2
fi
exit $status
