import { loadSystem } from "../../config/load-system.js";
import { DockerEngine } from "../../docker/engine.js";
import { affectedByRegistry, affectedSince } from "../../pipeline/affected.js";
import { storePath } from "../../store/store-path.js";
import { SqlitePipelineRunStore } from "../../store/sqlite/pipeline-run-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";
import { devRegistryClient } from "../registry-clients.js";

export async function affectedCommand({ output, globals }: CommandContext, opts: { since?: string }): Promise<number> {
  const system = await loadSystem(globals.config);
  let result;
  if (opts.since !== undefined) {
    result = await affectedSince(system, opts.since);
  } else {
    const engine = new DockerEngine();
    const store = SqliteStore.open(storePath(system));
    const registry = devRegistryClient(system);
    try {
      result = await affectedByRegistry(system, registry, new SqlitePipelineRunStore(store.db), async (image) => (await engine.imageId(image)) ?? "missing");
    } finally {
      registry.close();
      store.close();
    }
  }
  if (globals.json) {
    output.out(JSON.stringify({ services: result }));
    return 0;
  }
  for (const s of result) {
    output.out(`${s.affected ? paint(output, "yellow", "●") : paint(output, "green", "○")} ${s.service}${s.affected ? "" : paint(output, "dim", " unchanged")}`);
    for (const reason of s.reasons.slice(0, 10)) output.out(`    ${reason}`);
    if (s.reasons.length > 10) output.out(`    … and ${s.reasons.length - 10} more`);
  }
  return 0;
}
