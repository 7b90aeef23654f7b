#!/usr/bin/env bash
# The end of the quickstart: `slipway serve` for the example system in the
# background (the controllers of every environment, the API and the
# dashboard), restarted on each run so it runs the slipway just built, and
# how to log in. The first run creates the user `admin` with a random
# password and prints it this once, like a token: it is not kept anywhere in
# plain text (the state store holds only its scrypt hash). No other secret is
# printed.
#
#   scripts/demo/serve.sh <workspace> [port]      (scripts/demo.sh calls it)
set -euo pipefail
cd "$(dirname "$0")/../.."
ws=${1:?usage: scripts/demo/serve.sh <workspace> [port]}
port=${2:-${SLIPWAY_DEMO_PORT:-7700}}
slipway() { node bin/slipway.js -c "$ws" "$@"; }
pidfile=$(dirname "$ws")/serve.pid
log=$(dirname "$ws")/serve.log
url="http://127.0.0.1:$port"

# The server of an earlier run ends gracefully (rollouts resume from the store).
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  kill -TERM "$(cat "$pidfile")"
  for _ in $(seq 1 60); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.25; done
fi
rm -f "$pidfile"
if curl -fsS -m 2 "$url/api/health" >/dev/null 2>&1; then
  echo "demo: $url is taken by another server; run again with SLIPWAY_DEMO_PORT=<free port>" >&2
  exit 1
fi

new_password=""
if ! slipway --json users list | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.exit(JSON.parse(s).users.some(u=>u.name==="admin")?0:1))'; then
  new_password=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(18).toString("base64url"))')
  printf '%s\n' "$new_password" | slipway users add admin --role admin --password-stdin
fi

nohup node bin/slipway.js -c "$ws" serve --port "$port" > "$log" 2>&1 < /dev/null &
echo $! > "$pidfile"
for _ in $(seq 1 120); do
  curl -fsS -m 2 "$url/api/health" >/dev/null 2>&1 && break
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "demo: slipway serve exited; its log ($log):" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.25
done
curl -fsS -m 2 "$url/api/health" >/dev/null

cat <<MSG

slipway serve runs in the background for the example (pid $(cat "$pidfile"), log $log):
  dashboard  $url/
  API        $url/api/openapi.json
$(if [ -n "$new_password" ]; then printf 'Log in as admin with the initial password: %s\n  (shown this once and kept nowhere in plain text: save it in your password manager)' "$new_password"
  else printf 'Log in as admin with the password printed when the quickstart first created it'; fi)
To approve ingestion's releases in the browser, log in as one of its owners, e.g.:
  printf '%s\\n' '<a password of 12+ characters>' | node bin/slipway.js -c $ws users add arun@drone.example --role approver --password-stdin
Stop it with: kill \$(cat $pidfile)
MSG
