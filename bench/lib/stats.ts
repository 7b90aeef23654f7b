// Durations (in ms) and their summaries, as the benchmarks report them.

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

export interface Summary {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  return { median, min: sorted[0] ?? NaN, max: sorted.at(-1) ?? NaN, samples: [...samples] };
}

export const median = (samples: readonly number[]): number => summarize(samples).median;

/** ms as seconds, to the millisecond: "1.234". */
export const seconds = (ms: number): string => (ms / SECOND).toFixed(3);

/** ms as ms: one decimal under 100, "—" for NaN. */
export const millis = (ms: number): string => (Number.isNaN(ms) ? "—" : ms.toFixed(ms < 100 ? 1 : 0));
