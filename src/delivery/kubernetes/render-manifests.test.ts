// The Kubernetes rendering of a system lock: the objects the Kubernetes
// runtime applies (domain/kubernetes-objects.ts), checked field by field and
// by `checkStructure` (the cross-references a cluster resolves: selectors,
// Services, listeners, Secrets), and a golden file pins the whole output. The
// e2e test test/e2e/kubernetes-rollout.test.ts applies them to a real cluster.
//
// Golden file: src/delivery/kubernetes/testdata/two-services.golden.yaml.
// After a deliberate change, refresh it with
//   npm run build && UPDATE_GOLDEN=1 node --test dist/src/delivery/kubernetes/
// and review the diff.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { serviceGatewayObject, sharedGatewayObject } from "../../domain/kubernetes-objects.js";
import { SlipwayError } from "../../domain/errors.js";
import type { LockedService, SystemLock } from "../recovery/system-lock.js";
import { cpuQuantity, DEFAULT_GATEWAY_CLASS, isLoopbackUrl, memoryQuantity, renderManifests, resolveNamespace, serializeManifests, type RenderOptions } from "./render-manifests.js";

const digest = `sha256:${"a".repeat(64)}`;
const probe = (kind: Partial<ReadinessProbe>): ReadinessProbe => ({ initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...kind });

function locked(service: string, over: Partial<LockedService> & { env?: Record<string, string>; secretEnv?: Record<string, string> } = {}): LockedService {
  const { env = {}, secretEnv = {}, ...rest } = over;
  return {
    service,
    version: "1.0.0",
    image: `127.0.0.1:5102/shop/${service}@${digest}`,
    revision: `r-${service}0001`,
    dependsOn: [],
    template: { port: 8080, env, secretEnv, resources: {}, readiness: probe({ tcp: {} }), terminationGracePeriodSeconds: 30 },
    replicas: 1,
    strategy: "rolling",
    ...rest,
  };
}

/** The lock of docs/disaster-recovery.md: back (canary, a secret, limits) and front (rolling, depends on back). */
function twoServices(): SystemLock {
  return {
    kind: "slipway-system-lock",
    formatVersion: 1,
    system: "shop",
    environment: "prod",
    takenAt: "2026-11-28T16:02:11.381Z",
    services: [
      locked("back", {
        version: "1.4.0",
        revision: "r-a2b47c1a02",
        template: {
          port: 8080,
          env: { LOG_LEVEL: "info" },
          secretEnv: { DB_PASSWORD: "SHOP_DB_PASSWORD" },
          resources: { memory: "128Mi", cpus: 0.5 },
          readiness: probe({ http: { path: "/healthz" } }),
          terminationGracePeriodSeconds: 30,
        },
        replicas: 2,
        strategy: "canary",
      }),
      locked("front", { version: "2.0.1", revision: "r-5382ebc7bd", dependsOn: ["back"], template: { ...locked("front").template, port: 3000 }, replicas: 3 }),
    ],
  };
}

const baseOptions: RenderOptions = { namespace: "shop-prod", endpointPorts: { back: 5100, front: 5200, db: 5300 } };

type Obj = Record<string, unknown>;
const get = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

