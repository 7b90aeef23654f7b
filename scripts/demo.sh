#!/usr/bin/env bash
# The quickstart's main job on the example system, from commit to production:
#
#  1. sets up the host (Docker Engine, HAProxy, registries, base images) and
#     builds slipway;
#  2. copies examples/drone-delivery into a workspace (.demo/drone-delivery, a
#     git repository of its own, so the demo commits there and never touches
#     your checkout), validates it and brings up the local platform;
#  3. CI: builds, unit-tests, images, container-tests and pushes every service
#     to the dev registry;
#  4. deploys the whole system to the test environment and runs its
#     integration tests there (`slipway test`: a delivery through ingestion →
#     workflow → package and delivery, every hop through the router) and its
#     load test (`slipway loadtest`: a ramp, then thresholds);
#  5. releases the tested digests to the prod registry (the policy requires
#     CI's stages and the integration tests; signed, with provenance) and
#     deploys them to prod, service by service;
#  6. commits a feature to ingestion: CI rebuilds only ingestion, which goes
#     to test as a canary under bounded demo traffic and is tested there;
#  7. promotes the system along its path as one group: `slipway promote
#     --from test --to staging` (staging's rule: the integration tests passed
#     in test with these digests), the integration and load tests in staging,
#     the new ingestion tested beside what prod runs (`slipway test --mixed`),
#     staging's soak waited out, then `slipway promote --from staging --to
#     prod` (prod's rules: integration test, load test, compatibility and a
#     1-minute soak), whose release of ingestion (a minor of a critical
#     service) waits for an owner's approval, which is given; the new version
#     goes to prod as a canary — 10%, analysis, 50%, analysis against the
#     stable, 100% — under bounded demo traffic, and `slipway history` shows
#     prod's locks;
#  8. ends with `slipway status`, and the prod system lock (`slipway
#     snapshot`) from which `slipway restore` can redeploy it elsewhere;
#  9. leaves `slipway serve` running in the background (the dashboard and the
#     API) and prints how to log in (scripts/demo/serve.sh).
#
# Idempotent: a second run finds everything done and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
example=examples/drone-delivery
ws=.demo/drone-delivery
change=scripts/demo/ingestion-served-by.patch
slipway() { node bin/slipway.js -c "$ws" "$@"; }

step "host setup";   as_root bash scripts/setup-host.sh
step "base images";  as_root bash scripts/base-images.sh
step "node modules"; install_node_modules
step "build slipway"; npm run --silent build

# ------------------------------------------------------------ the workspace
# Recreated (after tearing down what the old one deployed) when the example
# or the demo's change differ from what it was made from.
fingerprint=$( (cd "$example" && git ls-files -co --exclude-standard . 2>/dev/null || find . -type f -not -path '*/node_modules/*' -not -path '*/dist/*' -not -path '*/.slipway/*') | sort | (cd "$example" && xargs sha256sum) | cat - "$change" | sha256sum | cut -c1-16)
if [ "$(cat "$ws/.demo-fingerprint" 2>/dev/null)" != "$fingerprint" ]; then
  step "workspace $ws (from $example)"
  if [ -f "$ws/slipway.yaml" ]; then
    slipway down || true
    ids=$(as_root docker ps -aq --filter label=org.slipway.system=drone-delivery) && [ -z "$ids" ] || as_root docker rm -f $ids >/dev/null
    rm -rf "$ws"
  fi
  mkdir -p "$ws"
  tar -C "$example" --exclude=.slipway --exclude=node_modules --exclude=dist -cf - . | tar -C "$ws" -xf -
  git -C "$ws" init -q -b main
  git -C "$ws" config user.email "dev@drone.example"
  git -C "$ws" config user.name "A developer"
  git -C "$ws" add -A
  git -C "$ws" commit -qm "feat: the drone-delivery system"
  echo "$fingerprint" > "$ws/.demo-fingerprint"
fi

step "slipway validate"; slipway validate
step "slipway up";       slipway up
step "slipway doctor";   slipway doctor
step "slipway ci";       slipway ci
step "slipway runs";     slipway runs -n 4


