// `slipway doctor`: checks every part the platform needs and, for each one
// that is missing or stopped, names the command that fixes it.
import { existsSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { LoadedSystem } from "../config/load-system.js";
import { SlipwayError } from "../domain/errors.js";
import { endpointPort, environmentPlacements, previewPort, routerPortSetting, type EnvironmentPlacement } from "../domain/placement.js";
import type { DockerEngine } from "../docker/engine.js";
import { haproxyPaths } from "../router/haproxy/haproxy-daemon.js";
import { isPortFree, findPortOwner } from "./port-probe.js";
import { registryAnswers, registryBinary } from "./registry-daemon.js";
import { registryStatus } from "./platform.js";

export type CheckLevel = "ok" | "warn" | "fail";

export interface CheckResult {
  name: string;
  level: CheckLevel;
  detail: string;
  fix?: string;
}

const SETUP = "sudo bash scripts/setup-host.sh";

export async function runDoctor(engine: DockerEngine, system: LoadedSystem | undefined): Promise<CheckResult[]> {
  const results: CheckResult[] = [nodeCheck()];
  const engineResult = await engineCheck(engine);
  results.push(engineResult);
  results.push(binaryCheck("docker-registry", registryBinary(), "fail", "runs the dev and prod registries"));
  results.push(binaryCheck("haproxy", firstExisting(["/usr/sbin/haproxy", "/usr/bin/haproxy"]), "warn", "routes traffic during rollouts"));
  results.push(binaryCheck("debootstrap", firstExisting(["/usr/sbin/debootstrap", "/usr/bin/debootstrap"]), "warn", "builds base images offline"));
  if (system !== undefined) {
    if (engineResult.level === "ok") results.push(...(await baseImageChecks(engine, system)));
    results.push(...(await registryChecks(system)));
    for (const placement of environmentPlacements(system.config)) {
      if (placement.environment.runtime === "docker") results.push(...(await environmentPortChecks(system, placement)));
    }
  }
  return results;
}

function nodeCheck(): CheckResult {
  const major = Number(process.versions.node.split(".")[0]);
  return major >= 20
    ? { name: "node", level: "ok", detail: process.version }
    : { name: "node", level: "fail", detail: `${process.version}; slipway needs Node.js 20 or newer`, fix: "install Node.js 20" };
}

async function engineCheck(engine: DockerEngine): Promise<CheckResult> {
  try {
    const v = await engine.version();
    return { name: "docker engine", level: "ok", detail: `${v.version} (API ${v.apiVersion}) at ${engine.address.display}` };
  } catch (err) {
    const e = err instanceof SlipwayError ? err : engine.translate(err);
    const installed = firstExisting(["/usr/sbin/dockerd", "/usr/bin/dockerd"]) !== undefined;
    return {
      name: "docker engine",
      level: "fail",
      detail: installed ? `${e.message}; dockerd is installed but not running` : `${e.message}; dockerd is not installed`,
      fix: e.hint ?? SETUP,
    };
  }
}

function binaryCheck(name: string, path: string | undefined, levelIfMissing: CheckLevel, purpose: string): CheckResult {
  return path !== undefined
    ? { name, level: "ok", detail: path }
    : { name, level: levelIfMissing, detail: `not installed (${purpose})`, fix: SETUP };
}

function firstExisting(paths: readonly string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** Every image a service builds from or builds in, and where it is named. */
export function baseImagesOf(system: LoadedSystem): Map<string, string> {
  const images = new Map<string, string>();
  for (const service of system.services) {
    const file = relative(process.cwd(), join(service.dir, "slipway.service.yaml"));
    if (!images.has(service.config.build.image)) images.set(service.config.build.image, `${file} build.image`);
    const dockerfile = join(service.dir, service.config.image.context, service.config.image.dockerfile);
    if (!existsSync(dockerfile)) continue;
    const stages = new Set<string>();
    readFileSync(dockerfile, "utf8")
      .split("\n")
      .forEach((line, i) => {
        const m = /^\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
        if (m === null || m[1] === undefined) return;
        if (!stages.has(m[1].toLowerCase()) && m[1] !== "scratch" && !images.has(m[1])) {
          images.set(m[1], `${relative(process.cwd(), dockerfile)}:${i + 1}`);
        }
        if (m[2] !== undefined) stages.add(m[2].toLowerCase());
      });
  }
  return images;
}

async function baseImageChecks(engine: DockerEngine, system: LoadedSystem): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const [image, where] of baseImagesOf(system)) {
    results.push(
      (await engine.imageExists(image))
        ? { name: `image ${image}`, level: "ok", detail: "present" }
        : { name: `image ${image}`, level: "fail", detail: `missing (named in ${where})`, fix: "sudo bash scripts/base-images.sh" },
    );
  }
  return results;
}

