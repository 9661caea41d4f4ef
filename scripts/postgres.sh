#!/usr/bin/env bash
# A private PostgreSQL for the membership tests: install | start | stop.
#   install  apt-installs the Debian postgresql package if no server binaries are found (once; about a minute).
#   start    creates a throw-away cluster in a temp folder (trust auth, loopback only) on port 55432, waits until it
#            accepts connections, and prints an export line for SEMISEG_POSTGRES (an Npgsql connection string).
#   stop     stops that cluster and deletes its folder.
# PostgreSQL refuses to run as root, so under root the cluster belongs to the 'postgres' user the package creates.
set -euo pipefail
cd "$(dirname "$0")/.."

port=${SEMISEG_POSTGRES_PORT:-55432}
datafile=.tools/postgres.data

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install() {
  if [ -n "$(bindir)" ] && [ -x "$(bindir)/initdb" ]; then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: PostgreSQL server binaries were not found and apt-get is missing; install PostgreSQL 13+ (initdb, pg_ctl), then run this again." >&2
    exit 2
  fi
  echo "Installing postgresql (Debian package)..." >&2
  sudo=""; if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
  # The package starts a system cluster on 5432; the tests use their own, so it is left as the package set it up.
}

start() {
  install
  local bin data
  bin=$(bindir)
  mkdir -p .tools
  if [ -f "$datafile" ] && as_owner "$bin/pg_ctl" -D "$(cat "$datafile")/db" status >/dev/null 2>&1; then
    # Its port, not the one asked for now (a test process that died left it running on the free port it chose then).
    port=$(as_owner sed -n 4p "$(cat "$datafile")/db/postmaster.pid")
    echo "PostgreSQL is already running on port $port (data in $(cat "$datafile"))." >&2
  else
    if port_open "$port"; then
      echo "error: port $port is already in use; stop whatever holds it (scripts/postgres.sh stop), or set SEMISEG_POSTGRES_PORT." >&2
      exit 1
    fi
    data=$(mktemp -d -t semiseg-postgres.XXXXXX)
    chmod 755 "$data"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$data"; fi
    as_owner "$bin/initdb" -D "$data/db" -U postgres --auth=trust -E UTF8 >"$data/initdb.log" 2>&1 || {
      echo "error: initdb failed; its log:" >&2; cat "$data/initdb.log" >&2; exit 1; }
    echo "$data" >"$datafile"
    # Sockets in the data folder (not /var/run/postgresql, which may not exist or be writable); fsync off: test data.
    if ! as_owner "$bin/pg_ctl" -D "$data/db" -l "$data/db/server.log" -w -t 30 \
        -o "-p $port -c listen_addresses=127.0.0.1 -k $data/db -c fsync=off" start >/dev/null; then
      echo "error: PostgreSQL did not start on port $port; its log:" >&2
      cat "$data/db/server.log" >&2
      exit 1
    fi
    echo "PostgreSQL started on 127.0.0.1:$port (data in $data)." >&2
  fi
  echo "export SEMISEG_POSTGRES='Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres'"
}

stop() {
  [ -f "$datafile" ] || return 0
  local data
  data=$(cat "$datafile")
  as_owner "$(bindir)/pg_ctl" -D "$data/db" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data" "$datafile"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/postgres.sh install|start|stop" >&2; exit 2 ;;
esac
