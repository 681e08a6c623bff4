# Sourced by the bench scripts: a throwaway PostgreSQL from the installed binaries (as the tests make theirs).
#   start_postgres DIR   sets $pg_connection; stop_postgres DIR stops it. Runs the server as `postgres` when run as root.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)

pg_run() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() { # DIR
  local dir=$1
  [[ -n "$pg_bin" ]] || { echo "PostgreSQL's binaries are not installed (apt-get install postgresql)" >&2; return 1; }
  mkdir -p "$dir"
  [[ $(id -u) == 0 ]] && chown postgres:postgres "$dir"
  pg_run "$pg_bin/initdb" -D "$dir/data" -U mnemo --auth=trust -E UTF8 --no-sync > /dev/null
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  pg_run "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start > /dev/null
  pg_connection="Host=127.0.0.1;Port=$port;Username=mnemo;Database=postgres"
}

stop_postgres() { # DIR
  [[ -d "$1/data" ]] && pg_run "$pg_bin/pg_ctl" -D "$1/data" -m immediate -w stop > /dev/null 2>&1 || true
}
