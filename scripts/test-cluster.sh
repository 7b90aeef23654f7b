#!/usr/bin/env bash
# A single-node upstream Kubernetes cluster on this machine for the tests (docs/test-cluster.md):
# etcd, kube-apiserver, controller-manager, scheduler, kubelet and kube-proxy with their own
# containerd, a CNI bridge, CoreDNS, Traefik as the Gateway API implementation and Prometheus
# scraping Traefik. Binaries are built once per version into a cache outside the clone.
#
#   scripts/test-cluster.sh up      build what is missing, start what is not running (idempotent)
#   scripts/test-cluster.sh env     print exports for tests (KUBECONFIG, gateway, Prometheus, ...)
#   scripts/test-cluster.sh status  what runs
#   scripts/test-cluster.sh down    stop it and remove everything `up` added (cache kept)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/k8s/settings.sh"
source "$here/k8s/pki.sh"
source "$here/k8s/configs.sh"

PKI=$K8S_DIR/pki RUN=$K8S_DIR/run LOGS=$K8S_DIR/logs STATE=$K8S_DIR/state
CONTAINERD_SOCK=$RUN/containerd.sock
KUBECTL=$KUBE_BIN/kubectl
ADMIN_KUBECONFIG=$K8S_DIR/admin.kubeconfig
# Sysctls kube-proxy, the kubelet or this script may change; `down` restores them.
SYSCTLS=(net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables
  vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet)
# Daemons in start order; `down` stops them in reverse.
DAEMONS=(containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy coredns traefik prometheus)

log() { printf '[test-cluster %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
kubectl() { "$KUBECTL" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
node_ip() { ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -1; }

# A daemon is ours when its pid file names a live process whose command line mentions K8S_DIR.
pid_of() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) || return 1
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$K8S_DIR" && echo "$pid"
}
running() { pid_of "$1" >/dev/null; }

# start <name> <command...>: run detached (own session), logging to LOGS/<name>.log.
start() {
  local name=$1; shift
  running "$name" && return 0
  log "starting $name"
  rm -f "$RUN/$name.pid"
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$RUN/$name.pid" "$@" \
    >>"$LOGS/$name.log" 2>&1 </dev/null &
  local i; for i in 1 2 3 4 5 6 7 8 9 10; do [[ -s $RUN/$name.pid ]] && break; sleep 0.05; done
}

# wait_for <what> <seconds> <log name> <command...>
wait_for() {
  local what=$1 seconds=$2 name=$3; shift 3
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)) || ! running "$name"; then
      log "$what: not ready after ${seconds}s; last lines of $LOGS/$name.log:"
      tail -n 25 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.25
  done
}

ensure_packages() {
  local p missing=()
  for p in containerd runc containernetworking-plugins prometheus iptables openssl iproute2 curl; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return
  log "installing ${missing[*]}"
  apt-get update -qq -o DPkg::Lock::Timeout=300
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
}

# What the machine looked like before the first `up`, so `down` removes only what we added.
record_host_state() {
  mkdir -p "$STATE"
  [[ -s $STATE/sysctls ]] || {
    local key
    for key in "${SYSCTLS[@]}"; do
      printf '%s=%s\n' "$key" "$(sysctl -n "$key" 2>/dev/null || echo '?')"
    done >"$STATE/sysctls"
  }
  [[ -s $STATE/iptables-chains ]] || {
    local cmd table
    for cmd in iptables ip6tables; do
      for table in filter nat mangle raw; do
        "$cmd-save" -t "$table" 2>/dev/null | sed -n "s/^:\([^ ]*\) .*/$cmd $table \1/p" || true
      done
    done >"$STATE/iptables-chains"
  }
  [[ -s $STATE/links ]] || ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 >"$STATE/links"
}

setup_network() {
  lsmod 2>/dev/null | grep -q '^br_netfilter' || modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 >/dev/null
  # Un-DNATed ClusterIP packets stay on the host: the service CIDR is routed into an empty
  # bridge (this kernel has no dummy links).
  ip link show "$SVC_BRIDGE" >/dev/null 2>&1 || ip link add "$SVC_BRIDGE" type bridge
  ip link set "$SVC_BRIDGE" up
  ip route replace "$SERVICE_CIDR" dev "$SVC_BRIDGE"
}

