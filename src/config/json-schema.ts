// JSON Schemas of both configuration files, generated from the zod schemas
// so the editor and slipway can never disagree.
import { z } from "zod";
import { ServiceConfigSchema, SystemConfigSchema } from "../domain/config-schema.js";

export function jsonSchemas(): Record<string, unknown> {
  return {
    "slipway.schema.json": { title: "slipway.yaml", ...z.toJSONSchema(SystemConfigSchema, { io: "input", unrepresentable: "any" }) },
    "slipway.service.schema.json": { title: "slipway.service.yaml", ...z.toJSONSchema(ServiceConfigSchema, { io: "input", unrepresentable: "any" }) },
  };
}
