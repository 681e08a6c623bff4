#!/usr/bin/env bash
# Whole-process time of `mnemo memory exec` on the shared workload, against the same number of bare durable writes
# (write + fsync + rename, nothing else) made by one process. Prints the median of RUNS runs of each.
#   usage: bench/exec-vs-floor.sh [RUNS]     (from the repository root; needs ../shared beside it)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 ../shared/bench/make_workload.py 2000 50 1 > "$work/workload.jsonl"
writes=$(grep -cE '"command": "(create|str_replace|insert)"' "$work/workload.jsonl")
size=$(python3 -c "import json;print(len(json.loads(open('$work/workload.jsonl').readlines()[1])['file_text'].encode()))")
for project in src/Mnemo.Cli bench/Mnemo.Benchmarks; do dotnet build -c Release "$project" -v q -nologo > /dev/null; done

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
time_ms() { local start end; start=$(date +%s%N); "$@" > /dev/null; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }

exec_ms=$(for i in $(seq "$runs"); do
  rm -rf "$work/mem"; time_ms sh -c "dotnet src/Mnemo.Cli/bin/Release/net10.0/Mnemo.Cli.dll memory exec --dir '$work/mem' < '$work/workload.jsonl'"
done | median)
floor_ms=$(for i in $(seq "$runs"); do
  rm -rf "$work/floor"; time_ms dotnet bench/Mnemo.Benchmarks/bin/Release/net10.0/Mnemo.Benchmarks.dll floor "$writes" "$size" "$work/floor"
done | median)
floor_dir_ms=$(for i in $(seq "$runs"); do
  rm -rf "$work/floor"; time_ms dotnet bench/Mnemo.Benchmarks/bin/Release/net10.0/Mnemo.Benchmarks.dll floor "$writes" "$size" "$work/floor" --sync-dir
done | median)
startup_ms=$(for i in $(seq "$runs"); do
  rm -rf "$work/empty"; time_ms sh -c "dotnet src/Mnemo.Cli/bin/Release/net10.0/Mnemo.Cli.dll memory exec --dir '$work/empty' < /dev/null"
done | median)

echo "commands: $(wc -l < "$work/workload.jsonl"), durable writes: $writes of ~$size bytes, runs: $runs (medians)"
echo "mnemo memory exec:        ${exec_ms} ms"
echo "bare floor (same writes): ${floor_ms} ms"
echo "bare floor + fsync(dir):   ${floor_dir_ms} ms"
echo "mnemo start-up, no input: ${startup_ms} ms"
awk -v e="$exec_ms" -v f="$floor_ms" 'BEGIN { printf "ratio exec/floor:         %.2fx\n", e / f }'
awk -v e="$exec_ms" -v f="$floor_dir_ms" 'BEGIN { printf "ratio exec/floor+dir:     %.2fx\n", e / f }'
