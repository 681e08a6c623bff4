#!/usr/bin/env bash
# Start-up time of `mnemo emulate`: from launching the process to the "listening" line (it is printed once Kestrel
# accepts connections), and to the first answered /v1/messages request. Prints the median and the slowest of RUNS runs.
#   usage: bench/emulator-startup.sh [RUNS] [--ready-to-run]     (from the repository root)
# With --ready-to-run, mnemo is published compiled ahead of time for this machine, as the README suggests for speed;
# otherwise the Release build is run as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-11}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [[ "${2:-}" == "--ready-to-run" ]]; then
  rid=$(dotnet --info | awk '/^ *RID:/ { print $2; exit }')
  dotnet publish src/Mnemo.Cli -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o "$work/cli" -v q -nologo > /dev/null
else
  dotnet build src/Mnemo.Cli -c Release -v q -nologo > /dev/null
  cp -r src/Mnemo.Cli/bin/Release/net10.0 "$work/cli"
fi
body='{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"Please review scraper.py"}]}'
for i in $(seq "$runs"); do
  start=$(date +%s%N)
  coproc EMU { exec dotnet "$work/cli/Mnemo.Cli.dll" emulate --port 0 --quiet --script samples/emulator/memory-review.yaml; }
  read -r line <&"${EMU[0]}"
  ready=$(date +%s%N)
  url=$(awk '{ print $5 }' <<< "$line")
  curl -s -o /dev/null -H 'x-api-key: k' -H 'anthropic-version: 2023-06-01' -d "$body" "$url/v1/messages"
  answered=$(date +%s%N)
  kill "$EMU_PID"; wait "$EMU_PID" 2>/dev/null || true
  echo "$(( (ready - start) / 1000000 )) $(( (answered - start) / 1000000 ))"
done > "$work/times"
summary() { sort -n | awk -v what="$1" '{ v[NR] = $1 } END { printf "%s: median %d ms, slowest %d ms (%d runs)\n", what, v[int((NR + 1) / 2)], v[NR], NR }'; }
cut -d' ' -f1 "$work/times" | summary "to listening"
cut -d' ' -f2 "$work/times" | summary "to first answer"
