# Config files of the test cluster's daemons. Sourced by test-cluster.sh after settings.sh.
# Written on every `up`, but a file is replaced only when its content changes: kube-proxy
# exits when its config file is written, and a running daemon keeps what it read.

# update_file <path>: stdin becomes the file's content, if different.
update_file() {
  cat >"$1.new"
  if cmp -s "$1.new" "$1"; then rm -f "$1.new"; else mv "$1.new" "$1"; fi
}

write_containerd_config() {
  mkdir -p "$K8S_DIR/containerd/certs.d" "$K8S_DIR/cni/net.d"
  # Our own instance: own socket, root, state and runc root; never Docker's containerd.
  update_file "$K8S_DIR/containerd/config.toml" <<EOF
version = 2
root = "$K8S_DIR/containerd/root"
state = "$K8S_DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$CONTAINERD_SOCK"
[ttrpc]
  address = ""
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$K8S_DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # No CAP_SYS_RESOURCE here: a negative oom_score_adj (asked for pause and Guaranteed
  # pods) makes runc fail with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "$K8S_DIR/runc"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$K8S_DIR/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    # With a config_path, containerd 1.6 pulls from any loopback host (127.0.0.1:PORT,
    # localhost:PORT) over plain HTTP when it has no hosts.toml: every Slipway registry
    # port works. Other plain-HTTP registries get a hosts.toml (SLIPWAY_K8S_REGISTRIES).
    config_path = "$K8S_DIR/containerd/certs.d"
EOF
  local registry
  for registry in ${SLIPWAY_K8S_REGISTRIES:-}; do
    mkdir -p "$K8S_DIR/containerd/certs.d/$registry"
    printf 'server = "http://%s"\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true\n' \
      "$registry" "$registry" >"$K8S_DIR/containerd/certs.d/$registry/hosts.toml"
  done
  # Bridge cni0 without masquerade (pods stay local); the firewall plugin accepts pod
  # traffic in FORWARD, whose policy Docker sets to DROP; portmap for hostPorts.
  update_file "$K8S_DIR/cni/net.d/10-slipway.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "slipway-test-cluster",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$K8S_DIR/cni/ipam",
              "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "firewall"}
  ]
}
EOF
}

write_kubelet_config() {
  update_file "$K8S_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
clusterDNS: [$DNS_SERVICE_IP]
clusterDomain: cluster.local
failSwapOn: false
podLogsDir: $K8S_DIR/pod-logs
serializeImagePulls: false
# A shared test machine: evict only when really out of room.
evictionHard: {memory.available: 100Mi, nodefs.available: 2%, imagefs.available: 2%, nodefs.inodesFree: 2%}
imageGCHighThresholdPercent: 95
imageGCLowThresholdPercent: 90
EOF
  update_file "$K8S_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $K8S_DIR/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $K8S_NODE
clusterCIDR: $CLUSTER_CIDR
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
# Leave the host's conntrack sysctls and route_localnet alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
iptables: {localhostNodePorts: false}
nodePortAddresses: [primary]
EOF
}

write_addon_configs() {
  update_file "$K8S_DIR/Corefile" <<EOF
.:$COREDNS_PORT {
    bind $NODE_IP 127.0.0.1
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $K8S_DIR/coredns.kubeconfig slipway-test
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
}
EOF
  update_file "$K8S_DIR/traefik.yaml" <<EOF
# Traefik on the host as the cluster's Gateway API implementation (GatewayClass "traefik").
# A Gateway listener is served by the entry point with the same port: use $GATEWAY_PORT_FIRST-$GATEWAY_PORT_LAST.
entryPoints:
$(for port in $(seq "$GATEWAY_PORT_FIRST" "$GATEWAY_PORT_LAST"); do echo "  gateway-$port: {address: \"127.0.0.1:$port\"}"; done)
  traefik: {address: "127.0.0.1:$TRAEFIK_API_PORT"}
  metrics: {address: "127.0.0.1:$TRAEFIK_METRICS_PORT"}
providers:
  # A route change is live within 0.1 s (Traefik's default holds changes for 2 s after the last one:
  # an abort right after a step waited for it). The cost: a reload per change, at most 10 a second.
  providersThrottleDuration: 100ms
  kubernetesGateway:
    statusAddress: {ip: 127.0.0.1}
ping: {entryPoint: traefik}
metrics:
  prometheus:
    entryPoint: metrics
    addEntryPointsLabels: true
    addRoutersLabels: true
    addServicesLabels: true
    # Finer than Traefik's default (0.1, 0.3, 1.2, 5 s), so a canary's p95 against stable's means
    # something for fast services. Read at Traefik's start: a running cluster keeps its buckets until down + up.
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]
log: {level: INFO}
EOF
  update_file "$K8S_DIR/prometheus.yml" <<EOF
global: {scrape_interval: 2s, evaluation_interval: 2s}
scrape_configs:
  - job_name: traefik
    static_configs: [{targets: ["127.0.0.1:$TRAEFIK_METRICS_PORT"]}]
EOF
}
