// Warnings, not errors: an env value that looks like a secret written into
// the service file. It works, but the value then sits in Git, the state
// store, system locks and rendered manifests; `{ fromEnv: NAME }` reads it
// from the host at deploy time and never stores it (domain/service-env.ts).
import type { ConfigProblem } from "../domain/errors.js";
import { literalSecretReason } from "../domain/secret-names.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";

export function secretWarnings(services: readonly ParsedService[]): ConfigProblem[] {
  return services.flatMap(({ config, source }) =>
    Object.entries(config.env).flatMap(([name, value]) => {
      const reason = typeof value === "object" ? undefined : literalSecretReason(name, value);
      if (reason === undefined) return [];
      return [
        problemAt(
          source,
          ["env", name],
          `looks like a secret written as a literal (${reason}): it is stored in plain text in the state store, system locks and rendered manifests`,
          `export it on the host and write ${name}: { fromEnv: ${name} }; slipway reads it at deploy time and never stores or prints it`,
        ),
      ];
    }),
  );
}
