// Reading what `node --cpu-prof` wrote: self time by a benchmark's own buckets.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BenchError } from "./processes.js";

export interface CallFrame {
  functionName: string;
  url: string;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

/** The .cpuprofile in `dir`: how long it profiled (ms) and the self time (µs) of each bucket `bucket` puts frames in, largest first. */
export function readCpuProfile(dir: string, bucket: (frame: CallFrame) => string): { profiledMs: number; buckets: [string, number][] } {
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (file === undefined) throw new BenchError(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const buckets = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    const key = frame === undefined ? "?" : bucket(frame);
    buckets.set(key, (buckets.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  return { profiledMs: (profile.endTime - profile.startTime) / 1000, buckets: [...buckets].sort((a, b) => b[1] - a[1]) };
}

/** A markdown table of buckets: where, and its self time in ms. */
export function cpuProfileTable(buckets: readonly [string, number][]): string[] {
  return ["| where | ms |", "|---|---:|", ...buckets.map(([key, us]) => `| ${key} | ${(us / 1000).toFixed(0)} |`)];
}
