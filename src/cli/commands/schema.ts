import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jsonSchemas } from "../../config/json-schema.js";
import type { CommandContext } from "../main.js";

export function schemaCommand({ output }: CommandContext, outDir: string): number {
  mkdirSync(outDir, { recursive: true });
  for (const [file, schema] of Object.entries(jsonSchemas())) {
    const path = join(outDir, file);
    writeFileSync(path, JSON.stringify(schema, null, 2) + "\n");
    output.out(`wrote ${path}`);
  }
  output.out(`editors: add "# yaml-language-server: $schema=<path to the file>" at the top of each YAML file`);
  return 0;
}
