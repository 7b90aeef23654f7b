#!/usr/bin/env bash
# The load generator's ceiling beside wrk (bench/loadgen-vs-wrk.ts), for
# docs/benchmarks.md. Installs Debian's wrk when it is missing (idempotent;
# needs root and the Debian mirror), builds, and runs the benchmark.
#
#   bash bench/loadgen-vs-wrk.sh [--seconds 5] [--rounds 3] [--connections 32]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk >/dev/null
fi
npm run --silent build
node dist/bench/loadgen-vs-wrk.js "$@"
