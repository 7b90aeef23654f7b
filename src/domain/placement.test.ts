import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dependencyUrls, dependencyUrlVariable, endpointPort, parsePortRange, previewPort, routerControlPort } from "./placement.js";

const services = [
  { name: "ingestion", dependsOn: ["workflow"] },
  { name: "workflow", dependsOn: ["package", "delivery"] },
  { name: "package", dependsOn: [], endpoint: { port: 18101 } },
  { name: "delivery", dependsOn: [] },
];

describe("placement", () => {
  it("gives each dependency's router endpoint in the environment as <NAME>_URL", () => {
    const urls = dependencyUrls(services[1] as (typeof services)[number], services, 1000);
    assert.deepEqual(Object.keys(urls), ["PACKAGE_URL", "DELIVERY_URL"]);
    assert.equal(urls["PACKAGE_URL"], "http://127.0.0.1:19101");
    assert.equal(urls["DELIVERY_URL"], `http://127.0.0.1:${endpointPort({ name: "delivery" }, 1000)}`);
    assert.deepEqual(dependencyUrls({ name: "package", dependsOn: [] }, services, 0), {});
  });

  it("names the variable after the service in upper case with underscores", () => {
    assert.equal(dependencyUrlVariable("order-api"), "ORDER_API_URL");
    assert.equal(dependencyUrlVariable("workflow"), "WORKFLOW_URL");
  });

  it("refuses a dependency that is not a service of the system", () => {
    assert.throws(() => dependencyUrls({ name: "ingestion", dependsOn: ["nope"] }, services, 0), /ingestion: dependsOn names "nope"/);
  });

  it("derives a stable endpoint port in 3000–3999 plus the offset, and refuses ports above 65535", () => {
    const port = endpointPort({ name: "delivery" }, 0);
    assert.ok(port >= 3000 && port < 4000, String(port));
    assert.equal(endpointPort({ name: "delivery" }, 2000), port + 2000);
    assert.equal(routerControlPort({}, 14100), 16099);
    assert.equal(routerControlPort({ routerPort: 21999 }, 14100), 21999);
    assert.throws(() => routerControlPort({}, 64000), /the router's control port would be port 65999, above 65535/);
    assert.throws(() => endpointPort({ name: "x", endpoint: { port: 65000 } }, 1000), /above 65535/);
  });

  it("takes an environment's fixed endpoint port as written, before endpoint.port and the offset", () => {
    assert.equal(endpointPort({ name: "delivery", endpoint: { port: 85 } }, 23000, { delivery: 23087 }), 23087);
    assert.equal(endpointPort({ name: "delivery", endpoint: { port: 85 } }, 23000, { other: 23087 }), 23085);
    assert.deepEqual(dependencyUrls({ name: "ingestion", dependsOn: ["delivery"] }, [{ name: "delivery" }], 0, { delivery: 23087 }), { DELIVERY_URL: "http://127.0.0.1:23087" });
  });

  it("reads a gateway's listener ports as a range", () => {
    assert.deepEqual(parsePortRange("23080-23089"), [23080, 23089]);
    assert.deepEqual(parsePortRange("80"), [80, 80]);
    for (const bad of ["23089-23080", "0-10", "1-70000", "80,81", ""]) assert.equal(parsePortRange(bad), undefined, bad);
  });

  it("gives a blue-green service a preview port 10000 above its endpoint unless it names one, and others none", () => {
    const blueGreen = { name: "delivery", endpoint: { port: 3300 }, strategy: { blueGreen: { autoPromote: false } } } as unknown as Parameters<typeof previewPort>[0];
    assert.equal(previewPort(blueGreen, 1000), 14300);
    assert.equal(previewPort({ ...blueGreen, endpoint: { port: 3300, previewPort: 3301 } }, 1000), 4301);
    assert.equal(previewPort({ ...blueGreen, strategy: { rolling: {} } } as unknown as typeof blueGreen, 1000), undefined);
    assert.throws(() => previewPort({ ...blueGreen, endpoint: { port: 60000 } }, 0), /preview endpoint would be port 70000/);
  });
});
