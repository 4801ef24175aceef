#!/usr/bin/env bash
# Trainer crash benchmark: the CI crash test (app TrainerCrashTest) with many more SIGKILLs.
# The trainer runs as its own JVM over max(520, 60 x kills) records; after every kill a new one resumes
# from the newest valid checkpoint. Passes only if the published versions and the final checkpoint
# count every record exactly once and versions strictly increase.
#   bench/trainer-crash.sh [KILLS]     (default 200; about 6 s per kill on 2 cores)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KILLS="${1:-200}"
cd "$ROOT"
start=$(date +%s)
mvn -B -q -Dstyle.color=never install -DskipTests >/dev/null
log=$(mktemp)
if mvn -B -Dstyle.color=never test -pl app -Dtest=TrainerCrashTest -Dsurefire.failIfNoSpecifiedTests=false \
    -Dstreamfit.crash.kills="$KILLS" -Djunit.test.timeout="$(( KILLS / 10 + 10 )) m" -Dsurefire.fork.timeout=0 \
    >"$log" 2>&1; then ok=1; else ok=0; fi
grep -E "crash test:|Tests run:|FAIL" "$log" | sed 's/\x1b\[[0-9;]*m//g' | head -5
line=$(grep -o "crash test: .*" "$log" | head -1 || true)
echo "RESULT trainer_crash.kills $KILLS"
echo "RESULT trainer_crash.passed $ok"
echo "RESULT trainer_crash.versions $(echo "$line" | sed -n 's/.* \([0-9]*\) versions.*/\1/p')"
echo "RESULT trainer_crash.resent $(echo "$line" | sed -n 's/.*(\([0-9]*\) re-sent).*/\1/p')"
echo "RESULT trainer_crash.resumes $(echo "$line" | sed -n 's/.* \([0-9]*\) resumes.*/\1/p')"
echo "RESULT trainer_crash.wall_s $(( $(date +%s) - start ))"
[ "$ok" = 1 ] || { echo "log: $log" >&2; exit 1; }
