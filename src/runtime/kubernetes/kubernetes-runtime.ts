// The runtime port on a Kubernetes cluster (docs/runtime-mapping.md): a
// revision is a ReplicaSet `<service>-<revision>` pinned by digest, an
// instance one of its pods. The port speaks of single instances, so
//
//   createInstance  applies the revision's ReplicaSet (server-side apply,
//                   built by domain/kubernetes-objects.ts) with one replica
//                   more than it has live pods, and returns the pod the
//                   ReplicaSet controller creates; creations asked for
//                   together (a surge) make one scale by their number;
//   removeInstance  marks the pod as the cheapest to delete, scales the
//                   ReplicaSet down by one and deletes that pod with the grace
//                   period (preStop pause, SIGTERM, SIGKILL);
//   readiness       is the kubelet's: the pod's Ready condition, delivered by
//                   a watch (pod-book.ts) — slipway probes nothing here.
//
// Per ReplicaSet, changes run one at a time, and each create gets a pod of
// its own.
import { SlipwayError } from "../../domain/errors.js";
import {
  CHEAPEST_DELETION_COST,
  type ClusterScope,
  namespaceObject,
  podSelector,
  POD_DELETION_COST,
  type PodTemplateInput,
  PULL_SECRET_NAME,
  pullSecretObject,
  type RegistryCredentials,
  replicaSetObject,
  revisionObjectName,
  revisionServiceObject,
  secretObject,
} from "../../domain/kubernetes-objects.js";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { type KubernetesCluster, type PodWatch, statusOf } from "../../kubernetes/cluster.js";
import type { Instance, InstanceFilter, InstanceRemoval, InstanceSpec, ReadinessOutcome, Runtime } from "../types.js";
import { PodBook } from "./pod-book.js";

/** How long the ReplicaSet controller may take to create a pod, and the API to show a deletion. */
const POD_APPEARS_MS = 60_000;
const POD_DELETION_SEEN_MS = 15_000;

export class KubernetesRuntime implements Runtime {
  readonly readinessFeed = new PodBook();
  private watch: Promise<PodWatch> | undefined;
  private namespaceReady: Promise<void> | undefined;
  private readonly queues = new Map<string, Promise<unknown>>();
  /** Pods already handed out by createInstance, so each call returns a pod of its own. */
  private readonly claimed = new Set<string>();
  /** Per ReplicaSet, the batch of creations not yet applied, which a new creation joins. */
  private readonly openBatches = new Map<string, CreateBatch>();

  private pullSecretApplied: Promise<void> | undefined;

  constructor(
    private readonly cluster: KubernetesCluster,
    readonly scope: ClusterScope,
    private readonly options: {
      cpuRequestPercent?: number | undefined;
      /** The environment's registry credentials, read from the host's environment when first needed (registries.*.credentials). */
      pullCredentials?: (() => RegistryCredentials) | undefined;
    } = {},
  ) {}

  async createInstance(spec: InstanceSpec, signal?: AbortSignal): Promise<Instance> {
    this.assertInScope(spec);
    await this.started();
    const name = revisionObjectName(spec.service, spec.revision);
    // Creations of a revision asked for together (a surge of several) join one batch: one scale of the ReplicaSet for all.
    let batch = this.openBatches.get(name);
    if (batch === undefined) {
      const opened: CreateBatch = { size: 0, pods: Promise.resolve([]) };
      opened.pods = this.serially(name, () => this.createBatch(name, spec, opened, signal));
      this.openBatches.set(name, opened);
      batch = opened;
    }
    const index = batch.size++;
    const pod = (await batch.pods)[index];
    if (pod === undefined) {
      throw new SlipwayError("COMPONENT_FAILED", `ReplicaSet ${this.scope.namespace}/${name} created no pod within ${POD_APPEARS_MS / 1000} s`, {
        retryable: true,
        hint: `kubectl -n ${this.scope.namespace} describe replicaset ${name} (quota, admission, a missing Secret or ServiceAccount)`,
      });
    }
    return pod;
  }

