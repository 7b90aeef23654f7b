// The services of a system and what each depends on. Pure: used by config
// validation (cycles), the CI scheduler (build order) and deployment order.

export class ServiceGraph {
  private readonly deps: ReadonlyMap<string, readonly string[]>;

  /** `deps` maps each service to the services it depends on; unknown targets are ignored here. */
  constructor(deps: ReadonlyMap<string, readonly string[]>) {
    this.deps = deps;
  }

  get names(): string[] {
    return [...this.deps.keys()];
  }

  dependenciesOf(name: string): readonly string[] {
    return (this.deps.get(name) ?? []).filter((d) => this.deps.has(d));
  }

  /** Every dependency cycle once, each as a path that returns to its start: [a, b, a]. */
  cycles(): string[][] {
    const state = new Map<string, "visiting" | "done">();
    const stack: string[] = [];
    const seen = new Set<string>();
    const found: string[][] = [];
    const visit = (name: string): void => {
      state.set(name, "visiting");
      stack.push(name);
      for (const dep of this.dependenciesOf(name)) {
        const s = state.get(dep);
        if (s === "visiting") {
          const cycle = stack.slice(stack.indexOf(dep));
          const key = canonicalRotation(cycle).join(">");
          if (!seen.has(key)) {
            seen.add(key);
            found.push([...cycle, dep]);
          }
        } else if (s === undefined) {
          visit(dep);
        }
      }
      stack.pop();
      state.set(name, "done");
    };
    for (const name of [...this.deps.keys()].sort()) if (!state.has(name)) visit(name);
    return found;
  }

  /**
   * Services grouped in waves: each wave depends only on earlier waves, so a
   * wave's members can run in parallel. Throws on a cycle (validate first).
   */
  waves(): string[][] {
    const remaining = new Map([...this.deps.keys()].map((n) => [n, new Set(this.dependenciesOf(n))]));
    const result: string[][] = [];
    while (remaining.size > 0) {
      const ready = [...remaining].filter(([, d]) => d.size === 0).map(([n]) => n).sort();
      if (ready.length === 0) throw new Error(`dependency cycle among ${[...remaining.keys()].join(", ")}`);
      for (const n of ready) remaining.delete(n);
      for (const d of remaining.values()) for (const n of ready) d.delete(n);
      result.push(ready);
    }
    return result;
  }

  /** Dependencies before dependents; ties in name order. */
  topologicalOrder(): string[] {
    return this.waves().flat();
  }

  /** Every service that depends on `name`, directly or not. */
  dependentsOf(name: string): string[] {
    const result = new Set<string>();
    const walk = (target: string): void => {
      for (const n of this.deps.keys()) {
        if (!result.has(n) && this.dependenciesOf(n).includes(target)) {
          result.add(n);
          walk(n);
        }
      }
    };
    walk(name);
    return [...result].sort();
  }
}

function canonicalRotation(cycle: readonly string[]): string[] {
  let best = 0;
  cycle.forEach((n, i) => {
    if (n < (cycle[best] ?? "")) best = i;
  });
  return [...cycle.slice(best), ...cycle.slice(0, best)];
}
