#!/usr/bin/env bash
# Load on `mnemo serve` from 64 concurrent clients over loopback, for both backends: views a second and durable writes
# (str_replace) a second, each client on a file of its own. The PostgreSQL backend runs on a throwaway server made from
# the installed binaries (as the tests make theirs).
#   usage: bench/server-load.sh [CLIENTS] [SECONDS]     (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${1:-64}
seconds=${2:-10}
work=$(mktemp -d)
chmod 755 "$work"
source bench/postgres.sh
cleanup() {
  [[ -n "${server:-}" ]] && kill "$server" 2>/dev/null || true
  stop_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build -c Release src/Mnemo.Cli -v q -nologo > /dev/null
dotnet build -c Release bench/Mnemo.Benchmarks -v q -nologo > /dev/null
mnemo=(dotnet src/Mnemo.Cli/bin/Release/net10.0/Mnemo.Cli.dll)
load=(dotnet bench/Mnemo.Benchmarks/bin/Release/net10.0/Mnemo.Benchmarks.dll load)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

run() { # backend args...
  local name=$1; shift
  local key
  key=$("${mnemo[@]}" serve keys add --keys "$work/keys.json" --store load --dir "$work/fs" 2>/dev/null)
  "${mnemo[@]}" serve "$@" --keys "$work/keys.json" --port "$port" --rate 1000000 > /dev/null 2>&1 &
  server=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
  echo "== $name, $clients clients, $seconds s each"
  "${load[@]}" "http://127.0.0.1:$port" "$key" load "$clients" "$seconds" view
  "${load[@]}" "http://127.0.0.1:$port" "$key" load "$clients" "$seconds" write
  kill "$server"; wait "$server" 2>/dev/null || true; server=
}

run "folder store (durable)" --dir "$work/fs"

start_postgres "$work/pg"
run "PostgreSQL store (synchronous commit)" --backend postgres --postgres "$pg_connection;Maximum Pool Size=100"
