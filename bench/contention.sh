#!/usr/bin/env bash
# Forward throughput with a core taken by another process, under each OpenMP wait policy (issue 19's target 5 and
# its thread plan: measure before choosing). For each policy (the default, i.e. OMP_WAIT_POLICY unset, and passive):
# `./streamfit bench model` on MobileNetV2-0.35 @224, batch 16 and batch 1 at 2 threads, quiet, then again while a
# shell loop spins on one core. Reports each busy/quiet ratio (same policy, same run) and passive/default ratios.
# The machines are noisy (the same figure moves 2x between minutes): ROUNDS rounds interleave every condition and
# the median per condition is reported.
#   bench/contention.sh [ROUNDS] [RUNS]     (default 3 rounds; RUNS timed runs per figure inside bench model, default 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${1:-3}"
RUNS="${2:-3}"
cd "$ROOT"
rate() { # policy busy config → img/s
  local policy=$1 busy=$2 cfg=$3 spinner="" out
  if [ "$busy" = 1 ]; then
    bash -c 'while :; do :; done' & spinner=$!
  fi
  out=$(env ${policy:+OMP_WAIT_POLICY=$policy} ./streamfit bench model --bases mobilenetv2-0.35 --sizes 224 \
      --configs "$cfg" --no-peer --no-stock --runs "$RUNS" 2>&1 || true)
  if [ -n "$spinner" ]; then kill "$spinner"; wait "$spinner" 2>/dev/null || true; fi
  echo "$out" | sed -n "s/.*mobilenetv2-0.35.224.bs${cfg%%:*}.t${cfg##*:} *forward *\([0-9.]*\) img\/s.*/\1/p" | head -1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print 0 }'; }
echo "machine: $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); $ROUNDS rounds"
declare -A R
for round in $(seq 1 "$ROUNDS"); do
  for cfg in 16:2 1:2; do
    for policy in "" passive; do
      name=${policy:-default}
      R[$name.$cfg.q]="${R[$name.$cfg.q]:-} $(rate "$policy" 0 "$cfg")"
      R[$name.$cfg.b]="${R[$name.$cfg.b]:-} $(rate "$policy" 1 "$cfg")"
    done
  done
  echo "round $round done" >&2
done
printf "%-22s %24s %24s %8s\n" "policy, batch:threads" "quiet img/s (median; all)" "busy img/s (median; all)" "busy/quiet"
declare -A M
for cfg in 16:2 1:2; do
  for name in default passive; do
    M[$name.$cfg.q]=$(echo "${R[$name.$cfg.q]}" | median); M[$name.$cfg.b]=$(echo "${R[$name.$cfg.b]}" | median)
    printf "%-22s %24s %24s %8s\n" "$name, $cfg" "${M[$name.$cfg.q]};${R[$name.$cfg.q]}" "${M[$name.$cfg.b]};${R[$name.$cfg.b]}" \
      "$(ratio "${M[$name.$cfg.b]}" "${M[$name.$cfg.q]}")"
  done
done
for cfg in 16:2 1:2; do
  bs=${cfg%%:*}
  echo "RESULT ratio.contention.default.bs$bs.busy_over_quiet $(ratio "${M[default.$cfg.b]}" "${M[default.$cfg.q]}")"
  echo "RESULT ratio.contention.passive.bs$bs.busy_over_quiet $(ratio "${M[passive.$cfg.b]}" "${M[passive.$cfg.q]}")"
  echo "RESULT ratio.contention.bs$bs.quiet.passive_over_default $(ratio "${M[passive.$cfg.q]}" "${M[default.$cfg.q]}")"
  echo "RESULT ratio.contention.bs$bs.busy.passive_over_default $(ratio "${M[passive.$cfg.b]}" "${M[default.$cfg.b]}")"
done
