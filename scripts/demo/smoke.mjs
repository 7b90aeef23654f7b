#!/usr/bin/env node
// The example system's integration smoke test: one delivery through the whole
// system as deployed in an environment — ingestion → workflow → package and
// delivery, each hop through the environment's router. Loopback only.
//
//   node scripts/demo/smoke.mjs http://127.0.0.1:<ingestion endpoint>
const [base] = process.argv.slice(2);
const url = new URL("/deliveries", base);
if (!["127.0.0.1", "localhost"].includes(url.hostname)) throw new Error(`smoke goes to loopback only, not ${url.hostname}`);
const id = `smoke-${Date.now().toString(36)}`;
const res = await fetch(url, {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ id, owner: "smoke", pickup: { lat: 47.6205, lon: -122.3493 }, dropoff: { lat: 47.6097, lon: -122.3331 }, packageInfo: { size: "small", weightKg: 1 } }),
  signal: AbortSignal.timeout(15_000),
});
const answer = await res.text();
if (res.status !== 202) {
  console.error(`smoke: POST ${url.href} answered ${res.status}, expected 202: ${answer}`);
  process.exit(1);
}
console.log(`smoke: delivery ${id} accepted through ingestion → workflow → package, delivery: ${answer}`);
