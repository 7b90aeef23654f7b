#!/usr/bin/env bash
# Sets up everything the tests need on a fresh Debian machine (Docker Engine,
# registry and router binaries, base images, node modules) and runs them all:
# typecheck, lint, unit tests, then end-to-end tests against the real parts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "host setup";   as_root bash scripts/setup-host.sh
step "base images";  as_root bash scripts/base-images.sh
step "node modules"; install_node_modules
step "interop tools (oras, crane)"; as_root bash scripts/interop-tools.sh
step "typecheck and build"; npm run --silent build
step "lint";         npm run --silent lint
# TAP for the record, then each failure's error again at the end, where a cut log keeps it.
REPORTERS=(--test-reporter=tap --test-reporter-destination=stdout --test-reporter=./scripts/failure-summary-reporter.mjs --test-reporter-destination=stdout)
step "unit tests";   node --test "${REPORTERS[@]}" dist/src/ dist/test/unit/
# The Kubernetes test cluster (docs/test-cluster.md): built once per version into a cache,
# started if not running, and left running. SLIPWAY_K8S=off skips it and its tests.
if [ "${SLIPWAY_K8S:-on}" = off ]; then
  step "kubernetes test cluster: skipped (SLIPWAY_K8S=off)"
else
  step "kubernetes test cluster"; as_root bash scripts/test-cluster.sh up
fi
step "end-to-end tests"; node --test --test-concurrency=1 "${REPORTERS[@]}" dist/test/e2e/
# Two fault tests need root (a private dockerd; a small tmpfs): as root they ran above and
# skip nothing; otherwise they run here through sudo (docs/reliability.md).
if [ "$(id -u)" != 0 ]; then
  step "fault tests that need root (sudo)"
  sudo "$(command -v node)" --test --test-concurrency=1 "${REPORTERS[@]}" dist/test/e2e/engine-restart.test.js dist/src/store/sqlite/store-faults.test.js
fi