async function registryChecks(system: LoadedSystem): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const r of registryStatus(system)) {
    const name = `${r.role} registry`;
    const url = `${r.address.scheme}://${r.address.authority}`;
    const answers = await registryAnswers(r.address);
    if (r.state === "external") {
      results.push({ name, level: answers ? "ok" : "warn", detail: `${url} (not managed by slipway) ${answers ? "answers" : "does not answer"}` });
    } else if (r.state === "running") {
      results.push(answers ? { name, level: "ok", detail: `${url} running` } : { name, level: "fail", detail: `${url} runs but does not answer /v2/`, fix: "slipway down && slipway up" });
    } else if (!(await isPortFree(r.address.port))) {
      const owner = findPortOwner(r.address.port);
      results.push({ name, level: "fail", detail: `stopped, and port ${r.address.port} is held by ${owner ? `pid ${owner.pid} (${owner.command})` : "another process"}`, fix: "stop that process or choose another port in slipway.yaml" });
    } else {
      results.push({ name, level: "warn", detail: `${url} stopped${r.state === "stale" ? " (stale pid file; up will recover)" : ""}`, fix: "slipway up" });
    }
  }
  return results;
}

interface PortNeed {
  port: number;
  /** For messages: `the router's control port`, `service "api"'s endpoint`. */
  what: string;
  /** The key that moves it. */
  setting: string;
}

/**
 * Every loopback port an environment's router listens on must be free or
 * held by that router: another process there (another system's router, say)
 * makes the next deploy fail, so doctor names it and the key that moves ours.
 */
async function environmentPortChecks(system: LoadedSystem, placement: EnvironmentPlacement): Promise<CheckResult[]> {
  const { environment, portOffset, routerPort } = placement;
  const needs: PortNeed[] = [{ port: routerPort, what: "the router's control port", setting: routerPortSetting(environment) }];
  const offsetSetting = `portOffset of environment "${environment.name}" in slipway.yaml`;
  for (const { config, dir } of system.services) {
    const file = relative(process.cwd(), join(dir, "slipway.service.yaml"));
    // Validation refuses ports above 65535, so these do not throw for a loaded system.
    needs.push({ port: endpointPort(config, portOffset, environment.endpointPorts), what: `service "${config.name}"'s endpoint`, setting: `endpoint.port in ${file}, or ${offsetSetting}` });
    const preview = previewPort(config, portOffset, environment.endpointPorts);
    if (preview !== undefined) needs.push({ port: preview, what: `service "${config.name}"'s preview endpoint`, setting: `endpoint.previewPort in ${file}, or ${offsetSetting}` });
  }
  const router = haproxyPaths(system.stateDir, environment.name);
  const problems: CheckResult[] = [];
  for (const need of needs) {
    if (await isPortFree(need.port)) continue;
    const owner = findPortOwner(need.port);
    // This environment's own HAProxy (master or worker) runs with its config file on the command line.
    if (owner !== undefined && owner.command.includes(router.configFile)) continue;
    problems.push({
      name: `router (${environment.name}) port ${need.port}`,
      level: "fail",
      detail: `${need.what} is port ${need.port}, held by ${owner ? `pid ${owner.pid} (${owner.command})` : "another process"}`,
      fix: `stop that process, or change ${need.setting}`,
    });
  }
  if (problems.length > 0) return problems;
  const endpoints = needs.length - 1;
  return [{ name: `router (${environment.name}) ports`, level: "ok", detail: `control port ${routerPort} and ${endpoints} endpoint port${endpoints === 1 ? "" : "s"}: free, or held by this environment's router` }];
}
