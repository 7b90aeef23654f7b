// The steps of a load test's ramp: the rate (or connections) climbing from
// `from` to the steady value over the ramp's seconds, in at most MAX_STEPS
// equal steps of at least one second. Pure, so the bound on the number of
// load generator runs and the values are testable without a server.
import type { LoadTest } from "./config-schema.js";

export const MAX_RAMP_STEPS = 10;

export interface LoadPhase {
  /** "ramp 1/5" … or "steady". */
  name: string;
  connections: number;
  /** Overall requests per second; undefined: as fast as the connections allow. */
  rate?: number;
  seconds: number;
}

export function loadPhases(scenario: Pick<LoadTest, "connections" | "rate" | "durationSeconds" | "ramp">): LoadPhase[] {
  const steady: LoadPhase = { name: "steady", connections: scenario.connections, ...(scenario.rate === undefined ? {} : { rate: scenario.rate }), seconds: scenario.durationSeconds };
  const ramp = scenario.ramp;
  if (ramp === undefined) return [steady];
  const target = scenario.rate ?? scenario.connections;
  const steps = Math.max(1, Math.min(MAX_RAMP_STEPS, Math.floor(ramp.seconds)));
  const seconds = ramp.seconds / steps;
  const from = Math.min(ramp.from, target);
  const phases = Array.from({ length: steps }, (_, i): LoadPhase => {
    // Evenly spaced below the target: step i of n runs at from + (target - from) × i / n.
    const value = Math.max(1, Math.round(from + ((target - from) * i) / steps));
    const name = `ramp ${i + 1}/${steps}`;
    return scenario.rate === undefined ? { name, connections: value, seconds } : { name, connections: scenario.connections, rate: value, seconds };
  });
  return [...phases, steady];
}
