#!/usr/bin/env bash
# Whole-process time of `mnemo memory exec` on the shared workload, against the same durable writes to the same files made
# bare by one process: for every create, str_replace and insert in the workload, a write + fsync + rename of a file of the
# same size at the same path, with the same libc calls and no checks, no reads, no views. Runs are interleaved (exec,
# floor, floor with folder flush, start-up)
# so that drifts in the disk's flush times hit all of them alike; prints the median of RUNS runs of each, and the median of
# the per-run ratios.
#   usage: bench/exec-vs-floor.sh [RUNS] [BASE]     (from the repository root; needs ../shared beside it)
# BASE is where the memory folders are made (default: the system's temp folder). On a RAM disk (/dev/shm) the flushes
# cost next to nothing, so the difference between mnemo and the floor is mnemo's own work, whatever the disk.
# With TIMES_OUT=FILE set, the per-round times (mnemo, floor, floor + fsync(dir), start-up; ms) are kept in FILE.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
work=$(mktemp -d -p "${2:-${TMPDIR:-/tmp}}")
trap 'rm -rf "$work"' EXIT

python3 ../shared/bench/make_workload.py 2000 50 1 > "$work/workload.jsonl"
python3 - "$work/workload.jsonl" > "$work/paths" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    command = json.loads(line)
    if command["command"] in ("create", "str_replace", "insert"):
        print(command["path"].removeprefix("/memories/"))
PY
writes=$(wc -l < "$work/paths")
size=$(python3 -c "import json;print(len(json.loads(open('$work/workload.jsonl').readlines()[1])['file_text'].encode()))")
# mnemo as it ships: published ahead-of-time compiled (ReadyToRun) for this machine.
rid=$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')
dotnet publish src/Mnemo.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$work/cli" -v q -nologo > /dev/null
dotnet build -c Release bench/Mnemo.Benchmarks -v q -nologo > /dev/null
mnemo=("dotnet" "$work/cli/Mnemo.Cli.dll")
floor=("dotnet" "bench/Mnemo.Benchmarks/bin/Release/net10.0/Mnemo.Benchmarks.dll" "floor" "$work/paths" "$size")

# Each timed run starts from a clean disk: `sync` first (untimed), so that no run pays for the write-back of the one before.
time_ms() { local start end; sync; start=$(date +%s%N); "$@" > /dev/null; end=$(date +%s%N); echo $(( (end - start) / 1000000 )); }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

: > "$work/times"
for i in $(seq "$runs"); do
  rm -rf "$work/mem" "$work/floor" "$work/floor-dir" "$work/empty"
  e=$(time_ms sh -c "${mnemo[*]} memory exec --dir '$work/mem' < '$work/workload.jsonl'")
  f=$(time_ms "${floor[@]}" "$work/floor")
  d=$(time_ms "${floor[@]}" "$work/floor-dir" --sync-dir)
  s=$(time_ms sh -c "${mnemo[*]} memory exec --dir '$work/empty' < /dev/null")
  echo "$e $f $d $s" >> "$work/times"
done

cp "$work/times" "${TIMES_OUT:-/dev/null}"
column() { awk -v c="$1" '{ print $c }' "$work/times" | median; }
# The per-run ratio's median and, in brackets, its lower and upper quartiles.
ratio() {
  awk -v a="$1" -v b="$2" '{ printf "%.3f\n", $a / $b }' "$work/times" | sort -n |
    awk '{ r[NR] = $1 } END { printf "%.2fx [%.2fx, %.2fx]\n", r[int((NR + 1) / 2)], r[int((NR + 3) / 4)], r[int((3 * NR + 3) / 4)] }'
}
echo "commands: $(wc -l < "$work/workload.jsonl"), durable writes: $writes of ~$size bytes, runs: $runs (medians)"
echo "mnemo memory exec:         $(column 1) ms"
echo "bare floor (same writes):  $(column 2) ms"
echo "bare floor + fsync(dir):   $(column 3) ms"
echo "mnemo start-up, no input:  $(column 4) ms"
echo "ratio exec/floor:          $(ratio 1 2)"
echo "ratio exec/floor+dir:      $(ratio 1 3)"
