#!/usr/bin/env bash
# Makes the base images that the example services (and their build environments)
# use available in the local Docker Engine, under their usual Docker Hub names:
#
#   debian:bookworm-slim  node:20-bookworm-slim  python:3.11-slim-bookworm  golang:1.19-bookworm
#
# For each image: if it is present and labelled with the hash of this script's
# recipe for it, nothing happens. Otherwise it is pulled (hosts with registry
# access) and, failing that, built locally: debian:bookworm-slim from a
# `debootstrap --variant=minbase bookworm` rootfs (cached as a tarball), the
# others with `docker build` FROM it plus Debian packages (python3, golang-1.19)
# or, for Node.js 20, the host's own node binary and npm (Debian ships node 18).
#
# Locally built images trust the certificates in /usr/local/share/ca-certificates
# of the host (for TLS-intercepting egress proxies), once ca-certificates is
# installed in them; SLIPWAY_BASE_IMAGE_EXTRA_CA_DIR= (empty) turns that off.
#
# Idempotent; run as root. Environment:
#   SLIPWAY_BASE_IMAGE_CACHE         cache dir (default /var/cache/slipway/base-images)
#   SLIPWAY_BASE_IMAGE_NO_PULL=1     skip `docker pull`, always build locally
#   SLIPWAY_BASE_IMAGE_PULL_TIMEOUT  seconds per pull attempt (default 20)
#   SLIPWAY_BASE_IMAGE_EXTRA_CA_DIR  extra CA certs to bake in (default /usr/local/share/ca-certificates)
#   SLIPWAY_DEBIAN_MIRROR            default http://deb.debian.org/debian
#   SLIPWAY_DEBIAN_SECURITY_MIRROR   default http://deb.debian.org/debian-security
#   SLIPWAY_NODE_BIN                 Node.js 20 binary to copy (default: node on PATH)
set -euo pipefail

