#!/usr/bin/env node
// Bounded demo traffic: POSTs delivery requests to the ingestion endpoint at a
// steady rate over keep-alive, so the router has something to measure while a
// canary is analysed. Loopback only; stops on SIGTERM/SIGINT or after
// max-seconds, then prints what it saw, by status and by x-served-by.
//
//   node scripts/demo/traffic.mjs http://127.0.0.1:4280 40 240
import http from "node:http";
import { Buffer } from "node:buffer";
import { setInterval, clearInterval } from "node:timers";

const [base, rateArg = "40", maxArg = "240"] = process.argv.slice(2);
const url = new URL("/deliveries", base);
if (!["127.0.0.1", "localhost"].includes(url.hostname)) throw new Error(`traffic goes to loopback only, not ${url.hostname}`);
const rate = Number(rateArg);
const maxMs = Number(maxArg) * 1000;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const run = Date.now().toString(36);
const started = Date.now();
const counts = { sent: 0, byStatus: {}, byServer: {}, errors: {} };
const inFlight = new Set();
const bump = (map, key) => (map[key] = (map[key] ?? 0) + 1);

function post(n) {
  const body = JSON.stringify({
    id: `demo-${run}-${n}`,
    owner: "quickstart",
    pickup: { lat: 47.6205, lon: -122.3493 },
    dropoff: { lat: 47.6097, lon: -122.3331 },
    packageInfo: { size: "small", weightKg: 1 },
  });
  return new Promise((resolve) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) }, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => {
        bump(counts.byStatus, String(res.statusCode));
        bump(counts.byServer, String(res.headers["x-served-by"] ?? "no x-served-by header"));
        resolve();
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 10 s")));
    req.on("error", (err) => {
      bump(counts.errors, err.message);
      resolve();
    });
    req.end(body);
  });
}

const tick = setInterval(() => {
  const elapsed = Date.now() - started;
  if (elapsed > maxMs) return void stop();
  const due = Math.floor((elapsed * rate) / 1000) - counts.sent;
  for (let i = 0; i < due; i++) {
    const p = post(counts.sent++);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }
}, 20);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  await Promise.all(inFlight);
  agent.destroy();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const failed = counts.sent - (Object.entries(counts.byStatus).filter(([s]) => s.startsWith("2")).reduce((n, [, c]) => n + c, 0));
  console.log(`traffic: ${counts.sent} requests in ${seconds} s to ${url.href}, ${failed} not 2xx`);
  console.log(`  by status: ${JSON.stringify(counts.byStatus)}`);
  console.log(`  served by: ${JSON.stringify(counts.byServer)}`);
  if (Object.keys(counts.errors).length > 0) console.log(`  errors: ${JSON.stringify(counts.errors)}`);
  process.exit(failed === 0 ? 0 : 1);
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
