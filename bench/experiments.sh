#!/usr/bin/env bash
# The seed lessons' experiments on a stream: each line is one full ./streamfit demo run on the full
# clothing-dataset-small (embedded broker, 3 epochs of augmented variants unless said). Tune on
# validation; the table in README takes val.accuracy from here.
#   bench/experiments.sh [DATA]   (default ../shared/data/clothing-dataset-small; ≈ 35 min)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-$ROOT/../shared/data/clothing-dataset-small}"
run() {
  local name="$1"; shift
  local out
  out=$("$ROOT/streamfit" demo --data "$DATA" --port 0 "$@" 2>/dev/null | grep '^RESULT')
  printf '%-28s %s | %s\n' "$name" "$*" "$(echo "$out" | tr '\n' ' ')"
}
run "baseline lr=0.005"       --learning-rate 0.005 --base mobilenetv2-0.35
run "lr=0.001"                --learning-rate 0.001 --base mobilenetv2-0.35
run "lr=0.01"                 --learning-rate 0.01 --base mobilenetv2-0.35
run "inner=100"               --learning-rate 0.005 --inner-size 100 --base mobilenetv2-0.35
run "inner=100 dropout=0.2"   --learning-rate 0.005 --inner-size 100 --dropout 0.2 --base mobilenetv2-0.35
run "no augmentation"         --learning-rate 0.005 --rotation 0 --shift 0 --zoom 0 --no-flip --base mobilenetv2-0.35
run "epochs=6"                --learning-rate 0.005 --epochs 6 --base mobilenetv2-0.35
run "base mobilenet-v1-0.75"  --learning-rate 0.005 --base mobilenet-v1-0.75
run "v1, no augmentation"     --learning-rate 0.005 --base mobilenet-v1-0.75 --rotation 0 --shift 0 --zoom 0 --no-flip
run "v1, lr=0.001"            --learning-rate 0.001 --base mobilenet-v1-0.75
run "v1, inner=100"           --learning-rate 0.005 --base mobilenet-v1-0.75 --inner-size 100
run "input 299"               --learning-rate 0.005 --image-size 299 --base mobilenetv2-0.35
run "v1, input 160"           --learning-rate 0.005 --base mobilenet-v1-0.75 --image-size 160
run "v1, input 299"           --learning-rate 0.005 --base mobilenet-v1-0.75 --image-size 299