  /** Scales the ReplicaSet up by the batch's size at once and hands out the pods the ReplicaSet controller creates (fewer at the deadline). */
  private async createBatch(name: string, spec: InstanceSpec, batch: CreateBatch, signal: AbortSignal | undefined): Promise<Instance[]> {
    // Let every creation asked for in the same turn join, then close the batch: later ones make the next.
    await new Promise((resolve) => setImmediate(resolve));
    this.openBatches.delete(name);
    signal?.throwIfAborted();
    await this.applySecrets(spec);
    const imagePullSecret = await this.applyPullSecret();
    const before = new Set(this.livePods(spec.service, spec.revision).map((i) => i.id));
    await Promise.all([
      this.cluster.apply(replicaSetObject(this.scope, { ...templateOf(spec), cpuRequestPercent: this.options.cpuRequestPercent, imagePullSecret }, before.size + batch.size)),
      // The revision's Service beside it, so its endpoints exist before any weight moves to it.
      this.cluster.applyOnce(revisionServiceObject(this.scope, spec.service, spec.revision, spec.port)),
    ]);
    const fresh = (): Instance[] => this.livePods(spec.service, spec.revision).filter((i) => !before.has(i.id) && !this.claimed.has(i.id));
    await this.waitFor(() => (fresh().length >= batch.size ? true : undefined), POD_APPEARS_MS, signal);
    const pods = fresh().slice(0, batch.size);
    for (const pod of pods) this.claimed.add(pod.id);
    return pods;
  }

  async listInstances(filter: InstanceFilter): Promise<Instance[]> {
    if (filter.system !== this.scope.system || filter.environment !== this.scope.environment) return [];
    await this.started();
    return this.readinessFeed.instances(filter);
  }

  async waitReady(instance: Instance, _probe: ReadinessProbe, deadlineMs: number, signal?: AbortSignal): Promise<ReadinessOutcome> {
    await this.started();
    const start = Date.now();
    const restartsBefore = this.readinessFeed.state(instance.id)?.restarts ?? 0;
    let why: string | undefined;
    const verdict = await this.waitFor(
      () => {
        const state = this.readinessFeed.state(instance.id);
        if (state === undefined) return { ready: false, detail: `${instance.name} did not become ready: the pod was deleted` };
        if (state.readiness.ready) return { ready: true, detail: `${instance.name} ready (the kubelet's Ready condition)` };
        if (state.instance.phase === "exited" || state.restarts > restartsBefore) return { ready: false, detail: `${instance.name} did not become ready: it ${state.down ?? "restarted"}` };
        why = state.down;
        return undefined;
      },
      deadlineMs,
      signal,
    );
    return { afterMs: Date.now() - start, ...(verdict ?? { ready: false, detail: `${instance.name} not ready within ${Math.round(deadlineMs / 1000)} s${why === undefined ? "" : `: ${why}`}` }) };
  }

  async probeOnce(instance: Instance): Promise<boolean> {
    await this.started();
    return this.readinessFeed.readinessOf(instance.id)?.ready ?? false;
  }

