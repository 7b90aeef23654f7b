// Debian's Prometheus server (2.42) for e2e tests of what queries it: started
// on a loopback port with its own config and storage in a temp folder,
// scraping the given targets every second, stopped by pid.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface RealPrometheus {
  /** http://127.0.0.1:port — what a `prometheus.address` in slipway.yaml names. */
  base: string;
  /** The value of an instant query's first sample, or undefined while the vector is empty. */
  sample(query: string): Promise<string | undefined>;
  /** Until `predicate` holds for the query's first sample (Prometheus applies a new config, then scrapes, within ~5 s). */
  waitFor(query: string, predicate: (value: string | undefined) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(port: number, targets: readonly string[]): Promise<RealPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(config, `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: e2e\n    static_configs: [{ targets: ${JSON.stringify(targets)} }]\n`);
  let log = "";
  const child: ChildProcess = spawn("prometheus", [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const base = `http://127.0.0.1:${port}`;

  const sample = async (query: string): Promise<string | undefined> => {
    const res = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data?: { resultType: string; result: unknown } };
    const result = body.data?.result;
    if (body.data?.resultType === "scalar") return (result as [number, string])[1];
    return (result as { value: [number, string] }[] | undefined)?.[0]?.value[1];
  };
  const waitFor = async (query: string, predicate: (value: string | undefined) => boolean, timeoutMs = 20_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log.slice(-2000)}`);
      last = await sample(query).catch(() => undefined);
      if (predicate(last)) return;
      if (Date.now() > deadline) throw new Error(`prometheus on ${base}: ${query} was ${last ?? "empty"} after ${timeoutMs} ms`);
      await sleep(200);
    }
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("up", (v) => v === "1");
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, sample, waitFor, stop };
}
