#!/bin/sh
# Container entry point: runs /app/semiseg with the given arguments.
#
# An Orleans silo must advertise an IP address (not a host name) that the other silos and the clients can reach.
# Inside a compose network that is this container's own address, which changes on every start and differs per
# replica (docker compose up --scale worker-cpu=3), so it cannot be written into docker-compose.yml. For
# `semiseg silo`, when SEMISEG_ADVERTISED_IP is unset, this script looks up the container's host name (Docker writes
# "IP hostname" into /etc/hosts) and exports the first IPv4 address found. Set SEMISEG_ADVERTISED_IP (or pass
# --advertised-ip) to override it, e.g. with host networking.
set -eu

if [ "${1:-}" = "silo" ] && [ -z "${SEMISEG_ADVERTISED_IP:-}" ]; then
  host=$(uname -n)
  ip=$(getent ahostsv4 "$host" | awk 'NR == 1 { print $1 }')
  case "$ip" in
    ""|127.*)
      echo "entrypoint: cannot find this container's IP address (host name '$host' resolves to '${ip:-nothing}')." >&2
      echo "entrypoint: Fix: set SEMISEG_ADVERTISED_IP (or pass --advertised-ip) to an address the other silos reach." >&2
      exit 2
      ;;
  esac
  SEMISEG_ADVERTISED_IP=$ip
  export SEMISEG_ADVERTISED_IP
  echo "entrypoint: advertising $SEMISEG_ADVERTISED_IP (from host name '$host')" >&2
fi

exec "${SEMISEG_EXECUTABLE:-/app/semiseg}" "$@"