  /** The kubelet does the SIGTERM, grace and SIGKILL; whether it had to kill is not reported here ({}). */
  async removeInstance(instance: Instance, gracePeriodSeconds: number): Promise<InstanceRemoval> {
    await this.started();
    const name = revisionObjectName(instance.service, instance.revision);
    await this.serially(name, async () => {
      if (this.readinessFeed.state(instance.id) === undefined) return; // already deleted or going
      const live = this.livePods(instance.service, instance.revision).length;
      const pod = { apiVersion: "v1", kind: "Pod", metadata: { name: instance.name, namespace: this.scope.namespace } };
      // The ReplicaSet must lose this pod, and no other, when scaled down: the only one marked cheapest (podRoutingObject says why the router does not mark).
      await this.cluster.apply({ ...pod, metadata: { ...pod.metadata, annotations: { [POD_DELETION_COST]: CHEAPEST_DELETION_COST } } }).catch((err: unknown) => {
        if (statusOf((err as { cause?: unknown }).cause) !== 404) throw err;
      });
      try {
        await this.cluster.apps.replaceNamespacedReplicaSetScale({
          name,
          namespace: this.scope.namespace,
          fieldManager: "slipway",
          body: { apiVersion: "autoscaling/v1", kind: "Scale", metadata: { name, namespace: this.scope.namespace }, spec: { replicas: Math.max(0, live - 1) } },
        });
      } catch (err) {
        if (statusOf(err) !== 404) throw this.cluster.failure(`scale ReplicaSet ${this.scope.namespace}/${name} to ${live - 1}`, err);
      }
      await this.cluster.remove(pod, Math.ceil(gracePeriodSeconds));
      this.claimed.delete(instance.id);
      // The next listing must not count it: wait for the watch to show the deletion.
      await this.waitFor(() => (this.readinessFeed.state(instance.id) === undefined ? true : undefined), POD_DELETION_SEEN_MS);
    });
    return {};
  }

