#!/usr/bin/env bash
# Runs the timing-sensitive tests (crash, hot swap, watch, end to end) N times with one core kept busy by
# another process, and counts passes per test: a test that does not pass N of N has a race to find.
#   scripts/flaky-check.sh [N]      (default 10; ≈ 4 min a round on 2 cores)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-10}"
TESTS=(AugmentCrashTest TrainerCrashTest HotSwapTest IngestWatchAndHttpTest EndToEndTest)
cd "$ROOT"
mvn -B -q -Dstyle.color=never install -DskipTests >/dev/null || exit 1
sh -c 'while :; do :; done' &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
declare -A passed
logs=$(mktemp -d)
for i in $(seq 1 "$N"); do
  start=$(date +%s)
  mvn -B -o -fae -Dstyle.color=never -pl ingest,serving,app test -Dsurefire.failIfNoSpecifiedTests=false \
    -Dtest="$(IFS=,; echo "${TESTS[*]}")" >"$logs/round-$i.log" 2>&1
  line="round $i: $(( $(date +%s) - start )) s"
  for t in "${TESTS[@]}"; do
    if grep -Eq "Tests run: [0-9]+, Failures: 0, Errors: 0, Skipped: 0, Time elapsed: .* in dev\.streamfit\.[a-z]+\.$t\$" \
        "$logs/round-$i.log"; then
      passed[$t]=$(( ${passed[$t]:-0} + 1 )); line="$line $t ok"
    else
      line="$line $t FAILED"
    fi
  done
  echo "$line"
done
echo "logs in $logs"
for t in "${TESTS[@]}"; do
  echo "$t: ${passed[$t]:-0} of $N passed"
  echo "RESULT flaky.$t.passed ${passed[$t]:-0}"
done
