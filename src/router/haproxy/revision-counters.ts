// Per-revision totals from `show stat` rows: HAProxy counts per server, the
// rollout asks per revision. Pure, so the sums are unit-tested.
import type { RevisionStats } from "../types.js";
import type { CounterTotals } from "./route-table.js";
import type { StatRow } from "./show-stat.js";

export function zeroTotals(): CounterTotals {
  return { requests: 0, responses2xx: 0, responses5xx: 0, connectionErrors: 0, retries: 0 };
}

export function subtractTotals(a: CounterTotals, b: CounterTotals): CounterTotals {
  return {
    requests: Math.max(0, a.requests - b.requests),
    responses2xx: Math.max(0, a.responses2xx - b.responses2xx),
    responses5xx: Math.max(0, a.responses5xx - b.responses5xx),
    connectionErrors: Math.max(0, a.connectionErrors - b.connectionErrors),
    retries: Math.max(0, a.retries - b.retries),
  };
}

export function addTotals(a: CounterTotals, b: CounterTotals): CounterTotals {
  return {
    requests: a.requests + b.requests,
    responses2xx: a.responses2xx + b.responses2xx,
    responses5xx: a.responses5xx + b.responses5xx,
    connectionErrors: a.connectionErrors + b.connectionErrors,
    retries: a.retries + b.retries,
  };
}

/**
 * A server's sessions count every attempt sent its way, also those whose
 * connection failed and went to another server (HAProxy counts those as
 * retries or redispatches, not as connection errors). Counting them as
 * failed attempts keeps a dead canary from looking healthy while retries
 * hide it from clients.
 */
export function totalsOfRow(row: StatRow): CounterTotals {
  const retried = row.retries + row.redispatches;
  return {
    requests: row.totalSessions,
    responses2xx: row.responses2xx,
    responses5xx: row.responses5xx,
    connectionErrors: row.connectErrors + row.responseErrors + retried,
    retries: retried,
  };
}

/**
 * Sums server rows into revisions. `revisionOf` maps a server name to its
 * revision (undefined: not ours, skipped); `retired` adds servers already
 * removed; `baselineOf` gives what a reused server slot had counted for
 * earlier occupants, subtracted. The mean response time is weighted by each
 * server's requests.
 */
export function revisionCounters(
  rows: readonly StatRow[],
  revisionOf: (server: string) => string | undefined,
  retired: Readonly<Record<string, CounterTotals>>,
  baselineOf: (row: StatRow) => CounterTotals | undefined = () => undefined,
): Map<string, Omit<RevisionStats, "latency">> {
  const sums = new Map<string, { totals: CounterTotals; weightedMs: number; weightOfMs: number }>();
  const sumOf = (revision: string) => {
    let sum = sums.get(revision);
    if (sum === undefined) sums.set(revision, (sum = { totals: zeroTotals(), weightedMs: 0, weightOfMs: 0 }));
    return sum;
  };
  for (const row of rows) {
    const revision = revisionOf(row.server);
    if (revision === undefined) continue;
    const sum = sumOf(revision);
    const baseline = baselineOf(row);
    const totals = baseline === undefined ? totalsOfRow(row) : subtractTotals(totalsOfRow(row), baseline);
    sum.totals = addTotals(sum.totals, totals);
    const requests = baseline === undefined ? row.requests : totals.requests;
    sum.weightedMs += row.avgResponseMs * requests;
    sum.weightOfMs += requests;
  }
  for (const [revision, totals] of Object.entries(retired)) {
    const sum = sumOf(revision);
    sum.totals = addTotals(sum.totals, totals);
  }
  const result = new Map<string, Omit<RevisionStats, "latency">>();
  for (const [revision, { totals, weightedMs, weightOfMs }] of sums) {
    result.set(revision, { revision, ...totals, avgResponseMs: weightOfMs === 0 ? 0 : Math.round(weightedMs / weightOfMs) });
  }
  return result;
}
