// `show stat` answers CSV whose first line names the columns ("# pxname,
// svname,..."). Columns are read by name, because their positions change
// between HAProxy versions; a column a version lacks reads as 0.

export interface StatRow {
  /** Proxy: frontend or backend name. */
  proxy: string;
  /** Server name, or FRONTEND / BACKEND for the proxy's own totals. */
  server: string;
  /** Current sessions: requests in flight on a server. */
  currentSessions: number;
  totalSessions: number;
  /** HTTP requests (servers report it from 2.4 on; older fall back to sessions). */
  requests: number;
  responses2xx: number;
  responses5xx: number;
  connectErrors: number;
  responseErrors: number;
  retries: number;
  redispatches: number;
  /** Average time to response headers over the last 1024 requests, ms. */
  avgResponseMs: number;
  /** Connections to the server: in use and idle; not used by the router since slots replaced `del server`. */
  usedConnections: number;
  idleConnections: number;
  status: string;
}

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split("\n").filter((line) => line.trim() !== "");
  const header = lines[0];
  if (header === undefined || !header.startsWith("# ")) throw new Error(`show stat answered without a header line: ${csv.slice(0, 200)}`);
  const columns = new Map(header.slice(2).split(",").map((name, i) => [name, i]));
  const required = ["pxname", "svname"].filter((name) => !columns.has(name));
  if (required.length > 0) throw new Error(`show stat has no column ${required.join(", ")}`);

  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    const text = (name: string): string => {
      const i = columns.get(name);
      return i === undefined ? "" : (cells[i] ?? "");
    };
    const num = (name: string): number => {
      const value = Number.parseInt(text(name), 10);
      return Number.isNaN(value) ? 0 : value;
    };
    return {
      proxy: text("pxname"),
      server: text("svname"),
      currentSessions: num("scur"),
      totalSessions: num("stot"),
      requests: columns.has("req_tot") && text("req_tot") !== "" ? num("req_tot") : num("stot"),
      responses2xx: num("hrsp_2xx"),
      responses5xx: num("hrsp_5xx"),
      connectErrors: num("econ"),
      responseErrors: num("eresp"),
      retries: num("wretr"),
      redispatches: num("wredis"),
      avgResponseMs: num("rtime"),
      usedConnections: num("used_conn_cur"),
      idleConnections: num("idle_conn_cur"),
      status: text("status"),
    };
  });
}

/** Rows of real servers (not the FRONTEND/BACKEND totals) of the given proxies. */
export function serverRows(rows: readonly StatRow[], proxies: readonly string[]): StatRow[] {
  return rows.filter((row) => proxies.includes(row.proxy) && row.server !== "FRONTEND" && row.server !== "BACKEND");
}
