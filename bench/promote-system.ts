// Benchmark: `slipway promote` of a 10-service system against the same ten
// deploys run one after another (`slipway deploy <service> --env dst`), in
// one run, as wall time and their ratio. Not a test: it prints a markdown
// table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/promote-system.js [--services 10] [--keep]
//
// A scratch system in a temp dir: N services from one tiny Python HTTP
// server image (pushed to a repository per service), a dependency tree
// (service i depends on service ⌊(i−1)/3⌋), 1 replica each, readiness every
// 0.2 s, rolling maxSurge 1 / maxUnavailable 0 with scaleDownDelaySeconds 0,
// in two environments `src` and `dst` on Docker behind their HAProxy. All of
// v1 goes to both, v2 to src. Then, timed: (1) each service deployed to dst
// one after another (v1 → v2), the sum of the commands' wall times; every
// service back to v1 (untimed, `slipway rollback --to-lock`); (2) `slipway
// promote --from src --to dst` (v1 → v2 for all). Needs Docker Engine with
// python:3.11-slim-bookworm present (never pulled), HAProxy and the registry
// (scripts/setup-host.sh), and loopback ports 17600-17699 free. Everything it
// creates is removed at the end, also when it fails or is interrupted.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dockerMachineLine, resultsHeading, runMain, wholeNumber } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { scratchSystem } from "./lib/scratch-system.js";
import { MINUTE, seconds } from "./lib/stats.js";
import { buildVersions, PYTHON_BASE } from "./lib/versioned-python.js";

const DEV = 17690;
const PROD = 17691;
const SYSTEM = "bench-promote";
const USAGE = "usage: node dist/bench/promote-system.js [--services 10] [--keep]";


function parseArgs(argv: string[]): { services: number; keep: boolean } {
  const options = { services: 10, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--services") options.services = wholeNumber(arg, argv[++i], 2, 20);
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument ${arg ?? ""}\n${USAGE}`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { run, mustRun } = runner({ NO_COLOR: "1" });
  const { root, images, cli, writeService, cleanup } = scratchSystem({ run, mustRun }, { system: SYSTEM, prefix: "slipway-bench-promote-", keep: options.keep, cliTimeoutMs: 5 * MINUTE });
  const names = Array.from({ length: options.services }, (_, i) => `svc-${i}`);
  try {
    const machineLine = await dockerMachineLine(run, PYTHON_BASE);
    writeFileSync(
      join(root, "slipway.yaml"),
      `system: ${SYSTEM}\nregistries:\n  dev: { url: 127.0.0.1:${DEV} }\n  prod: { url: 127.0.0.1:${PROD} }\nenvironments:\n  - { name: src, registry: dev, portOffset: 15600, routerPort: 17649 }\n  - { name: dst, registry: dev, portOffset: 15650, routerPort: 17699 }\nservices: [services/*]\n`,
    );
    names.forEach((name, i) => {
      const dependsOn = i === 0 ? "" : `dependsOn: [svc-${Math.floor((i - 1) / 3)}]\n`;
      writeService(
        name,
        `name: ${name}\nowners: [bench]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: ${2000 + i} }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.2 }\nreplicas: 1\nterminationGracePeriodSeconds: 2\n${dependsOn}strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }\n`,
      );
    });
    await cli(["up"]);
    // One image per version, pushed to every service's repository: the digest is the same, the repositories differ.
    const digests = await buildVersions(mustRun, root, names.map((name) => `127.0.0.1:${DEV}/${SYSTEM}/${name}`), ["v1", "v2"], images);
    const deploy = (name: string, env: string, version: string) => cli(["deploy", name, "--env", env, "--digest", digests[version] ?? ""]);
    for (const env of ["src", "dst"]) for (const name of names) await deploy(name, env, "v1");
    for (const name of names) await deploy(name, "src", "v2");
    const v1Lock = JSON.parse((await cli(["--json", "history", "--env", "dst", "-n", "1"])).stdout) as { locks: { number: number }[] };
    log(`set up: v1 in src and dst, v2 in src; dst's lock ${v1Lock.locks[0]?.number ?? "?"} is all v1`);

    // (1) One after another, as a person or a script would without `promote`.
    const each: number[] = [];
    for (const name of names) each.push((await deploy(name, "dst", "v2")).ms);
    const sum = each.reduce((a, b) => a + b, 0);
    log(`ten deploys one after another: ${seconds(sum)} s`);
    await cli(["rollback", "--env", "dst", "--to-lock", String(v1Lock.locks[0]?.number ?? 0)], 10 * MINUTE);

    // (2) The whole system as one group.
    const promoted = await cli(["promote", "--from", "src", "--to", "dst"], 10 * MINUTE);
    if (!/promoted/.test(promoted.stdout)) throw new BenchError(`promote did not promote:\n${promoted.stdout}`);
    log(`promote: ${seconds(promoted.ms)} s`);

    console.log(resultsHeading());
    console.log("");
    console.log(machineLine());
    console.log("");
    console.log(`${options.services} services (a dependency tree), 1 replica each, rolling v1 → v2 in \`dst\`; wall time of the commands, one run:`);
    console.log("");
    console.log("| how | wall time (s) |");
    console.log("|---|---:|");
    console.log(`| ${options.services} × \`slipway deploy <service> --env dst\`, one after another (sum) | ${seconds(sum)} |`);
    console.log(`| \`slipway promote --from src --to dst\` (one group, dependency order, health gate after each) | ${seconds(promoted.ms)} |`);
    console.log("");
    console.log(`promote / sum of deploys: ${(promoted.ms / sum).toFixed(2)}. Each deploy (s): ${each.map((ms) => seconds(ms)).join(" ")}.`);
  } finally {
    await cleanup();
  }
}

runMain(main);
