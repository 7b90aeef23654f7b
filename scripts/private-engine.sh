#!/usr/bin/env bash
# A second, private Docker Engine for fault tests that restart "the" engine.
#
# Why: the machine's Docker Engine is shared by every test and helper running
# on it; restarting it to test an engine restart would kill their containers
# and builds. This engine has its own everything — data root, exec root (and
# so its own managed containerd), pidfile, socket, bridge (no docker0),
# and cgroup parent — and adds no iptables rules, so starting, restarting or
# removing it leaves the main engine alone. Instances run on the host network
# (docs/adr/0010-host-network-instances.md), so they need no NAT from it.
#
# No --default-address-pool: with one set, dockerd 20.10 deletes the link
# named docker0 when it starts with a stored "bridge" network
# (removeDefaultBridgeInterface in daemon_unix.go) — whoever's it is, so a
# restart of this engine took the main engine's docker0 away (its builds
# failed with "could not find bridge docker0"). As a guard, a docker0 that
# vanishes while this script runs is put back with its address.
#
#   scripts/private-engine.sh up               start it (idempotent); prints DOCKER_HOST=…
#   scripts/private-engine.sh restart          stop dockerd (its containers stop) and start it again
#   scripts/private-engine.sh load IMAGE...    copy images from the main engine once (docker save | load)
#   scripts/private-engine.sh down             stop it and remove its bridge; keeps the data root (the image cache)
#   scripts/private-engine.sh purge            down, then remove its data root too
#   scripts/private-engine.sh env              print DOCKER_HOST=… for it
# Run as root.
set -euo pipefail

STATE=${SLIPWAY_PRIVATE_ENGINE_STATE:-/var/lib/slipway/private-engine}
RUN=/run/slipway-private-engine
SOCKET=$RUN/docker.sock
PIDFILE=$RUN/dockerd.pid
LOG=$STATE/dockerd.log
BRIDGE=slipway-pe0
BRIDGE_CIDR=10.213.7.1/24
MAIN_SOCKET=/var/run/docker.sock

priv() { curl -fsS --max-time 2 --unix-socket "$SOCKET" "http://localhost$1"; }
answers() { priv /_ping >/dev/null 2>&1; }
pid() { [ -s "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && cat "$PIDFILE"; }

ensure_bridge() {
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  case "$(ip -4 -o addr show dev "$BRIDGE")" in *" $BRIDGE_CIDR "*) ;; *) ip addr add "$BRIDGE_CIDR" dev "$BRIDGE" ;; esac
  ip link set "$BRIDGE" up
}

# The main engine's docker0, restored if starting this engine removed it (see above).
MAIN_BRIDGE_ADDR=$(ip -4 -o addr show dev docker0 2>/dev/null | awk '{print $4}' | head -1)
guard_docker0() {
  [ -n "$MAIN_BRIDGE_ADDR" ] || return 0
  ip link show docker0 >/dev/null 2>&1 && return 0
  echo "private-engine: docker0 vanished; restoring it with $MAIN_BRIDGE_ADDR" >&2
  ip link add docker0 type bridge && ip addr add "$MAIN_BRIDGE_ADDR" dev docker0 && ip link set docker0 up
}
trap guard_docker0 EXIT

up() {
  if answers; then echo "DOCKER_HOST=unix://$SOCKET"; return; fi
  [ -z "$(pid || true)" ] || stop_dockerd # up but not answering: start over.
  mkdir -p "$STATE/data" "$RUN"
  ensure_bridge
  # An empty config file, so /etc/docker/daemon.json (the main engine's) does not apply.
  [ -f "$STATE/daemon.json" ] || echo '{}' >"$STATE/daemon.json"
  setsid nohup dockerd \
    --config-file "$STATE/daemon.json" \
    --data-root "$STATE/data" --exec-root "$RUN/exec" --pidfile "$PIDFILE" \
    --host "unix://$SOCKET" \
    --bridge "$BRIDGE" \
    --iptables=false --ip-masq=false --ip-forward=false \
    --cgroup-parent slipway-private-engine \
    >>"$LOG" 2>&1 </dev/null &
  for _ in $(seq 1 120); do answers && break; sleep 0.25; done
  answers || { echo "private-engine: dockerd did not answer on $SOCKET; see $LOG" >&2; tail -20 "$LOG" >&2; exit 1; }
  echo "DOCKER_HOST=unix://$SOCKET"
}

stop_dockerd() {
  local p
  p=$(pid || true)
  [ -n "$p" ] || return 0
  kill -TERM "$p"
  # dockerd stops its containers first (each within its stop timeout), then itself.
  for _ in $(seq 1 240); do kill -0 "$p" 2>/dev/null || break; sleep 0.25; done
  if kill -0 "$p" 2>/dev/null; then kill -KILL "$p"; fi
  rm -f "$PIDFILE"
}

load() {
  up >/dev/null
  for image in "$@"; do
    if priv "/images/$image/json" >/dev/null 2>&1; then continue; fi
    echo "private-engine: loading $image from the main engine"
    curl -fsS --unix-socket "$MAIN_SOCKET" "http://localhost/images/get?names=$image" |
      curl -fsS --unix-socket "$SOCKET" -X POST -H 'Content-Type: application/x-tar' --data-binary @- "http://localhost/images/load?quiet=1" >/dev/null
  done
}

case "${1:-}" in
  up) up ;;
  restart) stop_dockerd; up ;;
  load) shift; load "$@" ;;
  down)
    stop_dockerd
    ip link show "$BRIDGE" >/dev/null 2>&1 && ip link del "$BRIDGE"
    true
    ;;
  purge) "$0" down; rm -rf "$STATE" ;;
  env) echo "DOCKER_HOST=unix://$SOCKET" ;;
  *) echo "usage: $0 up|restart|load IMAGE...|down|purge|env" >&2; exit 2 ;;
esac
