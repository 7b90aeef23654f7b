#!/usr/bin/env bash
# Builds the independent OCI tools the attestation e2e checks slipway's output
# with — oras and crane, and with --with-cosign also cosign (a much longer
# build: about 25 minutes on 2 cores the first time) — from the Go module
# proxy into a cache outside the clone (/var/cache/slipway/tools, or
# $SLIPWAY_TOOLS_DIR). Idempotent: a tool already built at its pinned version
# is kept. Without Go it says so and the tests that need a tool skip with
# that reason.
set -euo pipefail
TOOLS="${SLIPWAY_TOOLS_DIR:-/var/cache/slipway/tools}"
CACHE="$(dirname "$TOOLS")"
declare -A PINNED=(
  [oras]="oras.land/oras/cmd/oras@v1.3.6"
  [crane]="github.com/google/go-containerregistry/cmd/crane@v0.22.1"
)
if [ "${1:-}" = "--with-cosign" ]; then PINNED[cosign]="github.com/sigstore/cosign/v2/cmd/cosign@v2.4.1"; fi
if ! command -v go >/dev/null; then
  echo "no Go toolchain: oras and crane are not built; the interop tests will skip"
  exit 0
fi
mkdir -p "$TOOLS"
for name in "${!PINNED[@]}"; do
  module="${PINNED[$name]}"
  stamp="$TOOLS/.$name.version"
  if [ -x "$TOOLS/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module" ]; then
    echo "$name: $module (cached)"
    continue
  fi
  echo "$name: building $module"
  GOBIN="$TOOLS" GOCACHE="$CACHE/go-build" GOMODCACHE="$CACHE/gomod" GOFLAGS=-mod=mod timeout 3600 go install "$module"
  echo "$module" > "$stamp"
done
