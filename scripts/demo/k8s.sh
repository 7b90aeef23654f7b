#!/usr/bin/env bash
# The example on Kubernetes, after the quickstart (scripts/demo.sh): starts
# the test cluster if it is not running (upstream Kubernetes, Traefik as the
# Gateway API implementation, Prometheus; the first start builds it, 10–30
# min), takes the example system to the `k8s` environment — every service at
# what prod runs, ingestion one release back — tests it through the gateway,
# then rolls ingestion's newest release out as a canary there: HTTPRoute
# weights 10% → analysis on the gateway's metrics through Prometheus → 50% →
# analysis against the stable → 100%, under bounded demo traffic through the
# gateway. Watch it in the dashboard (its rollout view) or with
# `slipway rollout watch ingestion --env k8s`.
#
# Rerunnable: a second run rolls ingestion back one release first, so the
# canary runs again.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib.sh
ws=.demo/drone-delivery
slipway() { node bin/slipway.js -c "$ws" "$@"; }
[ -f "$ws/slipway.yaml" ] || { echo "demo-k8s: no workspace at $ws: run bash scripts/demo.sh first" >&2; exit 1; }

step "the test cluster (scripts/test-cluster.sh up)"; as_root bash scripts/test-cluster.sh up

# ingestion's released versions, oldest first: "version digest" per line.
released() {
  slipway --json releases ingestion | node -e '
    let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const semver = (v) => v.split(/[.-]/).slice(0, 3).map(Number);
      const order = (a, b) => { const [x, y] = [semver(a.version), semver(b.version)]; return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; };
      const list = JSON.parse(s).services[0].releases.filter((r) => r.status === "released").sort(order);
      process.stdout.write(list.map((r) => `${r.version} ${r.digest}`).join("\n"));
    });'
}
mapfile -t versions < <(released)
[ "${#versions[@]}" -ge 2 ] || { echo "demo-k8s: ingestion needs two releases (the quickstart makes them): found ${#versions[@]}" >&2; exit 1; }
read -r old_version old_digest <<< "${versions[-2]}"
read -r new_version new_digest <<< "${versions[-1]}"
running=$(slipway --json status --env k8s | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).services.find(x=>x.service==="ingestion");process.stdout.write(r?.digest??"")})')

for service in delivery package workflow; do step "slipway deploy $service --env k8s"; slipway deploy "$service" --env k8s; done
# status shows digests shortened to sha256: and 12 hex digits.
if [ -n "$running" ] && [[ "$new_digest" == "$running"* ]]; then
  step "ingestion runs $new_version on k8s already: roll it back one release, so the canary runs again"
  slipway rollback ingestion --env k8s
fi
step "slipway deploy ingestion --env k8s --digest (release $old_version)"; slipway deploy ingestion --env k8s --digest "$old_digest"
step "slipway test --env k8s (integration tests through the gateway)"; slipway test --env k8s

step "slipway deploy ingestion --env k8s (release $new_version as a canary on HTTPRoute weights)"
ingestion=$(slipway --json status --env k8s | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).services.find(x=>x.service==="ingestion").endpoint))')
echo "(demo traffic to ingestion through the gateway at $ingestion: 40 requests/s while the rollout runs, at most 300 s)"
node scripts/demo/traffic.mjs "http://$ingestion" 40 300 &
traffic=$!
code=0
slipway deploy ingestion --env k8s --digest "$new_digest" || code=$?
kill -TERM "$traffic" 2>/dev/null; wait "$traffic" || true
if [ "$code" != 0 ]; then
  echo "demo-k8s: the canary did not complete; see \`node bin/slipway.js -c $ws rollout status ingestion --env k8s\`" >&2
  exit "$code"
fi
step "slipway status --env k8s"; slipway status --env k8s
cat <<EOF

The example runs on the test cluster in namespace drone-delivery-k8s
(KUBECONFIG=/var/lib/slipway/k8s-cluster/admin.kubeconfig kubectl -n drone-delivery-k8s get rs,svc,httproute).
Take it off with: node bin/slipway.js -c $ws undeploy --all --env k8s
EOF
