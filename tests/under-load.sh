#!/usr/bin/env bash
# Runs the whole test suite several times in a row while a CPU hog keeps every core busy, to show that no test
# depends on the machine being idle: bash tests/under-load.sh [RUNS]. Prints each run's summary and time.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
hogs=()
for _ in $(seq "$(nproc)"); do yes >/dev/null & hogs+=($!); done
trap 'kill "${hogs[@]}" 2>/dev/null' EXIT
dotnet build Mnemo.slnx -v q -nologo >/dev/null || exit 1
status=0
for run in $(seq "$runs"); do
  log=$(mktemp)
  start=$(date +%s)
  dotnet test Mnemo.slnx --no-build >"$log" 2>&1 || status=1
  summary=$(grep -E '^(Passed|Failed)!' "$log" | awk -F'[:,]' '{ f += $2; p += $4 } END { printf "%d passed, %d failed", p, f }')
  echo "run $run: $summary in $(( $(date +%s) - start )) s, with $(nproc) busy-looping hogs"
  grep -E '^\s+Failed ' "$log"
  rm -f "$log"
done
exit "$status"
