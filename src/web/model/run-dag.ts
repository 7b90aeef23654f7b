// The CI runs page lays a run's services out as a DAG: columns by depth
// (a service stands right of every service it is built after), in name
// order within a column. Pure, so it is tested without a browser.

export interface DagNode {
  service: string;
  dependsOn: readonly string[];
}

/** Columns of service names: column 0 depends on nothing in the run; a cycle (validate refuses one) is cut where found. */
export function dagColumns(nodes: readonly DagNode[]): string[][] {
  const byName = new Map(nodes.map((n) => [n.service, n]));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    const deps = (byName.get(name)?.dependsOn ?? []).filter((d) => byName.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };
  const columns: string[][] = [];
  for (const name of [...byName.keys()].sort()) (columns[depthOf(name)] ??= []).push(name);
  return columns.map((c) => c ?? []);
}
