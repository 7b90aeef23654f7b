// What a service file names on disk must be there: the Dockerfile and its
// context, and the build's extra inputs. Otherwise validate passes and CI
// fails at the image stage. Returns every path it looked at, so a cached
// configuration is trusted only while they all still exist.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import type { ConfigProblem } from "../domain/errors.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";

export function fileProblems(root: string, services: readonly ParsedService[]): { problems: ConfigProblem[]; checked: string[] } {
  const problems: ConfigProblem[] = [];
  const checked: string[] = [];
  for (const { config, dir, source } of services) {
    const context = join(dir, config.image.context);
    const dockerfile = join(context, config.image.dockerfile);
    checked.push(context, dockerfile);
    if (!isFolder(context)) {
      problems.push(problemAt(source, ["image", "context"], `the image context ${shown(root, context)} is not a folder`, "set image.context to a folder relative to the service's folder (default: the service's folder)"));
    } else if (!existsSync(dockerfile)) {
      const hint =
        config.image.dockerfile === "Dockerfile"
          ? `add a Dockerfile to ${shown(root, context)}, or set image.dockerfile to the one the service uses (relative to image.context)`
          : `set image.dockerfile to a file relative to image.context (${shown(root, context)})`;
      problems.push(problemAt(source, ["image", "dockerfile"], `the Dockerfile ${shown(root, dockerfile)} does not exist`, hint));
    }
    config.build.inputs.forEach((input, i) => {
      const path = isAbsolute(input) ? input : join(root, input);
      checked.push(path);
      if (!existsSync(path)) problems.push(problemAt(source, ["build", "inputs", i], `the build input ${shown(root, path)} does not exist`, "build.inputs are paths relative to slipway.yaml"));
    });
  }
  return { problems, checked: [...new Set(checked)] };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Relative to slipway.yaml's folder: how the system's layout reads, wherever the user stands. */
function shown(root: string, path: string): string {
  return relative(root, path) || ".";
}