function objects(lock: SystemLock, options: RenderOptions = baseOptions): Obj[] {
  return renderManifests(lock, options).documents.map((d) => d.object);
}
function find(list: Obj[], kind: string, name: string): Obj {
  const found = list.find((o) => o["kind"] === kind && get(o, "metadata", "name") === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
}
function container(list: Obj[], service: string): Obj {
  return get(replicaSet(list, service), "spec", "template", "spec", "containers", 0) as Obj;
}
function replicaSet(list: Obj[], service: string): Obj {
  const found = list.find((o) => o["kind"] === "ReplicaSet" && get(o, "metadata", "labels", "org.slipway.service") === service);
  assert.ok(found, `no ReplicaSet of ${service}`);
  return found;
}
function env(list: Obj[], service: string): Obj[] {
  return container(list, service)["env"] as Obj[];
}
function envValue(list: Obj[], service: string, name: string): unknown {
  return env(list, service).find((e) => e["name"] === name);
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

/** What an API server and the controllers would resolve, checked by hand since none is reachable. */
function checkStructure(list: Obj[]): void {
  assert.equal(list[0]?.["kind"], "Namespace");
  const namespace = get(list[0], "metadata", "name") as string;
  const services = new Map(list.filter((o) => o["kind"] === "Service").map((o) => [get(o, "metadata", "name") as string, o]));
  const gateways = list.filter((o) => o["kind"] === "Gateway");
  for (const o of list) {
    assert.match(String(o["apiVersion"]), /^(v1|apps\/v1|gateway\.networking\.k8s\.io\/v1)$/);
    assert.match(String(get(o, "metadata", "name")), dnsLabel);
    if (o["kind"] !== "Namespace") assert.equal(get(o, "metadata", "namespace"), namespace);
    for (const v of Object.values((get(o, "metadata", "labels") ?? {}) as Obj)) assert.match(String(v), labelValue);
  }
  for (const d of list.filter((o) => o["kind"] === "ReplicaSet")) {
    const podLabels = get(d, "spec", "template", "metadata", "labels") as Record<string, string>;
    for (const v of Object.values(podLabels)) assert.match(v, labelValue);
    for (const [k, v] of Object.entries(get(d, "spec", "selector", "matchLabels") as Record<string, string>)) assert.equal(podLabels[k], v, "the selector selects the pod template");
    const c = get(d, "spec", "template", "spec", "containers", 0) as Obj;
    assert.match(String(c["image"]), /@sha256:[0-9a-f]{64}$/);
    const names = (c["env"] as Obj[]).map((e) => e["name"]);
    assert.equal(new Set(names).size, names.length, "env names are unique");
    for (const e of c["env"] as Obj[]) {
      assert.equal(("value" in e ? 1 : 0) + ("valueFrom" in e ? 1 : 0), 1, `${String(e["name"])}: value or valueFrom`);
      if ("value" in e) assert.equal(typeof e["value"], "string");
      const ref = get(e, "valueFrom", "secretKeyRef", "name");
      if (ref !== undefined) assert.equal(ref, `${String(get(d, "metadata", "labels", "org.slipway.service"))}-secrets`);
    }
    const probe = c["readinessProbe"] as Obj;
    assert.equal(["httpGet", "tcpSocket", "exec"].filter((k) => k in probe).length, 1);
    for (const k of ["initialDelaySeconds", "periodSeconds", "timeoutSeconds", "successThreshold", "failureThreshold"]) assert.ok(Number.isInteger(probe[k]), `${k} is whole`);
    for (const name of [get(d, "metadata", "name") as string, get(d, "metadata", "labels", "org.slipway.service") as string]) {
      const svc = services.get(name);
      assert.ok(svc, `each ReplicaSet has its Service ${name}`);
      for (const [k, v] of Object.entries(get(svc, "spec", "selector") as Record<string, string>)) assert.equal(podLabels[k], v, "the Service selects the pods");
      assert.equal(get(svc, "spec", "ports", 0, "targetPort"), get(c, "ports", 0, "containerPort"));
    }
  }
  for (const r of list.filter((o) => o["kind"] === "HTTPRoute")) {
    const parent = get(r, "spec", "parentRefs", 0) as Obj;
    const gw = gateways.find((g) => get(g, "metadata", "name") === parent["name"]);
    assert.ok(gw, "the route's Gateway is rendered");
    assert.ok((get(gw, "spec", "listeners") as Obj[]).some((l) => l["name"] === parent["sectionName"]), "the route's listener exists");
    const ref = get(r, "spec", "rules", -1 + (get(r, "spec", "rules") as Obj[]).length, "backendRefs", 0) as Obj;
    assert.equal(get(services.get(ref["name"] as string), "spec", "ports", 0, "port"), ref["port"], "the backendRef names a Service port");
  }
}

describe("renderManifests", () => {
  it("renders a Namespace, the Gateway, then per service in dependency order the revision's ReplicaSet and Service, the stable Service and an HTTPRoute", () => {
    const list = objects(twoServices());
    assert.deepEqual(
      list.map((o) => `${String(o["kind"])}/${String(get(o, "metadata", "name"))}`),
      [
        "Namespace/shop-prod",
        "Gateway/shop",
        "ReplicaSet/back-r-a2b47c1a02",
        "Service/back-r-a2b47c1a02",
        "Service/back",
        "HTTPRoute/back",
        "ReplicaSet/front-r-5382ebc7bd",
        "Service/front-r-5382ebc7bd",
        "Service/front",
        "HTTPRoute/front",
      ],
    );
    checkStructure(list);
  });

  it("maps the pod template: labels, image by digest, port, PORT, literal env, limits, readiness, grace period, replicas", () => {
    const list = objects(twoServices());
    const d = replicaSet(list, "back");
    assert.equal(get(d, "spec", "replicas"), 2);
    assert.deepEqual(get(d, "spec", "selector", "matchLabels"), { "org.slipway.service": "back", "org.slipway.revision": "r-a2b47c1a02" });
    assert.deepEqual(get(d, "spec", "template", "metadata", "labels"), {
      "app.kubernetes.io/name": "back",
      "app.kubernetes.io/instance": "shop-prod-back",
      "app.kubernetes.io/part-of": "shop",
      "app.kubernetes.io/managed-by": "slipway",
      "org.slipway.system": "shop",
      "org.slipway.environment": "prod",
      "org.slipway.service": "back",
      "org.slipway.revision": "r-a2b47c1a02",
      "app.kubernetes.io/version": "1.4.0",
      "org.slipway.serving": "true",
    });
    assert.deepEqual(get(d, "spec", "template", "spec", "containers", 0, "lifecycle"), { preStop: { sleep: { seconds: 2 } } }, "a pause before SIGTERM while gateways drop the pod");
    assert.equal(get(d, "spec", "template", "spec", "terminationGracePeriodSeconds"), 30);
    assert.equal(get(d, "spec", "template", "spec", "restartPolicy"), "Always");
    const c = container(list, "back");
    assert.equal(c["image"], `127.0.0.1:5102/shop/back@${digest}`);
    assert.deepEqual(c["ports"], [{ name: "http", containerPort: 8080, protocol: "TCP" }]);
    assert.deepEqual(envValue(list, "back", "PORT"), { name: "PORT", value: "8080" });
    assert.deepEqual(envValue(list, "back", "LOG_LEVEL"), { name: "LOG_LEVEL", value: "info" });
    assert.deepEqual(envValue(list, "back", "SLIPWAY_REVISION"), { name: "SLIPWAY_REVISION", valueFrom: { fieldRef: { fieldPath: "metadata.labels['org.slipway.revision']" } } });
    assert.deepEqual(c["resources"], { limits: { cpu: "500m", memory: "128Mi" }, requests: { cpu: "500m", memory: "128Mi" } });
    assert.deepEqual(c["readinessProbe"], { httpGet: { path: "/healthz", port: 8080 }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    assert.equal(container(list, "front")["resources"], undefined, "no limits without resources");
  });

  it("renders tcp and exec probes with their ports and the five fields, rounding seconds up for the kubelet", () => {
    const lock = twoServices();
    const tcp = locked("tcp", { template: { ...locked("tcp").template, readiness: probe({ tcp: { port: 9000 }, initialDelaySeconds: 0.5, periodSeconds: 0.2, timeoutSeconds: 2.5, successThreshold: 2, failureThreshold: 7 }), terminationGracePeriodSeconds: 2.5 } });
    const exec = locked("exec", { template: { ...locked("exec").template, readiness: probe({ exec: { command: ["/bin/check", "--ready"] } }) } });
    const list = objects({ ...lock, services: [tcp, exec] }, { ...baseOptions, endpointPorts: { tcp: 5001, exec: 5002 } });
    assert.deepEqual(container(list, "tcp")["readinessProbe"], { tcpSocket: { port: 9000 }, initialDelaySeconds: 1, periodSeconds: 1, timeoutSeconds: 3, successThreshold: 2, failureThreshold: 7 });
    assert.equal(get(replicaSet(list, "tcp"), "spec", "template", "spec", "terminationGracePeriodSeconds"), 3);
    assert.deepEqual(get(replicaSet(list, "tcp"), "spec", "template", "spec", "containers", 0, "lifecycle"), { preStop: { sleep: { seconds: 1 } } }, "the pause is at most half the grace period");
    assert.deepEqual(container(list, "exec")["readinessProbe"], { exec: { command: ["/bin/check", "--ready"] }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
    assert.deepEqual(get(container(objects(twoServices()), "front"), "readinessProbe", "tcpSocket"), { port: 3000 }, "a tcp probe without a port probes the service port");
    checkStructure(list);
  });

  it("writes CPU and memory as Kubernetes quantities", () => {
    assert.equal(cpuQuantity(0.5), "500m");
    assert.equal(cpuQuantity(2), "2000m");
    assert.equal(cpuQuantity(0.0001), "1m");
    assert.equal(memoryQuantity("128Mi"), "128Mi");
    assert.equal(memoryQuantity("500K"), "500k", "Kubernetes' decimal kilo is lowercase");
    assert.equal(memoryQuantity("1.5Gi"), "1.5Gi");
  });

  it("a comment above each ReplicaSet names the revision and the strategy slipway rolls it out with", () => {
    const rendered = renderManifests(twoServices(), baseOptions);
    const back = rendered.documents.find((d) => d.object["kind"] === "ReplicaSet" && get(d.object, "metadata", "name") === "back-r-a2b47c1a02");
    assert.match(back?.comment ?? "", /^back: revision r-a2b47c1a02 \(canary\)\. What slipway's Kubernetes runtime applies once a rollout has settled/);
  });

  it("ClusterIP Services of the revision and the stable one select its serving pods; an HTTPRoute gives the revision's Service weight 100 on the system's Gateway", () => {
    const list = objects(twoServices());
    const selector = { "org.slipway.service": "front", "org.slipway.revision": "r-5382ebc7bd", "org.slipway.serving": "true" };
    const ports = [{ name: "http", port: 3000, targetPort: 3000, protocol: "TCP" }];
    assert.deepEqual(get(find(list, "Service", "front"), "spec"), { type: "ClusterIP", selector, ports });
    assert.deepEqual(get(find(list, "Service", "front-r-5382ebc7bd"), "spec"), { type: "ClusterIP", selector, ports });
    assert.deepEqual(get(find(list, "HTTPRoute", "front"), "spec"), {
      parentRefs: [{ name: "shop", sectionName: "front" }],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "front-r-5382ebc7bd", port: 3000, weight: 100 }] }],
    });
    assert.equal(get(find(list, "HTTPRoute", "front"), "spec", "hostnames"), undefined, "hostname-less");
  });

  it("traffic split by replicas: the stable Service selects the settled revision's serving pods (as the router keeps a revision with all the traffic), the pods start weighted, the route has one rule to that Service; no gateway named, no Gateway or route", () => {
    const list = objects(twoServices(), { ...baseOptions, traffic: "replicas", gatewayClass: "traefik" });
    assert.deepEqual(get(find(list, "Service", "front"), "spec", "selector"), { "org.slipway.service": "front", "org.slipway.revision": "r-5382ebc7bd", "org.slipway.serving": "true" });
    assert.equal(get(find(list, "ReplicaSet", "front-r-5382ebc7bd"), "spec", "template", "metadata", "labels", "org.slipway.weighted"), "true");
    assert.deepEqual(get(find(list, "HTTPRoute", "front"), "spec", "rules"), [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "front", port: 3000 }] }]);
    const bare = objects(twoServices(), { ...baseOptions, traffic: "replicas" }).map((o) => String(o["kind"]));
    assert.deepEqual([...new Set(bare)].sort(), ["Namespace", "ReplicaSet", "Service"]);
    assert.equal(get(find(objects(twoServices()), "ReplicaSet", "front-r-5382ebc7bd"), "spec", "template", "metadata", "labels", "org.slipway.weighted"), undefined, "gateway mode: no weighted label");
    checkStructure(list);
  });

  it("the Gateway is named after the system, one listener a service on its endpoint port, with a placeholder class unless given", () => {
    const gw = find(objects(twoServices()), "Gateway", "shop");
    assert.equal(get(gw, "spec", "gatewayClassName"), DEFAULT_GATEWAY_CLASS);
    assert.deepEqual(get(gw, "spec", "listeners"), [
      { name: "back", protocol: "HTTP", port: 5100, allowedRoutes: { namespaces: { from: "Same" } } },
      { name: "front", protocol: "HTTP", port: 5200, allowedRoutes: { namespaces: { from: "Same" } } },
    ]);
    assert.equal(get(find(objects(twoServices(), { ...baseOptions, gatewayClass: "istio" }), "Gateway", "shop"), "spec", "gatewayClassName"), "istio");
    assert.throws(() => objects(twoServices(), { ...baseOptions, endpointPorts: { back: 5100, front: 5100 } }), /share the Gateway listener port 5100/);
    assert.throws(() => objects(twoServices(), { ...baseOptions, endpointPorts: { back: 5100 } }), /no endpoint port for front/);
  });

  it("the rendered Gateway is what the router applies: every service's own listener (serviceGatewayObject), or the shared one", () => {
    const scope = { system: "shop", environment: "prod", namespace: "shop-prod" };
    const layout = { name: "shop", className: DEFAULT_GATEWAY_CLASS };
    const parts = (["back", "front"] as const).map((service) => serviceGatewayObject(scope, layout, { service, endpointPort: baseOptions.endpointPorts[service] ?? 0 }));
    const gw = find(objects(twoServices()), "Gateway", "shop");
    assert.deepEqual(get(gw, "spec", "listeners"), parts.flatMap((p) => get(p, "spec", "listeners") as unknown[]));
    assert.deepEqual({ ...gw, spec: undefined }, { ...parts[0], spec: undefined }, "the same metadata");
    assert.deepEqual(find(objects(twoServices(), { ...baseOptions, sharedPort: 8000 }), "Gateway", "shop"), sharedGatewayObject(scope, { ...layout, sharedPort: 8000 }));
  });

  it("with a shared port: one listener, and each route matches <service>.<namespace> (or the hostname suffix)", () => {
    const list = objects(twoServices(), { ...baseOptions, sharedPort: 8000 });
    assert.deepEqual(get(find(list, "Gateway", "shop"), "spec", "listeners"), [{ name: "http", protocol: "HTTP", port: 8000, allowedRoutes: { namespaces: { from: "Same" } } }]);
    assert.deepEqual(get(find(list, "HTTPRoute", "back"), "spec", "parentRefs"), [{ name: "shop", sectionName: "http" }]);
    assert.deepEqual(get(find(list, "HTTPRoute", "back"), "spec", "hostnames"), ["back.shop-prod"]);
    assert.deepEqual(get(find(objects(twoServices(), { ...baseOptions, sharedPort: 8000, hostnameSuffix: "shop.test" }), "HTTPRoute", "front"), "spec", "hostnames"), ["front.shop.test"]);
    checkStructure(list);
  });

  it("the Namespace is labelled with the system and the environment rendered for", () => {
    assert.deepEqual(objects(twoServices())[0], {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "shop-prod", labels: { "app.kubernetes.io/part-of": "shop", "app.kubernetes.io/managed-by": "slipway", "org.slipway.system": "shop", "org.slipway.environment": "prod" } },
    });
    assert.equal(get(objects(twoServices(), { ...baseOptions, environment: "staging" })[0], "metadata", "labels", "org.slipway.environment"), "staging");
  });
});