start_containerd() {
  write_containerd_config
  start containerd containerd --config "$K8S_DIR/containerd/config.toml" --log-level warn
  wait_for "containerd" 30 containerd ctr --address "$CONTAINERD_SOCK" version
  if ! ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls -q | grep -qxF "$PAUSE_IMAGE"; then
    ctr --address "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack "$PAUSE_DIR/pause.tar" >/dev/null
  fi
}

start_control_plane() {
  start etcd "$ETCD_BIN/etcd" --name slipway --data-dir "$K8S_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "slipway=http://127.0.0.1:$ETCD_PEER_PORT" --log-level warn \
    --unsafe-no-fsync --quota-backend-bytes 2147483648
  wait_for "etcd" 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  start kube-apiserver "$KUBE_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 0.0.0.0 --secure-port "$API_PORT" --advertise-address "$NODE_IP" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types InternalIP,Hostname \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC \
    --enable-admission-plugins NodeRestriction --allow-privileged=true --profiling=false
  wait_for "kube-apiserver" 180 kube-apiserver kubectl get --raw /readyz

  local common=(--bind-address 127.0.0.1 --leader-elect=false --profiling=false)
  start kube-controller-manager "$KUBE_BIN/kube-controller-manager" "${common[@]}" --secure-port "$CONTROLLER_MANAGER_PORT" \
    --kubeconfig "$K8S_DIR/controller-manager.kubeconfig" \
    --authentication-kubeconfig "$K8S_DIR/controller-manager.kubeconfig" --authorization-kubeconfig "$K8S_DIR/controller-manager.kubeconfig" \
    --allocate-node-cidrs --cluster-cidr "$CLUSTER_CIDR" --node-cidr-mask-size 24 --service-cluster-ip-range "$SERVICE_CIDR" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials
  start kube-scheduler "$KUBE_BIN/kube-scheduler" "${common[@]}" --secure-port "$SCHEDULER_PORT" \
    --kubeconfig "$K8S_DIR/scheduler.kubeconfig" \
    --authentication-kubeconfig "$K8S_DIR/scheduler.kubeconfig" --authorization-kubeconfig "$K8S_DIR/scheduler.kubeconfig"
}

apply_addons() {
  kubectl apply --server-side --force-conflicts --field-manager slipway-test-cluster -f "$GATEWAY_CRDS" >/dev/null
  kubectl wait --for condition=Established --timeout 60s -f "$GATEWAY_CRDS" >/dev/null
  wait_for "namespace kube-system" 30 kube-apiserver kubectl get namespace kube-system
  sed -e "s/@NODE_IP@/$NODE_IP/g; s/@COREDNS_PORT@/$COREDNS_PORT/g" \
    -e "s/@DNS_SERVICE_IP@/$DNS_SERVICE_IP/g; s/@GATEWAY_PORTS@/$GATEWAY_PORT_FIRST-$GATEWAY_PORT_LAST/g" "$here/k8s/addons.yaml" |
    kubectl apply --server-side --force-conflicts --field-manager slipway-test-cluster -f - >/dev/null
}

start_node() {
  write_kubelet_config
  start kubelet "$KUBE_BIN/kubelet" --config "$K8S_DIR/kubelet.yaml" --kubeconfig "$K8S_DIR/kubelet.kubeconfig" \
    --root-dir "$K8S_DIR/kubelet" --hostname-override "$K8S_NODE" --node-ip "$NODE_IP" --v 1
  start kube-proxy "$KUBE_BIN/kube-proxy" --config "$K8S_DIR/kube-proxy.yaml"
  wait_for "node $K8S_NODE Ready" 180 kubelet \
    kubectl wait --for condition=Ready --timeout 1s "node/$K8S_NODE"
  wait_for "kube-proxy" 30 kube-proxy curl -fsS "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
}

