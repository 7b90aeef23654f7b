// The watch-driven readiness tracker and the pod → instance mapping, fed with
// pods as the informer delivers them (the shapes the kubelet writes).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod } from "@kubernetes/client-node";
import { PodBook } from "./pod-book.js";
import { podState } from "./pod-state.js";

type Status = NonNullable<V1Pod["status"]>;

function pod(name: string, status: Status, extra: { deleting?: boolean; revision?: string } = {}): V1Pod {
  return {
    metadata: {
      name,
      uid: `uid-${name}`,
      namespace: "shop-k8s",
      creationTimestamp: new Date("2026-12-05T20:00:00Z"),
      ...(extra.deleting === true ? { deletionTimestamp: new Date("2026-12-05T20:05:00Z") } : {}),
      labels: { "org.slipway.system": "shop", "org.slipway.environment": "k8s", "org.slipway.service": "api", "org.slipway.revision": extra.revision ?? "r-a" },
    },
    spec: { containers: [{ name: "api", image: "127.0.0.1:5102/shop/api@sha256:x", ports: [{ containerPort: 8080 }] }] },
    status,
  };
}

const pending: Status = { phase: "Pending", containerStatuses: [{ name: "api", image: "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] };
const runningNotReady: Status = {
  phase: "Running",
  podIP: "10.244.0.7",
  conditions: [{ type: "Ready", status: "False", lastTransitionTime: new Date("2026-12-05T20:00:01Z") }],
  containerStatuses: [{ name: "api", image: "", imageID: "", ready: false, restartCount: 0, state: { running: { startedAt: new Date() } } }],
};
const runningReady: Status = { ...runningNotReady, conditions: [{ type: "Ready", status: "True", lastTransitionTime: new Date("2026-12-05T20:00:03Z") }] };
const crashLooping: Status = {
  phase: "Running",
  podIP: "10.244.0.7",
  conditions: [{ type: "Ready", status: "False" }],
  containerStatuses: [{ name: "api", image: "", imageID: "", ready: false, restartCount: 3, state: { waiting: { reason: "CrashLoopBackOff" } }, lastState: { terminated: { exitCode: 2, reason: "Error" } } }],
};

describe("podState", () => {
  it("maps phases: Pending → starting, Running → running (address = pod IP and containerPort), a crash loop → exited with the exit code", () => {
    const starting = podState(pod("a", pending));
    assert.equal(starting?.instance.phase, "starting");
    assert.deepEqual(starting?.instance.address, { host: "", port: 0 });
    const running = podState(pod("a", runningNotReady));
    assert.equal(running?.instance.phase, "running");
    assert.deepEqual(running?.instance.address, { host: "10.244.0.7", port: 8080 });
    assert.deepEqual(running?.readiness, { ready: false });
    const crashed = podState(pod("a", crashLooping));
    assert.equal(crashed?.instance.phase, "exited");
    assert.equal(crashed?.instance.exitCode, 2);
    assert.equal(crashed?.restarts, 3);
    assert.match(crashed?.down ?? "", /exited with code 2; CrashLoopBackOff/);
  });

  it("ready from the Ready condition, since its transition; a pod being deleted is no instance; an image that cannot be pulled says so", () => {
    assert.deepEqual(podState(pod("a", runningReady))?.readiness, { ready: true, readySinceMs: Date.parse("2026-12-05T20:00:03Z") });
    assert.equal(podState(pod("a", runningReady, { deleting: true })), undefined);
    const pull = podState(pod("a", { phase: "Pending", containerStatuses: [{ name: "api", image: "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image" } } }] }));
    assert.equal(pull?.instance.phase, "starting");
    assert.equal(pull?.down, "ImagePullBackOff: Back-off pulling image");
    assert.equal(podState(pod("a", { phase: "Failed", reason: "Evicted" }))?.instance.phase, "exited");
    assert.equal(podState({ metadata: { name: "other", uid: "u" } }), undefined, "not one of ours");
  });
});

describe("PodBook (readiness from watch events)", () => {
  it("tells listeners when a pod turns ready or unready, and dates readiness from when the event arrived", () => {
    let now = 1_000;
    const book = new PodBook(() => now);
    let changes = 0;
    book.onChange(() => changes++);
    book.apply("add", pod("a", pending));
    assert.equal(changes, 1, "a new pod is a change");
    book.apply("update", pod("a", runningNotReady));
    assert.equal(changes, 2);
    assert.deepEqual(book.readinessOf("uid-a"), { ready: false });
    now = 5_000;
    book.apply("update", pod("a", runningReady));
    assert.equal(changes, 3);
    assert.deepEqual(book.readinessOf("uid-a"), { ready: true, readySinceMs: 5_000 }, "seen turning ready: now, not the condition's whole second");
    now = 9_000;
    book.apply("update", pod("a", runningReady));
    assert.equal(changes, 3, "the same state again is no change");
    assert.deepEqual(book.readinessOf("uid-a"), { ready: true, readySinceMs: 5_000 }, "readiness keeps its start");
    book.apply("update", pod("a", runningNotReady));
    assert.equal(changes, 4);
    assert.deepEqual(book.readinessOf("uid-a"), { ready: false });
  });

  it("a pod found ready (after a restart of slipway) is ready since its condition's transition", () => {
    const book = new PodBook(() => 1);
    book.apply("add", pod("a", runningReady));
    assert.deepEqual(book.readinessOf("uid-a"), { ready: true, readySinceMs: Date.parse("2026-12-05T20:00:03Z") });
  });

  it("deletion — the event or a deletionTimestamp — removes the instance; instances filter by service and revision", () => {
    const book = new PodBook();
    book.apply("add", pod("a", runningReady));
    book.apply("add", pod("b", pending, { revision: "r-b" }));
    assert.deepEqual(
      book.instances({ system: "shop", environment: "k8s", service: "api" }).map((i) => i.name),
      ["a", "b"],
    );
    assert.deepEqual(
      book.instances({ system: "shop", environment: "k8s", revision: "r-b" }).map((i) => i.name),
      ["b"],
    );
    assert.equal(book.instances({ system: "shop", environment: "prod" }).length, 0);
    book.apply("update", pod("a", runningReady, { deleting: true }));
    assert.equal(book.readinessOf("uid-a"), undefined);
    book.apply("delete", pod("b", pending, { revision: "r-b" }));
    assert.equal(book.instances({ system: "shop", environment: "k8s" }).length, 0);
  });

  it("a restart while not ready is a change (a crash the waiter must see)", () => {
    const book = new PodBook();
    let changes = 0;
    book.apply("add", pod("a", runningNotReady));
    book.onChange(() => changes++);
    book.apply("update", pod("a", crashLooping));
    assert.equal(changes, 1);
    assert.equal(book.state("uid-a")?.instance.phase, "exited");
  });
});
