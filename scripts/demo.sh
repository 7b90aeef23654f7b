#!/usr/bin/env bash
# The quickstart's main job on the example system: sets up the host, brings
# up the local platform, validates the drone-delivery system and runs CI on
# it (build, unit-test, image, container-test, push to the dev registry), then
# releases every service whose tested digest is new to the prod registry, and
# deploys the released system to the prod environment (HAProxy in front, each
# service on its own strategy), ending with `slipway status`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
example=examples/drone-delivery

step "host setup";   as_root bash scripts/setup-host.sh
step "base images";  as_root bash scripts/base-images.sh
step "node modules"; install_node_modules
step "build slipway"; npm run --silent build
step "slipway validate"; node bin/slipway.js -c "$example" validate
step "slipway up";   node bin/slipway.js -c "$example" up
step "slipway doctor"; node bin/slipway.js -c "$example" doctor
step "slipway ci";   node bin/slipway.js -c "$example" ci
step "slipway runs"; node bin/slipway.js -c "$example" runs -n 3
step "slipway release --all"; node bin/slipway.js -c "$example" release --all
step "slipway releases"; node bin/slipway.js -c "$example" releases
step "slipway audit verify"; node bin/slipway.js -c "$example" audit verify
for service in delivery package workflow ingestion; do
  step "slipway deploy $service --env prod"; node bin/slipway.js -c "$example" deploy "$service" --env prod
done
step "slipway status"; node bin/slipway.js -c "$example" status
