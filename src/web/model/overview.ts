// The system overview as data: environments in promotion order (each after
// the one it is promoted from), services as rows, and for each cell whether
// it lags the environment before it (serves another digest). Pure, so the
// page only renders it and the unit tests check the rules.

export interface EnvironmentInfo {
  name: string;
  /** The environment this one is promoted from; absent: the one declared before it. */
  promotedFrom?: string;
}

/** One row of GET /api/status (every cell is text, as `slipway status` prints it). */
export interface StatusRow {
  environment: string;
  service: string;
  version: string;
  digest: string;
  health?: string;
  rollout?: string;
  ready?: string;
  traffic?: string;
}

export interface TrafficShare {
  /** The version (or revision name) taking this share. */
  label: string;
  percent: number;
}

export interface OverviewCell {
  status?: StatusRow;
  traffic: TrafficShare[];
  /** Set when the environment this one is promoted from serves another digest: what that environment serves. */
  lagsBehind?: { environment: string; serves: string };
}

export interface OverviewModel {
  environments: string[];
  services: string[];
  /** cells[service][environment] */
  cells: Record<string, Record<string, OverviewCell>>;
}

/**
 * Environments in promotion order: each comes after the one it is promoted
 * from; among those promoted from the same one (or roots), declared order.
 */
export function promotionOrder(environments: readonly EnvironmentInfo[]): EnvironmentInfo[] {
  const withSource = environments.map((e, i) => ({ ...e, promotedFrom: sourceOf(environments, i) }));
  const placed: EnvironmentInfo[] = [];
  const visit = (from: string | undefined): void => {
    for (const e of withSource) {
      if (e.promotedFrom === from && !placed.includes(e)) {
        placed.push(e);
        visit(e.name);
      }
    }
  };
  visit(undefined);
  // A cycle or an unknown source (validate refuses both) must not hide an environment.
  for (const e of withSource) if (!placed.includes(e)) placed.push(e);
  return placed;
}

function sourceOf(environments: readonly EnvironmentInfo[], index: number): string | undefined {
  const e = environments[index];
  if (e?.promotedFrom !== undefined) return environments.some((x) => x.name === e.promotedFrom) ? e.promotedFrom : undefined;
  return index === 0 ? undefined : environments[index - 1]?.name;
}

/** "v1 90%, v2 10%" → shares; "none" or "router not running" → none. */
export function parseTraffic(traffic: string | undefined): TrafficShare[] {
  if (traffic === undefined) return [];
  const shares: TrafficShare[] = [];
  for (const part of traffic.split(",")) {
    const match = /^\s*(.+?)\s+(\d+)%\s*$/.exec(part);
    if (match?.[1] !== undefined && match[2] !== undefined) shares.push({ label: match[1], percent: Number(match[2]) });
  }
  return shares;
}

/** The serving version's share first (the stable), the others after it in their order: a split reads the same from the status and from an event. */
export function servingFirst(shares: readonly TrafficShare[], serving: readonly string[]): TrafficShare[] {
  const first = shares.filter((s) => serving.includes(s.label));
  return [...first, ...shares.filter((s) => !first.includes(s))];
}

/** What a cell's serving revision may be labelled by: its version and its short digest. */
export function servingLabels(row: Pick<StatusRow, "version" | "digest"> | undefined): string[] {
  return row === undefined ? [] : [row.version, row.digest].filter((l) => l !== "" && l !== "-");
}

const deployed = (row: StatusRow | undefined): row is StatusRow => row !== undefined && row.digest !== "";

export function buildOverview(environments: readonly EnvironmentInfo[], services: readonly string[], rows: readonly StatusRow[]): OverviewModel {
  const ordered = promotionOrder(environments);
  const byKey = new Map(rows.map((r) => [`${r.service}\u0000${r.environment}`, r]));
  const cells: OverviewModel["cells"] = {};
  for (const service of services) {
    const row: Record<string, OverviewCell> = {};
    for (const env of ordered) {
      const status = byKey.get(`${service}\u0000${env.name}`);
      const cell: OverviewCell = { traffic: servingFirst(parseTraffic(status?.traffic), servingLabels(status)), ...(status === undefined ? {} : { status }) };
      const source = env.promotedFrom === undefined ? undefined : byKey.get(`${service}\u0000${env.promotedFrom}`);
      if (deployed(source) && source.digest !== status?.digest && env.promotedFrom !== undefined) {
        cell.lagsBehind = { environment: env.promotedFrom, serves: versionText(source) };
      }
      row[env.name] = cell;
    }
    cells[service] = row;
  }
  return { environments: ordered.map((e) => e.name), services: [...services], cells };
}

/** A deployment's version, or its short digest when it was deployed by digest (version "-"). */
export function versionText(row: Pick<StatusRow, "version" | "digest">): string {
  return row.version === "-" || row.version === "" ? row.digest.replace(/^sha256:/, "").slice(0, 12) : row.version;
}
