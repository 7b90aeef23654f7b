#!/usr/bin/env bash
# Installs and starts what Slipway needs on a Debian/Ubuntu host. Idempotent; run as root.
set -euo pipefail

need_root() { [ "$(id -u)" = 0 ] || { echo "setup-host: run as root (sudo $0)" >&2; exit 1; }; }
need_root

# chromium: the dashboard's browser tests drive it with playwright-core (no browser download works here).
# prometheus: Debian's server (2.42), which the prometheus analysis provider is tested against.
packages=(docker.io docker-registry haproxy debootstrap skopeo iproute2 ca-certificates openssl git chromium prometheus)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-host: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The docker CLI on PATH may be a client-only binary; what matters is the engine's socket.
engine_up() { curl -fsS --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }
if ! engine_up; then
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    systemctl start docker
  else
    # A machine restored from a snapshot keeps /var/run but not its processes: a stale pid file whose
    # number now belongs to another process makes dockerd wait for a containerd that is not there.
    for pidfile in /var/run/docker/containerd/containerd.pid /var/run/docker.pid; do
      if [ -f "$pidfile" ] && ! grep -qE 'containerd|dockerd' "/proc/$(cat "$pidfile")/comm" 2>/dev/null; then
        echo "setup-host: removing stale $pidfile (process $(cat "$pidfile") is not Docker's)"
        rm -f "$pidfile"
      fi
    done
    echo "setup-host: starting dockerd (log: /var/log/dockerd.log)"
    # Its own session, so it outlives the shell (and process group) that started it.
    setsid nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do engine_up && break; sleep 0.5; done
  engine_up || { echo "setup-host: dockerd did not answer on /var/run/docker.sock; see /var/log/dockerd.log" >&2; exit 1; }
fi
echo "setup-host: Docker Engine $(curl -fsS --unix-socket /var/run/docker.sock http://localhost/version | sed -E 's/.*"Version":"([^"]+)".*/\1/') is running"
