import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseShowStat, serverRows } from "./show-stat.js";

// The header line as HAProxy 2.6.12 writes it; rows are built by column name.
const header =
  "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,";
const columns = header.slice(2).split(",");
const csvRow = (values: Record<string, string | number>): string => columns.map((c) => String(values[c] ?? "")).join(",");

const captured = [
  header,
  csvRow({ pxname: "fe.web", svname: "FRONTEND", scur: 2, stot: 40, status: "OPEN", hrsp_2xx: 37, hrsp_5xx: 3, req_tot: 40 }),
  csvRow({ pxname: "web.weighted", svname: "web-a-1", scur: 1, stot: 30, status: "no check", weight: 180, hrsp_2xx: 30, req_tot: 30, rtime: 4, idle_conn_cur: 3, used_conn_cur: 1 }),
  csvRow({ pxname: "web.weighted", svname: "web-c-1", stot: 10, econ: 2, eresp: 1, wretr: 1, wredis: 1, status: "MAINT", hrsp_2xx: 7, hrsp_5xx: 3, req_tot: 10, rtime: 9 }),
  csvRow({ pxname: "web.weighted", svname: "BACKEND", scur: 1, stot: 40, status: "UP", hrsp_2xx: 37, hrsp_5xx: 3, req_tot: 40 }),
  "",
].join("\n");

describe("parseShowStat", () => {
  it("reads the columns it needs by name", () => {
    const rows = parseShowStat(captured);
    assert.equal(rows.length, 4);
    const a = rows[1];
    assert.deepEqual(a, {
      proxy: "web.weighted",
      server: "web-a-1",
      currentSessions: 1,
      totalSessions: 30,
      requests: 30,
      responses2xx: 30,
      responses5xx: 0,
      connectErrors: 0,
      responseErrors: 0,
      retries: 0,
      redispatches: 0,
      avgResponseMs: 4,
      usedConnections: 1,
      idleConnections: 3,
      status: "no check",
    });
    assert.equal(rows[2]?.responses5xx, 3);
    assert.equal(rows[2]?.connectErrors, 2);
    assert.equal(rows[2]?.status, "MAINT");
  });

  it("does not depend on column order, and reads a missing column as 0", () => {
    const reordered = "# svname,pxname,hrsp_5xx,scur\nweb-a-1,web.weighted,4,2\n";
    assert.deepEqual(
      parseShowStat(reordered).map((r) => [r.proxy, r.server, r.responses5xx, r.currentSessions, r.requests]),
      [["web.weighted", "web-a-1", 4, 2, 0]],
    );
  });

  it("refuses an answer that is not CSV with a header", () => {
    assert.throws(() => parseShowStat("Unknown command.\n"), /without a header/);
  });

  it("keeps only real servers of the given proxies", () => {
    assert.deepEqual(
      serverRows(parseShowStat(captured), ["web.weighted"]).map((r) => r.server),
      ["web-a-1", "web-c-1"],
    );
  });
});