RECIPE_VERSION=1
LABEL_KEY=org.slipway.base-images.recipe
SOURCE_LABEL_KEY=org.slipway.base-images.source
CACHE=${SLIPWAY_BASE_IMAGE_CACHE:-/var/cache/slipway/base-images}
NO_PULL=${SLIPWAY_BASE_IMAGE_NO_PULL:-0}
PULL_TIMEOUT=${SLIPWAY_BASE_IMAGE_PULL_TIMEOUT:-20}
EXTRA_CA_DIR=${SLIPWAY_BASE_IMAGE_EXTRA_CA_DIR-/usr/local/share/ca-certificates}
MIRROR=${SLIPWAY_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SLIPWAY_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
SUITE=bookworm
ARCH=$(dpkg --print-architecture 2>/dev/null || echo amd64)
LOG=$CACHE/base-images.log

IMAGES=(debian:bookworm-slim node:20-bookworm-slim python:3.11-slim-bookworm golang:1.19-bookworm)

# ---------------------------------------------------------------- helpers

die() { echo "base-images: $*" >&2; exit 1; }
fail() { # what failed, how to fix it
  trap - ERR
  echo "base-images: FAILED: $1" >&2
  if [ -n "${2:-}" ]; then echo "base-images: fix: $2" >&2; fi
  echo "base-images: log: $LOG" >&2
  exit 1
}
# The step in progress; any failing command inside it reports it via fail().
STEP_WHAT="" STEP_FIX=""
step() { STEP_WHAT=$1 STEP_FIX=${2:-}; log "$1"; }
set -E
trap 'fail "${STEP_WHAT:-base-images.sh line $LINENO}" "$STEP_FIX"' ERR
log() { echo "--- $(date '+%F %T') $*" >>"$LOG"; }
now_ms() { date +%s%3N; }
sha() { sha256sum | cut -c1-16; }

image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
image_label() { docker image inspect -f "{{index .Config.Labels \"$2\"}}" "$1" 2>/dev/null || true; }

TMPDIRS=()
MOUNTS=()
cleanup() {
  local m d
  for m in "${MOUNTS[@]+"${MOUNTS[@]}"}"; do umount -l "$m" 2>/dev/null || true; done
  for d in "${TMPDIRS[@]+"${TMPDIRS[@]}"}"; do rm -rf --one-file-system "$d"; done
}
trap cleanup EXIT
mktmp() { TMP=$(mktemp -d "$CACHE/tmp.XXXXXX"); TMPDIRS+=("$TMP"); } # sets TMP

# ---------------------------------------------------------------- recipes
# Each recipe_* prints text that fully determines the image; its hash is the
# image's label, so editing a recipe (or the inputs it names) rebuilds it.

extra_ca_files() {
  [ -n "$EXTRA_CA_DIR" ] && [ -d "$EXTRA_CA_DIR" ] || return 0
  find -L "$EXTRA_CA_DIR" -type f -name '*.crt' | LC_ALL=C sort
}

# Runs on the host against the unpacked debootstrap rootfs $1.
customize_rootfs() {
  local r=$1 f
  rm -f "$r/etc/apt/sources.list"
  cat >"$r/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # What the official slim images do: no docs/man/locales, no apt caches.
  cat >"$r/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
  cat >"$r/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$r/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$r/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf '#!/bin/sh\nexit 101\n' >"$r/usr/sbin/policy-rc.d"
  chmod 755 "$r/usr/sbin/policy-rc.d"
  mkdir -p "$r/usr/local/share/ca-certificates"
  for f in $(extra_ca_files); do
    install -m 644 "$f" "$r/usr/local/share/ca-certificates/$(basename "$f")"
  done

  # Bring the minbase system up to date with bookworm-updates/-security.
  cp -L /etc/resolv.conf "$r/etc/resolv.conf"
  mount -t proc proc "$r/proc" && MOUNTS+=("$r/proc")
  chroot "$r" apt-get update
  DEBIAN_FRONTEND=noninteractive chroot "$r" apt-get -y -o Dpkg::Options::=--force-confold dist-upgrade
  chroot "$r" apt-get clean
  umount "$r/proc"

  rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/cache/apt/archives/*.deb \
    "$r"/var/cache/debconf/*-old "$r"/var/lib/dpkg/*-old "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/* \
    "$r"/usr/share/man/* "$r"/usr/share/info/* "$r"/usr/share/locale/* "$r"/usr/share/groff/* \
    "$r"/usr/share/lintian/* "$r"/root/.bash_history
  find "$r/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$r/usr/share/doc" -mindepth 1 -type d -empty -delete
  : >"$r/etc/resolv.conf"
  rm -f "$r/etc/hostname"
}

recipe_rootfs() { # the raw debootstrap tarball
  echo "debootstrap --variant=minbase --arch=$ARCH $SUITE $MIRROR"
}

recipe_debian() {
  echo "v$RECIPE_VERSION"
  recipe_rootfs
  echo "security=$SECURITY_MIRROR"
  declare -f customize_rootfs
  local f
  for f in $(extra_ca_files); do sha256sum <"$f"; done
  echo 'CMD ["bash"]'
}

# Dockerfiles of the derived images; the base is referenced by name and its
# recipe hash is part of theirs, so rebuilding the base rebuilds them.
dockerfile_node() {
  cat <<EOF
FROM debian:bookworm-slim
RUN set -eux; \\
    apt-get update; \\
    apt-get install -y --no-install-recommends ca-certificates; \\
    rm -rf /var/lib/apt/lists/*; \\
    groupadd --gid 1000 node; \\
    useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY node /usr/local/bin/node
COPY node_modules /usr/local/lib/node_modules
RUN set -eux; \\
    cd /usr/local/bin; \\
    ln -s ../lib/node_modules/npm/bin/npm-cli.js npm; \\
    ln -s ../lib/node_modules/npm/bin/npx-cli.js npx; \\
    if [ -d ../lib/node_modules/corepack ]; then ln -s ../lib/node_modules/corepack/dist/corepack.js corepack; fi; \\
    node --version; npm --version
# npm uses node's built-in CA list; make it also trust the system's (incl. local CAs).
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    NPM_CONFIG_UPDATE_NOTIFIER=false
CMD ["node"]
EOF
}

dockerfile_python() {
  cat <<'EOF'
FROM debian:bookworm-slim
ENV LANG=C.UTF-8
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3 python3-pip python3-venv ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    ln -s /usr/bin/python3 /usr/local/bin/python; \
    ln -s /usr/bin/pip3 /usr/local/bin/pip; \
    rm -f /usr/lib/python3.*/EXTERNALLY-MANAGED; \
    find /usr/lib/python3* -depth -name __pycache__ -type d -exec rm -rf {} +; \
    python --version
CMD ["python3"]
EOF
}

dockerfile_golang() {
  cat <<'EOF'
FROM debian:bookworm-slim
RUN set -eux; \
    apt-get update; \
    apt-get install -y --no-install-recommends golang-1.19-go ca-certificates git gcc libc6-dev make; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /go/src /go/bin /go/pkg; \
    chmod -R 1777 /go
ENV GOPATH=/go GOCACHE=/tmp/go-build \
    PATH=/go/bin:/usr/lib/go-1.19/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
WORKDIR /go
RUN go version
CMD ["bash"]
EOF
}

node_inputs() { # sets NODE_BIN, NODE_MODULES, NODE_VERSION
  NODE_BIN=${SLIPWAY_NODE_BIN:-$(command -v node || true)}
  [ -n "$NODE_BIN" ] || return 1
  NODE_BIN=$(readlink -f "$NODE_BIN")
  NODE_MODULES=$(readlink -f "$(dirname "$NODE_BIN")/../lib/node_modules")
  NODE_VERSION=$("$NODE_BIN" --version 2>/dev/null | sed 's/^v//') || return 1
  [ -f "$NODE_MODULES/npm/bin/npm-cli.js" ] || return 1
}

recipe_of() { # image name -> recipe text
  case $1 in
    debian:bookworm-slim) recipe_debian ;;
    node:20-bookworm-slim)
      echo "base=$(recipe_debian | sha)"
      if node_inputs; then
        stat -c '%s %Y' "$NODE_BIN"
        sed -n 's/^  "version": *"\(.*\)",/npm \1/p' "$NODE_MODULES/npm/package.json"
      fi
      dockerfile_node ;;
    python:3.11-slim-bookworm) echo "base=$(recipe_debian | sha)"; dockerfile_python ;;
    golang:1.19-bookworm) echo "base=$(recipe_debian | sha)"; dockerfile_golang ;;
  esac
}

