// Containers and networks that a slipway process created for CI (build
// containers, containers under test) carry its pid. Ctrl-C removes them; a
// kill -9 cannot, so the next run removes those whose process is gone.
import type { DockerEngine } from "./engine.js";

export async function sweepOrphans(engine: DockerEngine, system: string): Promise<number> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`org.slipway.system=${system}`, "org.slipway.purpose", "org.slipway.pid"] }));
  type Labelled = { Id: string; Labels?: Record<string, string> | null };
  const orphaned = (items: Labelled[] | undefined): Labelled[] => (items ?? []).filter((i) => !isAlive(Number(i.Labels?.["org.slipway.pid"])));
  let removed = 0;
  for (const c of orphaned(await engine.get<Labelled[]>(`/containers/json?all=1&filters=${filters}`))) {
    await engine.raw("DELETE", `/containers/${c.Id}?force=1`).catch(() => undefined);
    removed++;
  }
  for (const n of orphaned(await engine.get<Labelled[]>(`/networks?filters=${filters}`))) {
    await engine.raw("DELETE", `/networks/${n.Id}`).catch(() => undefined);
    removed++;
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
