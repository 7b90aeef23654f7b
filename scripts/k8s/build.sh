#!/usr/bin/env bash
# Builds the test cluster's binaries from the Go module proxy into a cache outside the
# clone, once per version (see settings.sh); a part whose binaries are present is skipped.
# Cold: ~10 min on 2 cores (Kubernetes ~4.5 min, Traefik ~4 min); warm: a few seconds.
# Usage: bash scripts/k8s/build.sh            (builds what is missing)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/settings.sh"

export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 GOPROXY=${GOPROXY:-https://proxy.golang.org}
src=$K8S_CACHE/src
mkdir -p "$src"
# Only one build at a time (a test run and a helper may both call `up`).
exec 9>"$K8S_CACHE/.build.lock"
flock 9

log() { printf '[k8s build %s] %s\n' "$(date +%T)" "$*" >&2; }
have() { local f; for f in "$@"; do [[ -x $f ]] || return 1; done; }
# install_dir TMP FINAL: publish a finished build atomically.
publish() { rm -rf "$2"; mkdir -p "$(dirname "$2")"; mv "$1" "$2"; }
# Rewrites staging-module requirements (v0.0.0 + ./staging replace) to their published tags.
staging_replaces() { # <kubernetes go.mod> <v0.x.y>
  awk -v v="$2" '$1 ~ /^k8s\.io\// && $2 == "=>" && $3 ~ /^\.\/staging\// { printf "replace %s => %s %s\n", $1, $1, v }' "$1"
}

build_kubernetes() {
  local bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
  have "${bins[@]/#/$KUBE_BIN/}" && return
  log "kubernetes $K8S_VERSION (~5 min cold)"
  local dir=$src/kubernetes-$K8S_VERSION minor=${K8S_VERSION#v1.}
  minor=${minor%%.*}
  rm -rf "$dir"; mkdir -p "$dir"; cd "$dir"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  # `go install k8s.io/kubernetes/cmd/x@v` is refused (its go.mod replaces the staging
  # modules with ./staging paths); a wrapper module pins them to their published tags.
  {
    echo "module slipway.local/k8s-build"
    echo "go 1.24"
    echo "godebug default=go1.24"
    echo "require k8s.io/kubernetes $K8S_VERSION"
    staging_replaces "$gomod" "v0.${K8S_VERSION#v1.}"
  } >go.mod
  local pkg=k8s.io/component-base/version date
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=$minor -X k8s.io/client-go/pkg/version.gitTreeState=clean"
  mkdir -p out
  go build -trimpath -ldflags "$ldflags" -o out/ "${bins[@]/#/k8s.io/kubernetes/cmd/}"
  publish out "$KUBE_BIN"
}

# A wrapper module with a tiny main (for modules whose own go.mod has local replaces).
build_wrapped() { # <name> <out-bin-dir> <binary> <require line(s)> <main.go body or ""> <package> [ldflags]
  local name=$1 outdir=$2 binary=$3 requires=$4 main=$5 pkg=$6 ldflags=${7:-}
  have "$outdir/$binary" && return 0
  log "$name"
  local dir=$src/$name
  rm -rf "$dir"; mkdir -p "$dir/out"; cd "$dir"
  printf 'module slipway.local/%s-build\ngo 1.24\n%s\n' "$binary" "$requires" >go.mod
  if [[ -n $main ]]; then printf '%s\n' "$main" >main.go; go mod tidy >/dev/null; fi
  go build -trimpath -ldflags "-s -w $ldflags" -o "out/$binary" "$pkg"
  publish out "$outdir"
}

build_etcd() {
  build_wrapped "etcd-$ETCD_VERSION" "$ETCD_BIN" etcd "require go.etcd.io/etcd/server/v3 $ETCD_VERSION" \
    'package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }' .
}

build_crictl() {
  have "$CRICTL_BIN/crictl" && return
  log "crictl $CRICTL_VERSION"
  local tmp=$src/crictl-$CRICTL_VERSION
  rm -rf "$tmp"; mkdir -p "$tmp"
  GOBIN=$tmp go install -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRICTL_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRICTL_VERSION"
  publish "$tmp" "$CRICTL_BIN"
}

build_coredns() {
  have "$COREDNS_BIN/coredns" && return
  log "coredns $COREDNS_VERSION"
  local tmp=$src/coredns-$COREDNS_VERSION
  rm -rf "$tmp"; mkdir -p "$tmp"
  GOBIN=$tmp go install -trimpath -ldflags "-s -w" "github.com/coredns/coredns@$COREDNS_VERSION"
  publish "$tmp" "$COREDNS_BIN"
}

build_traefik() {
  have "$TRAEFIK_BIN/traefik" && return
  local dir=$src/traefik-$TRAEFIK_VERSION gomod
  log "traefik $TRAEFIK_VERSION (~5 min cold)"
  rm -rf "$dir"; mkdir -p "$dir/out"; cd "$dir"
  gomod=$(go mod download -json "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  {
    echo "module slipway.local/traefik-build"
    grep -m1 '^go ' "$gomod"
    echo "require github.com/traefik/traefik/v3 $TRAEFIK_VERSION"
    # Traefik's own replace (forks) and exclude directives only count in the main module.
    awk '/^(replace|exclude) \(/{block=$1; next} block && /^\)/{block=""; next}
         block && NF && $1 !~ /^\/\// { print block " " $0; next }
         /^(replace|exclude) [^(]/ { print }' "$gomod" | grep -v '=> \.\.\?/' || true
  } >go.mod
  local v=github.com/traefik/traefik/v3/pkg/version
  go build -trimpath -ldflags "-s -w -X $v.Version=$TRAEFIK_VERSION -X $v.Codename=slipway" \
    -o out/traefik github.com/traefik/traefik/v3/cmd/traefik
  publish out "$TRAEFIK_BIN"
}

fetch_gateway_crds() {
  [[ -s $GATEWAY_CRDS/gateway.networking.k8s.io_httproutes.yaml ]] && return
  log "gateway-api $GATEWAY_API_VERSION CRDs (standard channel)"
  local dir tmp=$K8S_CACHE/gateway-api-$GATEWAY_API_VERSION.tmp
  dir=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')
  rm -rf "$tmp"; mkdir -p "$tmp/crds"
  cp "$dir"/config/crd/standard/*.yaml "$tmp/crds/"
  chmod u+w "$tmp"/crds/*
  publish "$tmp" "${GATEWAY_CRDS%/crds}"
}

# The sandbox ("pause") image: a static binary in a one-layer image in `docker save`
# format, which `ctr images import` reads. Built here, not pulled: no registry is reachable.
build_pause() {
  [[ -s $PAUSE_DIR/pause.tar ]] && return
  log "pause image $PAUSE_IMAGE"
  local tmp=$PAUSE_DIR.tmp
  rm -rf "$tmp"; mkdir -p "$tmp/rootfs" "$tmp/image"
  (cd "$here/pause" && GOFLAGS= go build -trimpath -ldflags "-s -w" -o "$tmp/rootfs/pause" main.go)
  tar -C "$tmp/rootfs" --owner=0 --group=0 --mtime=@0 -cf "$tmp/image/layer.tar" pause
  local diff_id
  diff_id=sha256:$(sha256sum "$tmp/image/layer.tar" | cut -d' ' -f1)
  cat >"$tmp/image/config.json" <<JSON
{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["$diff_id"]}}
JSON
  printf '[{"Config":"config.json","RepoTags":["%s"],"Layers":["layer.tar"]}]\n' "$PAUSE_IMAGE" >"$tmp/image/manifest.json"
  tar -C "$tmp/image" --owner=0 --group=0 --mtime=@0 -cf "$tmp/pause.tar" manifest.json config.json layer.tar
  rm -rf "$tmp/rootfs" "$tmp/image"
  publish "$tmp" "$PAUSE_DIR"
}

start=$SECONDS
build_pause
fetch_gateway_crds
build_kubernetes
build_etcd
build_crictl
build_coredns
build_traefik
log "all parts present in $K8S_CACHE ($((SECONDS - start)) s)"