smoke_test_of() { # image name -> command proving the image works
  case $1 in
    debian:bookworm-slim) echo 'grep -q "^12\." /etc/debian_version && apt-get --version >/dev/null' ;;
    node:20-bookworm-slim) echo 'node --version | grep -q "^v20\." && npm --version >/dev/null' ;;
    python:3.11-slim-bookworm) echo 'python --version 2>&1 | grep -q "^Python 3\.11" && python3 -c "import ssl, sqlite3"' ;;
    golang:1.19-bookworm) echo 'go version | grep -q "go1\.19" && git --version >/dev/null' ;;
  esac
}

# ---------------------------------------------------------------- builders
# Each build_* leaves the ID of a complete, labelled, still untagged image in ID.

rootfs_tarball() { # sets ROOTFS_TAR to the cached raw debootstrap tarball
  ROOTFS_TAR="$CACHE/rootfs/$SUITE-minbase-$ARCH-$(recipe_rootfs | sha).tar"
  [ -s "$ROOTFS_TAR" ] && return 0
  command -v debootstrap >/dev/null ||
    fail "debootstrap is not installed" "apt-get install debootstrap (or run: bash scripts/setup-host.sh)"
  mkdir -p "$CACHE/rootfs"
  mktmp
  step "debootstrap --variant=minbase $SUITE from $MIRROR into $TMP/rootfs" \
    "check that this host reaches $MIRROR (apt-get update works), then rerun"
  debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$TMP/rootfs" "$MIRROR" >>"$LOG" 2>&1
  step "packing the debootstrap rootfs into $ROOTFS_TAR" "check free space in $CACHE"
  tar -C "$TMP/rootfs" --numeric-owner -cf "$TMP/rootfs.tar" . 2>>"$LOG"
  mv "$TMP/rootfs.tar" "$ROOTFS_TAR"
  rm -rf --one-file-system "$TMP/rootfs"
}

