// Which service pair broke when the integration tests fail with one service
// at its new digest among the target environment's digests. Only the edges
// that touch the new service changed, so a failure is pinned to them: a test
// of the new service itself points at the new service calling its
// dependencies (new → old); a test of another service that reaches the new
// one through dependsOn points at the services calling it (old → new); a
// command test, which may call anything, points at every edge of the new
// service. Pure: the caller brings the dependency edges and the failed tests.

export interface CompatibilityPair {
  /** The service making the call. */
  caller: string;
  /** The service it calls (a dependsOn edge). */
  callee: string;
  /** Which side runs the new digest. */
  newSide: "caller" | "callee";
  /** The failed tests that point at this pair. */
  tests: string[];
}

export interface FailedTest {
  name: string;
  /** The service an HTTP test calls; undefined for a command test. */
  service?: string;
}

/** service → what it dependsOn. */
export type DependencyEdges = Readonly<Record<string, readonly string[]>>;

export interface PairFinding {
  pairs: CompatibilityPair[];
  /** Failed tests of services that cannot reach the new one: not explained by the mix. */
  unexplained: string[];
}

export function brokenPairs(mixed: string, edges: DependencyEdges, failed: readonly FailedTest[]): PairFinding {
  const pairs = new Map<string, CompatibilityPair>();
  const unexplained: string[] = [];
  const add = (caller: string, callee: string, newSide: CompatibilityPair["newSide"], test: string): void => {
    const key = `${caller}→${callee}`;
    const pair = pairs.get(key) ?? { caller, callee, newSide, tests: [] };
    if (!pair.tests.includes(test)) pair.tests.push(test);
    pairs.set(key, pair);
  };
  const callers = Object.entries(edges).filter(([, deps]) => deps.includes(mixed)).map(([name]) => name);
  const callees = edges[mixed] ?? [];
  for (const test of failed) {
    if (test.service === undefined) {
      for (const caller of callers) add(caller, mixed, "callee", test.name);
      for (const callee of callees) add(mixed, callee, "caller", test.name);
    } else if (test.service === mixed) {
      for (const callee of callees) add(mixed, callee, "caller", test.name);
      if (callees.length === 0) unexplained.push(test.name);
    } else {
      // The callers of the new service that the tested service reaches (itself included).
      const reached = reachable(test.service, edges);
      const via = callers.filter((c) => reached.has(c));
      for (const caller of via) add(caller, mixed, "callee", test.name);
      if (via.length === 0) unexplained.push(test.name);
    }
  }
  return { pairs: [...pairs.values()], unexplained };
}

/** `from` and every service it reaches through dependsOn. */
function reachable(from: string, edges: DependencyEdges): Set<string> {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(edges[next] ?? []));
  }
  return seen;
}

/** "front (old) → back (new), test front-answers". */
export function describePair(pair: CompatibilityPair): string {
  const side = (name: string, isNew: boolean): string => `${name} (${isNew ? "new" : "old"})`;
  return `${side(pair.caller, pair.newSide === "caller")} → ${side(pair.callee, pair.newSide === "callee")}, test${pair.tests.length > 1 ? "s" : ""} ${pair.tests.join(", ")}`;
}
