# Certificates (openssl) and kubeconfigs of the test cluster. Sourced by test-cluster.sh
# after settings.sh; needs PKI, NODE_IP. Every file is made once and kept until `down`.

# issue <name> <subject> [subjectAltName]: an ECDSA key and a cert signed by the cluster CA.
issue() {
  local name=$1 subject=$2 san=${3:-}
  [[ -s $PKI/$name.crt ]] && return
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subject" \
    -keyout "$PKI/$name.key" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [[ -n $san ]] && echo "subjectAltName=$san"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

# kubeconfig <name>: a kubeconfig with the cert <name> embedded (copyable, no paths).
kubeconfig() {
  local name=$1 file=$K8S_DIR/$1.kubeconfig
  [[ -s $file ]] && return
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: slipway-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$name.crt")
    client-key-data: $(base64 -w0 "$PKI/$name.key")
contexts:
- name: slipway-test
  context: {cluster: slipway-test, user: $name}
current-context: slipway-test
EOF
  chmod 600 "$file"
}

make_pki() {
  mkdir -p "$PKI"; chmod 700 "$PKI"
  if [[ ! -s $PKI/ca.crt ]]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=slipway-test-cluster-ca" -keyout "$PKI/ca.key" -out "$PKI/ca.crt" 2>/dev/null
  fi
  if [[ ! -s $PKI/sa.key ]]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
  local dns=DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
  issue apiserver "/CN=kube-apiserver" "$dns,DNS:localhost,IP:127.0.0.1,IP:$NODE_IP,IP:$API_SERVICE_IP"
  issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  issue kubelet-serving "/CN=$K8S_NODE" "DNS:$K8S_NODE,IP:$NODE_IP,IP:127.0.0.1"
  issue admin "/O=system:masters/CN=slipway-admin"
  issue controller-manager "/CN=system:kube-controller-manager"
  issue scheduler "/CN=system:kube-scheduler"
  issue kube-proxy "/CN=system:kube-proxy"
  issue kubelet "/O=system:nodes/CN=system:node:$K8S_NODE"
  # Host processes outside the node's pods; bound to least-privilege roles in addons.yaml.
  issue traefik "/CN=slipway:traefik"
  issue coredns "/CN=slipway:coredns"
  local name
  for name in admin controller-manager scheduler kube-proxy kubelet traefik coredns; do kubeconfig "$name"; done
}
