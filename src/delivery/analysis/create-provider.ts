// From slipway.service.yaml's metrics to runnable ones: picks the provider
// each metric names and hands it what it needs. The composition root passes
// the dependencies; nothing here constructs an adapter.
import type { DockerEngine } from "../../docker/engine.js";
import type { ServiceConfig } from "../../domain/config-schema.js";
import { didYouMean } from "../../domain/did-you-mean.js";
import { SlipwayError } from "../../domain/errors.js";
import type { AnalysisMetric } from "./analysis-run.js";
import { ContainerJobProvider } from "./job-provider.js";
import { KubernetesJobProvider, type KubernetesJobTarget } from "./kubernetes-job-provider.js";
import type { MetricProvider } from "./metric-provider.js";
import { PrometheusMetricProvider } from "./prometheus-provider.js";
import { type RevisionCountersSource, RouterMetricProvider, type RouterMetricSpec } from "./router-provider.js";
import { WebMetricProvider } from "./web-provider.js";

export type MetricConfig = NonNullable<ServiceConfig["analysis"]>["metrics"][number];
/** The schema's provider block; `router` may carry the judge's options (a proposed schema addition). */
export type MetricProviderConfig = Omit<MetricConfig["provider"], "router"> & { router?: RouterMetricSpec | undefined };

export interface ProviderDependencies {
  /** For router metrics: reads a revision's cumulative counters from the environment's router. */
  readRouterCounters?: RevisionCountersSource;
  /** For job metrics on Docker. */
  engine?: DockerEngine;
  /** For job metrics on Kubernetes: they run as Jobs in the environment's namespace (takes precedence over engine). */
  kubernetesJobs?: Omit<KubernetesJobTarget, "metric">;
  /** Names and labels job containers. */
  system: string;
  /** The router provider's clock for request rates; default Date.now. */
  now?: () => number;
}

export function createMetricProvider(name: string, config: MetricProviderConfig, deps: ProviderDependencies): MetricProvider {
  if (config.router !== undefined) {
    if (deps.readRouterCounters === undefined) throw missing(name, "router", "the router's counters");
    return new RouterMetricProvider(config.router, deps.readRouterCounters, deps.now);
  }
  if (config.prometheus !== undefined) return new PrometheusMetricProvider(config.prometheus);
  if (config.web !== undefined) return new WebMetricProvider(config.web);
  if (config.job !== undefined) {
    if (deps.kubernetesJobs !== undefined) return new KubernetesJobProvider(config.job, { ...deps.kubernetesJobs, metric: name });
    if (deps.engine === undefined) throw missing(name, "job", "Docker Engine");
    return new ContainerJobProvider(config.job, deps.engine, { system: deps.system, metric: name });
  }
  throw new SlipwayError("CONFIG_INVALID", `metric ${JSON.stringify(name)} has no provider`, { hint: "give it one of router, prometheus, web or job" });
}

/** The metrics an analysis step names (`analysis: { metrics: [...] }`), with their providers. */
export function analysisMetricsFor(names: readonly string[], metrics: readonly (Omit<MetricConfig, "provider"> & { provider: MetricProviderConfig })[], deps: ProviderDependencies): AnalysisMetric[] {
  return names.map((name) => {
    const metric = metrics.find((m) => m.name === name);
    if (metric === undefined) {
      const guess = didYouMean(name, metrics.map((m) => m.name));
      throw new SlipwayError("CONFIG_INVALID", `the analysis names metric ${JSON.stringify(name)}, which the service's analysis.metrics does not define${guess === undefined ? "" : ` (did you mean ${guess}?)`}`);
    }
    const { provider, ...rest } = metric;
    return { ...rest, provider: createMetricProvider(name, provider, deps) };
  });
}

function missing(metric: string, kind: string, what: string): SlipwayError {
  return new SlipwayError("INTERNAL", `metric ${JSON.stringify(metric)} is a ${kind} metric, but the analysis was started without ${what}`);
}