describe("secrets", () => {
  it("a secret variable is a secretKeyRef to <service>-secrets keyed by the host variable; no value appears", () => {
    const value = "s3cr3t-do-not-render";
    process.env["SHOP_DB_PASSWORD"] = value;
    try {
      const rendered = renderManifests(twoServices(), baseOptions);
      assert.deepEqual(envValue(rendered.documents.map((d) => d.object), "back", "DB_PASSWORD"), { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "back-secrets", key: "SHOP_DB_PASSWORD" } } });
      const text = serializeManifests(rendered);
      assert.ok(!text.includes(value), "the host variable's value is never read");
      assert.ok(!/kind: Secret\b/.test(text), "no Secret object is rendered");
      assert.match(text, /^# {3}Secret back-secrets, keys: SHOP_DB_PASSWORD$/m);
      assert.match(text, /Secrets are not included and must be created separately/);
    } finally {
      delete process.env["SHOP_DB_PASSWORD"];
    }
  });

  it("a variable both literal and secret is the secret, once", () => {
    const lock = { ...twoServices(), services: [locked("back", { env: { TOKEN: "x" }, secretEnv: { TOKEN: "BACK_TOKEN" } })] };
    assert.deepEqual(env(objects(lock), "back").filter((e) => e["name"] === "TOKEN"), [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "back-secrets", key: "BACK_TOKEN" } } }]);
  });
});

