#!/usr/bin/env bash
# Time and memory of the Kubernetes test cluster (scripts/test-cluster.sh), for
# docs/benchmarks.md. Run as root on an otherwise idle machine.
#
#   bash bench/test-cluster.sh warm   # down, then `up` with the binaries cached: warm start; then RSS
#   bash bench/test-cluster.sh cold   # the build alone into a fresh cache and Go build cache
#                                     # (the module download cache is kept); ~10 min on 2 cores
#   bash bench/test-cluster.sh rss    # RSS of each daemon of the running cluster, and the sum
#
# It tears the running cluster down for `warm` and leaves it up afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=scripts/test-cluster.sh

rss() {
  bash "$cluster" status | awk '$3 ~ /^[0-9]+$/ && $4 == "MiB" {print; sum += $3} END {printf "%-24s %-8s %d MiB\n", "total", "", sum}'
}

case ${1:-} in
  warm)
    bash "$cluster" down
    start=$(date +%s.%N)
    bash "$cluster" up
    end=$(date +%s.%N)
    printf 'warm start (down, then up to Gateway and Prometheus ready): %.1f s\n' "$(echo "$end - $start" | bc)"
    sleep 20 # let the daemons settle before measuring memory
    rss
    ;;
  cold)
    cache=$(mktemp -d /var/tmp/slipway-k8s-bench-XXXX)
    start=$(date +%s.%N)
    SLIPWAY_K8S_CACHE=$cache/cache GOCACHE=$cache/gocache bash scripts/k8s/build.sh
    end=$(date +%s.%N)
    printf 'cold build (fresh cache and Go build cache): %.0f s; binaries %s\n' \
      "$(echo "$end - $start" | bc)" "$(du -sh "$cache/cache" | cut -f1)"
    rm -rf "$cache"
    ;;
  rss) rss ;;
  *) echo "usage: $0 warm|cold|rss" >&2; exit 2 ;;
esac