# A service's row of `slipway status --json` in an environment: its endpoint, or whether it runs.
status_field() { slipway --json status --env "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).services.find(x=>x.service===process.argv[1]);process.stdout.write(r[process.argv[2]]??"")})' "$2" "$3"; }
endpoint() { status_field "$1" "$2" endpoint; }

# Bounded demo traffic to ingestion in an environment while a command runs:
# ingestion's canary is analysed on the router's metrics, which need traffic.
with_traffic() {
  local env=$1 code=0 traffic url
  shift
  url="http://$(endpoint "$env" ingestion)"
  echo "(demo traffic to ingestion in $env: 40 requests/s while this runs, at most 300 s)"
  node scripts/demo/traffic.mjs "$url" 40 300 &
  traffic=$!
  "$@" || code=$?
  kill -TERM "$traffic" 2>/dev/null; wait "$traffic" || true
  return "$code"
}

# Deploys with the service's strategy; when a version of ingestion already
# serves (so this is a canary, not a first deploy), under demo traffic.
deploy() {
  local env=$1 service=$2 code=0
  step "slipway deploy $service --env $env"
  if [ "$service" = ingestion ] && [ "$(status_field "$env" ingestion version)" != "not deployed" ]; then
    with_traffic "$env" slipway deploy "$service" --env "$env" || code=$?
  else
    slipway deploy "$service" --env "$env" || code=$?
  fi
  if [ "$code" != 0 ]; then
    echo "demo: the rollout of $service in $env did not complete; see \`node bin/slipway.js -c $ws rollout status $service --env $env\`" >&2
    exit "$code"
  fi
}
deploy_system() { for service in delivery package workflow ingestion; do deploy "$1" "$service"; done; }
integration_tests() { step "slipway test --env $1 (integration tests of the deployed system)"; slipway test --env "$1"; }

feature_committed() { git -C "$ws" log --format=%s | grep -q "^feat(ingestion): "; }

# The first version of the system, service by service (once: after the feature is
# committed, its own path below takes over, and a rerun goes straight there).
if ! feature_committed; then
  # ------------------------------------------------------- test environment
  deploy_system test
  integration_tests test
  step "slipway loadtest --env test (thresholds, regression, latency picture)"; slipway loadtest --env test

  # ----------------------------------------------------------- first release
  step "slipway release --all"; slipway release --all
  step "slipway audit verify";  slipway audit verify
  deploy_system prod
  integration_tests prod
fi

# ------------------------------------------- a change, through a canary to prod
if ! feature_committed; then
  step "a developer commits a feature to ingestion"
  git -C "$ws" apply "$(pwd)/$change"
  git -C "$ws" commit -qam "feat(ingestion): say which version answered, in x-served-by"
  git -C "$ws" log --oneline -1
fi
step "slipway affected --since HEAD~1"; slipway affected --since HEAD~1
step "slipway ci (only ingestion rebuilds)"; slipway ci
deploy test ingestion
integration_tests test

# ------------------------------------ the system along its path: test → staging → prod
# What staging's rules ask (slipway.yaml): the integration tests passed in test with these digests.
step "slipway promote --from test --to staging (the whole system as one group)"; slipway promote --from test --to staging
integration_tests staging

# What prod's rules say about staging's lock, one line each: `behind <service>` where prod lags, then what is unmet.
prod_gate() { slipway --json status --env prod | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const l=(JSON.parse(s).promotion??[]).find(x=>x.environment==="prod");process.stdout.write([...(l?.behind??[]).map(b=>"behind "+b.service),...(l?.blocked??[])].join("\n"))})'; }
prod_blocked() { prod_gate | grep -v "^behind " || true; }
if prod_gate | grep -q "^behind "; then
  step "slipway loadtest --env staging (prod's rules require it for these digests)"; slipway loadtest --env staging
  step "slipway test --env prod --mixed ingestion (the new ingestion beside what prod runs)"; slipway test --env prod --mixed ingestion

  # Prod's rules also want the digests to have served in staging, healthy, for a minute.
  step "staging's soak (prod's rule: the lock served there, healthy, for 1 minute)"
  while blocked=$(prod_blocked) && grep -q "^soaking in staging" <<<"$blocked"; do
    echo "  $(grep "^soaking in staging" <<<"$blocked")"
    sleep 5
  done
  [ -z "$blocked" ] || echo "$blocked" | sed 's/^/  still unmet: /'

  # The release prod needs goes through the release flow: a feat is a minor; ingestion is tier
  # critical: one owner's approval, never the requester's. The canary in prod runs under traffic.
  promote_prod() { step "slipway promote --from staging --to prod$1"; with_traffic prod slipway promote --from staging --to prod; }
  if ! promote_prod " (releases ingestion on the way)"; then
    pending=$(slipway --json releases ingestion | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).services[0].releases.find(x=>x.status==="awaiting-approval");process.stdout.write(r?r.version:"")})')
    [ -n "$pending" ] || { echo "demo: the promotion to prod did not complete" >&2; exit 1; }
    step "an owner approves ingestion@$pending"
    SLIPWAY_IDENTITY=arun@drone.example slipway approve "ingestion@$pending" -m "reviewed in the quickstart"
    promote_prod " (again: the release is approved)"
  fi
else
  step "slipway promote --from staging --to prod"; slipway promote --from staging --to prod
fi
step "slipway releases ingestion"; slipway releases ingestion
step "slipway audit verify"; slipway audit verify
integration_tests prod
step "slipway history --env prod"; slipway history --env prod -n 5

step "slipway status"; slipway status
# What runs where, as a file: enough to redeploy the system onto a fresh target (`slipway restore`).
step "slipway snapshot --env prod"; slipway snapshot --env prod -o "$ws/prod.lock.json" && echo "wrote $ws/prod.lock.json"
cat <<EOF

The example ran in $ws (a git repository copied from $example).
Look around with: node bin/slipway.js -c $ws <command>   (status, releases, runs, rollout status ingestion --env prod, audit)
EOF

# ------------------------------------------------ slipway serve and the dashboard
step "slipway serve (in the background: the dashboard and the API)"
bash scripts/demo/serve.sh "$ws"
