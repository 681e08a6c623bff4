#!/usr/bin/env bash
# BenchmarkDotNet's PostgreSqlStoreBenchmarks against a throwaway PostgreSQL: the store's read and edit against bare Npgsql.
#   usage: bench/postgres-bench.sh     (from the repository root; results in BenchmarkDotNet.Artifacts)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/postgres.sh
work=$(mktemp -d)
chmod 755 "$work"
trap 'stop_postgres "$work/pg"; rm -rf "$work"' EXIT
start_postgres "$work/pg"
MNEMO_BENCH_POSTGRES="$pg_connection" dotnet run -c Release --project bench/Mnemo.Benchmarks -- --filter '*PostgreSqlStoreBenchmarks*'
