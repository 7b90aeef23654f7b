// Integration test of the drone-delivery system as deployed in an environment
// (run by `slipway test --env <env>` in a test image on the host network).
// A delivery requested through ingestion must leave its traces in the
// services behind it: a package in package, a scheduled flight in delivery.
// Every service's router endpoint comes as <SERVICE>_URL.
import assert from "node:assert/strict";

const url = (service) => {
  const value = process.env[`${service.toUpperCase()}_URL`];
  assert.ok(value, `${service.toUpperCase()}_URL is not set`);
  return value;
};
async function call(method, target, body) {
  const res = await fetch(target, { method, headers: { "content-type": "application/json" }, body: body && JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  console.log(`${method} ${target} → ${res.status}`);
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

const id = `it-${Date.now().toString(36)}`;
const request = { id, owner: "integration-test", pickup: { lat: 47.6205, lon: -122.3493 }, dropoff: { lat: 47.6097, lon: -122.3331 }, packageInfo: { size: "small", weightKg: 1.5 } };

const accepted = await call("POST", `${url("ingestion")}/deliveries`, request);
assert.equal(accepted.status, 202, `ingestion answered ${JSON.stringify(accepted.body)}`);
assert.equal(accepted.body.deliveryId, id);

const pkg = await call("GET", `${url("package")}/packages/pkg-${id}`);
assert.equal(pkg.status, 200, "the workflow did not register the package");
assert.equal(pkg.body.owner, "integration-test");
assert.equal(pkg.body.weightKg, 1.5);

const delivery = await call("GET", `${url("delivery")}/deliveries/${id}`);
assert.equal(delivery.status, 200, "the workflow did not schedule the delivery");
assert.equal(delivery.body.status, "scheduled");
assert.equal(delivery.body.packageId, `pkg-${id}`);

const invalid = await call("POST", `${url("ingestion")}/deliveries`, { id: `${id}-bad`, owner: "integration-test" });
assert.equal(invalid.status, 400, "ingestion accepted a delivery without locations");
const notScheduled = await call("GET", `${url("delivery")}/deliveries/${id}-bad`);
assert.equal(notScheduled.status, 404, "an invalid request reached delivery");

console.log(`delivery ${id}: accepted by ingestion, package registered, flight scheduled (ETA ${delivery.body.etaMinutes} min)`);
