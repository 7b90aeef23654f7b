// A HAProxy that answers every request itself (`http-request return`): a
// backend that costs next to nothing and is not Node, for benchmarks of what
// sits in front of it.

/** haproxy.cfg with one frontend per entry on 127.0.0.1, each answering 200 with its body. */
export function answeringHaproxyConfig(frontends: Readonly<Record<string, { port: number; body: string }>>): string {
  return [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  timeout client 30s",
    "  timeout http-keep-alive 60s",
    "  timeout http-request 10s",
    ...Object.entries(frontends).flatMap(([name, { port, body }]) => ["", `frontend ${name}`, `  bind 127.0.0.1:${port}`, `  http-request return status 200 content-type text/plain string "${body}"`]),
    "",
  ].join("\n");
}
