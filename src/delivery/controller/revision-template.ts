// A revision is identified by what its instances are made of (Kubernetes'
// pod-template-hash): the same image and template give the same revision, so
// an undo to an old version finds the old revision again.
import { createHash } from "node:crypto";
import { canonicalJson } from "../../domain/canonical-json.js";
import { SlipwayError } from "../../domain/errors.js";
import type { InstanceSpec } from "../../runtime/types.js";
import type { InstanceTemplate, RevisionRecord } from "./store-port.js";

/** "r-" and ten hex digits of the template's hash; short enough for instance names. */
export function revisionName(image: string, template: InstanceTemplate): string {
  return `r-${createHash("sha256").update(canonicalJson({ image, template })).digest("hex").slice(0, 10)}`;
}

/**
 * What the runtime needs to create one more instance; secrets are read from
 * the host now. The instance learns its revision and version from
 * SLIPWAY_REVISION and SLIPWAY_VERSION (Kubernetes: the downward API), added
 * here rather than to the template, which the revision's name is a hash of.
 */
export function instanceSpecFor(revision: RevisionRecord, hostEnv: Readonly<Record<string, string | undefined>>): InstanceSpec {
  const env: Record<string, string> = { ...revision.template.env, SLIPWAY_REVISION: revision.name, ...(revision.version === undefined ? {} : { SLIPWAY_VERSION: revision.version }) };
  const missing: string[] = [];
  for (const [variable, hostVariable] of Object.entries(revision.template.secretEnv)) {
    const value = hostEnv[hostVariable];
    if (value === undefined) missing.push(hostVariable);
    else env[variable] = value;
  }
  if (missing.length > 0) {
    throw new SlipwayError("CONFIG_INVALID", `cannot start an instance of ${revision.service} (${revision.name}): host variable${missing.length === 1 ? "" : "s"} ${missing.join(", ")} not set`, {
      hint: "set them in the environment of the slipway process that runs the rollout",
    });
  }
  return {
    system: revision.system,
    environment: revision.environment,
    service: revision.service,
    revision: revision.name,
    image: revision.image,
    port: revision.template.port,
    env,
    resources: revision.template.resources,
    readiness: revision.template.readiness,
    terminationGracePeriodSeconds: revision.template.terminationGracePeriodSeconds,
    ...(Object.keys(revision.template.secretEnv).length === 0 ? {} : { secretEnv: { ...revision.template.secretEnv } }),
  };
}