start_addons() {
  write_addon_configs
  start coredns "$COREDNS_BIN/coredns" -conf "$K8S_DIR/Corefile"
  # CoreDNS listens once its Kubernetes informers have synced.
  wait_for "CoreDNS" 30 coredns bash -c "ss -Hlnt 'sport = :$COREDNS_PORT' | grep -q ."
  # Traefik reads its static configuration once: a running one with an older file is restarted.
  local traefik_config
  traefik_config=$(sha256sum "$K8S_DIR/traefik.yaml" | cut -d' ' -f1)
  if running traefik && [[ $(cat "$RUN/traefik.config" 2>/dev/null) != "$traefik_config" ]]; then
    log "restarting traefik: its configuration changed"
    stop traefik
  fi
  start traefik env KUBECONFIG="$K8S_DIR/traefik.kubeconfig" "$TRAEFIK_BIN/traefik" --configFile "$K8S_DIR/traefik.yaml"
  echo "$traefik_config" >"$RUN/traefik.config"
  wait_for "Traefik" 60 traefik curl -fsS "http://127.0.0.1:$TRAEFIK_API_PORT/ping"
  wait_for "GatewayClass traefik Accepted" 60 traefik \
    kubectl wait --for condition=Accepted --timeout 1s gatewayclass/traefik
  start prometheus prometheus --config.file "$K8S_DIR/prometheus.yml" --storage.tsdb.path "$K8S_DIR/prometheus" \
    --storage.tsdb.retention.time 1d --web.listen-address "127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle
  wait_for "Prometheus" 60 prometheus curl -fsS "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"
  wait_for "default ServiceAccount" 60 kube-controller-manager kubectl -n default get serviceaccount default
}

cmd_up() {
  [[ $(id -u) == 0 ]] || die "run as root (it starts containerd, the kubelet and changes iptables)"
  local t0=$SECONDS
  ensure_packages
  bash "$here/k8s/build.sh"
  local t1=$SECONDS
  NODE_IP=$(node_ip); [[ -n $NODE_IP ]] || die "no IPv4 address with a default route: the node needs one"
  mkdir -p "$RUN" "$LOGS" "$STATE"
  record_host_state
  echo "$NODE_IP" >"$STATE/node-ip"
  make_pki
  setup_network
  start_containerd
  start_control_plane
  apply_addons
  start_node
  start_addons
  log "up: build/check $((t1 - t0)) s, start $((SECONDS - t1)) s; KUBECONFIG=$ADMIN_KUBECONFIG"
}

cmd_env() {
  cat <<EOF
export KUBECONFIG=$ADMIN_KUBECONFIG
export SLIPWAY_K8S_API=https://127.0.0.1:$API_PORT
export SLIPWAY_K8S_BIN=$KUBE_BIN
export SLIPWAY_K8S_KUBECTL=$KUBECTL
export SLIPWAY_K8S_NODE=$K8S_NODE
export SLIPWAY_K8S_GATEWAY_CLASS=traefik
export SLIPWAY_K8S_GATEWAY_PORT=$GATEWAY_PORT
export SLIPWAY_K8S_GATEWAY_PORTS=$GATEWAY_PORT_FIRST-$GATEWAY_PORT_LAST
export SLIPWAY_K8S_GATEWAY_URL=http://127.0.0.1:$GATEWAY_PORT
export SLIPWAY_K8S_PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
export SLIPWAY_K8S_DNS=$DNS_SERVICE_IP
export SLIPWAY_K8S_PLAIN_HTTP_REGISTRIES='127.0.0.1:* localhost:*${SLIPWAY_K8S_REGISTRIES:+ $SLIPWAY_K8S_REGISTRIES}'
EOF
}

cmd_status() {
  local name pid rss any=0
  printf '%-24s %-8s %s\n' DAEMON PID RSS
  for name in "${DAEMONS[@]}"; do
    if pid=$(pid_of "$name"); then
      any=1
      rss=$(awk '/^VmRSS/ {printf "%d MiB", $2/1024}' "/proc/$pid/status")
      printf '%-24s %-8s %s\n' "$name" "$pid" "$rss"
    else
      printf '%-24s %-8s\n' "$name" -
    fi
  done
  ((any)) || { echo "not running (scripts/test-cluster.sh up)"; return 3; }
  kubectl get nodes -o wide 2>/dev/null || true
  kubectl get pods -A --no-headers 2>/dev/null | awk '{print $1"/"$2, $4}' | head -20 || true
}