build_debian() { # $1 recipe hash
  rootfs_tarball
  mktmp
  local r=$TMP/rootfs
  mkdir "$r"
  step "unpacking $ROOTFS_TAR" "delete it (rm $ROOTFS_TAR) and rerun"
  tar -C "$r" --numeric-owner -xpf "$ROOTFS_TAR" 2>>"$LOG"
  step "updating and slimming the rootfs in a chroot (apt-get against $MIRROR and $SECURITY_MIRROR)" \
    "check that this host reaches the Debian mirrors (apt-get update), then rerun"
  customize_rootfs "$r" >>"$LOG" 2>&1
  step "docker import of the rootfs" "check dockerd (docker info) and free space in /var/lib/docker"
  ID=$(tar -C "$r" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -cf - . |
    docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["bash"]' \
      -c "LABEL $LABEL_KEY=$1 $SOURCE_LABEL_KEY=built" \
      -m "slipway base-images: debootstrap --variant=minbase $SUITE" - 2>>"$LOG")
}

build_derived() { # $1 name, $2 recipe hash
  mktmp
  local ctx=$TMP/ctx
  mkdir "$ctx"
  case $1 in
    node:20-bookworm-slim)
      node_inputs ||
        fail "no Node.js 20 with npm on this host to copy into $1" \
          "install Node.js 20 (e.g. from nodesource) so node and npm are on PATH, or set SLIPWAY_NODE_BIN"
      case $NODE_VERSION in
        20.*) ;;
        *) fail "host node is v$NODE_VERSION ($NODE_BIN), $1 needs v20" \
          "install Node.js 20 or point SLIPWAY_NODE_BIN at a v20 binary" ;;
      esac
      step "copying $NODE_BIN and $NODE_MODULES/{npm,corepack} into $ctx" "check free space in $CACHE"
      cp "$NODE_BIN" "$ctx/node"
      mkdir "$ctx/node_modules"
      cp -a "$NODE_MODULES/npm" "$ctx/node_modules/"
      if [ -d "$NODE_MODULES/corepack" ]; then cp -a "$NODE_MODULES/corepack" "$ctx/node_modules/"; fi
      dockerfile_node >"$ctx/Dockerfile" ;;
    python:3.11-slim-bookworm) dockerfile_python >"$ctx/Dockerfile" ;;
    golang:1.19-bookworm) dockerfile_golang >"$ctx/Dockerfile" ;;
  esac
  step "docker build of $1 (FROM debian:bookworm-slim + apt-get install)" \
    "containers must reach $MIRROR: try 'docker run --rm debian:bookworm-slim apt-get update'; see the log"
  DOCKER_BUILDKIT=0 docker build --pull=false --rm --force-rm --network default \
    --label "$LABEL_KEY=$2" --label "$SOURCE_LABEL_KEY=built" \
    --iidfile "$TMP/iid" "$ctx" >>"$LOG" 2>&1
  ID=$(cat "$TMP/iid")
}

try_pull() { # $1 name, $2 recipe hash; sets ID to the pulled image, labelled, or returns 1
  [ "$NO_PULL" != 1 ] || return 1
  log "timeout $PULL_TIMEOUT docker pull $1"
  timeout "$PULL_TIMEOUT" docker pull -q "$1" >>"$LOG" 2>&1 || return 1
  # Label the pulled image (same layers) so that the next run recognises it.
  mktmp
  printf 'FROM %s\n' "$1" | DOCKER_BUILDKIT=0 docker build --pull=false \
    --label "$LABEL_KEY=$2" --label "$SOURCE_LABEL_KEY=pulled" --iidfile "$TMP/iid" - >>"$LOG" 2>&1 || return 1
  ID=$(cat "$TMP/iid")
}

# ---------------------------------------------------------------- main

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
: >"$LOG"

curl -fsS --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1 ||
  fail "Docker Engine does not answer on /var/run/docker.sock" "run: bash scripts/setup-host.sh"
command -v docker >/dev/null || fail "docker CLI not on PATH" "run: bash scripts/setup-host.sh"

OLD_IDS=()
for name in "${IMAGES[@]}"; do
  t0=$(now_ms)
  STEP_WHAT="" STEP_FIX=""
  hash=$(recipe_of "$name" | sha)
  old=$(image_id "$name")
  if [ -n "$old" ] && [ "$(image_label "$name" "$LABEL_KEY")" = "$hash" ]; then
    how=present
  else
    log "$name: want recipe $hash, have ${old:-no image}"
    if try_pull "$name" "$hash"; then
      how=pulled
    else
      how=built
      case $name in
        debian:bookworm-slim) build_debian "$hash" ;;
        *) build_derived "$name" "$hash" ;;
      esac
    fi
    check=$(smoke_test_of "$name")
    step "smoke test of $name ($how, image $ID): $check" \
      "see the log; rerun with SLIPWAY_BASE_IMAGE_NO_PULL=1 to build it locally"
    docker run --rm --network none "$ID" sh -c "$check" >>"$LOG" 2>&1
    step "docker tag $ID $name" "check dockerd (docker info)"
    docker tag "$ID" "$name" >>"$LOG" 2>&1
    if [ -n "$old" ] && [ "$old" != "$ID" ]; then OLD_IDS=("$old" "${OLD_IDS[@]+"${OLD_IDS[@]}"}"); fi
  fi
  t1=$(now_ms)
  printf 'base-images: %s %s (%d.%01ds)\n' "$name" "$how" $(((t1 - t0) / 1000)) $(((t1 - t0) % 1000 / 100))
done

# Drop images this run replaced, where nothing else uses them (newest first).
for old in "${OLD_IDS[@]+"${OLD_IDS[@]}"}"; do
  docker image rm "$old" >>"$LOG" 2>&1 || true
done
