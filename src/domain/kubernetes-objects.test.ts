// The object builders the renderer and the Kubernetes runtime share. The
// renderer's golden file (src/delivery/kubernetes/testdata) pins the objects
// of a settled rollout; these pin what only a rollout in flight makes: a
// split route with the canary header rule, the preview Service, the Secret.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  analysisJobObject,
  gatewayObject,
  gatewayWithoutListener,
  httpRouteObject,
  type KubernetesObject,
  namespaceName, podRoutingObject, podSelector, preStopSeconds, previewServiceObject, pullSecretObject, replicaSetObject, revisionObjectName, secretObject, serviceGatewayObject, sharedGatewayObject, weightedServiceObject } from "./kubernetes-objects.js";

const scope = { system: "shop", environment: "k8s", namespace: "shop-k8s" };

describe("Kubernetes object builders", () => {
  it("traffic split by replicas: the Service selects the weighted pods of every revision while they share, one revision's serving pods while it has everything", () => {
    const selector = (o: Record<string, unknown>): unknown => (o["spec"] as { selector: unknown }).selector;
    assert.deepEqual(selector(weightedServiceObject(scope, "front", 3000)), { "org.slipway.service": "front", "org.slipway.serving": "true", "org.slipway.weighted": "true" });
    assert.deepEqual(selector(weightedServiceObject(scope, "front", 3000, { "org.slipway.split": "[]" }, "r-1")), { "org.slipway.service": "front", "org.slipway.revision": "r-1", "org.slipway.serving": "true" });
  });

  it("a canary route: the header rule first, then one weighted backendRef per revision's Service", () => {
    const route = httpRouteObject(scope, {
      service: "api",
      port: 8080,
      gateway: { name: "shop", sectionName: "http" },
      hostnames: ["api.shop-k8s"],
      weights: [
        { revision: "r-aaaaaaaaaa", weight: 90 },
        { revision: "r-bbbbbbbbbb", weight: 10 },
      ],
      headerRevisions: ["r-bbbbbbbbbb"],
      annotations: { "org.slipway.percentages": '{"r-aaaaaaaaaa":90,"r-bbbbbbbbbb":10}' },
    });
    assert.deepEqual(route, {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: {
        name: "api",
        namespace: "shop-k8s",
        labels: {
          "app.kubernetes.io/name": "api",
          "app.kubernetes.io/instance": "shop-k8s-api",
          "app.kubernetes.io/part-of": "shop",
          "app.kubernetes.io/managed-by": "slipway",
          "org.slipway.system": "shop",
          "org.slipway.environment": "k8s",
          "org.slipway.service": "api",
        },
        annotations: { "org.slipway.percentages": '{"r-aaaaaaaaaa":90,"r-bbbbbbbbbb":10}' },
      },
      spec: {
        parentRefs: [{ name: "shop", sectionName: "http" }],
        hostnames: ["api.shop-k8s"],
        rules: [
          { matches: [{ headers: [{ type: "Exact", name: "X-Slipway-Canary", value: "always" }] }], backendRefs: [{ name: "api-r-bbbbbbbbbb", port: 8080, weight: 1 }] },
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            backendRefs: [
              { name: "api-r-aaaaaaaaaa", port: 8080, weight: 90 },
              { name: "api-r-bbbbbbbbbb", port: 8080, weight: 10 },
            ],
          },
        ],
      },
    });
  });

  it("the router's apply to a pod sets its labels only, never the deletion cost: pods drained together must not share the cheapest cost (the ReplicaSet would delete another than the one removed, and replace it)", () => {
    const drained = podRoutingObject(scope, "api-r-a-x1", { "org.slipway.serving": "false" });
    assert.deepEqual(drained, { apiVersion: "v1", kind: "Pod", metadata: { name: "api-r-a-x1", namespace: scope.namespace, labels: { "org.slipway.serving": "false" } } });
  });

  it("the preview Service selects the previewed revision's serving pods", () => {
    const preview = previewServiceObject(scope, "api", "r-bbbbbbbbbb", 8080);
    assert.equal(preview.metadata.name, "api-preview");
    assert.deepEqual((preview["spec"] as { selector: unknown }).selector, { "org.slipway.service": "api", "org.slipway.revision": "r-bbbbbbbbbb", "org.slipway.serving": "true" });
  });

  it("the Secret carries the host variables' values as stringData under their names", () => {
    const secret = secretObject(scope, "api", { SHOP_DB_PASSWORD: "x" });
    assert.equal(secret.metadata.name, "api-secrets");
    assert.deepEqual(secret["stringData"], { SHOP_DB_PASSWORD: "x" });
    assert.equal(secret["type"], "Opaque");
  });

  it("names: the namespace, revision objects, selectors, and the preStop pause", () => {
    assert.equal(namespaceName("shop", "k8s"), "shop-k8s");
    assert.equal(revisionObjectName("api", "r-0123456789"), "api-r-0123456789");
    assert.ok(revisionObjectName("a".repeat(60), "r-0123456789").length <= 63);
    assert.equal(podSelector(scope, "api"), "app.kubernetes.io/managed-by=slipway,org.slipway.system=shop,org.slipway.environment=k8s,org.slipway.service=api");
    assert.deepEqual([0, 1, 2, 3, 4, 30].map(preStopSeconds), [0, 0, 1, 1, 2, 2]);
  });

  it("resources: requests = limits, or the CPU request a percent of the limit (memory's stays the limit)", () => {
    const template = { service: "api", revision: "r-0123456789", image: "127.0.0.1:5101/shop/api@sha256:" + "0".repeat(64), port: 8080, env: {}, secretEnv: {}, resources: { cpus: 0.5, memory: "64Mi" }, readiness: {}, terminationGracePeriodSeconds: 5 };
    const resourcesOf = (o: Record<string, unknown>): unknown => (o as { spec: { template: { spec: { containers: { resources: unknown }[] } } } }).spec.template.spec.containers[0]?.resources;
    assert.deepEqual(resourcesOf(replicaSetObject(scope, template as Parameters<typeof replicaSetObject>[1], 1)), { limits: { cpu: "500m", memory: "64Mi" }, requests: { cpu: "500m", memory: "64Mi" } });
    assert.deepEqual(resourcesOf(replicaSetObject(scope, { ...template, cpuRequestPercent: 10 } as Parameters<typeof replicaSetObject>[1], 1)), { limits: { cpu: "500m", memory: "64Mi" }, requests: { cpu: "50m", memory: "64Mi" } });
  });

  it("an analysis Job: one pod, never retried, stopped by the kubelet at its deadline, removed after a TTL; not an instance of the revision", () => {
    const job = analysisJobObject(scope, { name: "api-analysis-r-b-1a2b3c", service: "api", metric: "smoke", revision: "r-bbbbbbbbbb", image: "reg/api@sha256:ab", command: ["sh", "-c", "exit 0"], env: { B: "2", A: "1" }, deadlineSeconds: 29.5 });
    const spec = job["spec"] as { backoffLimit: number; ttlSecondsAfterFinished: number; template: { metadata: { labels: Record<string, string> }; spec: Record<string, unknown> & { containers: { env: unknown[] }[] } } };
    assert.equal(job.kind, "Job");
    assert.deepEqual(job.metadata.annotations, { "org.slipway.metric": "smoke", "org.slipway.revision": "r-bbbbbbbbbb" });
    assert.equal(spec.backoffLimit, 0);
    assert.equal(spec.ttlSecondsAfterFinished, 600);
    assert.equal(spec.template.spec["restartPolicy"], "Never");
    assert.equal(spec.template.spec["activeDeadlineSeconds"], 30);
    assert.deepEqual(spec.template.spec.containers[0]?.env, [
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
    const labels = spec.template.metadata.labels;
    assert.equal(labels["app.kubernetes.io/component"], "analysis-job");
    assert.equal(labels["app.kubernetes.io/managed-by"], "slipway");
    // The runtime's pod book takes a pod with these two labels for an instance of the revision.
    assert.equal(labels["org.slipway.service"], undefined);
    assert.equal(labels["org.slipway.revision"], undefined);
  });
  it("the registry's pull Secret is a dockerconfigjson for the registry's host:port, and pods refer to it by name", () => {
    const secret = pullSecretObject(scope, { server: "registry.example.com:5000", username: "ci", password: "pä:ss" });
    assert.equal(secret["type"], "kubernetes.io/dockerconfigjson");
    assert.equal(secret.metadata.name, "registry-credentials");
    const config = JSON.parse((secret["stringData"] as Record<string, string>)[".dockerconfigjson"] as string) as { auths: Record<string, { username: string; password: string; auth: string }> };
    assert.deepEqual(Object.keys(config.auths), ["registry.example.com:5000"]);
    assert.equal(Buffer.from(config.auths["registry.example.com:5000"]?.auth ?? "", "base64").toString("utf8"), "ci:pä:ss");
    const template = { service: "api", revision: "r-1", image: "registry.example.com:5000/api@sha256:ab", port: 8080, env: {}, secretEnv: {}, resources: {}, readiness: { tcp: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, terminationGracePeriodSeconds: 10 } as const;
    const podSpec = (rs: ReturnType<typeof replicaSetObject>) => (rs["spec"] as { template: { spec: Record<string, unknown> } }).template.spec;
    assert.deepEqual(podSpec(replicaSetObject(scope, { ...template, imagePullSecret: "registry-credentials" }, 1))["imagePullSecrets"], [{ name: "registry-credentials" }]);
    assert.equal(podSpec(replicaSetObject(scope, template, 1))["imagePullSecrets"], undefined);
  });

  it("a service's part of the Gateway is its own listener only (applied under its own field manager); a shared listener is the environment's", () => {
    const layout = { name: "shop", className: "traefik" };
    const part = serviceGatewayObject(scope, layout, { service: "api", endpointPort: 23080 });
    assert.deepEqual(part, gatewayObject(scope, "shop", "traefik", [{ name: "api", port: 23080 }]));
    assert.deepEqual(listenerNames(part), ["api"]);
    assert.equal(serviceGatewayObject(scope, { ...layout, sharedPort: 8000 }, { service: "api", endpointPort: 23080 }), undefined);
    assert.equal(sharedGatewayObject(scope, layout), undefined);
    assert.deepEqual(sharedGatewayObject(scope, { ...layout, sharedPort: 8000 }), gatewayObject(scope, "shop", "traefik", [{ name: "http", port: 8000 }]));
  });

  it("without a service's listener: the others stay as read (resourceVersion too), the last one means deleting the Gateway, none or a shared one changes nothing", () => {
    const layout = { name: "shop", className: "traefik" };
    const read = (names: string[]): KubernetesObject => {
      const gateway = gatewayObject(scope, "shop", "traefik", names.map((name, i) => ({ name, port: 23080 + i })));
      return { ...gateway, metadata: { ...gateway.metadata, ...{ resourceVersion: "42" } } };
    };
    const without = gatewayWithoutListener(read(["api", "web", "back"]), layout, "web");
    assert.ok(typeof without === "object");
    assert.deepEqual(listenerNames(without), ["api", "back"]);
    assert.equal((without.metadata as { resourceVersion?: string }).resourceVersion, "42", "the version read guards the update against a concurrent change");
    assert.deepEqual((without["spec"] as { listeners: unknown[] }).listeners[1], { name: "back", protocol: "HTTP", port: 23082, allowedRoutes: { namespaces: { from: "Same" } } });
    assert.equal(gatewayWithoutListener(read(["web"]), layout, "web"), "delete");
    assert.equal(gatewayWithoutListener(read(["api"]), layout, "web"), undefined);
    assert.equal(gatewayWithoutListener(read(["http"]), { ...layout, sharedPort: 8000 }, "http"), undefined, "a service named like the shared listener does not take it");
  });
});

function listenerNames(gateway: KubernetesObject | undefined): string[] {
  return ((gateway?.["spec"] as { listeners?: { name: string }[] } | undefined)?.listeners ?? []).map((l) => l.name);
}