# stop <name>: TERM the daemon by its pid, KILL after 10 s.
stop() {
  local pid i
  pid=$(pid_of "$1") || { rm -f "$RUN/$1.pid"; return 0; }
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$RUN/$1.pid"
}

remove_our_iptables() {
  [[ -s $STATE/iptables-chains ]] || return 0
  local cmd table chain rule ours
  for cmd in iptables ip6tables; do
    for table in filter nat mangle raw; do
      ours=()
      while read -r chain; do
        grep -qxF "$cmd $table $chain" "$STATE/iptables-chains" || ours+=("$chain")
      done < <("$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\(KUBE-[^ ]*\|CNI-[^ ]*\) .*/\1/p')
      ((${#ours[@]})) || continue
      local pattern; pattern=$(IFS='|'; echo "${ours[*]}")
      # Rules jumping to our chains (from any chain, e.g. FORWARD), then the chains.
      "$cmd-save" -t "$table" | grep -E -- "^-A .* -j ($pattern)( |\$)" | while read -r rule; do
        eval "$cmd -w -t $table -D ${rule#-A }" 2>/dev/null || true
      done || true
      for chain in "${ours[@]}"; do "$cmd" -w -t "$table" -F "$chain" 2>/dev/null || true; done
      for chain in "${ours[@]}"; do "$cmd" -w -t "$table" -X "$chain" 2>/dev/null || true; done
    done
  done
}

cmd_down() {
  [[ $(id -u) == 0 ]] || die "run as root"
  [[ -d $K8S_DIR ]] || { log "nothing to remove ($K8S_DIR does not exist)"; return 0; }
  local name pid
  for name in prometheus traefik coredns kubelet; do stop "$name"; done
  # Pods first, while containerd still runs: CNI DEL releases their IPs and host ports.
  if running containerd && [[ -x $CRICTL_BIN/crictl ]]; then
    timeout 120 "$CRICTL_BIN/crictl" --runtime-endpoint "unix://$CONTAINERD_SOCK" rmp -af >/dev/null 2>&1 || true
  fi
  for name in kube-proxy kube-scheduler kube-controller-manager kube-apiserver etcd containerd; do stop "$name"; done
  # Shims of our containerd (matched by its socket, never Docker's).
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "-address $CONTAINERD_SOCK " && kill -KILL "$pid" 2>/dev/null || true
  done
  [[ -x $KUBE_BIN/kube-proxy ]] && "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  remove_our_iptables
  # Mounts under the work dir (overlay rootfs, shm, netns, pod volumes), deepest first.
  awk -v dir="$K8S_DIR/" 'index($2, dir) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r mount; do
    umount -l "$mount" 2>/dev/null || true
  done
  # Links: ours are those absent before the first `up` (cni0, the service bridge, pod veths).
  for name in cni0 "$SVC_BRIDGE"; do
    if ip link show "$name" >/dev/null 2>&1 && ! grep -qxF "$name" "$STATE/links" 2>/dev/null; then
      ip link delete "$name" 2>/dev/null || true
    fi
  done
  ip route del "$SERVICE_CIDR" dev "$SVC_BRIDGE" 2>/dev/null || true
  if [[ -s $STATE/sysctls ]]; then
    local line
    while IFS= read -r line; do
      [[ ${line#*=} == '?' ]] || sysctl -qw "$line" >/dev/null 2>&1 || true
    done <"$STATE/sysctls"
  fi
  # The kubelet's cgroups (cgroupfs driver), leaves first.
  local hierarchy
  for hierarchy in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    [[ -d $hierarchy ]] && find "$hierarchy" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
  rm -rf "$K8S_DIR"
  rmdir --ignore-fail-on-non-empty "$(dirname "$K8S_DIR")" 2>/dev/null || true
  log "down: removed the cluster and $K8S_DIR (binaries kept in $K8S_CACHE)"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  env) cmd_env ;;
  status) cmd_status ;;
  build) bash "$here/k8s/build.sh" ;;
  *) echo "usage: $0 up|down|env|status|build" >&2; exit 2 ;;
esac
