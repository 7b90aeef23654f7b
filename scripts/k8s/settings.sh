# Versions and cache layout of the test cluster's parts (sourced by the other scripts).
# Every part is cached by version OUTSIDE the clone, so a warm machine (and the CI run
# that follows a session on it) reuses the binaries instead of compiling ~10 min again.
K8S_VERSION=v1.34.4          # 1.35+ kubelet refuses cgroup v1 hosts like this one
ETCD_VERSION=v3.6.8
CRICTL_VERSION=v1.34.0
COREDNS_VERSION=v1.12.1
TRAEFIK_VERSION=v3.6.12      # 3.7.x has a local-path replace: not buildable from the proxy
GATEWAY_API_VERSION=v1.4.0
PAUSE_VERSION=slipway-1      # bump when scripts/k8s/pause/main.go changes

K8S_CACHE=${SLIPWAY_K8S_CACHE:-/var/cache/slipway/k8s}
KUBE_BIN=$K8S_CACHE/kubernetes-$K8S_VERSION/bin
ETCD_BIN=$K8S_CACHE/etcd-$ETCD_VERSION/bin
CRICTL_BIN=$K8S_CACHE/crictl-$CRICTL_VERSION/bin
COREDNS_BIN=$K8S_CACHE/coredns-$COREDNS_VERSION/bin
TRAEFIK_BIN=$K8S_CACHE/traefik-$TRAEFIK_VERSION/bin
GATEWAY_CRDS=$K8S_CACHE/gateway-api-$GATEWAY_API_VERSION/crds
PAUSE_DIR=$K8S_CACHE/pause-$PAUSE_VERSION
PAUSE_IMAGE=localhost/slipway/pause:$PAUSE_VERSION

# Where the running cluster lives (state, certificates, logs); `down` removes it all.
K8S_DIR=${SLIPWAY_K8S_DIR:-/var/lib/slipway/k8s-cluster}
K8S_NODE=slipway-node
# Fixed ports in 23000-23999, so the cluster clashes with nothing else on the machine.
API_PORT=23443; ETCD_PORT=23379; ETCD_PEER_PORT=23380
KUBELET_PORT=23250; KUBELET_HEALTHZ_PORT=23248
CONTROLLER_MANAGER_PORT=23257; SCHEDULER_PORT=23259
PROXY_METRICS_PORT=23249; PROXY_HEALTHZ_PORT=23256
COREDNS_PORT=23053
# Traefik serves a Gateway listener on the entry point with the listener's port: one entry
# point per port in GATEWAY_PORTS (first..last), so systems can have listeners of their own.
GATEWAY_PORT_FIRST=23080; GATEWAY_PORT_LAST=23089
GATEWAY_PORT=$GATEWAY_PORT_FIRST                     # the default one, for tests with one listener
TRAEFIK_API_PORT=23070; TRAEFIK_METRICS_PORT=23071
PROMETHEUS_PORT=23090
SERVICE_CIDR=10.96.0.0/16; API_SERVICE_IP=10.96.0.1; DNS_SERVICE_IP=10.96.0.10
CLUSTER_CIDR=10.244.0.0/16; POD_CIDR=10.244.0.0/24   # one node: the first /24 is its podCIDR
SVC_BRIDGE=slipway-svc0                              # the empty bridge the service CIDR is routed into