describe("dependency URLs", () => {
  it("each <DEPENDENCY>_URL is the dependency's Service DNS name in the namespace", () => {
    assert.deepEqual(envValue(objects(twoServices()), "front", "BACK_URL"), { name: "BACK_URL", value: "http://back.shop-prod.svc.cluster.local:8080" });
    assert.equal(envValue(objects(twoServices()), "back", "FRONT_URL"), undefined);
  });

  it("replaces a loopback URL and keeps any other value the service set", () => {
    const lock = twoServices();
    const front = (value: string): SystemLock => ({ ...lock, services: [lock.services[0] as LockedService, { ...(lock.services[1] as LockedService), template: { ...(lock.services[1] as LockedService).template, env: { BACK_URL: value } } }] });
    assert.equal(get(envValue(objects(front("http://127.0.0.1:4310")), "front", "BACK_URL"), "value"), "http://back.shop-prod.svc.cluster.local:8080");
    assert.equal(get(envValue(objects(front("http://localhost:4310/api")), "front", "BACK_URL"), "value"), "http://back.shop-prod.svc.cluster.local:8080");
    assert.equal(get(envValue(objects(front("https://back.example.com")), "front", "BACK_URL"), "value"), "https://back.example.com");
    assert.equal(isLoopbackUrl("http://127.0.0.1"), true);
    assert.equal(isLoopbackUrl("http://127.0.0.10.example.com"), false);
  });

  it("a dependency outside the lock takes its port from the configuration, and is named in the header; an unknown one is refused", () => {
    const lock = { ...twoServices(), services: [locked("api", { dependsOn: ["order-db"] })] };
    const rendered = renderManifests(lock, { ...baseOptions, endpointPorts: { api: 5000 }, servicePorts: { "order-db": 5432 } });
    assert.equal(get(envValue(rendered.documents.map((d) => d.object), "api", "ORDER_DB_URL"), "value"), "http://order-db.shop-prod.svc.cluster.local:5432");
    assert.ok(rendered.header.includes("api depends on order-db, which the lock does not carry: its Service must already exist in the namespace."));
    assert.throws(() => renderManifests(lock, { ...baseOptions, endpointPorts: { api: 5000 } }), /api depends on order-db, whose port is unknown/);
  });
});

