#!/usr/bin/env bash
# The docker-compose topology as local processes: 3 KRaft brokers (separate JVMs), serving, trainer (on the features
# stage's activations), 2 augment instances, 2 features instances and ingest, each its own JVM, on the bundled sample. One broker is SIGKILLed mid-run. Passes when every
# ingested image is on images.augmented or images.rejected (`streamfit check`), a model version is published
# and serving answers a prediction with it.
#   scripts/local-cluster.sh [DATA_DIR]        (default data/clothing-sample)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SF="$ROOT/streamfit"
DATA="${1:-$ROOT/data/clothing-sample}"
WORK="$(mktemp -d /tmp/streamfit-cluster-XXXX)"
V=1@127.0.0.1:19193,2@127.0.0.1:19293,3@127.0.0.1:19393
B=127.0.0.1:19192,127.0.0.1:19292,127.0.0.1:19392
COMMON=(--bootstrap-servers "$B" --replication-factor 3 --partitions 4 --topic-prefix lc-)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
"$SF" --help >/dev/null  # build once, before the clock
start=$(date +%s)
for n in 1 2 3; do
  "$SF" broker --node-id $n --port 19${n}92 --controller-port 19${n}93 --voters $V --log-dir "$WORK/k$n" >"$WORK/broker$n.log" 2>&1 &
  PIDS+=($!); eval "BROKER$n=$!"
done
for n in 1 2 3; do
  for _ in $(seq 1 120); do grep -q "broker up" "$WORK/broker$n.log" && break; sleep 0.5; done
done
echo "local-cluster: 3 brokers up ($(( $(date +%s) - start )) s), logs in $WORK"
"$SF" serve "${COMMON[@]}" --port 18080 >"$WORK/serve.log" 2>&1 & PIDS+=($!)
"$SF" train "${COMMON[@]}" --trainer-input features --work-dir "$WORK/trainer" --data "$DATA" >"$WORK/train.log" 2>&1 & PIDS+=($!)
"$SF" features "${COMMON[@]}" --features-threads 1 --work-dir "$WORK/features-a" --instance-id a >"$WORK/features-a.log" 2>&1 & PIDS+=($!)
"$SF" features "${COMMON[@]}" --features-threads 1 --work-dir "$WORK/features-b" --instance-id b >"$WORK/features-b.log" 2>&1 & PIDS+=($!)
"$SF" augment "${COMMON[@]}" --work-dir "$WORK/augment-a" --instance-id a >"$WORK/augment-a.log" 2>&1 & PIDS+=($!)
"$SF" augment "${COMMON[@]}" --work-dir "$WORK/augment-b" --instance-id b >"$WORK/augment-b.log" 2>&1 & PIDS+=($!)
"$SF" ingest "${COMMON[@]}" --data "$DATA" --labels dress,hat,longsleeve,outwear,pants,shirt,shoes,shorts,skirt,t-shirt \
  2>"$WORK/ingest.err" | tee "$WORK/ingest.log" | grep '^ingested'
# Take broker 2 down hard once the augment stage has committed some output, but not all of it.
for _ in $(seq 1 120); do
  PROGRESS="$("$SF" check "${COMMON[@]}" --timeout PT0S 2>/dev/null | grep '^check:' | tail -n 1 || true)"
  DONE="$(echo "$PROGRESS" | sed -n 's/.*published, \([0-9]*\) augmented.*/\1/p')"
  [ -n "$DONE" ] && [ "$DONE" -gt 0 ] && break
  sleep 1
done
echo "local-cluster: before the kill: $PROGRESS"
kill -9 "$BROKER2"
echo "local-cluster: broker 2 SIGKILLed at $(( $(date +%s) - start )) s"
"$SF" check "${COMMON[@]}" --timeout PT10M 2>"$WORK/check.err" | tail -n 2
for _ in $(seq 1 300); do
  if curl -sf http://127.0.0.1:18080/readyz >/dev/null; then break; fi; sleep 2
done
IMG="$(find "$DATA" -name '*.jpg' | sort | head -n 1)"
ANSWER="$(curl -sf --data-binary @"$IMG" http://127.0.0.1:18080/v1/predict)"
echo "local-cluster: prediction $ANSWER"
echo "$ANSWER" | grep -q '"modelVersion"'
echo "local-cluster: passed in $(( $(date +%s) - start )) s"
echo "RESULT local_cluster.wall_s $(( $(date +%s) - start ))"
