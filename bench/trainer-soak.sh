#!/usr/bin/env bash
# Trainer soak benchmark: the CI soak test (app TrainerSoakTest) over many more records.
# The trainer runs as its own JVM (512 MiB heap, pre-touched, continuous mode: rehearsal 0.5, bounded windows) over a stream of
# generated glyph samples, 8 in 10 train, every image a new id; every second the test prints the trainer's RSS, the
# newest checkpoint's size, samples trained and validation accuracy, and after warm-up asserts the checkpoint size
# flat (< 5 %), RSS bounded (< 30 % growth) and validation accuracy not degrading (within 0.1 of its best).
#   bench/trainer-soak.sh [TRAIN_RECORDS]     (default 30000)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TRAIN="${1:-30000}"
cd "$ROOT"
start=$(date +%s)
mvn -B -q -Dstyle.color=never install -DskipTests >/dev/null
log=$(mktemp)
if mvn -B -Dstyle.color=never test -pl app -Dtest=TrainerSoakTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dstreamfit.soak.train="$TRAIN" -Djunit.test.timeout="$(( TRAIN / 500 + 20 )) m" -Dsurefire.fork.timeout=0 \
    >"$log" 2>&1; then ok=1; else ok=0; fi
grep -E "soak:|Tests run:|FAIL|expected|Expect" "$log" | sed 's/\x1b\[[0-9;]*m//g'
line=$(grep -o "soak: [0-9]* train records; .*" "$log" | head -1 || true)
echo "RESULT trainer_soak.train_records $TRAIN"
echo "RESULT trainer_soak.passed $ok"
echo "RESULT ratio.trainer_soak.checkpoint_max_over_min $(echo "$line" | sed -n 's/.*KB (x\([0-9.]*\)).*/\1/p')"
echo "RESULT ratio.trainer_soak.rss_max_over_warm $(echo "$line" | sed -n 's/.*MB (x\([0-9.]*\)).*/\1/p')"
echo "RESULT trainer_soak.val_last $(echo "$line" | sed -n 's/.*val last \([0-9.]*\).*/\1/p')"
echo "RESULT trainer_soak.wall_s $(( $(date +%s) - start ))"
[ "$ok" = 1 ] || { echo "log: $log" >&2; exit 1; }