describe("determinism and YAML", () => {
  it("the same lock renders the same bytes, whatever the order of its services and variables", () => {
    const lock = twoServices();
    const shuffled: SystemLock = {
      ...lock,
      services: [...lock.services].reverse().map((s) => ({ ...s, template: { ...s.template, env: Object.fromEntries(Object.entries({ ...s.template.env, ZED: "1", ALPHA: "2" }).reverse()) } })),
    };
    const sorted: SystemLock = { ...lock, services: lock.services.map((s) => ({ ...s, template: { ...s.template, env: { ...s.template.env, ALPHA: "2", ZED: "1" } } })) };
    assert.equal(serializeManifests(renderManifests(shuffled, baseOptions)), serializeManifests(renderManifests(sorted, baseOptions)));
    assert.equal(serializeManifests(renderManifests(lock, baseOptions)), serializeManifests(renderManifests(twoServices(), baseOptions)));
  });

  it("parses back to the same objects, and strings YAML 1.1 would read as booleans or numbers stay strings", () => {
    const lock = { ...twoServices(), services: [locked("back", { env: { A: "on", B: "yes", C: "0755", D: "1e3", E: "~", F: "2026-01-01" } })] };
    const rendered = renderManifests(lock, { ...baseOptions, endpointPorts: { back: 5100 } });
    const docs = parseAllDocuments(serializeManifests(rendered), { version: "1.1" });
    assert.ok(Array.isArray(docs));
    for (const d of docs) assert.deepEqual(d.errors, []);
    const parsed = docs.map((d) => d.toJS() as unknown).filter((o) => o !== null);
    assert.deepEqual(parsed, rendered.documents.map((d) => d.object));
    assert.doesNotMatch(serializeManifests(rendered), /[&*]a\d/, "no anchors or aliases");
  });

  it("the header names the environment, the lock's time, the source and slipway's version", () => {
    const header = renderManifests(twoServices(), { ...baseOptions, source: "the lock file prod.lock.json", namespaceSource: "--namespace", slipwayVersion: "0.1.0" }).header;
    assert.equal(header[0], "Kubernetes manifests of system shop, environment prod, rendered by slipway 0.1.0");
    assert.equal(header[1], "from the lock file prod.lock.json, taken at 2026-11-28T16:02:11.381Z");
    assert.match(header[2] ?? "", /^namespace shop-prod \(from --namespace\); gatewayClassName slipway-gateway-class \(a placeholder/);
    assert.ok(header.some((l) => l.startsWith("Images name the loopback registry 127.0.0.1:5102")));
    const partial = renderManifests({ ...twoServices(), omitted: [{ service: "mail", reason: "not deployed in this environment" }] }, baseOptions).header;
    assert.ok(partial.includes("Left out when the lock was taken: mail (not deployed in this environment)."));
  });

  it("matches the golden file", () => {
    const text = serializeManifests(renderManifests(twoServices(), { ...baseOptions, source: "the lock file prod.lock.json", namespaceSource: "the environment's kubernetes.namespace", slipwayVersion: "0.1.0" }));
    const file = fileURLToPath(new URL("../../../../src/delivery/kubernetes/testdata/two-services.golden.yaml", import.meta.url));
    if (process.env["UPDATE_GOLDEN"] === "1") {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return;
    }
    assert.ok(existsSync(file), `no golden file ${file}; write it with UPDATE_GOLDEN=1 (see the top of this file)`);
    assert.equal(text, readFileSync(file, "utf8"), `differs from ${file}; after a deliberate change refresh it with UPDATE_GOLDEN=1 (see the top of this file)`);
  });
});

describe("names", () => {
  it("the namespace is --namespace, else the environment's kubernetes.namespace, else <system>-<environment>", () => {
    assert.deepEqual(resolveNamespace({ flag: "a", configured: "b", system: "shop", environment: "prod" }), { namespace: "a", from: "--namespace" });
    assert.deepEqual(resolveNamespace({ configured: "b", system: "shop", environment: "prod" }), { namespace: "b", from: "the environment's kubernetes.namespace" });
    assert.deepEqual(resolveNamespace({ system: "shop", environment: "prod" }), { namespace: "shop-prod", from: "the system's and the environment's names" });
  });

  it("refuses names Kubernetes would refuse, saying which and why", () => {
    const refused = (fn: () => unknown, pattern: RegExp) =>
      assert.throws(fn, (err: unknown) => {
        assert.ok(err instanceof SlipwayError);
        assert.equal(err.code, "USAGE");
        assert.match(err.message, pattern);
        return true;
      });
    refused(() => resolveNamespace({ flag: "Shop_Prod", system: "shop", environment: "prod" }), /namespace \(--namespace\) "Shop_Prod" is not a valid Kubernetes name: a DNS label/);
    refused(() => resolveNamespace({ flag: `a${"b".repeat(63)}`, system: "shop", environment: "prod" }), /is not a valid Kubernetes name/);
    refused(() => objects(twoServices(), { ...baseOptions, namespace: "-x" }), /namespace "-x" is not a valid Kubernetes name/);
    refused(() => objects({ ...twoServices(), services: [locked("1api")] }, { ...baseOptions, endpointPorts: { "1api": 1 } }), /service "1api" is not a valid Kubernetes name: Service names are RFC 1035 labels/);
    refused(() => objects({ ...twoServices(), services: [locked("Api")] }), /service "Api" is not a valid Kubernetes name/);
    refused(() => objects({ ...twoServices(), system: "my_shop" }), /system "my_shop" is not a valid Kubernetes name/);
    refused(() => objects({ ...twoServices(), services: [locked("back", { version: "1.0.0+build" })] }), /version "1.0.0\+build" is not a valid Kubernetes label value/);
    refused(() => objects({ ...twoServices(), services: [locked("back"), locked("back")] }), /names back twice/);
    refused(() => objects({ ...twoServices(), services: [] }), /nothing to render/);
  });
});
