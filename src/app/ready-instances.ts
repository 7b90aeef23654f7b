// Which instances answer their readiness probe now, judged as readiness
// itself judges it: an instance whose probe fails is probed again, up to the
// probe's failureThreshold, before it counts as not ready — one slow answer
// on a busy machine (an exec probe starting an interpreter under a CPU
// limit) is not an instance that is down.
import type { ReadinessProbe } from "../domain/config-schema.js";
import type { Instance, Runtime } from "../runtime/types.js";

/** How many of the instances are ready; at most failureThreshold probes each, at most a second apart. */
export async function countReady(runtime: Pick<Runtime, "probeOnce">, instances: readonly Instance[], readiness: ReadinessProbe): Promise<number> {
  let pending = [...instances];
  let ready = 0;
  for (let attempt = 1; pending.length > 0; attempt++) {
    const answers = await Promise.all(pending.map((i) => runtime.probeOnce(i, readiness).catch(() => false)));
    ready += answers.filter(Boolean).length;
    pending = pending.filter((_, k) => answers[k] !== true);
    if (pending.length === 0 || attempt >= Math.max(1, readiness.failureThreshold)) break;
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, readiness.periodSeconds * 1000)));
  }
  return ready;
}
