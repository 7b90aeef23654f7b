// `slipway render kubernetes`: an environment's system as Kubernetes
// manifests (src/app/render.ts); nothing is applied.
import { writeFileSync } from "node:fs";
import { renderKubernetes, type RenderKubernetesRequest } from "../../app/render.js";
import type { CommandContext } from "../main.js";
import { paint } from "../output.js";

export async function renderKubernetesCommand(ctx: CommandContext, opts: RenderKubernetesRequest & { out?: string }): Promise<number> {
  const rendered = await renderKubernetes(ctx.globals.config, opts);
  for (const o of rendered.omitted) ctx.output.err(paint(ctx.output, "yellow", `left out ${o.service}: ${o.reason}`));
  if (opts.out === undefined) {
    process.stdout.write(rendered.text);
    return 0;
  }
  writeFileSync(opts.out, rendered.text);
  if (ctx.globals.json) ctx.output.out(JSON.stringify({ file: opts.out, namespace: rendered.namespace, objects: rendered.objects }));
  else ctx.output.out(`wrote ${opts.out}: ${rendered.objects.length} objects of ${rendered.system} (${rendered.environment}) in namespace ${rendered.namespace}; create the Secrets it names before applying`);
  return 0;
}
