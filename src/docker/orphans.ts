// Containers and networks that a slipway process created for CI (build
// containers, containers under test) carry its pid. Ctrl-C removes them; a
// kill -9 cannot, so the next run removes those whose process is gone.
import type { DockerEngine } from "./engine.js";

export async function sweepOrphans(engine: DockerEngine, system: string): Promise<number> {
  const filters = JSON.stringify({ label: [`org.slipway.system=${system}`, "org.slipway.purpose", "org.slipway.pid"] });
  let removed = 0;
  try {
    for (const c of await engine.api.listContainers({ all: true, filters })) {
      if (isAlive(Number(c.Labels["org.slipway.pid"]))) continue;
      await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      removed++;
    }
    for (const n of await engine.api.listNetworks({ filters })) {
      if (isAlive(Number(n.Labels?.["org.slipway.pid"]))) continue;
      await engine.api.getNetwork(n.Id).remove().catch(() => undefined);
      removed++;
    }
  } catch (err) {
    throw engine.translate(err);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
