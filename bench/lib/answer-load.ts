// A keep-alive load at a fixed rate that records every answer with its
// arrival time (performance.now()) and body, for benchmarks that time when
// traffic moved from one version to another.
import http from "node:http";
import { performance } from "node:perf_hooks";

export interface Answer {
  atMs: number;
  body: string;
  ok: boolean;
}

/** Keep-alive GETs at a fixed rate; every answer with its arrival time (performance.now()). */
export function startAnswerLoad(port: number, rps: number): { stop: () => Promise<Answer[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const answers: Answer[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = performance.now();
  let sent = 0;
  const tick = setInterval(() => {
    const due = Math.floor(((performance.now() - started) * rps) / 1000) - sent;
    for (let i = 0; i < due; i++) {
      sent++;
      const p = new Promise<void>((resolve) => {
        const req = http.get({ host: "127.0.0.1", port, path: "/", agent, timeout: 10_000 }, (res) => {
          let body = "";
          res.setEncoding("utf8").on("data", (c: string) => (body += c));
          res.on("end", () => {
            answers.push({ atMs: performance.now(), body, ok: res.statusCode === 200 });
            resolve();
          });
        });
        req.on("error", () => {
          answers.push({ atMs: performance.now(), body: "error", ok: false });
          resolve();
        });
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, 5);
  return {
    stop: async () => {
      clearInterval(tick);
      await Promise.all(inFlight);
      agent.destroy();
      return answers;
    },
  };
}