  /**
   * Deletes the ReplicaSets and revision Services of revisions the history
   * no longer keeps (revisionHistoryLimit, as a Deployment prunes its old
   * ReplicaSets). A revision that still has pods is left alone.
   */
  async forgetRevisions(ref: { system: string; environment: string; service: string }, revisions: readonly string[]): Promise<void> {
    if (ref.system !== this.scope.system || ref.environment !== this.scope.environment) return;
    await this.started();
    for (const revision of revisions) {
      const name = revisionObjectName(ref.service, revision);
      await this.serially(name, async () => {
        if (this.livePods(ref.service, revision).length > 0) return;
        await this.cluster.remove({ apiVersion: "apps/v1", kind: "ReplicaSet", metadata: { name, namespace: this.scope.namespace } });
        await this.cluster.remove({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: this.scope.namespace } });
      });
    }
  }

  /**
   * After an undeploy: the service's Secrets (those slipway applied, by their
   * labels; the environment's image pull Secret is no service's and stays).
   * The ReplicaSets stay as the revision history: createInstance applies the
   * Secret again before any of them gets a pod.
   */
  async removeService(ref: { system: string; environment: string; service: string }): Promise<void> {
    if (ref.system !== this.scope.system || ref.environment !== this.scope.environment) return;
    const namespace = this.scope.namespace;
    const secrets = await this.cluster.core.listNamespacedSecret({ namespace, labelSelector: podSelector(this.scope, ref.service) }).catch((err: unknown) => {
      throw this.cluster.failure(`list the Secrets of ${ref.service} in namespace ${namespace}`, err);
    });
    for (const s of secrets.items) {
      const name = s.metadata?.name;
      if (name !== undefined) await this.cluster.remove({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } });
    }
  }

  async logs(instance: Instance, lines: number): Promise<string> {
    const tailLines = Math.floor(lines);
    if (tailLines <= 0) return "";
    try {
      return await this.cluster.core.readNamespacedPodLog({ name: instance.name, namespace: this.scope.namespace, tailLines });
    } catch (err) {
      if (statusOf(err) === 404 || statusOf(err) === 400) return "";
      throw this.cluster.failure(`read the log of pod ${this.scope.namespace}/${instance.name}`, err);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** The namespace exists and the pod watch has listed once (both at once: pods of a namespace not there yet list empty). */
  private async started(): Promise<void> {
    if (this.namespaceReady === undefined) this.cluster.discover([{ apiVersion: "v1", kind: "Namespace" }, { apiVersion: "apps/v1", kind: "ReplicaSet" }]);
    this.namespaceReady ??= this.cluster.applyOnce(namespaceObject(this.scope)).then(() => undefined);
    this.watch ??= this.cluster.pods(this.scope.namespace, podSelector(this.scope)).then((watch) => {
      for (const pod of watch.list()) this.readinessFeed.apply("add", pod);
      watch.subscribe((event, pod) => this.readinessFeed.apply(event, pod));
      return watch;
    });
    const [namespace, watch] = await Promise.allSettled([this.namespaceReady, this.watch]);
    if (namespace.status === "rejected") this.namespaceReady = undefined;
    if (watch.status === "rejected") this.watch = undefined;
    if (namespace.status === "rejected") throw namespace.reason;
    if (watch.status === "rejected") throw watch.reason;
  }

  private livePods(service: string, revision: string): Instance[] {
    return this.readinessFeed.instances({ system: this.scope.system, environment: this.scope.environment, service, revision });
  }

  /** The service's Secret from the values the controller read from the host; keyed by host variable name. */
  private async applySecrets(spec: InstanceSpec): Promise<void> {
    const secretEnv = spec.secretEnv ?? {};
    if (Object.keys(secretEnv).length === 0) return;
    const data: Record<string, string> = {};
    for (const [variable, hostVariable] of Object.entries(secretEnv)) {
      const value = spec.env[variable];
      if (value !== undefined) data[hostVariable] = value;
    }
    await this.cluster.apply(secretObject(this.scope, spec.service, data));
  }

  /** The registry's pull Secret, applied once per process; its name for the pod template, or undefined without credentials. */
  private async applyPullSecret(): Promise<string | undefined> {
    const credentials = this.options.pullCredentials;
    if (credentials === undefined) return undefined;
    this.pullSecretApplied ??= Promise.resolve()
      .then(() => this.cluster.apply(pullSecretObject(this.scope, credentials())))
      .then(() => undefined);
    await this.pullSecretApplied.catch((err: unknown) => {
      this.pullSecretApplied = undefined;
      throw err;
    });
    return PULL_SECRET_NAME;
  }

  /** Resolves with check()'s first defined answer, re-checked on every pod event; undefined at the deadline. */
  private waitFor<T>(check: () => T | undefined, timeoutMs: number, signal?: AbortSignal): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const first = check();
      if (first !== undefined) return resolve(first);
      const finish = (value: T | undefined, error?: unknown): void => {
        clearTimeout(timer);
        unsubscribe();
        signal?.removeEventListener("abort", onAbort);
        if (error !== undefined) reject(error);
        else resolve(value);
      };
      const onAbort = (): void => finish(undefined, signal?.reason);
      const unsubscribe = this.readinessFeed.onChange(() => {
        const value = check();
        if (value !== undefined) finish(value);
      });
      const timer = setTimeout(() => finish(check()), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private serially<T>(key: string, step: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(step, step);
    this.queues.set(
      key,
      run.catch(() => undefined),
    );
    return run;
  }

  private assertInScope(spec: InstanceSpec): void {
    if (spec.system !== this.scope.system || spec.environment !== this.scope.environment) {
      throw new SlipwayError("INTERNAL", `the Kubernetes runtime of ${this.scope.system}/${this.scope.environment} was asked to run ${spec.service} of ${spec.system}/${spec.environment}`);
    }
  }
}

/** Creations of one revision carried out by one ReplicaSet scale: pods[i] is the i-th caller's. */
interface CreateBatch {
  size: number;
  pods: Promise<Instance[]>;
}

/** The instance spec as the pod template the object builders take: secrets by name, Slipway's own variables from labels. */
function templateOf(spec: InstanceSpec): PodTemplateInput {
  const secretEnv = spec.secretEnv ?? {};
  const env = Object.fromEntries(Object.entries(spec.env).filter(([name]) => secretEnv[name] === undefined));
  return {
    service: spec.service,
    revision: spec.revision,
    version: spec.env["SLIPWAY_VERSION"],
    image: spec.image,
    port: spec.port,
    env,
    secretEnv,
    resources: spec.resources,
    readiness: spec.readiness,
    terminationGracePeriodSeconds: spec.terminationGracePeriodSeconds,
  };
}
