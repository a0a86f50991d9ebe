#!/bin/bash
# Trains style networks one after another, each resuming from its newest checkpoint, then
# exports each finished one to <cache>/train/<run>/model.onnx. Safe to start again after a
# stop or a new session: finished runs are skipped, unfinished ones resume.
#
#   nohup scripts/train/train_styles.sh cafe:full wave:full \
#         > ~/.cache/instyle/train/styles.log 2>&1 &
#   STEPS=4000 THREADS=2 scripts/train/train_styles.sh moss:full   # any train.py setting via env
#
# Extra train.py options can follow a "--": train_styles.sh cafe:full -- --size 192
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
specs=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do specs+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#specs[@]} -gt 0 ] || { echo "usage: $0 style:arch [style:arch ...] [-- train.py options]"; exit 2; }

$PY scripts/train/prepare_data.py
$PY scripts/train/nsfwjs_to_torch.py
for spec in "${specs[@]}"; do
  style=${spec%%:*}
  arch=${spec#*:}
  [ "$arch" = "$spec" ] && arch=full
  echo "== $(date '+%F %T') $style ($arch)"
  # A run stopped by a signal exits non-zero; set -e then stops this loop as well.
  $PY scripts/train/train.py --style "$style" --arch "$arch" \
      --steps "${STEPS:-2500}" --threads "${THREADS:-1}" "$@"
done
echo "== $(date '+%F %T') all done"
