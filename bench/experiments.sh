#!/usr/bin/env bash
# The seed lessons' experiments on a stream: each line is one full ./streamfit demo run on the full
# clothing-dataset-small (embedded broker). Tune on validation; the README tables take val.accuracy
# from here (test.accuracy is read only for the chosen configuration).
#   bench/experiments.sh [GROUP] [DATA]
#     GROUP frozen    the frozen-base sweep (learning rate, inner layer, dropout, augmentation, input size;
#                     3 interleaved epochs, constant rate)                                   ≈ 35 min
#     GROUP finetune  fine-tuning, schedules, optimizer, head (8 epoch-major epochs)         ≈ 80 min
#     GROUP distill   teacher (MobileNet v1 0.75 at 299, top 2 blocks fine-tuned) then a distilled student
#                     (the same base at 160) on the teacher's samples; prints their comparison  ≈ 30 min
#   default: finetune; DATA defaults to ../shared/data/clothing-dataset-small
# All runs of a group share one broker (each its own topic prefix); at the end `streamfit runs` prints them side by
# side as the Markdown table the README shows (the configuration keys that differ, champion val/test accuracy).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
GROUP="${1:-finetune}"
DATA="${2:-$ROOT/../shared/data/clothing-dataset-small}"
PORT="${EXPERIMENTS_PORT:-19092}"
LOGDIR="$(mktemp -d)"
"$ROOT/streamfit" broker --port "$PORT" >"$LOGDIR.broker.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; wait $BROKER 2>/dev/null; rm -rf "$LOGDIR" "$LOGDIR.broker.log"' EXIT
for _ in $(seq 120); do grep -q '^broker up' "$LOGDIR.broker.log" && break; sleep 1; done
grep -q '^broker up' "$LOGDIR.broker.log" || { echo "broker did not start: $(tail -3 "$LOGDIR.broker.log")" >&2; exit 1; }
N=0
run() {
  local name="$1"; shift
  local out
  N=$((N + 1))
  out=$("$ROOT/streamfit" demo --data "$DATA" --port 0 --bootstrap-servers "127.0.0.1:$PORT" --topic-prefix "e$N-" \
    --work-dir "$LOGDIR/work" "$@" 2>/dev/null | grep '^RESULT')
  printf '%-34s %s | %s\n' "$name" "$*" "$(echo "$out" | tr '\n' ' ')"
}
case "$GROUP" in
frozen)
  F=(--epochs 3 --epoch-mode interleaved)
  run "baseline lr=0.005"       "${F[@]}" --learning-rate 0.005 --base mobilenetv2-0.35
  run "lr=0.001"                "${F[@]}" --learning-rate 0.001 --base mobilenetv2-0.35
  run "lr=0.01"                 "${F[@]}" --learning-rate 0.01 --base mobilenetv2-0.35
  run "inner=100"               "${F[@]}" --learning-rate 0.005 --inner-size 100 --base mobilenetv2-0.35
  run "inner=100 dropout=0.2"   "${F[@]}" --learning-rate 0.005 --inner-size 100 --dropout 0.2 --base mobilenetv2-0.35
  run "no augmentation"         "${F[@]}" --learning-rate 0.005 --rotation 0 --shift 0 --zoom 0 --no-flip --base mobilenetv2-0.35
  run "epochs=6"                --epochs 6 --epoch-mode interleaved --learning-rate 0.005 --base mobilenetv2-0.35
  run "base mobilenet-v1-0.75"  "${F[@]}" --learning-rate 0.005 --base mobilenet-v1-0.75
  run "v1, no augmentation"     "${F[@]}" --learning-rate 0.005 --base mobilenet-v1-0.75 --rotation 0 --shift 0 --zoom 0 --no-flip
  run "v1, lr=0.001"            "${F[@]}" --learning-rate 0.001 --base mobilenet-v1-0.75
  run "v1, inner=100"           "${F[@]}" --learning-rate 0.005 --base mobilenet-v1-0.75 --inner-size 100
  run "input 299"               "${F[@]}" --learning-rate 0.005 --image-size 299 --base mobilenetv2-0.35
  run "v1, input 160"           "${F[@]}" --learning-rate 0.005 --base mobilenet-v1-0.75 --image-size 160
  run "v1, input 299"           "${F[@]}" --learning-rate 0.005 --base mobilenet-v1-0.75 --image-size 299
  ;;
finetune)
  # 8 epochs x 3068 train images / batch 16 = 1534 steps: the cosine schedule's length.
  C=(--base mobilenet-v1-0.75 --epochs 8 --shuffle-buffer 1024 --learning-rate 0.005)
  COS=(--lr-schedule cosine --lr-schedule-steps 1534)
  run "fine-tune 2 blocks, cosine"  "${C[@]}" "${COS[@]}" --fine-tune-blocks 2 --fine-tune-learning-rate 0.0002
  run "frozen, cosine"              "${C[@]}" "${COS[@]}"
  run "fine-tune 2, constant rate"  "${C[@]}" --fine-tune-blocks 2 --fine-tune-learning-rate 0.0002
  run "fine-tune 4 blocks, cosine"  "${C[@]}" "${COS[@]}" --fine-tune-blocks 4 --fine-tune-learning-rate 0.0002
  run "fine-tune 2, rate 0.001"     "${C[@]}" "${COS[@]}" --fine-tune-blocks 2 --fine-tune-learning-rate 0.001
  run "fine-tune 2, inner 100 + dropout 0.2" "${C[@]}" "${COS[@]}" --fine-tune-blocks 2 --fine-tune-learning-rate 0.0002 --inner-size 100 --dropout 0.2
  run "fine-tune 2, SGD 0.05 m 0.9" --base mobilenet-v1-0.75 --epochs 8 --shuffle-buffer 1024 "${COS[@]}" --optimizer sgd --learning-rate 0.05 --fine-tune-blocks 2 --fine-tune-learning-rate 0.002
  run "fine-tune 2, no augmentation" "${C[@]}" "${COS[@]}" --fine-tune-blocks 2 --fine-tune-learning-rate 0.0002 --rotation 0 --shift 0 --zoom 0 --no-flip
  ;;
distill)
  T=(--base mobilenet-v1-0.75 --epochs 8 --shuffle-buffer 1024 --fine-tune-blocks 2 --fine-tune-learning-rate 0.001
     --lr-schedule cosine --lr-schedule-steps 1534 --image-size 299 --timeout PT60M)
  run "teacher v1@299 + student v1@160" "${T[@]}" --distill --student "--base mobilenet-v1-0.75 --image-size 160
     --fine-tune-blocks 2 --fine-tune-learning-rate 0.001 --lr-schedule cosine --lr-schedule-steps 1534 --shuffle-buffer 1024"
  ;;
*) echo "unknown group $GROUP (frozen|finetune|distill)" >&2; exit 2 ;;
esac
"$ROOT/streamfit" runs --bootstrap-servers "127.0.0.1:$PORT" 2>/dev/null
