// A job analysis on a Kubernetes environment: the job runs as a Kubernetes
// Job in the environment's namespace (domain/kubernetes-objects.ts), so it
// reaches the revisions by cluster DNS: SLIPWAY_REVISION_URL is the analysed
// revision's own Service, SLIPWAY_STABLE_URL the stable one's. The pod's exit
// code is the result (0: true), its log (through the API) the detail. The Job
// is deleted with its pod once read; if slipway dies first, the Job's
// ttlSecondsAfterFinished removes it.
import { randomBytes } from "node:crypto";
import type { V1Pod } from "@kubernetes/client-node";
import { SlipwayError } from "../../domain/errors.js";
import { analysisJobObject, type ClusterScope, revisionServiceUrl } from "../../domain/kubernetes-objects.js";
import { dnsLabelName } from "../../domain/naming.js";
import type { KubernetesCluster } from "../../kubernetes/cluster.js";
import { JobMetricProvider, type JobRun, shorten, tail } from "./job-provider.js";
import type { MeasureContext } from "./metric-provider.js";

/** Waiting reasons that mean the pod will not run without a person's fix. */
const STUCK = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError"]);
/** Beyond the job's own limit: scheduling, pulling the image, reading the result. */
const START_SLACK_MS = 30_000;
const LOG_LINES = 40;

export interface KubernetesJobSpec {
  image: string;
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

export interface KubernetesJobTarget {
  cluster: KubernetesCluster;
  scope: ClusterScope;
  service: string;
  /** The service's port: the revision Services' port. */
  port: number;
  metric: string;
}

export class KubernetesJobProvider extends JobMetricProvider {
  readonly description: string;

  constructor(
    private readonly spec: KubernetesJobSpec,
    private readonly target: KubernetesJobTarget,
  ) {
    super(spec.timeoutMs);
    this.description = `Kubernetes Job ${spec.image} ${shorten(spec.command.join(" "), 60)}`;
  }

  protected async run(context: MeasureContext, env: Record<string, string>): Promise<JobRun> {
    const { cluster, scope, service, port, metric } = this.target;
    const name = dnsLabelName(service, "analysis", context.revision, randomBytes(3).toString("hex"));
    const urls = {
      SLIPWAY_REVISION_URL: revisionServiceUrl(scope, service, context.revision, port),
      ...(context.stableRevision === undefined ? {} : { SLIPWAY_STABLE_URL: revisionServiceUrl(scope, service, context.stableRevision, port) }),
    };
    const job = analysisJobObject(scope, { name, service, metric, revision: context.revision, image: this.spec.image, command: this.spec.command, env: { ...this.spec.env, ...env, ...urls }, deadlineSeconds: this.jobTimeoutMs / 1000 });
    const started = performance.now();
    await cluster.apply(job);
    try {
      const pod = await this.ended(name, context.signal);
      if (pod === undefined) return { exitCode: undefined, output: `the Job's pod did not finish within ${Math.round((this.jobTimeoutMs + START_SLACK_MS) / 1000)} s`, durationMs: Math.round(performance.now() - started) };
      const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
      if (waiting?.reason !== undefined && STUCK.has(waiting.reason)) {
        throw new SlipwayError("MEASUREMENT_FAILED", `the analysis Job ${scope.namespace}/${name} cannot start: ${waiting.reason}${waiting.message === undefined ? "" : ` (${waiting.message})`}`, {
          hint: `the cluster must be able to pull ${this.spec.image} (a digest from a registry it reaches, pull secrets in the environment's kubernetes.imagePullSecrets)`,
        });
      }
      const terminated = pod.status?.containerStatuses?.[0]?.state?.terminated;
      const deadline = pod.status?.reason === "DeadlineExceeded";
      const output = await this.log(pod.metadata?.name ?? "");
      return { exitCode: deadline ? undefined : (terminated?.exitCode ?? 1), output: tail(output), durationMs: Math.round(performance.now() - started) };
    } finally {
      await cluster.remove({ apiVersion: "batch/v1", kind: "Job", metadata: { name, namespace: scope.namespace } }).catch(() => undefined);
    }
  }

  /** The Job's pod once it ended (or is stuck); undefined past the time limit. */
  private async ended(job: string, signal: AbortSignal): Promise<V1Pod | undefined> {
    const { cluster, scope } = this.target;
    const done = (pod: V1Pod): boolean => {
      const phase = pod.status?.phase;
      const reason = pod.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return phase === "Succeeded" || phase === "Failed" || (reason !== undefined && STUCK.has(reason));
    };
    const aborted = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    return Promise.race([cluster.watchUntil<V1Pod>(`/api/v1/namespaces/${scope.namespace}/pods`, { labelSelector: `batch.kubernetes.io/job-name=${job}` }, done, this.jobTimeoutMs + START_SLACK_MS), aborted]);
  }

  private async log(pod: string): Promise<string> {
    const { cluster, scope } = this.target;
    try {
      return await cluster.core.readNamespacedPodLog({ name: pod, namespace: scope.namespace, tailLines: LOG_LINES });
    } catch (err) {
      return `(no log: ${err instanceof Error ? err.message : String(err)})`;
    }
  }
}
