// Environments that split traffic by replicas (kubernetes.traffic: replicas,
// ADR 26), checked before any rollout: a canary weight becomes the nearest
// ratio of the service's replicas — a warning says what a step becomes when
// that is not the weight written, an error when the replicas cannot be split
// at all (one replica); and the router's per-revision metrics do not exist
// there (one Service over both revisions), so a strategy's analysis naming a
// router metric is refused at the metric.
import type { SystemConfig } from "../domain/config-schema.js";
import type { ConfigProblem } from "../domain/errors.js";
import { achievableWeights, replicaSplit } from "../domain/replica-split.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";

function replicaEnvironments(system: SystemConfig | undefined): string[] {
  return (system?.environments ?? []).filter((e) => e.runtime === "kubernetes" && e.kubernetes?.traffic === "replicas").map((e) => e.name);
}

const where = (environments: readonly string[]): string => `environment${environments.length > 1 ? "s" : ""} ${environments.map((e) => `"${e}"`).join(", ")} (kubernetes.traffic: replicas)`;

export function replicaTrafficProblems(system: SystemConfig | undefined, services: readonly ParsedService[]): ConfigProblem[] {
  const environments = replicaEnvironments(system);
  if (environments.length === 0) return [];
  return services.flatMap(({ config, source }) => {
    const problems: ConfigProblem[] = [];
    const canary = config.strategy.canary;
    canary?.steps.forEach((step, i) => {
      const weight = step.setWeight;
      if (weight === undefined || weight <= 0 || weight >= 100 || config.replicas >= 2) return;
      problems.push(
        problemAt(
          source,
          ["strategy", "canary", "steps", i, "setWeight"],
          `setWeight ${weight} cannot be a replica ratio of ${config.replicas} replica${config.replicas === 1 ? "" : "s"} in ${where(environments)}: both revisions need a pod of their own`,
          "set replicas to 2 or more (10 gives every multiple of 10%), or give the environment a Gateway API implementation (kubernetes.traffic: gateway)",
        ),
      );
    });
    const named = new Set([
      ...(canary?.analysis?.metrics ?? []),
      ...(canary?.steps.flatMap((s) => s.analysis?.metrics ?? []) ?? []),
      ...(config.strategy.blueGreen?.prePromotionAnalysis?.metrics ?? []),
    ]);
    config.analysis?.metrics.forEach((metric, i) => {
      if (metric.provider.router === undefined || !named.has(metric.name)) return;
      problems.push(
        problemAt(
          source,
          ["analysis", "metrics", i, "provider", "router"],
          `metric "${metric.name}" reads the router's per-revision counters, which ${where(environments)} does not have: one Service serves both revisions, so no gateway sees them apart`,
          "measure the canary with a web or a job metric (a job gets SLIPWAY_REVISION_URL, the canary's own Service), or a prometheus metric of your service's own counters by pod label ({{revision}}); or use kubernetes.traffic: gateway",
        ),
      );
    });
    return problems;
  });
}

/** A setWeight the replicas cannot give exactly: the step runs at the nearest ratio, and says so. */
export function replicaTrafficWarnings(system: SystemConfig | undefined, services: readonly ParsedService[]): ConfigProblem[] {
  const environments = replicaEnvironments(system);
  if (environments.length === 0) return [];
  return services.flatMap(({ config, source }) =>
    (config.strategy.canary?.steps ?? []).flatMap((step, i) => {
      const weight = step.setWeight;
      if (weight === undefined || weight <= 0 || weight >= 100 || config.replicas < 2) return [];
      const split = replicaSplit(config.replicas, weight);
      if (split.percent === weight) return [];
      const exact = achievableWeights(config.replicas);
      return [
        problemAt(
          source,
          ["strategy", "canary", "steps", i, "setWeight"],
          `in ${where(environments)} setWeight ${weight} runs as ${split.canary} of ${config.replicas} pods: ${split.percent}% of the traffic`,
          exact.length > 0
            ? `${config.replicas} replicas give exactly ${exact.map((w) => `${w}%`).join(", ")}; write one of them, or raise replicas (10 gives every multiple of 10%)`
            : `${config.replicas} replicas give no whole percentage exactly; raise replicas (10 gives every multiple of 10%)`,
        ),
      ];
    }),
  );
}
