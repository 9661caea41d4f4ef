#!/usr/bin/env bash
# Azurite (the Azure Storage emulator) for tests: install | start | stop.
#   install  npm-installs azurite@3.37.0 into .tools/azurite (once; about 15 s, never committed).
#   start    runs blob, queue and table on 127.0.0.1:10000/10001/10002 with a temp data folder, waits until the
#            blob and table ports accept connections, and prints an export line for SEMISEG_AZURITE.
#   stop     sends SIGTERM to the started process, waits for it to exit, and deletes its data folder.
set -euo pipefail
cd "$(dirname "$0")/.."

version=3.37.0
dir=.tools/azurite
bin="$dir/node_modules/.bin/azurite"
pidfile=.tools/azurite.pid
locationfile=.tools/azurite.location

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install() {
  if [ -x "$bin" ] && grep -q "\"version\": \"$version\"" "$dir/node_modules/azurite/package.json" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is required to install Azurite (Node 20+). Install Node.js and npm, then run this again." >&2
    exit 2
  fi
  echo "Installing azurite@$version into $dir..." >&2
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$version" >&2
}

start() {
  install
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "Azurite is already running (pid $(cat "$pidfile"))." >&2
  else
    if port_open 10000 || port_open 10002; then
      echo "error: port 10000 or 10002 is already in use; stop whatever holds it (or run: scripts/azurite.sh stop)." >&2
      exit 1
    fi
    location=$(mktemp -d -t semiseg-azurite.XXXXXX)
    # --skipApiVersionCheck: Azure.Storage.Blobs 12.30 sends an API version newer than Azurite knows.
    # --disableTelemetry: without it Azurite takes about 2 minutes to exit on SIGTERM.
    "$bin" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      --location "$location" --silent --skipApiVersionCheck --disableTelemetry \
      >"$location/azurite.log" 2>&1 &
    echo $! >"$pidfile"
    echo "$location" >"$locationfile"
    for _ in $(seq 1 300); do
      if port_open 10000 && port_open 10002; then break; fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "error: Azurite exited at start; its log:" >&2
        cat "$location/azurite.log" >&2
        rm -f "$pidfile"
        exit 1
      fi
      sleep 0.1
    done
    if ! (port_open 10000 && port_open 10002); then
      echo "error: Azurite did not open ports 10000 and 10002 within 30 s (log: $location/azurite.log)." >&2
      stop
      exit 1
    fi
    echo "Azurite started (pid $(cat "$pidfile"), data in $location)." >&2
  fi
  echo "export SEMISEG_AZURITE=UseDevelopmentStorage=true"
}

stop() {
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -TERM "$pid" 2>/dev/null; then
    for _ in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "warning: Azurite (pid $pid) did not exit within 10 s of SIGTERM; killing it." >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
  if [ -f "$locationfile" ]; then
    rm -rf "$(cat "$locationfile")"
    rm -f "$locationfile"
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: scripts/azurite.sh install|start|stop" >&2; exit 2 ;;
esac
